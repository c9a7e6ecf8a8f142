"""The joined panels (scorecard, deploy timeline) and the audit log of admin actions."""

from __future__ import annotations

import reflex as rx

from portal.components.ops.frame import new_tab, panel, table
from portal.components.ops.view import AuditView, Cell, Row
from portal.state.ops import OpsState


def _cell(cell: Cell) -> rx.Component:
    return rx.text(rx.text.strong(cell.label + ": "), cell.value, size="2", as_="span")


def _link(cell: Cell) -> rx.Component:
    return new_tab(cell.label, cell.url, size="2")


def _row(row: Row) -> rx.Component:
    return rx.vstack(
        rx.heading(row.title, size="3", as_="h3"),
        rx.flex(rx.foreach(row.cells, _cell), wrap="wrap", spacing="3"),
        rx.flex(rx.foreach(row.links, _link), wrap="wrap", spacing="3"),
        spacing="1",
        width="100%",
        border_top="1px solid var(--gray-a5)",
        padding_top="0.5rem",
    )


def scorecard_panel() -> rx.Component:
    return panel(
        "scorecard", "Scorecard", OpsState.scorecard_panel, rx.foreach(OpsState.scorecard, _row)
    )


def timeline_panel() -> rx.Component:
    return panel(
        "timeline",
        "Deploy timeline",
        OpsState.timeline_panel,
        rx.foreach(OpsState.timeline, _row),
    )


def _entry(entry: AuditView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(entry.at),
        rx.table.cell(entry.who, class_name="audit-who"),
        rx.table.cell(entry.what),
        rx.table.cell(entry.outcome),
        rx.table.cell(entry.detail),
        class_name="audit-entry",
    )


def audit_panel() -> rx.Component:
    return panel(
        "audit",
        "Audit log (last 20 actions)",
        OpsState.audit_panel,
        table(["When", "Who", "What", "Outcome", "Detail"], rx.foreach(OpsState.audit, _entry)),
    )
