"""Live service health against the SLO, and the Grafana/Loki links per app."""

from __future__ import annotations

import reflex as rx

from portal.components.ops.figures import HealthView, LinkView
from portal.components.ops.frame import good_bad, new_tab, panel, table
from portal.state.ops import HealthState, LinksState


def _service(h: HealthView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(h.service),
        rx.el.td(good_bad(h.within_slo, "Within SLO", "Outside SLO")),
        rx.el.td(h.rps),
        rx.el.td(h.errors),
        rx.el.td(h.p95),
        rx.el.td(h.detail),
        class_name="health-service",
    )


def health_panel() -> rx.Component:
    return panel(
        "health",
        "Service health",
        HealthState.health_panel,
        rx.text("SLO: 100 requests/s at P95 under 500 ms, error rate under 1 %.", size="2"),
        table(
            ["Service", "SLO", "Requests", "Errors", "P95", "Source"],
            rx.foreach(HealthState.health, _service),
        ),
    )


def _links(link: LinkView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(link.app),
        rx.el.td(new_tab("Dashboard", link.dashboard, class_name="link-dashboard")),
        rx.el.td(new_tab("Logs", link.logs, class_name="link-logs")),
        rx.el.td(new_tab("Errors", link.errors, class_name="link-errors")),
    )


def links_panel() -> rx.Component:
    return panel(
        "links",
        "Grafana and Loki",
        LinksState.links_panel,
        table(["App", "Grafana", "Logs", "Error logs"], rx.foreach(LinksState.links, _links)),
    )
