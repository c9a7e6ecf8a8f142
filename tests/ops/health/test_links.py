"""Grafana dashboard and Loki Explore links: exact URLs, decoded back and compared."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.ops.health.links import app_links, links_for, logql
from portal.ops.panel import NotConfigured
from portal.ops.settings import OpsSettings

GRAFANA = "https://grafana.example.org"


def settings(**overrides: str) -> OpsSettings:
    env = {"PORTAL_GRAFANA_URL": GRAFANA + "/", **overrides}
    return OpsSettings.from_env(env)


def explore_pane(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{GRAFANA}/explore"
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["schemaVersion"] == ["1"]
    (panes,) = query["panes"]
    decoded: dict[str, object] = json.loads(panes)
    assert list(decoded) == ["a"]
    pane: dict[str, object] = decoded["a"]  # type: ignore[assignment]
    return pane


def test_app_links_give_the_dashboard_with_namespace_app_and_the_last_hour() -> None:
    links = app_links(settings(), "blog-service")
    assert links.dashboard_url == (
        f"{GRAFANA}/d/blog-blog-service?var-namespace=blog&var-app=blog-service&from=now-1h&to=now"
    )


def test_app_links_follow_the_dashboard_path_and_namespace_settings() -> None:
    custom = settings(
        PORTAL_GRAFANA_DASHBOARD_PATH="/d/{app}/overview", PORTAL_APP_NAMESPACE="blog-staging"
    )
    url = app_links(custom, "auth-service").dashboard_url
    assert url.startswith(f"{GRAFANA}/d/auth-service/overview?")
    assert parse_qs(urlsplit(url).query)["var-namespace"] == ["blog-staging"]


def test_app_links_give_explore_with_the_loki_query_of_the_app() -> None:
    links = app_links(settings(PORTAL_GRAFANA_LOKI_UID="loki-uid"), "portal")
    assert explore_pane(links.logs_url) == {
        "datasource": "loki-uid",
        "queries": [
            {
                "refId": "A",
                "expr": '{namespace="blog", app="portal"}',
                "datasource": {"type": "loki", "uid": "loki-uid"},
            }
        ],
        "range": {"from": "now-1h", "to": "now"},
    }


def test_app_links_errors_variant_filters_on_the_json_level() -> None:
    pane = explore_pane(app_links(settings(), "auth-service").errors_url)
    queries: list[dict[str, str]] = pane["queries"]  # type: ignore[assignment]
    assert queries[0]["expr"] == '{namespace="blog", app="auth-service"} | json | level="error"'


def test_app_links_with_a_window_use_epoch_milliseconds() -> None:
    start = datetime(2026, 11, 26, 14, 55, tzinfo=UTC)
    end = datetime(2026, 11, 26, 15, 30, 0, 500000, tzinfo=UTC)
    links = app_links(settings(), "portal", start=start, end=end)
    expected = {"from": "1795704900000", "to": "1795707000500"}
    assert explore_pane(links.logs_url)["range"] == expected
    assert explore_pane(links.errors_url)["range"] == expected
    dashboard = parse_qs(urlsplit(links.dashboard_url).query)
    assert (dashboard["from"], dashboard["to"]) == ([expected["from"]], [expected["to"]])


def test_app_links_encode_characters_that_mean_something_in_urls() -> None:
    links = app_links(settings(), 'a&b "c"')
    assert parse_qs(urlsplit(links.dashboard_url).query)["var-app"] == ['a&b "c"']
    queries: list[dict[str, str]] = explore_pane(links.logs_url)["queries"]  # type: ignore[assignment]
    assert queries[0]["expr"] == logql("blog", 'a&b "c"') == '{namespace="blog", app="a&b \\"c\\""}'
    assert " " not in links.logs_url and '"' not in links.logs_url


def test_links_for_keeps_the_order_of_the_apps() -> None:
    links = links_for(settings(), ["portal", "auth-service"])
    assert [link.app for link in links] == ["portal", "auth-service"]


def test_links_for_raises_not_configured_without_grafana() -> None:
    with pytest.raises(NotConfigured) as raised:
        links_for(OpsSettings(), ["portal"])
    assert "PORTAL_GRAFANA_URL" in raised.value.reason
    with pytest.raises(NotConfigured):
        app_links(OpsSettings(), "portal")
