"""The dashboard's wiring: settings to panels, with the real adapters and real endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from redis import Redis

from devstack._proc import free_port
from portal.ops.cache import KEY_PREFIX
from portal.ops.dashboard import Dashboard
from portal.ops.panel import PanelStatus
from portal.ops.settings import OpsSettings
from tests.e2e.stack import Services

# Every source with the setting its "not configured" reason must name.
UNSET_SOURCES = {
    "argocd": "PORTAL_KUBECONFIG",
    "trivy-operator": "PORTAL_KUBECONFIG",
    "trivy-ci": "PORTAL_TRIVY_BUCKET",
    "cost": "PORTAL_COST_ENABLED",
    "health": "PORTAL_METRICS_URLS",
    "links": "PORTAL_GRAFANA_URL",
}


@pytest.fixture
def ops_redis_url(redis_server_url: str) -> Iterator[str]:
    """The test Redis without ops keys before and after (as tests/ops/conftest.py does)."""

    def clean() -> None:
        with Redis.from_url(redis_server_url) as redis:
            keys = list(redis.scan_iter(match=KEY_PREFIX + "*"))
            if keys:
                redis.delete(*keys)

    clean()
    yield redis_server_url
    clean()


@pytest.fixture
async def unset() -> AsyncIterator[Dashboard]:
    board = Dashboard(OpsSettings.from_env({}))
    yield board
    await board.cache.close()
    await board.audit.close()


def _closed_kubeconfig(path: Path) -> Path:
    """A kubeconfig (generated, in the shape kubectl writes) for an API server on a closed port."""
    server = f"http://127.0.0.1:{free_port()}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "closed", "cluster": {"server": server}}],
        "users": [{"name": "portal", "user": {"token": "generated-for-this-test"}}],
        "contexts": [{"name": "closed", "context": {"cluster": "closed", "user": "portal"}}],
        "current-context": "closed",
    }
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize(("source", "setting"), sorted(UNSET_SOURCES.items()))
async def test_load_with_nothing_set_says_not_configured_and_names_the_setting(
    unset: Dashboard, source: str, setting: str
) -> None:
    panel = await unset.load(source)
    assert panel.status is PanelStatus.NOT_CONFIGURED, panel.reason
    assert setting in panel.reason
    assert panel.data is None
    assert not panel.demo


async def test_load_audit_with_nothing_set_is_ok_and_empty(unset: Dashboard) -> None:
    panel = await unset.load("audit")
    assert (panel.status, panel.data) == (PanelStatus.OK, [])


async def test_load_with_kube_api_on_a_closed_port_fails_only_argocd(
    services: Services, ops_redis_url: str, tmp_path: Path
) -> None:
    kubeconfig = _closed_kubeconfig(tmp_path / "kubeconfig")
    environ = {
        "REDIS_URL": ops_redis_url,
        "PORTAL_KUBECONFIG": str(kubeconfig),
        "PORTAL_OPS_TIMEOUT_SECONDS": "5",
        "PORTAL_GRAFANA_URL": "http://grafana.example.test",
        "PORTAL_METRICS_URLS": (
            f"auth-service={services.auth_url}/metrics,blog-service={services.blog_url}/metrics"
        ),
        "PORTAL_OPS_DEMO": "1",
    }
    board = Dashboard(OpsSettings.from_env(environ))
    try:
        argocd = await board.load("argocd")
        health = await board.load("health")
        links = await board.load("links")
        audit = await board.load("audit")
    finally:
        await board.cache.close()
        await board.audit.close()
    assert argocd.status is PanelStatus.UNREACHABLE, argocd.reason
    assert "127.0.0.1" in argocd.reason
    assert argocd.data is None
    assert health.status is PanelStatus.OK, health.reason
    assert health.data is not None and links.data is not None
    assert {(h.service, h.up) for h in health.data} == {
        ("auth-service", True),
        ("blog-service", True),
    }
    # Links fall back to the platform's services when Argo CD has no apps to name.
    assert links.status is PanelStatus.OK, links.reason
    assert [link.app for link in links.data] == ["auth-service", "blog-service", "portal"]
    assert links.data[0].dashboard_url.startswith("http://grafana.example.test/d/blog-auth")
    assert audit.status is PanelStatus.OK
    assert all(p.demo for p in (argocd, health, links, audit))


async def test_load_after_a_good_answer_keeps_it_as_stale_when_the_source_fails(
    services: Services, ops_redis_url: str
) -> None:
    good = {
        "REDIS_URL": ops_redis_url,
        "PORTAL_METRICS_URLS": f"auth-service={services.auth_url}/metrics",
        "PORTAL_OPS_CACHE_SECONDS": "0",
    }
    first = Dashboard(OpsSettings.from_env(good))
    answer = await first.load("health")
    await first.cache.close()
    # The same Redis, the health source now unset: the last good answer is not shown for a
    # source that is not configured, so point it at a bad Prometheus instead.
    broken = {**good, "PORTAL_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"}
    second = Dashboard(OpsSettings.from_env(broken))
    try:
        again = await second.load("health")
    finally:
        await second.cache.close()
    assert answer.status is PanelStatus.OK
    assert again.status in (PanelStatus.UNREACHABLE, PanelStatus.FAILED), again.reason
    assert again.stale_since == answer.fetched_at
    assert again.data == answer.data


async def test_load_timeline_without_argocd_says_it_needs_argocd(unset: Dashboard) -> None:
    panel = await unset.load("timeline")
    assert panel.status is PanelStatus.NOT_CONFIGURED
    assert panel.reason.startswith("Needs Argo CD: ")
    assert "PORTAL_KUBECONFIG" in panel.reason


async def test_load_scorecard_with_only_health_lists_the_live_services(
    services: Services,
) -> None:
    environ = {"PORTAL_METRICS_URLS": f"auth-service={services.auth_url}/metrics"}
    board = Dashboard(OpsSettings.from_env(environ))
    try:
        panel = await board.load("scorecard")
    finally:
        await board.cache.close()
    assert panel.status is PanelStatus.OK, panel.reason
    assert panel.data is not None
    assert [(row.app, row.sync) for row in panel.data] == [("auth-service", "unknown")]
