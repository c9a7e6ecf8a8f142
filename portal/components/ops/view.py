"""What each /ops panel shows, as text: small dataclasses built from the ops answers.

No Reflex here: `portal.state.ops` keeps these in page state and the panel components render
them as text (never HTML). Times are written out once, in UTC, so every browser shows the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from portal.ops.argocd.models import AppStatus
from portal.ops.panel import Panel
from portal.ops.trivy.models import ImageScan, fixable_first

HISTORY_SHOWN = 10
VULNERABILITIES_SHOWN = 8
DEPLOYS_SHOWN = 30
# Rows rendered before "Show all": a page of 50 apps and 200 images took the browser most
# of a second to render (bench.ops_speed), and what needs a look comes first anyway.
APPS_SHOWN = 10
IMAGES_SHOWN = 20


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def usd(value: float) -> str:
    return f"${value:,.2f}"


@dataclass
class PanelHeader:
    status: str = "loading"
    reason: str = ""
    stale: str = ""  # "stale since <time>" when the data shown is an older answer
    fetched: str = ""
    demo: bool = False


def header(panel: Panel[Any]) -> PanelHeader:
    return PanelHeader(
        status=str(panel.status),
        reason=panel.reason,
        stale=f"stale since {when(panel.stale_since)}" if panel.stale_since else "",
        fetched=f"as of {when(panel.fetched_at)}" if panel.fetched_at else "",
        demo=panel.demo,
    )


def _known(value: Any, text: str) -> str:
    return "unknown" if value is None else text


@dataclass
class ScoreView:
    app: str = ""
    sync: str = ""
    health: str = ""
    cves: str = ""
    cost: str = ""
    slo: str = ""
    state: str = ""
    reasons: str = ""


def score_view(row: Any) -> ScoreView:
    """A `portal.ops.scorecard.ScoreRow` as text; unknown columns say so."""
    critical, high = row.fixable_critical, row.fixable_high
    cves = _known(critical, f"{critical} critical, {high} high fixable")
    share = f" ({row.cost_share:.0%} of the month)" if row.cost_share is not None else ""
    return ScoreView(
        app=row.app,
        sync=row.sync,
        health=row.health,
        cves=cves + (f" · {row.cve_note}" if row.cve_note else ""),
        cost=_known(row.cost_usd, usd(row.cost_usd or 0.0) + share),
        slo=row.slo + (f" ({row.slo_detail})" if row.slo_detail else ""),
        state=row.state,
        reasons="; ".join(row.reasons),
    )


@dataclass
class DeployView:
    app: str = ""
    revision: str = ""
    revision_url: str = ""
    deployed: str = ""
    by: str = ""
    images: list[str] = field(default_factory=list)
    cves: str = ""
    dashboard_url: str = ""
    logs_url: str = ""
    note: str = ""


def _cves(deploy: Any) -> str:
    added = [f"new {c.id} ({c.severity})" for c in deploy.cve_added]
    removed = [f"fixed {c.id} ({c.severity})" for c in deploy.cve_removed]
    if not deploy.cve_known and not added and not removed:
        return "CVE difference unknown"
    return ", ".join(added + removed) or "no CVE change"


def deploy_view(deploy: Any) -> DeployView:
    """A `portal.ops.timeline.Deploy` as text."""
    return DeployView(
        app=deploy.app,
        revision=deploy.revision_short or deploy.revision,
        revision_url=deploy.revision_url,
        deployed=when(deploy.deployed_at or deploy.deploy_started_at) or "time unknown",
        by=deploy.initiated_by or "unknown",
        images=[f"{c.old or '(new)'} → {c.new or '(removed)'}" for c in deploy.changed_images],
        cves=_cves(deploy),
        dashboard_url=deploy.dashboard_url or "",
        logs_url=deploy.logs_url or "",
        note=deploy.note,
    )


@dataclass
class HistoryView:
    id: str = ""
    revision: str = ""
    url: str = ""
    deployed: str = ""
    by: str = ""
    images: str = ""


@dataclass
class AppView:
    name: str = ""
    sync: str = ""
    health: str = ""
    health_message: str = ""
    revision: str = ""
    revision_url: str = ""
    last_sync: str = ""
    images: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    history: list[HistoryView] = field(default_factory=list)


def app_view(app: AppStatus) -> AppView:
    by = f" by {app.last_sync_by}" if app.last_sync_by else ""
    phase = f" ({app.last_sync_phase})" if app.last_sync_phase else ""
    return AppView(
        name=app.name,
        sync=app.sync_status,
        health=app.health_status,
        health_message=app.health_message,
        revision=app.revision_short or app.revision or "—",
        revision_url=app.revision_url,
        last_sync=(when(app.last_sync_at) or "never") + by + phase,
        images=list(app.images),
        issues=[
            f"{i.kind}/{i.name}: {i.sync_status or '—'}, {i.health_status or '—'}"
            + (f" ({i.message})" if i.message else "")
            for i in app.issues
        ],
        conditions=[f"{c.type}: {c.message}" for c in app.conditions],
        history=[
            HistoryView(
                id=str(h.id),
                revision=h.revision[:12],
                url=h.revision_url,
                deployed=when(h.deployed_at),
                by=h.initiated_by,
                images=", ".join(h.images) or "image not recorded",
            )
            for h in app.history[:HISTORY_SHOWN]
        ],
    )


@dataclass
class VulnView:
    id: str = ""
    severity: str = ""
    package: str = ""
    change: str = ""  # installed → fixed


@dataclass
class ScanView:
    image: str = ""
    app: str = ""
    source: str = ""
    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    unknown: int = 0
    gate_passed: bool = True
    vulnerabilities: list[VulnView] = field(default_factory=list)


def scan_view(scan: ImageScan) -> ScanView:
    c = scan.counts
    return ScanView(
        image=scan.image,
        app=scan.app or "(unknown app)",
        source="trivy-operator" if scan.source == "operator" else "CI pipeline",
        critical=c.critical,
        high=c.high,
        medium=c.medium,
        low=c.low,
        unknown=c.unknown,
        gate_passed=c.gate_passed,
        vulnerabilities=[
            VulnView(
                v.id,
                v.severity,
                v.package,
                f"{v.installed_version} → {v.fixed_version or 'no fix yet'}",
            )
            for v in fixable_first(list(scan.vulnerabilities))[:VULNERABILITIES_SHOWN]
        ],
    )


def per_app(scans: list[ScanView]) -> list[ScanView]:
    """Counts added up per app (one row per app, all its images)."""
    totals: dict[str, ScanView] = {}
    for s in scans:
        t = totals.setdefault(s.app, ScanView(image="", app=s.app))
        t.critical, t.high = t.critical + s.critical, t.high + s.high
        t.medium, t.low, t.unknown = t.medium + s.medium, t.low + s.low, t.unknown + s.unknown
        t.gate_passed = t.gate_passed and s.gate_passed
    return sorted(totals.values(), key=lambda t: t.app)


def attention_first(apps: list[AppView]) -> list[AppView]:
    """Apps that need a look (not synced, not healthy, with issues or conditions) first,
    then the rest; by name within each group."""

    def fine(app: AppView) -> bool:
        healthy = app.sync == "Synced" and app.health == "Healthy"
        return healthy and not (app.issues or app.conditions)

    return sorted(apps, key=lambda app: (fine(app), app.name))


def worst_first(scans: list[ScanView]) -> list[ScanView]:
    """Images that fail the gate first, then by critical and high counts, then by name."""
    return sorted(scans, key=lambda s: (s.gate_passed, -s.critical, -s.high, s.image, s.source))
