"""One row per app: sync, health, fixable CRITICAL/HIGH CVEs, cost and SLO, and a verdict.

A pure join of the other panels' answers. Any of them may be None (its panel failed) or
empty; that column then says "unknown" (None for numbers) and never fails the row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from portal.ops.argocd.models import AppStatus
from portal.ops.cost.models import CostReport
from portal.ops.health.models import ServiceHealth
from portal.ops.panel import Model
from portal.ops.trivy.models import ImageScan

__all__ = ["UNKNOWN", "ScoreRow", "scorecard"]

UNKNOWN = "unknown"
UNTAGGED = "(untagged)"
FAILING_HEALTH = {"Degraded", "Missing"}
FAILED_SYNC = {"Failed", "Error"}
BUSY_HEALTH = {"Progressing", "Suspended"}


class ScoreRow(Model):
    app: str
    application: str = ""  # the Argo CD Application, "" when Argo CD did not answer
    sync: str = UNKNOWN  # Synced, OutOfSync, Unknown (Argo CD's), or unknown (no answer)
    health: str = UNKNOWN
    # From the newest scan of each of the app's images (operator preferred, else CI).
    fixable_critical: int | None = None  # counted in the listed vulnerabilities
    fixable_high: int | None = None
    critical: int | None = None  # totals from the scanner's summary
    high: int | None = None
    cve_source: str = UNKNOWN  # operator, ci, operator+ci
    cve_note: str = ""
    cost_usd: float | None = None  # month to date, by the `app` cost-allocation tag
    cost_share: float | None = None  # of the month's total, 0..1
    slo: str = UNKNOWN  # within, outside, unknown
    slo_detail: str = ""
    state: str = "ok"  # ok, attention, failing
    reasons: list[str] = Field(default_factory=list)  # why the state is not ok


def _when(scan: ImageScan) -> datetime:
    moment = scan.scanned_at or datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _best_per_image(scans: list[ImageScan]) -> list[ImageScan]:
    """Per image: an operator scan over a CI one (it is what runs), then the newest."""
    best: dict[str, ImageScan] = {}
    for scan in scans:
        current = best.get(scan.image)
        rank = (scan.source == "operator", _when(scan))
        if current is None or rank > (current.source == "operator", _when(current)):
            best[scan.image] = scan
    return [best[image] for image in sorted(best)]


def _cve_columns(scans: list[ImageScan]) -> dict[str, object]:
    if not scans:
        return {"cve_note": "no scan of this app's images"}
    listed = [v for scan in scans for v in scan.vulnerabilities]
    counted = sum(
        s.counts.critical + s.counts.high + s.counts.medium + s.counts.low + s.counts.unknown
        for s in scans
    )
    note = "totals from the scanners' summaries; fixable counted in the listed vulnerabilities"
    if len(listed) < counted:
        note += f" ({len(listed)} listed of {counted} counted: at least these are fixable)"
    return {
        "fixable_critical": sum(v.fixable and v.severity == "CRITICAL" for v in listed),
        "fixable_high": sum(v.fixable and v.severity == "HIGH" for v in listed),
        "critical": sum(s.counts.critical for s in scans),
        "high": sum(s.counts.high for s in scans),
        "cve_source": "+".join(sorted({s.source for s in scans})),
        "cve_note": note,
    }


def _cost_columns(app: str, cost: CostReport | None) -> dict[str, object]:
    if cost is None:
        return {}
    amount = next((c.amount_usd for c in cost.by_app if c.name == app), None)
    if amount is None:
        return {}
    share = amount / cost.month_to_date_usd if cost.month_to_date_usd > 0 else None
    return {"cost_usd": amount, "cost_share": share}


def _slo_columns(app: str, health: list[ServiceHealth] | None) -> dict[str, object]:
    service = next((h for h in health or [] if h.service == app), None)
    if service is None:
        return {"slo_detail": "no live health for this service" if health is not None else ""}
    if not service.up:
        return {"slo": "outside", "slo_detail": f"down: {service.detail}".rstrip(": ")}
    parts = []
    if service.p95_seconds is not None:
        parts.append(f"P95 {service.p95_seconds * 1000:.0f} ms")
    if service.error_rate is not None:
        parts.append(f"errors {service.error_rate:.2%}")
    detail = ", ".join(parts) or "no traffic"
    return {"slo": "within" if service.within_slo else "outside", "slo_detail": detail}


def _verdict(
    row: ScoreRow, status: AppStatus | None, health: list[ServiceHealth] | None
) -> tuple[str, list[str]]:
    """The state and its reasons, by the rule in :func:`scorecard`'s docstring."""
    failing, attention = [], []
    if row.health in FAILING_HEALTH:
        failing.append(f"health {row.health}")
    if status is not None and status.last_sync_phase in FAILED_SYNC:
        failing.append(f"last sync {status.last_sync_phase}")
    service = next((h for h in health or [] if h.service == row.app), None)
    if service is not None and not service.up:
        failing.append("service down")
    if row.sync == "OutOfSync":
        attention.append("out of sync")
    if row.health in BUSY_HEALTH:
        attention.append(f"health {row.health}")
    if row.slo == "outside" and (service is None or service.up):
        attention.append(f"SLO missed ({row.slo_detail})")
    if row.fixable_critical or row.fixable_high:
        attention.append(
            f"fixable vulnerabilities: {row.fixable_critical or 0} critical, "
            f"{row.fixable_high or 0} high"
        )
    if failing:
        return "failing", failing + attention
    return ("attention", attention) if attention else ("ok", [])


def _row(
    app: str,
    status: AppStatus | None,
    scans: list[ImageScan],
    cost: CostReport | None,
    health: list[ServiceHealth] | None,
) -> ScoreRow:
    images = set(status.images) if status is not None else set()
    mine = [s for s in scans if s.app == app or (s.image and s.image in images)]
    columns: dict[str, object] = {
        **_cve_columns(_best_per_image(mine)),
        **_cost_columns(app, cost),
        **_slo_columns(app, health),
    }
    if status is not None:
        columns |= {"application": status.name, "sync": status.sync_status}
        columns["health"] = status.health_status
    row = ScoreRow.model_validate({"app": app, **columns})
    state, reasons = _verdict(row, status, health)
    return row.model_copy(update={"state": state, "reasons": reasons})


def scorecard(
    apps: list[AppStatus] | None,
    scans: list[ImageScan] | None,
    cost: CostReport | None,
    health: list[ServiceHealth] | None,
) -> list[ScoreRow]:
    """One row per app, in name order.

    The apps are Argo CD's (keyed by their `app` label); without them (its panel failed),
    the apps named by live health, the scans and the cost tags instead.

    The state:
    - "failing": Argo CD health Degraded or Missing, the last sync Failed or Error, or the
      service down (live health);
    - "attention": OutOfSync, health Progressing or Suspended, the SLO missed (P95 or error
      rate), or a fixable CRITICAL or HIGH vulnerability (the platform's gate);
    - "ok" otherwise.
    An unknown column (its panel failed or is not configured) counts as neither: the row
    shows it as unknown and the state is judged on what is known. `reasons` says why.
    """
    scans = scans or []
    by_app = {(status.app or status.name): status for status in apps or []}
    names = set(by_app)
    if not names:
        names |= {h.service for h in health or []}
        names |= {s.app for s in scans if s.app}
        names |= {c.name for c in (cost.by_app if cost else []) if c.name != UNTAGGED}
    return [_row(name, by_app.get(name), scans, cost, health) for name in sorted(names)]
