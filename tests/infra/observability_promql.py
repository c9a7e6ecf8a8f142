"""The SLO rules through promtool (check, unit tests, which alerts are tested) and the
metric and label names PromQL may use: those service_kit really exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from service_kit.metrics import HTTPMetrics
from tests.infra.manifests import of_kind
from tests.infra.observability_build import run, tool

# Labels that Prometheus adds to our series: the ServiceMonitor's target labels.
TARGET_LABELS = {"namespace", "app", "pod", "container", "instance", "job", "service"}


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
