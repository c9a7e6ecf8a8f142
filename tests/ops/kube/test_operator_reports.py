"""trivy-operator VulnerabilityReports: the real fixture, derived variants, and the adapter."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.peers.kube import KubePeer
from portal.ops.panel import NotConfigured, Unauthorised
from portal.ops.settings import OpsSettings
from portal.ops.trivy.operator import OperatorScans, parse_vulnerability_report

from .conftest import REPORTS_PATH, MakeSettings, as_report


def test_parse_real_report_takes_totals_from_the_summary(coredns_report: dict[str, Any]) -> None:
    scan = parse_vulnerability_report(coredns_report)

    assert scan.image == "k8s.gcr.io/coredns/coredns:v1.8.0"
    assert (scan.workload, scan.namespace, scan.app, scan.source) == (
        "ReplicaSet/coredns-558bd4d5db",
        "kube-system",
        "",
        "operator",
    )
    counts = scan.counts
    assert (counts.critical, counts.high, counts.medium, counts.low, counts.unknown) == (
        0,
        12,
        6,
        0,
        9,
    )
    # The summary counts 27; the report lists only one: never count the list.
    assert len(scan.vulnerabilities) == 1
    assert not counts.gate_passed
    [vulnerability] = scan.vulnerabilities
    assert vulnerability.model_dump() == {
        "id": "CVE-2021-3121",
        "severity": "HIGH",
        "package": "github.com/gogo/protobuf",
        "installed_version": "v1.3.1",
        "fixed_version": "1.3.2",
        "title": "gogo/protobuf: plugin/unmarshal/unmarshal.go lacks certain index validation",
        "url": "https://avd.aquasec.com/nvd/cve-2021-3121",
        "target": "",
    }
    assert scan.scanned_at == datetime(2022, 12, 8, 15, 50, 37, tzinfo=UTC)


def test_parse_digest_without_registry(coredns_report: dict[str, Any]) -> None:
    derived = copy.deepcopy(coredns_report)  # derived: pinned by digest, Docker Hub
    artifact = derived["report"]["artifact"]
    del artifact["tag"]
    artifact["digest"] = "sha256:" + "a" * 64
    del derived["report"]["registry"]

    assert parse_vulnerability_report(derived).image == "coredns/coredns@sha256:" + "a" * 64


def test_parse_orders_fixable_first(coredns_report: dict[str, Any]) -> None:
    derived = copy.deepcopy(coredns_report)  # derived: an unfixed CRITICAL and a fixed LOW
    listed = derived["report"]["vulnerabilities"]
    unfixed = {**listed[0], "vulnerabilityID": "CVE-2099-0001", "severity": "CRITICAL"}
    del unfixed["fixedVersion"]
    listed += [unfixed, {**listed[0], "vulnerabilityID": "CVE-2099-0002", "severity": "low"}]

    scan = parse_vulnerability_report(derived)

    assert [(v.id, v.severity, v.fixable) for v in scan.vulnerabilities] == [
        ("CVE-2021-3121", "HIGH", True),
        ("CVE-2099-0002", "LOW", True),
        ("CVE-2099-0001", "CRITICAL", False),
    ]
    assert scan.counts.high == 12  # still the summary's numbers


@pytest.mark.parametrize(
    ("labels", "app"),
    [
        ({"trivy-operator.resource.name": "blog-service-7d9c8f"}, "blog-service"),
        ({"trivy-operator.resource.name": "auth-service"}, "auth-service"),
        ({"trivy-operator.resource.name": "portal-5c6d7"}, "portal"),
        ({"trivy-operator.resource.name": "portal2-5c6d7"}, ""),
        ({"trivy-operator.resource.name": "x-1", "app": "blog-service"}, "blog-service"),
    ],
)
def test_parse_app_from_workload_name_or_label(
    coredns_report: dict[str, Any], labels: dict[str, str], app: str
) -> None:
    derived = copy.deepcopy(coredns_report)  # derived: a platform workload
    derived["metadata"]["labels"].update(labels)

    assert parse_vulnerability_report(derived).app == app


def test_parse_missing_summary_counts_zero_not_the_list(coredns_report: dict[str, Any]) -> None:
    derived = copy.deepcopy(coredns_report)  # derived: an operator that wrote no summary
    derived["report"]["summary"] = {"highCount": "12", "mediumCount": -1}

    counts = parse_vulnerability_report(derived).counts

    assert (counts.high, counts.medium, counts.critical) == (0, 0, 0)


def test_parse_falls_back_to_creation_time_and_label_namespace(
    coredns_report: dict[str, Any],
) -> None:
    derived = copy.deepcopy(coredns_report)  # derived: no updateTimestamp, no namespace
    del derived["report"]["updateTimestamp"]
    del derived["metadata"]["namespace"]
    derived["metadata"]["creationTimestamp"] = "2023-01-02T03:04:05Z"

    scan = parse_vulnerability_report(derived)

    assert scan.scanned_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert scan.namespace == "kube-system"


@pytest.mark.parametrize(
    "odd",
    [{}, {"metadata": None, "report": "x"}, {"report": {"vulnerabilities": ["x", {}]}}],
)
def test_parse_odd_reports_never_raise(odd: dict[str, Any]) -> None:
    scan = parse_vulnerability_report(odd)

    assert (scan.image, scan.workload, scan.counts.high) == ("", "", 0)


async def test_scans_lists_the_app_namespace_through_the_client(
    kube_peer: KubePeer, kube_settings: MakeSettings, coredns_report: dict[str, Any]
) -> None:
    kube_peer.add(coredns_report)  # kube-system: not the platform's namespace
    for name in ("portal-5c6d7", "blog-service-7d9c8f"):
        derived = as_report(coredns_report, f"replicaset-{name}-app")  # derived
        derived["metadata"]["labels"]["trivy-operator.resource.name"] = name
        kube_peer.add(derived)

    scans = await OperatorScans(kube_settings()).scans()

    assert [(s.app, s.workload) for s in scans] == [
        ("blog-service", "ReplicaSet/blog-service-7d9c8f"),
        ("portal", "ReplicaSet/portal-5c6d7"),
    ]
    assert all(s.counts.high == 12 for s in scans)
    assert kube_peer.requests == [("GET", REPORTS_PATH)]


async def test_scans_forbidden_names_the_rbac_needed(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    kube_peer.fail_status = 403

    with pytest.raises(Unauthorised) as denied:
        await OperatorScans(kube_settings()).scans()

    assert denied.value.reason.endswith(
        "needs get/list on vulnerabilityreports.aquasecurity.github.io in blog."
    )


async def test_scans_not_configured_names_the_settings() -> None:
    with pytest.raises(NotConfigured) as missing:
        await OperatorScans(OpsSettings()).scans()

    assert missing.value.settings == ("PORTAL_KUBECONFIG", "an in-cluster service account")
    assert missing.value.reason.startswith("trivy-operator reports (through the Kubernetes API)")
