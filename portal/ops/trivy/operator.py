"""trivy-operator `VulnerabilityReport`s (aquasecurity.github.io/v1alpha1) as `ImageScan`s.

The operator scans each workload's containers in the cluster and keeps one report per
container. Totals come from `report.summary` only: the operator may trim the listed
vulnerabilities (its own test fixture lists 1 and counts 27), so counting the list would
understate them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes import client as k8s

from portal.ops.kube import KubeRequest, as_list, as_map, as_text, as_time, kube_call
from portal.ops.settings import SERVICES, OpsSettings
from portal.ops.trivy.models import ImageScan, SeverityCounts, Vulnerability, fixable_first

__all__ = ["WHAT", "OperatorScans", "parse_vulnerability_report"]

WHAT = "trivy-operator reports (through the Kubernetes API)"
GROUP, VERSION, PLURAL = "aquasecurity.github.io", "v1alpha1", "vulnerabilityreports"


def _count(summary: Mapping[str, Any], field: str) -> int:
    value = summary.get(field)
    return value if isinstance(value, int) and value >= 0 else 0


def _image(report: Mapping[str, Any]) -> str:
    artifact = as_map(report.get("artifact"))
    server = as_text(as_map(report.get("registry")).get("server"))
    image = as_text(artifact.get("repository"))
    if server and image:
        image = f"{server}/{image}"
    if artifact.get("tag"):
        return f"{image}:{as_text(artifact['tag'])}"
    if artifact.get("digest"):
        return f"{image}@{as_text(artifact['digest'])}"
    return image


def platform_app(workload_name: str, labels: Mapping[str, Any]) -> str:
    """The platform app a workload belongs to: its `app` label, else its name's prefix."""
    if labels.get("app"):
        return as_text(labels["app"])
    for service in sorted(SERVICES, key=len, reverse=True):
        if workload_name == service or workload_name.startswith(f"{service}-"):
            return service
    return ""


def parse_vulnerability_report(obj: Mapping[str, Any]) -> ImageScan:
    """One report; missing fields give defaults, never an exception."""
    metadata, report = as_map(obj.get("metadata")), as_map(obj.get("report"))
    labels = as_map(metadata.get("labels"))
    kind = as_text(labels.get("trivy-operator.resource.kind"))
    name = as_text(labels.get("trivy-operator.resource.name"))
    summary = as_map(report.get("summary"))
    vulnerabilities = [
        Vulnerability(
            id=as_text(v.get("vulnerabilityID")),
            severity=as_text(v.get("severity")).upper() or "UNKNOWN",
            package=as_text(v.get("resource")),
            installed_version=as_text(v.get("installedVersion")),
            fixed_version=as_text(v.get("fixedVersion")),
            title=as_text(v.get("title")).strip(),
            url=as_text(v.get("primaryLink")),
            target=as_text(v.get("target")),
        )
        for v in map(as_map, as_list(report.get("vulnerabilities")))
    ]
    return ImageScan(
        image=_image(report),
        app=platform_app(name, labels),
        workload=f"{kind}/{name}" if kind and name else name,
        namespace=as_text(metadata.get("namespace"))
        or as_text(labels.get("trivy-operator.resource.namespace")),
        source="operator",
        scanned_at=as_time(report.get("updateTimestamp"))
        or as_time(metadata.get("creationTimestamp")),
        counts=SeverityCounts(
            critical=_count(summary, "criticalCount"),
            high=_count(summary, "highCount"),
            medium=_count(summary, "mediumCount"),
            low=_count(summary, "lowCount"),
            unknown=_count(summary, "unknownCount"),
        ),
        vulnerabilities=fixable_first(vulnerabilities),
    )


class OperatorScans:
    """The reports in the platform's app namespace, one `ImageScan` per scanned container."""

    def __init__(self, settings: OpsSettings) -> None:
        self.settings = settings
        self._rbac = f"get/list on {PLURAL}.{GROUP} in {settings.app_namespace}"

    async def scans(self) -> list[ImageScan]:
        def call(api: k8s.ApiClient, timeout: KubeRequest) -> Any:
            return k8s.CustomObjectsApi(api).list_namespaced_custom_object(
                GROUP, VERSION, self.settings.app_namespace, PLURAL, _request_timeout=timeout
            )

        listing = await kube_call(self.settings, WHAT, self._rbac, call)
        items = listing.get("items") if isinstance(listing, dict) else None
        scans = [parse_vulnerability_report(i) for i in items or [] if isinstance(i, dict)]
        return sorted(scans, key=lambda s: (s.app, s.workload, s.image))
