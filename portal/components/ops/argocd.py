"""The Argo CD panel: per app sync, health, revision, last sync, images, issues, history, and
the admin actions (refresh, sync with a confirmation)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal.components.ops.frame import new_tab, panel, show_all, table
from portal.components.ops.view import AppView, HistoryView
from portal.state.ops import ArgoCdState, OpsState


def _colour(value: Any) -> Any:
    return rx.match(value, ("Synced", "green"), ("Healthy", "green"), ("Unknown", "gray"), "red")


def _history_row(h: HistoryView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(h.id),
        rx.el.td(rx.cond(h.url != "", new_tab(h.revision, h.url), rx.text(h.revision))),
        rx.el.td(h.deployed),
        rx.el.td(h.by),
        rx.el.td(h.images),
    )


def _sync_confirm(app: AppView) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Sync", size="1", id="sync-" + app.name)),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Sync " + app.name + "?"),
            rx.alert_dialog.description(
                "Argo CD applies the target revision to the cluster now. This is audited."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Sync now",
                        on_click=OpsState.sync_app(app.name),  # type: ignore[misc]
                        id="confirm-sync-" + app.name,
                    )
                ),
                spacing="3",
                justify="end",
            ),
        ),
    )


def _app(app: AppView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(app.name, size="3", as_="h3"),
            rx.badge(app.sync, color_scheme=_colour(app.sync), high_contrast=True),
            rx.badge(app.health, color_scheme=_colour(app.health), high_contrast=True),
            rx.spacer(),
            rx.button(
                "Refresh",
                on_click=OpsState.refresh_app(app.name),  # type: ignore[misc]
                size="1",
                variant="soft",
                id="refresh-" + app.name,
            ),
            _sync_confirm(app),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(app.health_message != "", rx.text(app.health_message, size="2")),
        rx.text(
            "Revision ",
            rx.cond(
                app.revision_url != "",
                new_tab(app.revision, app.revision_url, class_name="revision"),
                rx.code(app.revision, class_name="revision"),
            ),
            " · last sync " + app.last_sync,
            size="2",
        ),
        rx.foreach(app.images, lambda image: rx.code(image, size="1")),
        rx.foreach(
            app.issues, lambda issue: rx.text("⚠ " + issue, size="2", color="var(--red-11)")
        ),
        rx.foreach(app.conditions, lambda c: rx.text(c, size="2", color="var(--orange-11)")),
        rx.el.details(
            rx.el.summary("History (last 10)"),
            table(
                ["id", "revision", "deployed", "by", "images"],
                rx.foreach(app.history, _history_row),
                "History of " + app.name,
            ),
        ),
        spacing="1",
        width="100%",
        class_name="argocd-app",
        border_top="1px solid var(--gray-a5)",
        padding_top="0.5rem",
    )


def argocd_panel() -> rx.Component:
    return panel(
        "argocd",
        "Argo CD",
        ArgoCdState.argocd_panel,
        rx.foreach(ArgoCdState.apps, _app),
        show_all(
            ArgoCdState.apps,
            ArgoCdState.apps_total,
            "apps",
            ArgoCdState.show_all_apps,
            "argocd-show-all",
        ),
    )
