"""ServiceHealthSource: Prometheus when set, else the services' /metrics, else not configured."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.ops.health.metrics import MetricsHealth
from portal.ops.health.prometheus import PrometheusHealth
from portal.ops.health.source import ServiceHealthSource
from portal.ops.panel import NotConfigured, PanelStatus
from portal.ops.settings import OpsSettings
from tests.ops.health.conftest import RunningService


def test_source_prefers_prometheus_when_both_are_set() -> None:
    source = ServiceHealthSource(
        OpsSettings(prometheus_url="http://prom:9090", metrics_urls={"a": "http://a/metrics"})
    )
    assert isinstance(source.reader, PrometheusHealth) and source.method == "prometheus"


def test_source_reads_metrics_when_only_metrics_urls_are_set() -> None:
    source = ServiceHealthSource(OpsSettings(metrics_urls={"a": "http://a/metrics"}))
    assert isinstance(source.reader, MetricsHealth) and source.method == "metrics"


async def test_health_raises_not_configured_naming_both_settings() -> None:
    source = ServiceHealthSource(OpsSettings())
    assert source.method == ""
    with pytest.raises(NotConfigured) as raised:
        await source.health()
    assert raised.value.status is PanelStatus.NOT_CONFIGURED
    assert raised.value.reason == (
        "Live service health is not configured: set PORTAL_PROMETHEUS_URL or PORTAL_METRICS_URLS."
    )


async def test_health_reads_the_local_services_from_env_settings(
    start_service: Callable[[str], RunningService],
) -> None:
    alpha = start_service("alpha")
    settings = OpsSettings.from_env({"PORTAL_METRICS_URLS": f"alpha={alpha.metrics_url}"})
    (health,) = await ServiceHealthSource(settings).health()
    assert health.service == "alpha" and health.up and health.method == "metrics"
