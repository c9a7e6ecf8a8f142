"""/ops: the operator dashboard for admins, a "not allowed" page for everyone else."""

from __future__ import annotations

import reflex as rx

from portal.components.layout import page, spinner_text
from portal.components.ops.argocd import argocd_panel
from portal.components.ops.cost import cost_panel
from portal.components.ops.health import health_panel, links_panel
from portal.components.ops.rows import audit_panel, scorecard_panel, timeline_panel
from portal.components.ops.trivy import trivy_panel
from portal.state.ops import OpsState
from portal.state.session import SessionState


def _notice() -> rx.Component:
    return rx.cond(
        OpsState.notice != "",
        rx.callout(
            rx.hstack(
                rx.text(OpsState.notice, id="ops-notice-text"),
                rx.spacer(),
                rx.button("Dismiss", size="1", variant="ghost", on_click=OpsState.dismiss),
                width="100%",
                align="center",
            ),
            color_scheme=rx.cond(OpsState.notice_ok, "green", "red"),
            id="ops-notice",
            role="status",
            width="100%",
        ),
    )


def _forbidden() -> rx.Component:
    return rx.vstack(
        rx.heading("Not allowed", size="6", as_="h2"),
        rx.text(OpsState.forbidden_reason, id="ops-forbidden-reason"),
        rx.cond(
            SessionState.signed_in,
            rx.link("Back to the home page", href="/"),
            rx.link("Sign in", href="/login", id="ops-sign-in"),
        ),
        id="ops-forbidden",
        role="alert",
        spacing="3",
    )


def _dashboard() -> rx.Component:
    return rx.vstack(
        _notice(),
        scorecard_panel(),
        argocd_panel(),
        trivy_panel(),
        cost_panel(),
        health_panel(),
        links_panel(),
        timeline_panel(),
        audit_panel(),
        id="ops-page",
        width="100%",
        spacing="4",
    )


def ops() -> rx.Component:
    return page(
        rx.cond(
            OpsState.allowed,
            _dashboard(),
            rx.cond(
                OpsState.checked,
                _forbidden(),
                spinner_text("Checking your role…"),
            ),
        ),
        title="Operator dashboard",
    )
