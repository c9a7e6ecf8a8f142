"""The joined panels (scorecard, deploy timeline) and the audit log of admin actions."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal.components.ops.figures import AuditView
from portal.components.ops.frame import new_tab, panel, table
from portal.components.ops.view import DeployView, ScoreView
from portal.state.ops import AuditState, ScorecardState, TimelineState


def _state_badge(state: Any) -> rx.Component:
    colour = rx.match(state, ("ok", "green"), ("attention", "orange"), ("failing", "red"), "gray")
    return rx.badge(state, color_scheme=colour, high_contrast=True)


def _score(row: ScoreView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.text.strong(row.app)),
        rx.el.td(_state_badge(row.state), rx.text(row.reasons, size="1")),
        rx.el.td(row.sync),
        rx.el.td(row.health),
        rx.el.td(row.cves),
        rx.el.td(row.cost),
        rx.el.td(row.slo),
        class_name="score-row",
    )


def scorecard_panel() -> rx.Component:
    return panel(
        "scorecard",
        "Scorecard",
        ScorecardState.scorecard_panel,
        table(
            ["App", "State", "Sync", "Health", "Fixable CVEs", "Cost (month)", "SLO"],
            rx.foreach(ScorecardState.scorecard, _score),
        ),
    )


def _deploy(d: DeployView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text.strong(d.app),
            rx.cond(d.revision_url != "", new_tab(d.revision, d.revision_url), rx.code(d.revision)),
            rx.text(d.deployed + " by " + d.by, size="2"),
            wrap="wrap",
            align="center",
        ),
        rx.foreach(d.images, lambda image: rx.code(image, size="1")),
        rx.text(d.cves, size="2"),
        rx.cond(d.note != "", rx.text(d.note, size="1", color="var(--gray-11)")),
        rx.hstack(
            rx.cond(d.dashboard_url != "", new_tab("Dashboard (deploy window)", d.dashboard_url)),
            rx.cond(d.logs_url != "", new_tab("Logs (deploy window)", d.logs_url)),
            spacing="3",
            wrap="wrap",
        ),
        spacing="1",
        width="100%",
        class_name="deploy",
        border_top="1px solid var(--gray-a5)",
        padding_top="0.5rem",
    )


def timeline_panel() -> rx.Component:
    return panel(
        "timeline",
        "Deploy timeline (newest first)",
        TimelineState.timeline_panel,
        rx.foreach(TimelineState.timeline, _deploy),
    )


def _entry(entry: AuditView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(entry.at),
        rx.el.td(entry.who, class_name="audit-who"),
        rx.el.td(entry.what),
        rx.el.td(entry.outcome),
        rx.el.td(entry.detail),
        class_name="audit-entry",
    )


def audit_panel() -> rx.Component:
    return panel(
        "audit",
        "Audit log (last 20 actions)",
        AuditState.audit_panel,
        table(["When", "Who", "What", "Outcome", "Detail"], rx.foreach(AuditState.audit, _entry)),
    )
