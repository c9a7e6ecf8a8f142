"""The CI pipeline's Trivy JSON report (`trivy image --format json`, schema version 2) to an
ImageScan.

Unlike trivy-operator's reports, this JSON has no summary and its list is never trimmed, so
the counts by severity are counted from every result's vulnerabilities. Absent or odd fields
(`Results: null`, a result without `Vulnerabilities`, no `Metadata`) are tolerated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from portal.ops.panel import SourceFailed
from portal.ops.trivy.models import (
    SEVERITIES,
    ImageScan,
    SeverityCounts,
    Vulnerability,
    fixable_first,
)

__all__ = ["SCHEMA_VERSION", "parse_trivy_report"]

SCHEMA_VERSION = 2


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _image(doc: Mapping[str, Any]) -> str:
    # ArtifactName is whatever was scanned (a tarball path in CI, `image:tag` otherwise);
    # the image's own tag is the better name when Trivy recorded one.
    metadata = doc.get("Metadata")
    tags = metadata.get("RepoTags") if isinstance(metadata, Mapping) else None
    if isinstance(tags, list) and tags and isinstance(tags[0], str) and tags[0]:
        return tags[0]
    return _text(doc.get("ArtifactName"))


def _created_at(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(_text(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _severity(value: Any) -> str:
    severity = _text(value).upper()
    return severity if severity in SEVERITIES else "UNKNOWN"


def _vulnerability(entry: Mapping[str, Any], target: str) -> Vulnerability:
    return Vulnerability(
        id=_text(entry.get("VulnerabilityID")),
        severity=_severity(entry.get("Severity")),
        package=_text(entry.get("PkgName")),
        installed_version=_text(entry.get("InstalledVersion")),
        fixed_version=_text(entry.get("FixedVersion")),
        title=_text(entry.get("Title")),
        url=_text(entry.get("PrimaryURL")),
        target=target,
    )


def parse_trivy_report(doc: Mapping[str, Any], *, app: str = "", git_sha: str = "") -> ImageScan:
    """The scan in `doc`; SourceFailed when it is not a Trivy schema 2 report."""
    if not isinstance(doc, Mapping):
        raise SourceFailed("not a Trivy report: the JSON is not an object")
    version = doc.get("SchemaVersion")
    if version != SCHEMA_VERSION:
        raise SourceFailed(f"unsupported Trivy report schema version {version}")
    vulnerabilities = [
        _vulnerability(entry, _text(result.get("Target")))
        for result in _mappings(doc.get("Results"))
        for entry in _mappings(result.get("Vulnerabilities"))
    ]
    counted = Counter(v.severity for v in vulnerabilities)
    return ImageScan(
        image=_image(doc),
        app=app,
        source="ci",
        scanned_at=_created_at(doc.get("CreatedAt")),
        counts=SeverityCounts(
            critical=counted["CRITICAL"],
            high=counted["HIGH"],
            medium=counted["MEDIUM"],
            low=counted["LOW"],
            unknown=counted["UNKNOWN"],
        ),
        vulnerabilities=fixable_first(vulnerabilities),
        git_sha=git_sha,
    )
