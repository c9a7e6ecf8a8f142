"""Live service health from each service's own ``/metrics`` (the local stack has no Prometheus).

A counter says nothing until it is read twice, so the instance keeps the last sample of each
service for the life of the portal process. The first call takes two scrapes about a second
apart (all services at once); later calls use the change since the previous call. P95 comes
from the change of the latency buckets, interpolated the way PromQL's ``histogram_quantile``
does, so the figures mean the same as the Prometheus panel's (over a shorter window).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from portal.ops.health.models import ServiceHealth
from portal.ops.settings import OpsSettings

__all__ = ["MetricsHealth", "MetricsSample", "histogram_quantile", "parse_sample"]

REQUESTS = "http_requests_total"
BUCKETS = "http_request_duration_seconds_bucket"
# Between the two scrapes of a service seen for the first time: long enough for a rate.
FIRST_GAP_SECONDS = 1.0


@dataclass
class MetricsSample:
    """One scrape of one service, summed over method and route."""

    taken_at: float  # time.monotonic()
    requests: float = 0.0
    errors: float = 0.0  # 5xx answers
    buckets: dict[float, float] = field(default_factory=dict)  # le -> cumulative count


def parse_sample(text: str, taken_at: float) -> MetricsSample:
    """The request and latency totals in a Prometheus text exposition (other series ignored)."""
    sample = MetricsSample(taken_at=taken_at)
    for family in text_string_to_metric_families(text):
        for series in family.samples:
            if series.name == REQUESTS:
                sample.requests += series.value
                if series.labels.get("status", "").startswith("5"):
                    sample.errors += series.value
            elif series.name == BUCKETS:
                le = float(series.labels.get("le", "nan"))
                if not math.isnan(le):
                    sample.buckets[le] = sample.buckets.get(le, 0.0) + series.value
    return sample


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """PromQL's histogram_quantile over (upper bound, cumulative count) pairs; None if empty.

    Linear interpolation inside the bucket the rank falls in, the first bucket starting at 0;
    a rank in the +Inf bucket gives the highest finite bound, as Prometheus does.
    """
    ordered = sorted(buckets)
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return None
    total = ordered[-1][1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, (_, count) in enumerate(ordered) if count >= rank)
    if index == len(ordered) - 1:
        return ordered[-2][0]
    upper, count = ordered[index]
    lower, below = (0.0, 0.0) if index == 0 else ordered[index - 1]
    if index == 0 and upper <= 0:
        return upper
    in_bucket = count - below
    if in_bucket <= 0:
        return upper
    return lower + (upper - lower) * (rank - below) / in_bucket


def _delta(new: float, old: float) -> float:
    # A counter that went down means the service restarted: count from zero again.
    return new - old if new >= old else new


def figures(name: str, old: MetricsSample, new: MetricsSample) -> ServiceHealth:
    """Requests/s, error rate and P95 between two samples of one service."""
    seconds = max(new.taken_at - old.taken_at, 1e-6)
    requests = _delta(new.requests, old.requests)
    errors = _delta(new.errors, old.errors)
    restarted = new.requests < old.requests
    bucket_deltas = [
        (le, count if restarted else _delta(count, old.buckets.get(le, 0.0)))
        for le, count in new.buckets.items()
    ]
    return ServiceHealth(
        service=name,
        up=True,
        requests_per_second=requests / seconds,
        error_rate=errors / requests if requests > 0 else None,
        p95_seconds=histogram_quantile(0.95, bucket_deltas),
        method="metrics",
        window=f"{seconds:.1f}s",
        window_seconds=seconds,
        detail=f"from /metrics, {requests:g} requests in the last {seconds:.1f} s",
    )


class MetricsHealth:
    """Health of the services in ``settings.metrics_urls`` (name -> /metrics URL)."""

    def __init__(self, settings: OpsSettings, *, first_gap_seconds: float = FIRST_GAP_SECONDS):
        self.urls = dict(settings.metrics_urls)
        # The first call scrapes twice with a gap between; both scrapes and the gap must end
        # inside the panel's deadline (3 s and a 1 s gap: 0.9 s per scrape).
        budget = (settings.timeout_seconds - first_gap_seconds) / 2
        self.scrape_timeout = max(0.2, budget * 0.9)
        self.first_gap_seconds = first_gap_seconds
        self._previous: dict[str, MetricsSample] = {}
        self._lock = asyncio.Lock()

    async def _scrape(self, client: httpx.AsyncClient, url: str) -> MetricsSample | str:
        """A sample, or why there is none (in words for the panel)."""
        try:
            response = await client.get(url)
        except httpx.TimeoutException:
            return f"{url}: no answer within {self.scrape_timeout:.1f} s"
        except httpx.HTTPError as exc:
            return f"{url}: {type(exc).__name__}: {exc}".rstrip(": ")
        if response.status_code != 200:
            return f"{url}: HTTP {response.status_code} {response.reason_phrase}"
        try:
            return parse_sample(response.text, time.monotonic())
        except (ValueError, IndexError, KeyError, TypeError) as exc:  # the parser's ways to fail
            return f"{url}: not a Prometheus text exposition ({type(exc).__name__}: {exc})"

    async def _scrape_all(
        self, client: httpx.AsyncClient, names: list[str]
    ) -> dict[str, MetricsSample | str]:
        answers = await asyncio.gather(*(self._scrape(client, self.urls[n]) for n in names))
        return dict(zip(names, answers, strict=True))

    async def health(self) -> list[ServiceHealth]:
        async with (
            self._lock,
            httpx.AsyncClient(timeout=self.scrape_timeout, trust_env=False) as client,
        ):
            names = list(self.urls)
            unseen = [name for name in names if name not in self._previous]
            if unseen:
                for name, first in (await self._scrape_all(client, unseen)).items():
                    if isinstance(first, MetricsSample):
                        self._previous[name] = first
            # A rate over a few milliseconds (two refreshes in a row) would be noise.
            newest = max((s.taken_at for s in self._previous.values()), default=None)
            if newest is not None:
                await asyncio.sleep(max(0.0, self.first_gap_seconds - (time.monotonic() - newest)))
            current = await self._scrape_all(client, names)
            return [self._report(name, current[name]) for name in names]

    def _report(self, name: str, sample: MetricsSample | str) -> ServiceHealth:
        if isinstance(sample, str):
            # Its counters restart when it comes back: begin again with two samples.
            self._previous.pop(name, None)
            return ServiceHealth(service=name, up=False, method="metrics", window="", detail=sample)
        previous = self._previous.get(name)
        self._previous[name] = sample
        if previous is None:
            return ServiceHealth(
                service=name,
                up=True,
                method="metrics",
                window="",
                detail="answered once so far; rates from the next refresh",
            )
        return figures(name, previous, sample)
