"""The demo data set (`make dev DEMO=1`): real shapes, the asked sizes, the same data per seed.

The shapes are checked twice: against the keys of the real fixtures (tests/ops/fixtures), and
by the portal's own parsers reading every generated object.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.demo import DEMO_BUCKET, REGISTRY, DemoData, DemoSize, generate, trivy_key
from devstack.demo.cost import AWS_SERVICES
from portal.ops.argocd.parse import parse_application
from portal.ops.trivy.operator import parse_vulnerability_report
from portal.ops.trivy.report import parse_trivy_report

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PLATFORM_APPS = [
    f"{service}-{env}"
    for service in ("auth-service", "blog-service", "portal")
    for env in ("dev", "prod")
]


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(7, DemoSize(apps=6, reports=24, cost_days=90), NOW)


@pytest.fixture(scope="module")
def big() -> DemoData:
    return generate(3, DemoSize(apps=50, reports=200, cost_days=90), NOW)


def _keys(obj: Any) -> set[str]:
    return set(obj) if isinstance(obj, dict) else set()


def test_generate_default_size_makes_the_platform_apps_in_dev_and_prod() -> None:
    data = generate(1, now=NOW)

    names = [a["metadata"]["name"] for a in data.applications]
    assert names == PLATFORM_APPS
    assert {a["metadata"]["labels"]["app"] for a in data.applications} == {
        "auth-service",
        "blog-service",
        "portal",
    }
    assert {a["metadata"]["namespace"] for a in data.applications} == {"argocd"}
    assert data.bucket == DEMO_BUCKET == "blog-platform-demo-trivy-reports"


@pytest.mark.parametrize(
    ("apps", "reports", "days"), [(1, 0, 1), (7, 5, 30), (50, 200, 90), (61, 333, 120)]
)
def test_generate_honours_every_size(apps: int, reports: int, days: int) -> None:
    data = generate(5, DemoSize(apps=apps, reports=reports, cost_days=days), NOW)

    assert len(data.applications) == apps
    assert len({a["metadata"]["name"] for a in data.applications}) == apps
    assert len(data.vulnerability_reports) == reports
    assert len({r["metadata"]["name"] for r in data.vulnerability_reports}) == reports
    assert len({row.day for row in data.costs}) == days


def test_generate_with_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    size = DemoSize(apps=10, reports=30, cost_days=40)

    first, again, other = generate(11, size, NOW), generate(11, size, NOW), generate(12, size, NOW)

    def dump(data: DemoData) -> str:
        parts = [data.applications, data.vulnerability_reports, data.trivy_reports]
        return json.dumps([*parts, [vars(row) for row in data.costs]], default=str)

    assert dump(first) == dump(again)
    assert dump(first) != dump(other)


def test_generate_a_bigger_cost_history_keeps_the_same_apps() -> None:
    short = generate(2, DemoSize(cost_days=10), NOW)
    long = generate(2, DemoSize(cost_days=90), NOW)

    assert short.applications == long.applications
    assert len(long.costs) > len(short.costs)


def test_applications_carry_every_status_field_the_real_object_has(demo: DemoData) -> None:
    real = yaml.safe_load(
        (FIXTURES / "argocd" / "argo-cd-controller-testdata-diff-cache.yaml").read_text()
    )
    # ownerReferences/labels of the ApplicationSet-owned fixture are its own business.
    status_keys = _keys(real["status"])
    history_keys = _keys(real["status"]["history"][0]) - {"initiatedBy"}
    operation_keys = _keys(real["status"]["operationState"])

    for app in demo.applications:
        assert _keys(app) >= {"apiVersion", "kind", "metadata", "spec", "status"}
        assert app["apiVersion"] == real["apiVersion"]
        assert app["kind"] == real["kind"]
        assert _keys(app["status"]) >= status_keys
        assert all(_keys(entry) >= history_keys for entry in app["status"]["history"])
        assert _keys(app["status"]["operationState"]) >= operation_keys
        assert 1 <= len(app["status"]["history"]) <= 10


def test_applications_parse_into_every_state_with_history_and_images(big: DemoData) -> None:
    apps = [parse_application(obj) for obj in big.applications]

    assert {a.sync_status for a in apps} == {"Synced", "OutOfSync"}
    assert {a.health_status for a in apps} == {"Healthy", "Progressing", "Degraded"}
    assert any(a.conditions for a in apps)
    assert any(a.issues for a in apps)
    assert {a.last_sync_by for a in apps} >= {"automated"}
    assert any("@example.org" in a.last_sync_by for a in apps)
    for app, plan in zip(apps, big.plans, strict=True):
        assert app.name == plan.name
        assert app.app == plan.service
        assert app.revision == plan.current.revision
        assert app.revision_short == plan.current.revision[:7]
        assert app.images == [f"{REGISTRY}/blog-platform/{plan.service}:{plan.current.build.sha}"]
        assert [h.revision for h in app.history] == [d.revision for d in plan.deployments][::-1]
        assert app.last_sync_at is not None
        assert app.last_sync_at <= NOW
        expected = "automated" if plan.env == "dev" else "@example.org"
        assert all(expected in h.initiated_by for h in app.history)


def test_history_images_all_have_an_uploaded_ci_report(big: DemoData) -> None:
    ledger = big.images_by_revision()

    for plan in big.plans:
        for deployment in plan.deployments:
            (image,) = ledger[plan.name][deployment.revision]
            sha = image.rsplit(":", 1)[1]
            assert sha == deployment.build.sha
            assert trivy_key(plan.service, sha) in big.trivy_reports
            report = parse_trivy_report(
                big.trivy_reports[trivy_key(plan.service, sha)], app=plan.service, git_sha=sha
            )
            assert report.image == image


def test_consecutive_deployments_differ_in_their_cves(demo: DemoData) -> None:
    differences = 0
    for plan in demo.plans:
        for older, newer in zip(plan.deployments, plan.deployments[1:], strict=False):
            before = _cve_ids(demo, plan.service, older.build.sha)
            after = _cve_ids(demo, plan.service, newer.build.sha)
            differences += before != after
    assert differences >= 3  # the timeline has CVE differences to show


def _cve_ids(data: DemoData, service: str, sha: str) -> set[str]:
    scan = parse_trivy_report(data.trivy_reports[trivy_key(service, sha)])
    return {v.id for v in scan.vulnerabilities}


def test_ci_reports_have_the_real_report_keys_and_parse(demo: DemoData) -> None:
    real = json.loads((FIXTURES / "trivy" / "trivy-ubi-7-comprehensive.json").read_text())
    real_vuln = real["Results"][1]["Vulnerabilities"][0]
    wanted = {"VulnerabilityID", "PkgName", "InstalledVersion", "FixedVersion", "Severity"}
    assert wanted <= _keys(real_vuln)

    for key, doc in demo.trivy_reports.items():
        assert _keys(doc) >= _keys(real) - {"Metadata"} - {"ArtifactID", "ReportID"}
        assert doc["SchemaVersion"] == real["SchemaVersion"] == 2
        assert {r["Class"] for r in doc["Results"]} <= {"os-pkgs", "lang-pkgs"}
        scan = parse_trivy_report(doc)
        listed = Counter(v.severity for v in scan.vulnerabilities)
        assert scan.counts.high == listed["HIGH"]
        assert scan.counts.critical == listed["CRITICAL"]
        assert key.startswith("trivy/") and key.endswith(".json")
        for vuln in scan.vulnerabilities:
            assert vuln.id and vuln.package and vuln.installed_version


def test_vulnerability_reports_are_trimmed_like_real_ones_and_parse(big: DemoData) -> None:
    real = yaml.safe_load(
        (FIXTURES / "trivy" / "trivy-operator-vulnerabilityreport-coredns.yaml").read_text()
    )

    for obj in big.vulnerability_reports:
        assert obj["apiVersion"] == real["apiVersion"]
        assert obj["metadata"]["namespace"] == "blog"
        assert _keys(obj["metadata"]["labels"]) >= _keys(real["metadata"]["labels"])
        assert _keys(obj["report"]) >= _keys(real["report"])
        assert _keys(obj["report"]["summary"]) == _keys(real["report"]["summary"])
        for vuln in obj["report"]["vulnerabilities"]:
            assert _keys(vuln) >= _keys(real["report"]["vulnerabilities"][0])
        scan = parse_vulnerability_report(obj)
        counted = scan.counts
        total = counted.critical + counted.high + counted.medium + counted.low + counted.unknown
        # The summary counts more than the object lists, as the real trimmed report does.
        assert total > len(scan.vulnerabilities) >= 1
        assert scan.workload.startswith(("ReplicaSet/", "Job/"))
    scans = [parse_vulnerability_report(o) for o in big.vulnerability_reports]
    assert {s.app for s in scans} >= {"auth-service", "blog-service", "portal"}
    assert any(s.image.startswith("docker.io/istio/proxyv2:") for s in scans)
    assert any(s.counts.gate_passed for s in scans)
    assert any(not s.counts.gate_passed for s in scans)


def test_costs_are_about_1_2_usd_a_day_with_untagged_and_end_yesterday(demo: DemoData) -> None:
    days = sorted({row.day for row in demo.costs})
    per_day = sum(row.amount_usd for row in demo.costs) / len(days)

    assert days[-1] == NOW.date() - timedelta(days=1)
    assert days[0] == NOW.date() - timedelta(days=90)
    assert days == [days[0] + timedelta(days=n) for n in range(90)]
    assert 1.0 < per_day < 1.5
    assert {row.service for row in demo.costs} == set(AWS_SERVICES)
    assert {row.app for row in demo.costs} == {"", "auth-service", "blog-service", "portal"}
    assert all(row.amount_usd > 0 for row in demo.costs)
    assert isinstance(days[0], date)


def test_demo_size_refuses_an_empty_data_set() -> None:
    with pytest.raises(ValueError, match="at least one app"):
        DemoSize(apps=0)
