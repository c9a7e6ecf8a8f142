"""Offline checks of gitops/platform/observability with the real tools.

kubectl (kustomize) builds the folder; promtool (Debian's `prometheus` package) checks the
SLO rules, runs their unit tests and parses every PromQL query of the dashboards. Each check
is also run once on a broken copy, to prove that it can fail.

The helpers are in observability_build.py (tools, build, schemas), observability_promql.py
(SLO rules, metric names) and observability_dashboards.py (dashboards, ServiceMonitors, Grafana).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.manifests import of_kind
from tests.infra.observability_build import (
    OBS,
    SERVICES,
    broken_copy,
    kustomize,
    run,
    schema_problems,
    tool,
)
from tests.infra.observability_dashboards import (
    PLATFORM_METRICS,
    app_services,
    as_promql,
    dashboard_problems,
    dashboards,
    grafana_login_problems,
    prometheus_queries,
    promtool_parse_queries,
    servicemonitor_problems,
)
from tests.infra.observability_promql import (
    alert_test_cases,
    promtool_check_rules,
    promtool_test_rules,
    rule_groups,
    service_metrics,
    unknown_names,
    untested_alerts,
    write_rule_file,
)

CHART_REPOS = {
    "kube-prometheus-stack": "https://prometheus-community.github.io/helm-charts",
    "loki": "https://grafana.github.io/helm-charts",
    "alloy": "https://grafana.github.io/helm-charts",
}


# --- tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built() -> list[dict[str, Any]]:
    return kustomize(OBS)


def test_kustomize_builds_the_charts_rules_monitors_and_dashboards(
    built: list[dict[str, Any]],
) -> None:
    kinds = sorted({obj["kind"] for obj in built})
    assert kinds == ["Application", "ConfigMap", "PrometheusRule", "ServiceMonitor"]
    apps = {app["metadata"]["name"]: app for app in of_kind(built, "Application")}
    assert set(apps) == set(CHART_REPOS)
    for name, app in apps.items():
        source = app["spec"]["source"]
        assert app["apiVersion"] == "argoproj.io/v1alpha1"
        assert app["metadata"]["namespace"] == "argocd"
        assert app["spec"]["project"] == "blog-platform"
        assert (source["repoURL"], source["chart"]) == (CHART_REPOS[name], name)
        assert re.fullmatch(r"\d+\.\d+\.\d+", source["targetRevision"]), "chart not pinned"
        assert app["spec"]["destination"]["namespace"] == "monitoring"
    waves = {
        name: int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for name, app in apps.items()
    }
    assert waves["kube-prometheus-stack"] < waves["loki"] < waves["alloy"]


def test_objects_match_their_schemas(built: list[dict[str, Any]]) -> None:
    assert schema_problems(built) == []


def test_schema_check_finds_a_misspelt_field(built: list[dict[str, Any]]) -> None:
    objects = copy.deepcopy(built)
    application = of_kind(objects, "Application")[0]
    application["spec"]["destinaton"] = application["spec"].pop("destination")
    configmap = of_kind(objects, "ConfigMap")[0]
    configmap["date"] = configmap.pop("data")
    monitor = of_kind(objects, "ServiceMonitor")[0]
    del monitor["spec"]["selector"]  # required: which Services to scrape
    rule = of_kind(objects, "PrometheusRule")[0]
    del rule["spec"]["groups"][0]["rules"][0]["expr"]  # required: every rule has a query
    problems = schema_problems(objects)
    for obj in (application, configmap, monitor, rule):
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        assert any(name in p for p in problems), (name, problems)


def test_kustomize_fails_on_a_missing_resource(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path)
    (folder / "monitoring" / "servicemonitors.yaml").unlink()
    result = run(tool("kubectl", "kubectl"), "kustomize", str(folder))
    assert result.returncode != 0
    assert "servicemonitors.yaml" in result.stderr


def test_promtool_accepts_the_slo_rules(built: list[dict[str, Any]], tmp_path: Path) -> None:
    result = promtool_check_rules(write_rule_file(rule_groups(built), tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 13 rules found" in result.stdout


def test_promtool_rejects_a_broken_rule(built: list[dict[str, Any]], tmp_path: Path) -> None:
    groups = copy.deepcopy(rule_groups(built))
    groups[1]["rules"][0]["expr"] = "slo:http_error_ratio:rate5m >"
    result = promtool_check_rules(write_rule_file(groups, tmp_path))
    assert result.returncode != 0
    assert "parse error" in result.stderr + result.stdout


def test_slo_alerts_pass_their_promtool_unit_tests(
    built: list[dict[str, Any]], tmp_path: Path
) -> None:
    output = promtool_test_rules(rule_groups(built), OBS / "tests", tmp_path)
    assert output.count("SUCCESS") == 2


@pytest.mark.parametrize(
    ("alert", "old", "new"),
    [
        ("BlogLatencyP95AboveSLO", "> 0.5", "> 5"),
        ("BlogErrorBudgetBurnFast", "(14.4 * 0.01)", "(1.44 * 0.01)"),
    ],
)
def test_promtool_unit_tests_fail_on_a_wrong_threshold(
    built: list[dict[str, Any]], tmp_path: Path, alert: str, old: str, new: str
) -> None:
    groups = copy.deepcopy(rule_groups(built))
    (rule,) = [rule for group in groups for rule in group["rules"] if rule.get("alert") == alert]
    assert old in rule["expr"]
    rule["expr"] = rule["expr"].replace(old, new)
    with pytest.raises(AssertionError, match=f"alertname: {alert}"):
        promtool_test_rules(groups, OBS / "tests", tmp_path, "slo.test.yaml")


def test_every_alert_has_a_firing_and_a_silent_unit_test(built: list[dict[str, Any]]) -> None:
    groups = rule_groups(built)
    cases = alert_test_cases(OBS / "tests")
    assert len(cases) == 5
    assert untested_alerts(groups, cases) == []
    cases["BlogLatencyP95AboveSLO"].discard("silent")
    assert untested_alerts(groups, cases) == [
        "BlogLatencyP95AboveSLO: no unit test where it silent"
    ]


def test_rules_read_the_metrics_service_kit_exposes(built: list[dict[str, Any]]) -> None:
    known = service_metrics()
    assert {"http_requests_total", "http_request_duration_seconds_bucket"} <= set(known)
    recorded = {
        rule["record"]
        for group in rule_groups(built)
        for rule in group["rules"]
        if "record" in rule
    }
    exprs = [rule["expr"] for group in rule_groups(built) for rule in group["rules"]]
    assert [problem for expr in exprs for problem in unknown_names(expr, known, recorded)] == []
    planted = 'sum(rate(http_request_total{namespace="blog", code=~"5.."}[5m]))'
    assert unknown_names(planted, known, recorded) == ["unknown metric http_request_total"]
    planted = 'sum(rate(http_requests_total{namespace="blog", code=~"5.."}[5m]))'
    assert unknown_names(planted, known, recorded) == ["http_requests_total has no label code"]


def test_dashboard_queries_parse_with_promtool(tmp_path: Path) -> None:
    queries = {
        f"{service.replace('-', '_')}_{index}": as_promql(query, service)
        for service, dashboard in dashboards().items()
        for index, query in enumerate(prometheus_queries(dashboard))
    }
    assert len(queries) == 3 * 13  # 11 panel targets and 2 variables each
    result = promtool_parse_queries(queries, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_promtool_rejects_a_broken_dashboard_query(tmp_path: Path) -> None:
    dashboard = dashboards()["portal"]
    dashboard["panels"][0]["targets"][0]["expr"] = "sum by (route (rate(http_requests_total[5m]))"
    queries = {f"q{i}": as_promql(q, "portal") for i, q in enumerate(prometheus_queries(dashboard))}
    result = promtool_parse_queries(queries, tmp_path)
    assert result.returncode != 0
    assert "dashboard:q0" in result.stdout + result.stderr


def test_dashboard_queries_read_known_metrics() -> None:
    known = service_metrics()
    for service, dashboard in dashboards().items():
        problems = [
            problem
            for query in prometheus_queries(dashboard)
            for problem in unknown_names(query, known, PLATFORM_METRICS)
        ]
        assert problems == [], service


@pytest.mark.parametrize("service", SERVICES)
def test_dashboard_has_the_required_panels_and_variables(service: str) -> None:
    assert dashboard_problems(dashboards()[service], service) == []


def test_dashboard_check_finds_a_missing_panel_and_variable() -> None:
    dashboard = dashboards()["auth-service"]
    dashboard["panels"] = [p for p in dashboard["panels"] if p["title"] != "Pod memory"]
    dashboard["templating"]["list"] = [
        v for v in dashboard["templating"]["list"] if v["name"] != "app"
    ]
    assert dashboard_problems(dashboard, "auth-service") == [
        "no memory panel ('Pod memory')",
        "no app variable",
    ]


def test_dashboards_differ_only_by_service_name() -> None:
    texts = {
        service: (OBS / "dashboards" / f"{service}.json").read_text().replace(service, "SERVICE")
        for service in SERVICES
    }
    assert len(set(texts.values())) == 1


def test_dashboards_are_provisioned_as_labelled_configmaps(built: list[dict[str, Any]]) -> None:
    maps = {cm["metadata"]["name"]: cm for cm in of_kind(built, "ConfigMap")}
    for service, dashboard in dashboards().items():
        configmap = maps[f"grafana-dashboard-{service}"]
        assert configmap["metadata"]["namespace"] == "monitoring"
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert configmap["metadata"]["labels"]["app"] == service
        assert json.loads(configmap["data"][f"{service}.json"]) == dashboard


def test_servicemonitors_select_the_app_services(built: list[dict[str, Any]]) -> None:
    services = app_services()
    monitors = of_kind(built, "ServiceMonitor")
    assert sorted(m["metadata"]["name"] for m in monitors) == sorted(SERVICES)
    assert [p for m in monitors for p in servicemonitor_problems(m, services, "/metrics")] == []


def test_servicemonitor_check_finds_a_wrong_label_and_port(built: list[dict[str, Any]]) -> None:
    services = app_services()
    monitor = copy.deepcopy(of_kind(built, "ServiceMonitor")[0])
    monitor["spec"]["selector"]["matchLabels"]["app"] = "auth"
    assert servicemonitor_problems(monitor, services, "/metrics")[0].startswith(
        "auth-service: selects no Service"
    )
    monitor = copy.deepcopy(of_kind(built, "ServiceMonitor")[0])
    monitor["spec"]["endpoints"][0]["port"] = "metrics"
    assert servicemonitor_problems(monitor, services, "/metrics") == [
        "auth-service: port 'metrics' not in ['http']"
    ]


def test_grafana_login_comes_from_a_secret(built: list[dict[str, Any]]) -> None:
    (stack,) = [
        a for a in of_kind(built, "Application") if a["metadata"]["name"] == "kube-prometheus-stack"
    ]
    values = stack["spec"]["source"]["helm"]["valuesObject"]
    assert grafana_login_problems(values) == []
    planted = copy.deepcopy(values)
    planted["grafana"].pop("admin")
    planted["grafana"]["adminPassword"] = "prom-operator"
    assert grafana_login_problems(planted) == [
        "grafana.adminPassword is set in git",
        "grafana keeps the chart's default admin password",
    ]


def test_log_agent_labels_streams_as_platform_md_says(built: list[dict[str, Any]]) -> None:
    (alloy,) = [a for a in of_kind(built, "Application") if a["metadata"]["name"] == "alloy"]
    config = alloy["spec"]["source"]["helm"]["valuesObject"]["alloy"]["configMap"]["content"]
    relabels = dict(re.findall(r'source_labels = \["(\w+)"\]\s+target_label\s+= "(\w+)"', config))
    assert relabels["__meta_kubernetes_namespace"] == "namespace"
    assert relabels["__meta_kubernetes_pod_label_app"] == "app"
    assert "loki.monitoring.svc.cluster.local:3100/loki/api/v1/push" in config
