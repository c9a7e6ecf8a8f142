"""What the Argo CD and Trivy panels show first, before "Show all"."""

from __future__ import annotations

from portal.components.ops.view import AppView, ScanView, attention_first, worst_first


def test_apps_that_need_a_look_come_first_then_by_name() -> None:
    apps = [
        AppView(name="a-fine", sync="Synced", health="Healthy"),
        AppView(name="z-out-of-sync", sync="OutOfSync", health="Healthy"),
        AppView(name="m-degraded", sync="Synced", health="Degraded"),
        AppView(name="b-fine", sync="Synced", health="Healthy"),
        AppView(name="c-issue", sync="Synced", health="Healthy", issues=["Deployment/x: ..."]),
        AppView(name="d-condition", sync="Synced", health="Healthy", conditions=["SyncError"]),
    ]
    assert [app.name for app in attention_first(apps)] == [
        "c-issue",
        "d-condition",
        "m-degraded",
        "z-out-of-sync",
        "a-fine",
        "b-fine",
    ]


def test_images_failing_the_gate_come_first_worst_counts_leading() -> None:
    scans = [
        ScanView(image="clean", gate_passed=True, medium=9),
        ScanView(image="two-high", gate_passed=False, high=2),
        ScanView(image="one-critical", gate_passed=False, critical=1),
        ScanView(image="one-critical-more-high", gate_passed=False, critical=1, high=5),
        ScanView(image="also-clean", gate_passed=True),
    ]
    assert [scan.image for scan in worst_first(scans)] == [
        "one-critical-more-high",
        "one-critical",
        "two-high",
        "also-clean",
        "clean",
    ]
