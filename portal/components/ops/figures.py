"""The cost, health, links and audit panels as text (see `view` for the others)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from portal.components.ops.view import usd, when
from portal.ops.audit import AuditEntry
from portal.ops.cost.models import CostReport
from portal.ops.health.models import SLO_ERROR_RATE, SLO_P95_SECONDS, AppLinks, ServiceHealth


@dataclass
class Amount:
    name: str = ""
    usd: str = ""


@dataclass
class CostView:
    month_to_date: str = ""
    budget: str = ""
    forecast: str = ""
    forecast_label: str = ""
    budget_left: str = ""
    over_budget: bool = False
    as_of: str = ""
    by_service: list[Amount] = field(default_factory=list)
    by_app: list[Amount] = field(default_factory=list)


def cost_view(report: CostReport) -> tuple[CostView, list[dict[str, Any]]]:
    """The summary and the chart's points (day, cost, and the ideal budget left that day)."""
    label = "linear projection" if report.forecast_method == "linear" else "AWS forecast"
    view = CostView(
        month_to_date=usd(report.month_to_date_usd),
        budget=usd(report.budget_usd),
        forecast=usd(report.forecast_month_end_usd),
        forecast_label=label,
        budget_left=usd(report.budget_left_usd),
        over_budget=report.forecast_month_end_usd > report.budget_usd,
        as_of=when(report.as_of),
        by_service=[Amount(n.name, usd(n.amount_usd)) for n in report.by_service],
        by_app=[Amount(n.name, usd(n.amount_usd)) for n in report.by_app],
    )
    return view, _points(report)


def _points(report: CostReport) -> list[dict[str, Any]]:
    """Per day: the cost, and in this month the budget really left against the ideal
    burn-down (the budget spent evenly over the month); None outside the month."""
    next_month = (report.month_start + timedelta(days=32)).replace(day=1)
    days_in_month = (next_month - report.month_start).days
    spent, points = 0.0, []
    for d in report.daily:
        in_month = d.day >= report.month_start
        spent += d.amount_usd if in_month else 0.0
        ideal = report.budget_usd * (1 - d.day.day / days_in_month)
        points.append(
            {
                "day": d.day.strftime("%m-%d"),
                "usd": round(d.amount_usd, 2),
                "left": round(report.budget_usd - spent, 2) if in_month else None,
                "ideal": round(ideal, 2) if in_month else None,
            }
        )
    return points


@dataclass
class HealthView:
    service: str = ""
    up: bool = False
    within_slo: bool = False
    rps: str = ""
    errors: str = ""
    p95: str = ""
    detail: str = ""


def health_view(h: ServiceHealth) -> HealthView:
    def number(value: float | None, fmt: str) -> str:
        return "—" if value is None else fmt.format(value)

    return HealthView(
        service=h.service,
        up=h.up,
        within_slo=h.within_slo,
        rps=number(h.requests_per_second, "{:.1f} req/s"),
        errors=number(None if h.error_rate is None else h.error_rate * 100, "{:.2f} %")
        + f" (SLO < {SLO_ERROR_RATE * 100:g} %)",
        p95=number(None if h.p95_seconds is None else h.p95_seconds * 1000, "{:.0f} ms")
        + f" (SLO < {SLO_P95_SECONDS * 1000:g} ms)",
        detail=h.detail or f"{h.method}, {h.window}".strip(", "),
    )


@dataclass
class LinkView:
    app: str = ""
    dashboard: str = ""
    logs: str = ""
    errors: str = ""


def links_view(links: AppLinks) -> LinkView:
    return LinkView(links.app, links.dashboard_url, links.logs_url, links.errors_url)


@dataclass
class AuditView:
    who: str = ""
    what: str = ""
    at: str = ""
    outcome: str = ""
    detail: str = ""


def audit_view(entry: AuditEntry) -> AuditView:
    return AuditView(
        who=entry.actor,
        what=f"{entry.action} {entry.target}",
        at=when(entry.at),
        outcome=entry.outcome,
        detail=entry.detail,
    )
