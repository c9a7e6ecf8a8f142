"""The Grafana side of observability: each service's dashboard (its PromQL, panels and
variables), the ServiceMonitors that must find the apps' Services, and Grafana's admin login."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.infra.observability_build import APPS, OBS, SERVICES, kustomize
from tests.infra.observability_promql import promtool_check_rules, write_rule_file

REQUIRED_PANELS = {
    "requests": ("Requests per second", ["http_requests_total"]),
    "errors": ("Errors per second (5xx)", ["http_requests_total", 'status=~"5.."']),
    "latency": (
        "Latency P50 / P95 / P99",
        ["histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,"],
    ),
    "cpu": ("Pod CPU", ["container_cpu_usage_seconds_total"]),
    "memory": ("Pod memory", ["container_memory_working_set_bytes"]),
}
# Metrics the dashboards may read besides the services' own (cAdvisor, kube-state-metrics).
PLATFORM_METRICS = {
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_limits",
}


# --- dashboards -------------------------------------------------------------------------


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        service: json.loads((OBS / "dashboards" / f"{service}.json").read_text())
        for service in SERVICES
    }


def prometheus_queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL query of a dashboard: panel targets and variable queries."""
    queries = [
        target["expr"]
        for panel in dashboard["panels"]
        if panel.get("datasource", {}).get("type") == "prometheus"
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable.get("datasource", {}).get("type") != "prometheus":
            continue
        query = (
            variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        )
        inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
        queries.append(inner.group(1) if inner else query)
    return queries


def as_promql(query: str, service: str) -> str:
    """A Grafana query with its variables replaced by values, as Prometheus would get it."""
    values = {"__rate_interval": "5m", "__interval": "1m", "namespace": "blog", "app": service}
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values[m.group(1)], query)


def promtool_parse_queries(
    queries: dict[str, str], folder: Path
) -> subprocess.CompletedProcess[str]:
    """Parse PromQL with promtool: each query becomes a recording rule of a temporary file."""
    rules = [{"record": f"dashboard:{name}", "expr": expr} for name, expr in queries.items()]
    return promtool_check_rules(write_rule_file([{"name": "dashboards", "rules": rules}], folder))


def dashboard_problems(dashboard: dict[str, Any], service: str) -> list[str]:
    problems = []
    panels = {panel["title"]: panel for panel in dashboard["panels"]}
    for key, (title, needles) in REQUIRED_PANELS.items():
        matches = [panel for name, panel in panels.items() if name.startswith(title)]
        if not matches:
            problems.append(f"no {key} panel ({title!r})")
            continue
        exprs = " ".join(target["expr"] for target in matches[0].get("targets", []))
        problems.extend(f"{title}: no {needle}" for needle in needles if needle not in exprs)
        if 'namespace="$namespace"' not in exprs or "$app" not in exprs:
            problems.append(f"{title}: not filtered by the namespace and app variables")
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    for name, default in (("namespace", "blog"), ("app", service)):
        if name not in variables:
            problems.append(f"no {name} variable")
        elif variables[name].get("current", {}).get("value") != default:
            problems.append(f"{name} variable does not default to {default}")
    logs = [panel for panel in dashboard["panels"] if panel.get("type") == "logs"]
    if not logs or logs[0]["targets"][0]["expr"] != '{namespace="$namespace", app="$app"}':
        problems.append('no Loki logs panel selecting {namespace="$namespace", app="$app"}')
    if dashboard.get("uid") != f"blog-{service}":
        problems.append(f"uid is not blog-{service} (the portal links to it)")
    return problems


# --- ServiceMonitors -------------------------------------------------------------------


def servicemonitor_problems(
    monitor: dict[str, Any], services: list[dict[str, Any]], metrics_path: str
) -> list[str]:
    """Whether a ServiceMonitor finds a Service with its labels, namespace and port name."""
    spec = monitor["spec"]
    namespaces = spec.get("namespaceSelector", {}).get("matchNames", [])
    wanted = spec["selector"].get("matchLabels", {})
    selected = [
        service
        for service in services
        if service["metadata"].get("namespace") in namespaces
        and wanted.items() <= service["metadata"].get("labels", {}).items()
    ]
    name = monitor["metadata"]["name"]
    if not wanted:
        return [f"{name}: empty selector"]
    if not selected:
        return [f"{name}: selects no Service (labels {wanted}, namespaces {namespaces})"]
    problems = []
    ports = {port.get("name") for service in selected for port in service["spec"]["ports"]}
    for endpoint in spec["endpoints"]:
        if endpoint.get("port") not in ports:
            problems.append(f"{name}: port {endpoint.get('port')!r} not in {sorted(ports)}")
        if endpoint.get("path", "/metrics") != metrics_path:
            problems.append(f"{name}: path {endpoint.get('path')} is not {metrics_path}")
    if "app" not in spec.get("targetLabels", []):
        problems.append(f"{name}: the Service's app label is not copied onto the series")
    return problems


def app_services() -> list[dict[str, Any]]:
    return [
        obj
        for service in SERVICES
        for obj in kustomize(APPS / service / "base")
        if obj["kind"] == "Service"
    ]


# --- Grafana's login -------------------------------------------------------------------


def grafana_login_problems(values: dict[str, Any]) -> list[str]:
    grafana = values.get("grafana", {})
    problems = []
    if "adminPassword" in grafana:
        problems.append("grafana.adminPassword is set in git")
    if not grafana.get("admin", {}).get("existingSecret"):
        problems.append("grafana keeps the chart's default admin password")
    return problems
