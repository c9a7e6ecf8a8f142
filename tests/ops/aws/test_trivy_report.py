"""Trivy's JSON (schema 2) to ImageScan, on Trivy's own golden reports and variants derived
from them in code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from portal.ops.panel import SourceFailed
from portal.ops.trivy.models import SeverityCounts, Vulnerability
from portal.ops.trivy.report import parse_trivy_report
from tests.ops.aws.conftest import load_fixture

DEBIAN = "trivy/trivy-debian-buster.json"
UBI7 = "trivy/trivy-ubi-7-comprehensive.json"
GOLDEN_CREATED_AT = datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC)


def test_parse_debian_report_lists_the_fixed_critical_first() -> None:
    scan = parse_trivy_report(load_fixture(DEBIAN), app="blog-service", git_sha="0a1b2c3")

    target = "testdata/fixtures/images/debian-buster.tar.gz (debian 10.1)"
    assert scan.image == "ghcr.io/aquasecurity/trivy-test-images:debian-buster"
    assert (scan.source, scan.app, scan.git_sha) == ("ci", "blog-service", "0a1b2c3")
    assert scan.scanned_at == GOLDEN_CREATED_AT
    assert scan.counts == SeverityCounts(critical=1, low=1)
    assert scan.counts.gate_passed is False
    assert scan.vulnerabilities == [
        Vulnerability(
            id="CVE-2019-18224",
            severity="CRITICAL",
            package="libidn2-0",
            installed_version="2.0.5-1",
            fixed_version="2.0.5-1+deb10u1",
            title="libidn2: heap-based buffer overflow in idn2_to_ascii_4i in lib/lookup.c",
            url="https://avd.aquasec.com/nvd/cve-2019-18224",
            target=target,
        ),
        Vulnerability(
            id="CVE-2019-18276",
            severity="LOW",
            package="bash",
            installed_version="5.0-4",
            fixed_version="",
            title="bash: when effective UID is not equal to its real UID the saved UID is not "
            "dropped",
            url="https://avd.aquasec.com/nvd/cve-2019-18276",
            target=target,
        ),
    ]


def test_parse_ubi7_report_reads_both_results() -> None:
    scan = parse_trivy_report(load_fixture(UBI7))

    assert scan.image == "ghcr.io/aquasecurity/trivy-test-images:ubi-7"
    assert scan.counts == SeverityCounts(high=1, low=1)
    first, second = scan.vulnerabilities
    assert (first.id, first.package, first.severity) == ("CVE-2022-40897", "setuptools", "HIGH")
    assert (first.installed_version, first.fixed_version) == ("0.9.8", "65.5.1")
    assert first.target == "Python"
    assert (second.id, second.package, second.fixable) == ("CVE-2019-18276", "bash", False)
    assert second.target == "testdata/fixtures/images/ubi-7.tar.gz (redhat 7.7)"
    assert (scan.app, scan.git_sha) == ("", "")


@pytest.mark.parametrize(("version", "shown"), [(1, "1"), ("2", "2"), (None, "None")])
def test_parse_refuses_other_schema_versions(version: Any, shown: str) -> None:
    doc = load_fixture(DEBIAN)
    doc["SchemaVersion"] = version  # derived: an older Trivy's report (or a stringly one)

    with pytest.raises(SourceFailed) as caught:
        parse_trivy_report(doc)

    assert caught.value.reason == f"unsupported Trivy report schema version {shown}"


def test_parse_names_the_artifact_when_no_repo_tag_was_recorded() -> None:
    doc = load_fixture(DEBIAN)
    doc["Metadata"]["RepoTags"] = []  # derived: an image scanned by digest

    assert parse_trivy_report(doc).image == "testdata/fixtures/images/debian-buster.tar.gz"


def test_parse_tolerates_a_report_with_only_its_version() -> None:
    scan = parse_trivy_report({"SchemaVersion": 2})

    assert scan.image == ""
    assert scan.counts == SeverityCounts()
    assert scan.counts.gate_passed is True
    assert scan.vulnerabilities == []
    assert scan.scanned_at is None


def test_parse_tolerates_odd_fields() -> None:
    doc = load_fixture(UBI7)  # derived below: what other Trivy versions and CI steps write
    doc["Metadata"] = None
    doc["CreatedAt"] = "2021-08-25T12:20:30"  # no zone: read as UTC
    os_result, python_result = doc["Results"]
    os_result["Vulnerabilities"][0]["Severity"] = "negligible"
    del python_result["Vulnerabilities"][0]["FixedVersion"]
    doc["Results"] = [
        os_result,
        python_result,
        {"Target": "go.sum"},
        "junk",
        {"Vulnerabilities": None},
    ]

    scan = parse_trivy_report(doc)

    assert scan.image == "testdata/fixtures/images/ubi-7.tar.gz"
    assert scan.scanned_at == GOLDEN_CREATED_AT
    assert scan.counts == SeverityCounts(high=1, unknown=1)
    assert [(v.id, v.severity, v.fixable) for v in scan.vulnerabilities] == [
        ("CVE-2022-40897", "HIGH", False),
        ("CVE-2019-18276", "UNKNOWN", False),
    ]


def test_parse_reads_an_unparsable_created_at_as_unknown() -> None:
    doc = load_fixture(DEBIAN)
    doc["CreatedAt"] = "yesterday"

    assert parse_trivy_report(doc).scanned_at is None


def test_parse_refuses_json_that_is_not_an_object() -> None:
    with pytest.raises(SourceFailed) as caught:
        parse_trivy_report([load_fixture(DEBIAN)])  # type: ignore[arg-type]

    assert caught.value.reason == "not a Trivy report: the JSON is not an object"
