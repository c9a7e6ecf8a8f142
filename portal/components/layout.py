"""The page template: navigation, colour mode switch, one main column, a banner for errors."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal import styles
from portal.state.session import SessionState


def _link(text: str, href: str, link_id: str) -> rx.Component:
    return rx.link(text, href=href, id=link_id, underline="hover", size="2")


def navbar() -> rx.Component:
    signed_in = rx.hstack(
        _link("Home", "/", "nav-home"),
        _link("New article", "/editor", "nav-new"),
        _link("Drafts", "/drafts", "nav-drafts"),
        _link("Search", "/search", "nav-search"),
        _link("Settings", "/settings", "nav-settings"),
        rx.cond(SessionState.role == "admin", _link("Operations", "/ops", "nav-ops")),
        rx.link(
            SessionState.username,
            href="/profile/" + SessionState.username,
            id="nav-profile",
            size="2",
            weight="bold",
        ),
        spacing="3",
        wrap="wrap",
        align="center",
    )
    signed_out = rx.hstack(
        _link("Home", "/", "nav-home"),
        _link("Search", "/search", "nav-search"),
        _link("Sign in", "/login", "nav-signin"),
        _link("Sign up", "/register", "nav-signup"),
        spacing="3",
        wrap="wrap",
        align="center",
    )
    return rx.el.header(
        rx.hstack(
            rx.link(
                rx.heading("conduit", size="5", color_scheme=styles.ACCENT),
                href="/",
                underline="none",
                aria_label="conduit home",
            ),
            rx.spacer(),
            rx.el.nav(
                rx.cond(SessionState.signed_in, signed_in, signed_out),
                aria_label="main",
            ),
            rx.color_mode.button(size="1", variant="ghost", aria_label="Switch colour mode"),
            align="center",
            wrap="wrap",
            spacing="3",
            style=styles.page_box,
        ),
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
    )


def banner(message: Any, banner_id: str = "page-error") -> rx.Component:
    """A visible, announced error (empty message: nothing)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", id=banner_id, role="alert"),
    )


def field_error(message: Any, field_id: str) -> rx.Component:
    return rx.cond(message != "", rx.text(message, id=field_id, style=styles.error_text))


def page(*children: rx.Component, title: str = "") -> rx.Component:
    return rx.box(
        navbar(),
        rx.el.main(
            rx.vstack(
                rx.heading(title, size="7", as_="h1") if title else rx.fragment(),
                *children,
                spacing="4",
                width="100%",
            ),
            style=styles.page_box,
        ),
        min_height="100vh",
    )


def spinner_text(text: str) -> rx.Component:
    return rx.hstack(rx.spinner(size="2"), rx.text(text), align="center", role="status")
