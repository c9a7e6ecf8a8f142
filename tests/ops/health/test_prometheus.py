"""PrometheusHealth against a real Prometheus scraping real service_kit apps every second.

The Debian package's ``/usr/bin/prometheus`` (``make test`` installs it through
tools/debian-packages.txt); without it these tests fail and say how to install it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from devstack._proc import free_port
from portal.ops.health.metrics import histogram_quantile
from portal.ops.health.prometheus import PrometheusHealth, health_queries
from portal.ops.panel import SourceFailed, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings
from service_kit.metrics import HTTPMetrics
from tests.ops.health.conftest import SLOW_SECONDS, RunningService, serve

NAMESPACE = "blog"


@dataclass(frozen=True)
class Scraped:
    prometheus_url: str
    alpha: RunningService
    beta: RunningService
    sent_alpha: int
    sent_beta: int


def prometheus_binary() -> str:
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )
    if found is None:
        pytest.fail(
            "Prometheus is not installed: run "
            "`apt-get install -y --no-install-recommends prometheus` (or `make test` as root)"
        )
    return found


def scrape_config(targets: dict[str, str]) -> str:
    """One job, one static target per service, labelled as the ServiceMonitors label them."""
    configs = [
        {"targets": [address], "labels": {"service": name, "namespace": NAMESPACE}}
        for name, address in targets.items()
    ]
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
        "scrape_configs": [{"job_name": "blog", "static_configs": configs}],
    }
    return json.dumps(config)  # YAML is a superset of JSON


def query(url: str, promql: str, at: float | None = None) -> list[dict[str, object]]:
    params = {"query": promql} | ({"time": f"{at:.3f}"} if at is not None else {})
    answer = httpx.get(f"{url}/api/v1/query", params=params, trust_env=False)
    answer.raise_for_status()
    result: list[dict[str, object]] = answer.json()["data"]["result"]
    return result


def wait_for(url: str, promql: str, expected: float, seconds: float = 20) -> None:
    """Until `promql`'s single value is `expected` (Prometheus has scraped what we sent)."""
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        result = query(url, promql)
        last = [item["value"] for item in result]
        if len(result) == 1 and float(result[0]["value"][1]) == expected:  # type: ignore[index]
            return
        time.sleep(0.2)
    raise AssertionError(f"{promql} never became {expected}; last {last}")


class TinyHandler(BaseHTTPRequestHandler):
    """A small real HTTP peer: a quiet service's /metrics, and Prometheus' error answers."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self.answer(200, QUIET_METRICS, CONTENT_TYPE_LATEST)
        elif path == "/error/api/v1/query":
            body = {"status": "error", "errorType": "bad_data", "error": PROMQL_ERROR}
            self.answer(400, json.dumps(body).encode(), "application/json")
        elif path == "/locked/api/v1/query":
            self.answer(401, b"Unauthorized", "text/plain")
        elif path == "/forbidden/api/v1/query":
            self.answer(403, b"Forbidden", "text/plain")
        else:
            self.answer(502, b"<html>Bad Gateway</html>", "text/html")

    def answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class TinyServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A scrape that Prometheus gave up on (busy machine) closes the socket early: not news.
        pass


def quiet_metrics() -> bytes:
    """What a service that took 3 requests long ago shows: counters that no longer move."""
    metrics = HTTPMetrics("epsilon")
    for seconds in (0.01, 0.02, 0.3):
        metrics.observe("GET", "/api/ok", 200, seconds)
    return generate_latest(metrics.registry)


QUIET_METRICS = quiet_metrics()
PROMQL_ERROR = 'invalid parameter "query": 1:5: parse error: unexpected end of input'


@pytest.fixture(scope="module")
def tiny_server() -> Iterator[str]:
    server = TinyServer(("127.0.0.1", 0), TinyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory, tiny_server: str) -> Iterator[Scraped]:
    binary = prometheus_binary()
    work = tmp_path_factory.mktemp("prometheus")
    with serve("alpha") as alpha, serve("beta") as beta:
        targets = {
            "alpha": alpha.url.removeprefix("http://"),
            "beta": beta.url.removeprefix("http://"),
            "gamma": f"127.0.0.1:{free_port()}",  # nothing listens: its target is down
            "epsilon": tiny_server.removeprefix("http://"),  # up, no traffic
        }
        (work / "prometheus.yml").write_text(scrape_config(targets))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with (work / "prometheus.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={work / 'prometheus.yml'}",
                    f"--storage.tsdb.path={work / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                yield load(url, alpha, beta)
            finally:
                process.terminate()
                process.wait(timeout=10)


def load(url: str, alpha: RunningService, beta: RunningService) -> Scraped:
    """Traffic Prometheus has scraped before and after: rate() counts all of the load."""
    # Every series exists before Prometheus' first sample of it (a counter's first sample
    # is its baseline, so what came before it is not in rate()).
    asyncio.run(alpha.drive(ok=1, boom=1, missing=1, slow=1))
    asyncio.run(beta.drive(ok=1))
    wait_for(url, 'count(up{job="blog"})', 4)
    wait_for(
        url,
        'count(http_requests_total{route=~"/api/.*"} or http_requests_total{status="404"})',
        6,
        30,
    )
    sent_alpha = asyncio.run(alpha.drive(ok=40, boom=5, missing=15, slow=40))
    sent_beta = asyncio.run(beta.drive(ok=10))
    # The routes we drove (the scrapes themselves are not counted).
    wait_for(url, 'sum(http_requests_total{service="alpha",route=~"/api/.*"})', 41 + 6 + 41)
    wait_for(url, 'sum(http_requests_total{service="beta",route="/api/ok"})', 11)
    return Scraped(url, alpha, beta, sent_alpha, sent_beta)


def settings(url: str, namespace: str = NAMESPACE) -> OpsSettings:
    return OpsSettings(prometheus_url=url, app_namespace=namespace, timeout_seconds=3)


async def test_health_reports_rates_errors_p95_and_up_per_service(scraped: Scraped) -> None:
    report = {
        h.service: h for h in await PrometheusHealth(settings(scraped.prometheus_url)).health()
    }
    assert sorted(report) == ["alpha", "beta", "epsilon", "gamma"]
    alpha, beta = report["alpha"], report["beta"]
    assert alpha.up and alpha.method == "prometheus" and alpha.window == "5m"
    assert alpha.window_seconds == 300
    assert alpha.requests_per_second is not None and alpha.requests_per_second > 0
    assert beta.requests_per_second is not None and beta.requests_per_second > 0
    assert alpha.requests_per_second > beta.requests_per_second
    # 5 of the 100 driven, plus service_kit counting Prometheus' own scrapes (1/s) as 200s;
    # rate() extrapolates each series over its own samples, so the share is near, not exact.
    assert alpha.error_rate is not None and 0.02 < alpha.error_rate < 0.08
    assert beta.error_rate == 0.0  # traffic and no 5xx series: 0, not unknown
    # Rank 95 of 100 falls among the 40 slow answers (30 ms and more; a busy machine adds).
    assert alpha.p95_seconds is not None and SLOW_SECONDS - 0.005 <= alpha.p95_seconds <= 1.0
    assert beta.p95_seconds is not None and beta.p95_seconds < alpha.p95_seconds
    assert not alpha.within_slo and beta.within_slo


async def test_health_reports_a_down_target_and_a_quiet_service(scraped: Scraped) -> None:
    report = {
        h.service: h for h in await PrometheusHealth(settings(scraped.prometheus_url)).health()
    }
    gamma, epsilon = report["gamma"], report["epsilon"]
    assert not gamma.up and "down" in gamma.detail
    assert gamma.requests_per_second is None and gamma.p95_seconds is None
    # Counters that do not move: rate 0, P95 NaN in Prometheus, None here.
    assert epsilon.up and epsilon.requests_per_second == 0.0
    assert epsilon.error_rate is None and epsilon.p95_seconds is None


async def test_health_lists_nothing_from_another_namespace(scraped: Scraped) -> None:
    assert await PrometheusHealth(settings(scraped.prometheus_url, "elsewhere")).health() == []


def test_histogram_quantile_agrees_with_prometheus(scraped: Scraped) -> None:
    # Both queries at the time of alpha's last complete scrape: over the same samples.
    (last,) = query(scraped.prometheus_url, 'timestamp(up{service="alpha"})')
    at = float(last["value"][1])  # type: ignore[index]
    increases = query(
        scraped.prometheus_url,
        'sum by (le) (increase(http_request_duration_seconds_bucket{service="alpha"}[5m]))',
        at,
    )
    buckets = [
        (float(item["metric"]["le"]), float(item["value"][1]))  # type: ignore[index]
        for item in increases
    ]
    promql = health_queries(NAMESPACE)["p95"]
    (theirs,) = [
        item
        for item in query(scraped.prometheus_url, promql, at)
        if item["metric"] == {"service": "alpha"}
    ]
    assert histogram_quantile(0.95, buckets) == pytest.approx(float(theirs["value"][1]))  # type: ignore[index]


async def test_health_raises_unreachable_when_nothing_listens() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Unreachable) as raised:
        await PrometheusHealth(settings(url)).health()
    assert url in raised.value.reason and "PORTAL_PROMETHEUS_URL" in raised.value.reason


async def test_health_raises_source_failed_with_prometheus_error_text(tiny_server: str) -> None:
    with pytest.raises(SourceFailed) as raised:
        await PrometheusHealth(settings(f"{tiny_server}/error")).health()
    assert PROMQL_ERROR in raised.value.reason and "bad_data" in raised.value.reason


@pytest.mark.parametrize(("prefix", "status"), [("locked", 401), ("forbidden", 403)])
async def test_health_raises_unauthorised_when_prometheus_refuses(
    tiny_server: str, prefix: str, status: int
) -> None:
    with pytest.raises(Unauthorised) as raised:
        await PrometheusHealth(settings(f"{tiny_server}/{prefix}")).health()
    assert str(status) in raised.value.reason


async def test_health_raises_source_failed_when_the_answer_is_not_prometheus(
    tiny_server: str,
) -> None:
    with pytest.raises(SourceFailed) as raised:
        await PrometheusHealth(settings(f"{tiny_server}/proxy")).health()
    assert (
        "HTTP 502" in raised.value.reason and "not a Prometheus API answer" in raised.value.reason
    )
