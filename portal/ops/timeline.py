"""The deploy timeline: Argo CD history joined with the image ledger and the CI Trivy scans.

A pure join: the Applications (with `HistoryEntry.images` from the ledger) and a lookup of
the CI scan of `(service, git sha)` are passed in. Each history entry is one deploy; the
entry before it (older) gives the images before. The git SHA of an image is its tag
(`registry/blog-service:<sha>`), the service is the app. Images are paired by repository,
and the CVE difference is the vulnerability ids of the new images' scans minus the old
ones' (and the reverse). Whatever is unknown (no image recorded, no scan) is said in `note`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pydantic import Field

from portal.ops.argocd.models import AppStatus, HistoryEntry
from portal.ops.argocd.parse import short_revision
from portal.ops.health.links import app_links
from portal.ops.panel import Model
from portal.ops.settings import OpsSettings
from portal.ops.trivy.models import SEVERITIES, ImageScan, SeverityCounts

__all__ = [
    "WINDOW_AFTER",
    "WINDOW_BEFORE",
    "CveRef",
    "Deploy",
    "ImageChange",
    "ScanLookup",
    "deploy_timeline",
    "split_image",
]

# The links' window around a deploy: from just before it started to when trouble shows.
WINDOW_BEFORE = timedelta(minutes=5)
WINDOW_AFTER = timedelta(minutes=30)
NOT_RECORDED = "no image recorded for this revision (deployed before the portal watched)"

ScanLookup = Callable[[str, str], Awaitable[ImageScan | None]]


class ImageChange(Model):
    old: str  # "" when the image is new in this deploy
    new: str  # "" when the deploy removed it


class CveRef(Model):
    id: str
    severity: str
    package: str = ""


class Deploy(Model):
    app: str  # the platform app (the Application's `app` label, else its name)
    application: str = ""  # the Argo CD Application
    history_id: int = 0
    revision: str
    revision_short: str
    revision_url: str = ""
    deployed_at: datetime | None = None
    deploy_started_at: datetime | None = None
    initiated_by: str = ""
    images_before: list[str] = Field(default_factory=list)
    images_after: list[str] = Field(default_factory=list)
    changed_images: list[ImageChange] = Field(default_factory=list)
    cve_added: list[CveRef] = Field(default_factory=list)
    cve_removed: list[CveRef] = Field(default_factory=list)
    # True when both sides of every changed image had a CI scan (the lists are complete).
    cve_known: bool = False
    counts_before: SeverityCounts | None = None
    counts_after: SeverityCounts | None = None
    dashboard_url: str | None = None
    logs_url: str | None = None
    note: str = ""


def split_image(image: str) -> tuple[str, str]:
    """(repository, tag) of `image`; a digest counts as the tag, "" when there is none."""
    if "@" in image:
        repository, _, digest = image.partition("@")
        return repository, digest
    head, _, last = image.rpartition("/")
    if ":" in last:
        name, _, tag = last.rpartition(":")
        return (f"{head}/{name}" if head else name), tag
    return image, ""


def _changes(before: list[str], after: list[str]) -> list[ImageChange]:
    old = {split_image(image)[0]: image for image in before}
    new = {split_image(image)[0]: image for image in after}
    changes = [
        ImageChange(old=old.get(repository, ""), new=image)
        for repository, image in new.items()
        if old.get(repository) != image
    ]
    changes += [ImageChange(old=image, new="") for repo, image in old.items() if repo not in new]
    return changes


def _sum(counts: list[SeverityCounts]) -> SeverityCounts | None:
    if not counts:
        return None
    return SeverityCounts(
        **{s.lower(): sum(getattr(c, s.lower()) for c in counts) for s in SEVERITIES}
    )


def _refs(scans: list[ImageScan]) -> dict[str, CveRef]:
    return {
        v.id: CveRef(id=v.id, severity=v.severity, package=v.package)
        for scan in scans
        for v in scan.vulnerabilities
    }


def _rank(ref: CveRef) -> tuple[int, str]:
    severity = SEVERITIES.index(ref.severity) if ref.severity in SEVERITIES else len(SEVERITIES)
    return severity, ref.id


def _trimmed(scan: ImageScan) -> bool:
    c = scan.counts
    return len(scan.vulnerabilities) < c.critical + c.high + c.medium + c.low + c.unknown


class _Scans:
    """Each (service, sha) looked up once, all at the same time."""

    def __init__(self, scan_for: ScanLookup) -> None:
        self.scan_for = scan_for
        self.found: dict[tuple[str, str], ImageScan | None] = {}

    async def fetch(self, keys: set[tuple[str, str]]) -> None:
        ordered = sorted(keys)
        answers = await asyncio.gather(*(self.scan_for(service, sha) for service, sha in ordered))
        self.found.update(zip(ordered, answers, strict=True))

    def get(self, service: str, image: str) -> ImageScan | None:
        return self.found.get((service, split_image(image)[1]))


def _window_links(
    settings: OpsSettings, app: str, entry: HistoryEntry
) -> tuple[str | None, str | None]:
    if not settings.grafana_url or entry.deployed_at is None:
        return None, None
    started = entry.deploy_started_at or entry.deployed_at
    links = app_links(
        settings, app, start=started - WINDOW_BEFORE, end=entry.deployed_at + WINDOW_AFTER
    )
    return links.dashboard_url, links.logs_url


def _deploy(
    application: AppStatus,
    entry: HistoryEntry,
    previous: HistoryEntry | None,
    scans: _Scans,
    settings: OpsSettings,
) -> Deploy:
    app = application.app or application.name
    before = previous.images if previous is not None else []
    after = entry.images
    notes: list[str] = []
    if not after:
        notes.append(NOT_RECORDED)
    if previous is None:
        notes.append("the revision before is not in the history: nothing to compare with")
    elif not before:
        notes.append("no image recorded for the revision before")
    changes = _changes(before, after) if before and after else []
    if before and after and not changes:
        notes.append("images unchanged (a configuration-only deploy)")
    old_scans: list[ImageScan] = []
    new_scans: list[ImageScan] = []
    missing: list[str] = []
    for change in changes:
        for image, found in ((change.old, old_scans), (change.new, new_scans)):
            if not image:
                continue
            scan = scans.get(app, image)
            if scan is None:
                missing.append(image)
            else:
                found.append(scan)
    if missing:
        notes.append(f"no CI scan for {', '.join(missing)}: the CVE difference is unknown")
    if any(_trimmed(scan) for scan in old_scans + new_scans):
        notes.append("a scan lists fewer vulnerabilities than it counts: the difference is partial")
    old_refs, new_refs = _refs(old_scans), _refs(new_scans)
    dashboard_url, logs_url = _window_links(settings, app, entry)
    return Deploy(
        app=app,
        application=application.name,
        history_id=entry.id,
        revision=entry.revision,
        revision_short=short_revision(entry.revision),
        revision_url=entry.revision_url,
        deployed_at=entry.deployed_at,
        deploy_started_at=entry.deploy_started_at,
        initiated_by=entry.initiated_by,
        images_before=before,
        images_after=after,
        changed_images=changes,
        cve_added=sorted((r for i, r in new_refs.items() if i not in old_refs), key=_rank),
        cve_removed=sorted((r for i, r in old_refs.items() if i not in new_refs), key=_rank),
        cve_known=bool(changes) and not missing,
        counts_before=_sum([s.counts for s in old_scans]) if changes and old_scans else None,
        counts_after=_sum([s.counts for s in new_scans]) if changes and new_scans else None,
        dashboard_url=dashboard_url,
        logs_url=logs_url,
        note="; ".join(notes),
    )


async def deploy_timeline(
    apps: list[AppStatus], scan_for: ScanLookup, settings: OpsSettings
) -> list[Deploy]:
    """Every history entry of every app as a deploy, newest first across apps."""
    pairs = [
        (application, entry, history[i + 1] if i + 1 < len(history) else None)
        for application in apps
        for history in (application.history,)
        for i, entry in enumerate(history)
    ]
    wanted: set[tuple[str, str]] = set()
    for application, entry, previous in pairs:
        if previous is None or not previous.images or not entry.images:
            continue
        app = application.app or application.name
        for change in _changes(previous.images, entry.images):
            wanted |= {(app, split_image(i)[1]) for i in (change.old, change.new) if i}
    scans = _Scans(scan_for)
    await scans.fetch({key for key in wanted if key[1]})
    deploys = [_deploy(a, entry, previous, scans, settings) for a, entry, previous in pairs]
    deploys.sort(key=lambda d: (_when(d.deployed_at), d.history_id), reverse=True)
    return deploys


def _when(moment: datetime | None) -> datetime:
    """A sort key: unknown times last, a time without zone taken as UTC."""
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
