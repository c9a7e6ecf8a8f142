"""Grafana dashboard and Loki-in-Explore links per app, as docs/delivery.md fixes them.

- dashboard: ``<grafana><PORTAL_GRAFANA_DASHBOARD_PATH with {app}>?var-namespace=<ns>&
  var-app=<app>&from=now-1h&to=now``;
- logs: ``<grafana>/explore?schemaVersion=1&panes=<JSON>`` (Grafana 10+'s Explore URL; the
  pane id is free, "a" here) with the LogQL ``{namespace="<ns>", app="<app>"}`` on the Loki
  data source ``PORTAL_GRAFANA_LOKI_UID``;
- errors only: the same query with ``| json | level="error"`` (the services log one JSON
  object per line with a ``level`` field).

With ``start``/``end`` (a deploy's window) the range is in epoch milliseconds, as Grafana
writes absolute ranges into its own URLs.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote, urlencode

from portal.ops.health.models import AppLinks
from portal.ops.panel import NotConfigured
from portal.ops.settings import OpsSettings

__all__ = ["app_links", "explore_url", "links_for", "logql"]

DEFAULT_RANGE = ("now-1h", "now")


def _ensure_configured(settings: OpsSettings) -> None:
    if not settings.grafana_url:
        raise NotConfigured("Grafana and Loki links", "PORTAL_GRAFANA_URL")


def _range(start: datetime | None, end: datetime | None) -> tuple[str, str]:
    if start is None and end is None:
        return DEFAULT_RANGE
    start_ms = str(int(start.timestamp() * 1000)) if start else DEFAULT_RANGE[0]
    end_ms = str(int(end.timestamp() * 1000)) if end else DEFAULT_RANGE[1]
    return start_ms, end_ms


def _label(value: str) -> str:
    """A LogQL label value in double quotes."""
    return json.dumps(value)


def logql(namespace: str, app: str, *, errors_only: bool = False) -> str:
    """The stream selector for one app's logs, optionally only its error lines."""
    query = f"{{namespace={_label(namespace)}, app={_label(app)}}}"
    return query + ' | json | level="error"' if errors_only else query


def explore_url(settings: OpsSettings, expr: str, time_range: tuple[str, str]) -> str:
    """Grafana Explore with one Loki query pane."""
    uid = settings.grafana_loki_uid
    pane = {
        "datasource": uid,
        "queries": [{"refId": "A", "expr": expr, "datasource": {"type": "loki", "uid": uid}}],
        "range": {"from": time_range[0], "to": time_range[1]},
    }
    panes = json.dumps({"a": pane}, separators=(",", ":"))
    query = urlencode({"schemaVersion": "1", "panes": panes}, quote_via=quote)
    return f"{settings.grafana_url}/explore?{query}"


def app_links(
    settings: OpsSettings,
    app: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> AppLinks:
    """The dashboard, logs and error-logs links of `app` (raises NotConfigured without Grafana)."""
    _ensure_configured(settings)
    time_range = _range(start, end)
    namespace = settings.app_namespace
    path = settings.grafana_dashboard_path.replace("{app}", quote(app, safe=""))
    dashboard_query = urlencode(
        {"var-namespace": namespace, "var-app": app, "from": time_range[0], "to": time_range[1]},
        quote_via=quote,
    )
    return AppLinks(
        app=app,
        dashboard_url=f"{settings.grafana_url}{path}?{dashboard_query}",
        logs_url=explore_url(settings, logql(namespace, app), time_range),
        errors_url=explore_url(settings, logql(namespace, app, errors_only=True), time_range),
    )


def links_for(settings: OpsSettings, apps: list[str]) -> list[AppLinks]:
    """Links for each app, in the order given."""
    _ensure_configured(settings)
    return [app_links(settings, app) for app in apps]
