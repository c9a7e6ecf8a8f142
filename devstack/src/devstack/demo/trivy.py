"""Trivy results for the demo: the CI pipeline's JSON reports (schema version 2, one per
service and git SHA, as `trivy image --format json` writes them) and trivy-operator
`VulnerabilityReport` objects (aquasecurity.github.io/v1alpha1, namespace blog)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from devstack.demo.model import JSON, REGISTRY, AppPlan, Build, iso
from devstack.demo.vulns import POOL, Vuln

__all__ = ["ISTIO_PROXY", "ci_report", "evolve", "operator_reports"]

ISTIO_PROXY = ("docker.io", "istio/proxyv2", "1.24.2")
OS_NAME = "12.8"
OS_POOL = [v for v in POOL if not v.lang]
SEVERITY_KEYS = {
    "CRITICAL": "criticalCount",
    "HIGH": "highCount",
    "MEDIUM": "mediumCount",
    "LOW": "lowCount",
    "UNKNOWN": "unknownCount",
}


def evolve(rng: random.Random, builds: list[Build]) -> dict[str, list[Vuln]]:
    """Which vulnerabilities each build's image has: every build fixes some, adds a few."""
    present = set(rng.sample(range(len(POOL)), rng.randint(5, 10)))
    by_sha: dict[str, list[Vuln]] = {}
    for build in builds:
        for index in sorted(present):
            if POOL[index].fixed and rng.random() < 0.3:
                present.discard(index)
        for _ in range(rng.choice((0, 1, 1, 2))):
            present.add(rng.randrange(len(POOL)))
        by_sha[build.sha] = [POOL[i] for i in sorted(present)]
    return by_sha


def ci_report(rng: random.Random, build: Build, vulns: list[Vuln]) -> JSON:
    """The pipeline's `trivy image --format json` output for one build's image."""
    digest = f"sha256:{rng.getrandbits(256):064x}"
    os_vulns = [v for v in vulns if not v.lang]
    lang_vulns = [v for v in vulns if v.lang]
    results: list[JSON] = [
        {
            "Target": f"{build.image} (debian {OS_NAME})",
            "Class": "os-pkgs",
            "Type": "debian",
            "Vulnerabilities": [_ci_vuln(v, "debian") for v in os_vulns],
        }
    ]
    if lang_vulns:
        results.append(
            {
                "Target": "Python",
                "Class": "lang-pkgs",
                "Type": "python-pkg",
                "Vulnerabilities": [_ci_vuln(v, "ghsa") for v in lang_vulns],
            }
        )
    return {
        "SchemaVersion": 2,
        "Trivy": {"Version": "0.58.1"},
        "ReportID": f"{rng.getrandbits(128):032x}",
        "CreatedAt": build.built_at.isoformat().replace("+00:00", "Z"),
        "ArtifactID": digest,
        "ArtifactName": build.image,
        "ArtifactType": "container_image",
        "Metadata": {
            "Size": rng.randint(150, 260) * 1024 * 1024,
            "OS": {"Family": "debian", "Name": OS_NAME},
            "ImageID": digest,
            "RepoTags": [build.image],
            "Reference": build.image,
            "ImageConfig": {"architecture": "amd64", "os": "linux"},
        },
        "Results": results,
    }


def _ci_vuln(vuln: Vuln, source: str) -> JSON:
    entry: JSON = {
        "VulnerabilityID": vuln.id,
        "PkgName": vuln.package,
        "InstalledVersion": vuln.installed,
        "Status": "fixed" if vuln.fixed else "affected",
        "SeveritySource": source,
        "PrimaryURL": vuln.url,
        "Title": vuln.title,
        "Severity": vuln.severity,
    }
    if vuln.fixed:
        entry["FixedVersion"] = vuln.fixed
    return entry


def operator_reports(
    rng: random.Random,
    plans: list[AppPlan],
    vulns_by_sha: dict[str, list[Vuln]],
    count: int,
    now: datetime,
) -> list[JSON]:
    """`count` reports: each app's container, then its istio-proxy sidecar, then its migration
    Job, then older ReplicaSets, round by round until there are enough."""
    reports: list[JSON] = []
    for round_ in range(count):
        for plan in plans:
            if len(reports) == count:
                return reports
            reports.append(_workload_report(rng, plan, round_, vulns_by_sha, now))
        if not plans:
            break
    return reports


def _workload_report(
    rng: random.Random,
    plan: AppPlan,
    round_: int,
    vulns_by_sha: dict[str, list[Vuln]],
    now: datetime,
) -> JSON:
    older = plan.deployments[:-1][::-1]
    build = plan.current.build
    # The current ReplicaSet (named by its pod template's hash) holds the app and its sidecar.
    kind, name, container = "ReplicaSet", f"{plan.name}-{build.sha[-9:]}", plan.service
    if round_ == 1:
        container = "istio-proxy"
    elif round_ == 2:
        kind, name = "Job", f"{plan.name}-migrate-{rng.getrandbits(20):05x}"
    elif round_ > 2:
        if older:
            build = older[(round_ - 3) % len(older)].build
        name = f"{plan.name}-{rng.getrandbits(36):09x}"  # an older ReplicaSet
    if container == "istio-proxy":
        registry, repository, tag = ISTIO_PROXY
        vulns = rng.sample(OS_POOL, 4)
    else:
        registry, repository, tag = REGISTRY, f"blog-platform/{plan.service}", build.sha
        vulns = vulns_by_sha[build.sha]
    return _report(rng, kind, name, container, (registry, repository, tag), vulns, now)


def _report(
    rng: random.Random,
    kind: str,
    name: str,
    container: str,
    image: tuple[str, str, str],
    vulns: list[Vuln],
    now: datetime,
) -> JSON:
    registry, repository, tag = image
    counts = Counter(v.severity for v in vulns)
    # The operator counts every finding but may keep only some in the object (size limits):
    # low and unknown OS findings the demo does not list, as real trimmed reports have.
    counts["LOW"] += rng.randint(4, 30)
    counts["UNKNOWN"] += rng.randint(0, 9)
    listed = sorted(vulns, key=lambda v: (v.severity != "CRITICAL", v.severity != "HIGH", v.id))
    listed = listed[: rng.randint(1, max(1, len(listed)))]
    scanned = iso(now - timedelta(hours=rng.randint(1, 20)))
    owner_uid = f"{rng.getrandbits(128):032x}"
    return {
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "VulnerabilityReport",
        "metadata": {
            "name": f"{kind.lower()}-{name}-{container}",
            "namespace": "blog",
            "creationTimestamp": scanned,
            "generation": 1,
            "labels": {
                "resource-spec-hash": f"{rng.getrandbits(40):010x}",
                "plugin-config-hash": f"{rng.getrandbits(40):010x}",
                "trivy-operator.container.name": container,
                "trivy-operator.resource.kind": kind,
                "trivy-operator.resource.name": name,
                "trivy-operator.resource.namespace": "blog",
                "app.kubernetes.io/managed-by": "trivy-operator",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1" if kind == "ReplicaSet" else "batch/v1",
                    "blockOwnerDeletion": False,
                    "controller": True,
                    "kind": kind,
                    "name": name,
                    "uid": owner_uid,
                }
            ],
            "uid": f"{rng.getrandbits(128):032x}",
        },
        "report": {
            "artifact": {"repository": repository, "tag": tag},
            "registry": {"server": registry},
            "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.58.1"},
            "summary": {
                **{key: counts[severity] for severity, key in SEVERITY_KEYS.items()},
                "noneCount": 0,
            },
            "updateTimestamp": scanned,
            "vulnerabilities": [_operator_vuln(v) for v in listed],
        },
    }


def _operator_vuln(vuln: Vuln) -> JSON:
    return {
        "vulnerabilityID": vuln.id,
        "resource": vuln.package,
        "installedVersion": vuln.installed,
        "fixedVersion": vuln.fixed,
        "severity": vuln.severity,
        "title": vuln.title,
        "primaryLink": vuln.url,
        "links": [],
        "score": {"CRITICAL": 9.8, "HIGH": 7.5, "MEDIUM": 5.3, "LOW": 3.1}.get(vuln.severity, 0.0),
        "target": "",
    }
