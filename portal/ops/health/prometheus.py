"""Live service health from the Prometheus HTTP API (``/api/v1/query``), over a 5-minute window.

Four instant queries run at once, each grouped by the ``service`` label:

- requests/s: ``sum by (service) (rate(http_requests_total[5m]))``;
- 5xx/s, the same over ``status=~"5.."``; the error rate is 5xx/s over requests/s, computed
  here (a service with traffic and no 5xx series has an error rate of 0, not "unknown");
- P95: ``histogram_quantile(0.95, sum by (service, le) (rate(..._bucket[5m])))``;
- up: ``max by (service) (up)``, the scrape targets' own health.

When ``settings.app_namespace`` is set, every selector also carries ``namespace="<it>"``: in
the cluster each target and series has the namespace of the Service it was scraped from
(the ServiceMonitors), and this keeps Prometheus' own jobs out of the list. A service is
listed when it has a target or request series; without a target it counts as up while its
series are there (they were scraped within the window). No traffic (rate 0, P95 NaN) gives
``None`` figures, never a crash.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx

from portal.ops.health.models import ServiceHealth
from portal.ops.panel import NotConfigured, SourceFailed, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings

__all__ = ["PrometheusHealth", "health_queries"]

WINDOW = "5m"
WINDOW_SECONDS = 300.0


def health_queries(namespace: str, window: str = WINDOW) -> dict[str, str]:
    """The PromQL for each figure, keyed by figure name."""
    where = f'namespace="{namespace}"' if namespace else ""
    errors = ", ".join(part for part in (where, 'status=~"5.."') if part)
    buckets = (
        f"http_request_duration_seconds_bucket{{{where}}}"
        if where
        else ("http_request_duration_seconds_bucket")
    )
    requests = f"http_requests_total{{{where}}}" if where else "http_requests_total"
    up = f"up{{{where}}}" if where else "up"
    return {
        "rps": f"sum by (service) (rate({requests}[{window}]))",
        "errors": f"sum by (service) (rate(http_requests_total{{{errors}}}[{window}]))",
        "p95": (f"histogram_quantile(0.95, sum by (service, le) (rate({buckets}[{window}])))"),
        "up": f"max by (service) ({up})",
    }


def _number(text: Any) -> float | None:
    """A sample value as Prometheus writes it ("0.25", "NaN", "+Inf"); None if not finite."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class PrometheusHealth:
    """Per-service requests/s, error rate, P95 and up from ``settings.prometheus_url``."""

    def __init__(self, settings: OpsSettings) -> None:
        if not settings.prometheus_url:
            raise NotConfigured("Prometheus", "PORTAL_PROMETHEUS_URL")
        self.base_url = settings.prometheus_url.rstrip("/")
        self.queries = health_queries(settings.app_namespace)
        # Below the panel's deadline, so the panel reports Prometheus' answer, not a timeout.
        self.timeout = max(0.2, settings.timeout_seconds * 0.8)

    async def _query(self, client: httpx.AsyncClient, promql: str) -> dict[str, float | None]:
        """One instant query: service -> value (None where the value is NaN or infinite)."""
        url = f"{self.base_url}/api/v1/query"
        try:
            response = await client.get(url, params={"query": promql})
        except httpx.TimeoutException:
            raise  # the loader says "timed out"
        except httpx.TransportError as exc:
            raise Unreachable(
                f"Prometheus at {self.base_url}: {type(exc).__name__}: {exc} "
                "(check PORTAL_PROMETHEUS_URL and that Prometheus runs)"
            ) from exc
        if response.status_code in (401, 403):
            raise Unauthorised(
                f"Prometheus at {self.base_url}: {response.status_code} "
                f"{response.reason_phrase}; the portal needs read access to /api/v1/query"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SourceFailed(
                f"Prometheus at {self.base_url}: HTTP {response.status_code}, "
                f"not a Prometheus API answer: {response.text[:200]!r}"
            )
        if body.get("status") != "success":
            kind = body.get("errorType", "error")
            raise SourceFailed(
                f"Prometheus at {self.base_url} refused {promql!r}: {kind}: "
                f"{body.get('error', 'no error text')}"
            )
        data = body.get("data") or {}
        values: dict[str, float | None] = {}
        for item in data.get("result") or []:
            service = (item.get("metric") or {}).get("service", "")
            value = item.get("value") or [None, None]
            if service and len(value) == 2:
                values[service] = _number(value[1])
        return values

    async def health(self) -> list[ServiceHealth]:
        async with httpx.AsyncClient(timeout=self.timeout, trust_env=False) as client:
            names = list(self.queries)
            answers = await asyncio.gather(*(self._query(client, self.queries[n]) for n in names))
        results = dict(zip(names, answers, strict=True))
        rps, errors, p95, up = results["rps"], results["errors"], results["p95"], results["up"]
        report = []
        for service in sorted(set(rps) | set(up)):
            rate = rps.get(service)
            target_up = up.get(service)
            is_up = target_up is None or target_up >= 1
            report.append(
                ServiceHealth(
                    service=service,
                    up=is_up,
                    requests_per_second=rate,
                    error_rate=(errors.get(service) or 0.0) / rate if rate else None,
                    p95_seconds=p95.get(service),
                    method="prometheus",
                    window=WINDOW,
                    window_seconds=WINDOW_SECONDS,
                    detail=(
                        f"Prometheus, rates over {WINDOW}"
                        if is_up
                        else f"Prometheus scrape target is down (up == {target_up:g})"
                    ),
                )
            )
        return report
