"""Scan results of one image, whichever scanner wrote them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, computed_field

from portal.ops.panel import Model

__all__ = ["SEVERITIES", "ImageScan", "SeverityCounts", "Vulnerability", "fixable_first"]

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


class SeverityCounts(Model):
    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    unknown: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gate_passed(self) -> bool:
        """The platform's policy: no HIGH or CRITICAL."""
        return self.critical == 0 and self.high == 0


class Vulnerability(Model):
    id: str  # CVE-..., GHSA-...
    severity: str  # one of SEVERITIES
    package: str
    installed_version: str
    fixed_version: str = ""  # "" when there is no fix
    title: str = ""
    url: str = ""
    target: str = ""  # which part of the image (os-pkgs target, Python, ...)

    @property
    def fixable(self) -> bool:
        return bool(self.fixed_version)


class ImageScan(Model):
    image: str  # repository:tag (or @digest)
    app: str = ""  # the platform app (auth-service, ...) the image belongs to, "" if unknown
    workload: str = ""  # operator: "<kind>/<name>" of the scanned workload
    namespace: str = ""
    source: str  # "operator" or "ci"
    scanned_at: datetime | None = None
    # Totals from the scanner's own summary (never from counting a possibly trimmed list).
    counts: SeverityCounts
    # Fixable first, then by severity; may be shorter than the counts say.
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    git_sha: str = ""  # ci: the commit the image was built from (S3 key)


def fixable_first(vulnerabilities: list[Vulnerability]) -> list[Vulnerability]:
    """Fixable before unfixable, then CRITICAL to UNKNOWN, then by id (a stable order)."""

    def rank(v: Vulnerability) -> tuple[int, int, str]:
        severity = SEVERITIES.index(v.severity) if v.severity in SEVERITIES else len(SEVERITIES)
        return (0 if v.fixable else 1, severity, v.id)

    return sorted(vulnerabilities, key=rank)
