"""Offline checks of gitops/platform/observability with the real tools.

kubectl (kustomize) builds the folder; promtool (Debian's `prometheus` package) checks the
SLO rules, runs their unit tests and parses every PromQL query of the dashboards. Each check
is also run once on a broken copy, to prove that it can fail.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from service_kit.metrics import HTTPMetrics

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "gitops" / "platform" / "observability"
APPS = ROOT / "gitops" / "apps"
SERVICES = ("auth-service", "blog-service", "portal")
KUBERNETES_VERSION = "1.32.0"
CRD_VALIDATOR = ROOT / "tools" / "crd-schemas" / "validate.mjs"
# Custom resources no package in tools/crd-schemas has a schema for yet.
NO_CRD_SCHEMA: set[str] = set()
CHART_REPOS = {
    "kube-prometheus-stack": "https://prometheus-community.github.io/helm-charts",
    "loki": "https://grafana.github.io/helm-charts",
    "alloy": "https://grafana.github.io/helm-charts",
}
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
# Labels that Prometheus adds to our series: the ServiceMonitor's target labels.
TARGET_LABELS = {"namespace", "app", "pod", "container", "instance", "job", "service"}


def tool(name: str, package: str) -> str:
    """The path of a command the check needs; a missing one fails and says what to install."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is missing: install the `{package}` package (kubectl: from the Kubernetes "
            "apt repository; promtool: Debian's `prometheus`) and run the tests again"
        )
    return path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def kustomize(folder: Path) -> list[dict[str, Any]]:
    result = run(tool("kubectl", "kubectl"), "kustomize", str(folder))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def broken_copy(tmp_path: Path) -> Path:
    """A copy of the observability folder to plant one mistake in."""
    target = tmp_path / "observability"
    shutil.copytree(OBS, target)
    return target


def schema_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Core objects through kubernetes-validate (strict), custom ones through their CRD schema."""
    problems = []
    custom = []
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        if "/" in obj["apiVersion"]:
            custom.append(obj)
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{name}: {'/'.join(map(str, exc.path))}: {exc.message}")
    node = shutil.which("node")
    if node is None or not (CRD_VALIDATOR.parent / "node_modules").is_dir():
        pytest.fail("the CRD schemas are missing: install Node.js 20 and run `make install`")
    result = subprocess.run(
        [node, str(CRD_VALIDATOR)],
        input=json.dumps(custom),
        capture_output=True,
        text=True,
        check=False,
        cwd=CRD_VALIDATOR.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for entry in json.loads(result.stdout):
        kind = entry["object"].split("/")[-2]
        if entry["errors"] == ["no schema"] and kind in NO_CRD_SCHEMA:
            continue
        problems.extend(f"{entry['object']}: {error}" for error in entry["errors"])
    return problems


# --- SLO rules ------------------------------------------------------------------------


def rule_groups(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        group for rule in of_kind(objects, "PrometheusRule") for group in rule["spec"]["groups"]
    ]


def write_rule_file(groups: list[dict[str, Any]], folder: Path) -> Path:
    """The PrometheusRule specs as the plain rule file promtool reads (slo.rules.yaml)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "slo.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def promtool_check_rules(rule_file: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("promtool", "prometheus"), "check", "rules", str(rule_file))


def promtool_test_rules(
    groups: list[dict[str, Any]], tests: Path, work: Path, pattern: str = "*.test.yaml"
) -> str:
    """Run promtool's unit tests in `tests` on `groups`; returns the output, fails on failure."""
    write_rule_file(groups, work)
    names = []
    for test_file in sorted(tests.glob(pattern)):
        shutil.copy(test_file, work / test_file.name)
        names.append(test_file.name)
    assert names, f"no promtool unit tests in {tests}"
    result = run(tool("promtool", "prometheus"), "test", "rules", *names, cwd=work)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise AssertionError(output)
    return output


def alert_test_cases(tests: Path) -> dict[str, set[str]]:
    """For each alert named in the unit tests: which outcomes are tested ('fires', 'silent')."""
    cases: dict[str, set[str]] = {}
    for test_file in tests.glob("*.test.yaml"):
        for test in yaml.safe_load(test_file.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                outcome = "fires" if case.get("exp_alerts") else "silent"
                cases.setdefault(case["alertname"], set()).add(outcome)
    return cases


def untested_alerts(groups: list[dict[str, Any]], cases: dict[str, set[str]]) -> list[str]:
    alerts = [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]
    return [
        f"{alert}: no unit test where it {outcome}"
        for alert in alerts
        for outcome in ("fires", "silent")
        if outcome not in cases.get(alert, set())
    ]


def service_metrics() -> dict[str, set[str]]:
    """Metric names and their labels as service_kit really exposes them."""
    metrics = HTTPMetrics("auth-service")
    metrics.observe("GET", "/api/user", 200, 0.01)
    exposition = metrics.registry.collect()
    samples: dict[str, set[str]] = {}
    for family in exposition:
        for sample in family.samples:
            samples.setdefault(sample.name, set()).update(sample.labels)
    return samples


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names) of each `name{...}` selector in a PromQL expression."""
    found = []
    for match in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", expr):
        labels = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", match.group(2)))
        found.append((match.group(1), labels))
    return found


def unknown_names(expr: str, known: dict[str, set[str]], extra: set[str]) -> list[str]:
    """Metrics or labels in `expr` that neither the services nor `extra` provide."""
    problems = []
    for name, labels in selectors(expr):
        if name in extra:
            continue
        if name not in known:
            problems.append(f"unknown metric {name}")
            continue
        problems.extend(
            f"{name} has no label {label}" for label in sorted(labels - known[name] - TARGET_LABELS)
        )
    return problems


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


def grafana_login_problems(values: dict[str, Any]) -> list[str]:
    grafana = values.get("grafana", {})
    problems = []
    if "adminPassword" in grafana:
        problems.append("grafana.adminPassword is set in git")
    if not grafana.get("admin", {}).get("existingSecret"):
        problems.append("grafana keeps the chart's default admin password")
    return problems


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
