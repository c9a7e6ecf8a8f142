"""The Trivy panel: the policy gate per image, counts per image and per app, fixable first."""

from __future__ import annotations

import reflex as rx

from portal.components.ops.frame import good_bad, panel, show_all, table
from portal.components.ops.view import ScanView, VulnView
from portal.state.ops import TrivyState

COUNTS = ("critical", "high", "medium", "low", "unknown")


def _counts(scan: ScanView) -> list[rx.Component]:
    return [rx.el.td(getattr(scan, name).to_string()) for name in COUNTS]


def _vuln(v: VulnView) -> rx.Component:
    return rx.text(v.severity + " " + v.id + " · " + v.package + " " + v.change, size="1")


def _image_row(scan: ScanView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.vstack(
                rx.code(scan.image, size="1"),
                rx.text(scan.app + " · " + scan.source, size="1"),
                rx.foreach(scan.vulnerabilities, _vuln),
                spacing="1",
            )
        ),
        rx.el.td(good_bad(scan.gate_passed, "Gate passed", "Gate failed")),
        *_counts(scan),
        class_name="trivy-image",
    )


def _app_row(scan: ScanView) -> rx.Component:
    return rx.el.tr(
        rx.el.td(scan.app),
        rx.el.td(good_bad(scan.gate_passed, "Gate passed", "Gate failed")),
        *_counts(scan),
    )


def trivy_panel() -> rx.Component:
    headings = ["Critical", "High", "Medium", "Low", "Unknown"]
    return panel(
        "trivy",
        "Vulnerabilities (Trivy)",
        TrivyState.trivy_panel,
        rx.cond(
            TrivyState.trivy_ci_panel.reason != "",
            rx.text(
                "CI pipeline: " + TrivyState.trivy_ci_panel.reason,
                size="2",
                class_name="panel-reason",
            ),
        ),
        rx.cond(
            TrivyState.trivy_ci_panel.stale != "",
            rx.text("CI pipeline: " + TrivyState.trivy_ci_panel.stale, size="2"),
        ),
        rx.heading("Per app", size="3", as_="h3"),
        table(["App", "Policy", *headings], rx.foreach(TrivyState.scans_by_app, _app_row)),
        rx.heading("Per image (failing the gate first)", size="3", as_="h3"),
        table(["Image", "Policy", *headings], rx.foreach(TrivyState.scans, _image_row)),
        show_all(
            TrivyState.scans,
            TrivyState.scans_total,
            "images",
            TrivyState.show_all_scans,
            "trivy-show-all",
        ),
    )
