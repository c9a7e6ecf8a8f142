"""MetricsHealth against real service_kit apps' /metrics, served over HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from devstack._proc import free_port
from portal.ops.health.metrics import MetricsHealth, figures, histogram_quantile, parse_sample
from portal.ops.settings import OpsSettings
from tests.ops.health.conftest import SLOW_SECONDS, RunningService, serve

GAP = 0.3  # between the first call's two scrapes; the default (1 s) is tested once
# The reader's own scrapes are not requests: service_kit leaves /metrics out of its counts.
OWN_SCRAPES = 0


def reader(urls: dict[str, str], gap: float = GAP) -> MetricsHealth:
    return MetricsHealth(OpsSettings(metrics_urls=urls), first_gap_seconds=gap)


async def test_health_reports_rates_errors_and_p95_when_services_take_traffic(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha, beta = start_service("alpha"), start_service("beta")
    health = reader({"alpha": alpha.metrics_url, "beta": beta.metrics_url})
    baseline = {h.service: h for h in await health.health()}
    first = baseline["alpha"]
    assert first.up and first.requests_per_second is not None and first.window_seconds
    assert first.requests_per_second * first.window_seconds <= OWN_SCRAPES + 1e-9
    assert not first.error_rate

    sent_alpha = await alpha.drive(ok=40, boom=5, missing=15, slow=40)
    sent_beta = await beta.drive(ok=10)
    report = {h.service: h for h in await health.health()}

    a, b = report["alpha"], report["beta"]
    assert [h.service for h in await health.health()] == ["alpha", "beta"]  # settings order
    assert a.up and a.method == "metrics" and a.window_seconds is not None
    assert a.window_seconds >= GAP
    assert a.requests_per_second is not None and a.requests_per_second > 0
    assert (
        sent_alpha - 1e-6
        <= a.requests_per_second * a.window_seconds
        <= sent_alpha + OWN_SCRAPES + 1e-6
    )
    # The 404s are not errors: 5 of the 100 requests.
    assert a.error_rate == pytest.approx(5 / 100)
    # Rank 95 of 100 falls among the 40 slow answers (30 ms and more; a busy machine adds).
    assert a.p95_seconds is not None and SLOW_SECONDS - 0.005 <= a.p95_seconds <= 1.0
    assert b.requests_per_second is not None and b.window_seconds is not None
    assert (
        sent_beta - 1e-6
        <= b.requests_per_second * b.window_seconds
        <= sent_beta + OWN_SCRAPES + 1e-6
    )
    assert b.error_rate == 0.0
    assert b.p95_seconds is not None and b.p95_seconds < a.p95_seconds
    assert not a.within_slo  # 5 % errors
    assert b.within_slo


async def test_health_takes_two_samples_a_second_apart_on_the_first_call(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha = start_service("alpha")
    health = MetricsHealth(OpsSettings(metrics_urls={"alpha": alpha.metrics_url}))
    started = time.monotonic()
    (first,) = await health.health()
    assert time.monotonic() - started >= 1.0
    assert first.window_seconds is not None and 1.0 <= first.window_seconds < 2.0
    assert first.window == f"{first.window_seconds:.1f}s"


async def test_health_reports_a_stopped_service_down_while_the_other_is_up(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha, beta = start_service("alpha"), start_service("beta")
    health = reader({"alpha": alpha.metrics_url, "beta": beta.metrics_url})
    assert all(h.up for h in await health.health())
    beta.stop()
    await alpha.drive(ok=3)
    report = {h.service: h for h in await health.health()}
    assert report["alpha"].up and report["alpha"].requests_per_second is not None
    assert report["alpha"].requests_per_second > 0
    assert not report["beta"].up and not report["beta"].within_slo
    assert beta.metrics_url in report["beta"].detail and "ConnectError" in report["beta"].detail
    assert report["beta"].requests_per_second is None


async def test_health_reports_a_closed_port_down_on_every_call(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha = start_service("alpha")
    closed = f"http://127.0.0.1:{free_port()}/metrics"
    health = reader({"alpha": alpha.metrics_url, "gone": closed})
    for _ in range(2):
        report = {h.service: h for h in await health.health()}
        assert report["alpha"].up
        assert not report["gone"].up and closed in report["gone"].detail


async def test_health_stays_inside_the_panel_deadline_when_a_service_hangs(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha = start_service("alpha")
    # A socket that is listening but never answers: the connection opens, no reply comes.
    with socket.socket() as stuck:
        stuck.bind(("127.0.0.1", 0))
        stuck.listen()
        url = f"http://127.0.0.1:{stuck.getsockname()[1]}/metrics"
        settings = OpsSettings(
            metrics_urls={"alpha": alpha.metrics_url, "stuck": url}, timeout_seconds=2.0
        )
        health = MetricsHealth(settings, first_gap_seconds=0.5)
        started = time.monotonic()
        report = {h.service: h for h in await health.health()}
        assert time.monotonic() - started < settings.timeout_seconds
    assert report["alpha"].up
    assert not report["stuck"].up and "no answer within 0.7 s" in report["stuck"].detail


async def test_health_reports_down_when_the_url_is_not_a_metrics_page(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha = start_service("alpha")
    health = reader({"json": f"{alpha.url}/api/ok", "missing": f"{alpha.url}/nowhere"})
    report = {h.service: h for h in await health.health()}
    assert not report["json"].up
    assert "not a Prometheus text exposition" in report["json"].detail
    assert not report["missing"].up and "HTTP 404" in report["missing"].detail


async def test_figures_count_from_zero_when_the_service_restarted() -> None:
    async def scrape_after(requests: int) -> str:
        with serve("alpha") as service:  # a fresh process-like instance: counters from 0
            await service.drive(ok=requests)
            async with httpx.AsyncClient(trust_env=False) as client:
                return (await client.get(service.metrics_url)).text

    before = parse_sample(await scrape_after(50), taken_at=10.0)
    after = parse_sample(await scrape_after(7), taken_at=12.0)
    assert before.requests == 50 and after.requests == 7
    restarted = figures("alpha", before, after)
    assert restarted.requests_per_second == pytest.approx(7 / 2)  # not (7 - 50) / 2
    assert restarted.p95_seconds is not None and restarted.p95_seconds > 0


def test_histogram_quantile_interpolates_inside_the_bucket() -> None:
    inf = float("inf")
    # rank 19 of 20 lies 9/10 of the way through (0.1, 0.2]
    assert histogram_quantile(0.95, [(0.1, 10.0), (0.2, 20.0), (inf, 20.0)]) == pytest.approx(0.19)
    # in the first bucket the lower bound is 0
    assert histogram_quantile(0.5, [(0.1, 10.0), (inf, 10.0)]) == pytest.approx(0.05)
    # a rank in the +Inf bucket gives the highest finite bound
    assert histogram_quantile(0.95, [(0.1, 1.0), (0.5, 2.0), (inf, 10.0)]) == 0.5


def test_histogram_quantile_is_none_without_observations() -> None:
    inf = float("inf")
    assert histogram_quantile(0.95, [(0.1, 0.0), (inf, 0.0)]) is None
    assert histogram_quantile(0.95, []) is None
    assert histogram_quantile(0.95, [(0.1, 3.0)]) is None  # no +Inf bucket: not a histogram
