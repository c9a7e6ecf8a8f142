"""The frame every /ops panel shares: title, status badge, reason, stale and Demo marks, reload."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal import styles
from portal.state.ops import OpsState

STATUS_COLOURS = {
    "ok": "green",
    "loading": "gray",
    "not_configured": "gray",
    "unauthorised": "orange",
    "unreachable": "red",
    "timed_out": "orange",
    "failed": "red",
}
STATUS_WORDS = {
    "ok": "OK",
    "loading": "Loading",
    "not_configured": "Not configured",
    "unauthorised": "Unauthorised",
    "unreachable": "Unreachable",
    "timed_out": "Timed out",
    "failed": "Failed",
}


def status_badge(status: Any) -> rx.Component:
    return rx.badge(
        rx.match(status, *STATUS_WORDS.items(), status),
        color_scheme=rx.match(status, *STATUS_COLOURS.items(), "gray"),
        class_name="panel-status",
        high_contrast=True,  # the soft badges' own text is under 4.5:1 (axe)
    )


def good_bad(good: Any, yes: str = "OK", no: str = "Failing") -> rx.Component:
    return rx.badge(
        rx.cond(good, yes, no), color_scheme=rx.cond(good, "green", "red"), high_contrast=True
    )


def panel(name: str, title: str, header: Any, *body: rx.Component) -> rx.Component:
    """One panel: `header` is the PanelHeader var; `body` shows the data (when there is any)."""
    return rx.el.section(
        rx.hstack(
            rx.heading(title, size="4", as_="h2"),
            status_badge(header.status),
            rx.cond(
                header.demo,
                rx.badge("Demo", color_scheme="purple", class_name="demo", high_contrast=True),
            ),
            rx.spacer(),
            rx.cond(header.status == "loading", rx.spinner(size="1")),
            rx.button(
                "Reload",
                on_click=OpsState.reload(name),  # type: ignore[misc]
                size="1",
                variant="soft",
                id=f"reload-{name}",
                aria_label=f"Reload {title}",
            ),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            header.reason != "",
            rx.text(header.reason, class_name="panel-reason", size="2", color="var(--gray-11)"),
        ),
        rx.cond(
            header.stale != "",
            rx.text(header.stale, class_name="panel-stale", size="2", color="var(--orange-11)"),
        ),
        rx.cond(header.fetched != "", rx.text(header.fetched, size="1", color="var(--gray-11)")),
        rx.vstack(*body, width="100%", spacing="2"),
        id=f"panel-{name}",
        custom_attrs={"data-status": header.status},
        aria_label=title,
        style={**styles.card, "min_width": "0"},
    )


TABLE_STYLE: dict[str, Any] = {
    "width": "100%",
    "border_collapse": "collapse",
    "font_size": "0.8125rem",
    "& th, & td": {
        "text_align": "left",
        "vertical_align": "top",
        "padding": "0.35rem 0.5rem",
        "border_bottom": "1px solid var(--gray-a5)",
    },
}


def table(headings: list[str], rows: rx.Component, label: Any = None) -> rx.Component:
    """A plain table in a focusable scroll region (wide tables scroll, not the page)."""
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*(rx.el.th(h, scope="col") for h in headings))),
            rx.el.tbody(rows),
            style=TABLE_STYLE,
        ),
        overflow_x="auto",
        width="100%",
        tab_index=0,
        role="region",
        aria_label=", ".join(headings) if label is None else label,
    )


def new_tab(text: Any, href: Any, **props: Any) -> rx.Component:
    # Underlined: links sit inside text, and colour alone does not set them apart (axe).
    return rx.link(
        text, href=href, is_external=True, rel="noopener noreferrer", underline="always", **props
    )


def show_all(shown: Any, total: Any, noun: str, on_click: Any, id_: str) -> rx.Component:
    """A "Show all N <noun>" button while fewer rows are shown than there are."""
    return rx.cond(
        shown.length() < total,
        rx.button(
            "Show all " + total.to_string() + " " + noun,
            on_click=on_click,
            variant="soft",
            id=id_,
        ),
    )
