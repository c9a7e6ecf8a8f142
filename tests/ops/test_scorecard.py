"""The per-app scorecard, from the real Argo CD and Trivy fixtures through the parsers.

Derived in code: the `app` label and images of the Application, the app and image of the
operator report (the real one is coredns in kube-system), states such as Degraded. Costs
and live health are small models built here (their sources have their own tests).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from portal.ops.argocd.models import AppStatus
from portal.ops.argocd.parse import parse_application
from portal.ops.cost.models import CostReport, NamedCost
from portal.ops.health.models import ServiceHealth
from portal.ops.scorecard import UNKNOWN, ScoreRow, scorecard
from portal.ops.trivy.models import ImageScan
from portal.ops.trivy.operator import parse_vulnerability_report
from portal.ops.trivy.report import parse_trivy_report

FIXTURES = Path(__file__).parent / "fixtures"
IMAGE = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/blog-service:" + "1" * 40


def blog_service(**changes: object) -> AppStatus:
    """The real velero-test Application (Synced, Healthy, last sync Succeeded), derived."""
    text = (FIXTURES / "argocd" / "argo-cd-controller-testdata-diff-cache.yaml").read_text()
    app = parse_application(yaml.safe_load(text))
    return app.model_copy(update={"app": "blog-service", "images": [IMAGE], **changes})


def operator_scan() -> ImageScan:
    """The real report: 1 fixable HIGH listed of 12 HIGH (27 in all) counted."""
    text = (FIXTURES / "trivy" / "trivy-operator-vulnerabilityreport-coredns.yaml").read_text()
    scan = parse_vulnerability_report(yaml.safe_load(text))
    return scan.model_copy(update={"app": "", "image": IMAGE})  # matched by image


def ci_scan(name: str = "trivy-debian-buster", **changes: object) -> ImageScan:
    """debian-buster: 1 fixable CRITICAL and 1 unfixable LOW, all listed."""
    doc = json.loads((FIXTURES / "trivy" / f"{name}.json").read_text())
    scan = parse_trivy_report(doc, app="blog-service", git_sha="1" * 40)
    return scan.model_copy(update={"image": IMAGE, **changes})


def cost(by_app: dict[str, float], total: float) -> CostReport:
    return CostReport(
        month_start=date(2026, 11, 1),
        as_of=date(2026, 11, 25),
        month_to_date_usd=total,
        daily=[],
        by_service=[],
        by_app=[NamedCost(name=name, amount_usd=amount) for name, amount in by_app.items()],
        forecast_month_end_usd=total * 30 / 25,
        forecast_method="linear",
        budget_usd=50.0,
        budget_left_usd=50.0 - total,
    )


def healthy(service: str = "blog-service", **changes: object) -> ServiceHealth:
    values: dict[str, object] = {
        "service": service,
        "up": True,
        "requests_per_second": 12.0,
        "error_rate": 0.0,
        "p95_seconds": 0.05,
    }
    return ServiceHealth.model_validate(values | changes)


def test_scorecard_joins_every_column_of_an_app() -> None:
    (row,) = scorecard(
        [blog_service()],
        [operator_scan(), ci_scan()],
        cost({"blog-service": 12.5, "(untagged)": 7.5}, 20.0),
        [healthy()],
    )
    assert (row.app, row.application, row.sync, row.health) == (
        "blog-service",
        "velero-test",
        "Synced",
        "Healthy",
    )
    # The operator's scan wins over CI's: its totals from the summary, fixable from the list.
    assert row.cve_source == "operator"
    assert (row.critical, row.high, row.fixable_critical, row.fixable_high) == (0, 12, 0, 1)
    assert "1 listed of 27 counted" in row.cve_note
    assert (row.cost_usd, row.cost_share) == (12.5, 0.625)
    assert row.slo == "within" and row.slo_detail == "P95 50 ms, errors 0.00%"
    assert row.state == "attention"
    assert row.reasons == ["fixable vulnerabilities: 0 critical, 1 high"]


def test_scorecard_uses_the_ci_scan_without_an_operator_scan() -> None:
    (row,) = scorecard([blog_service()], [ci_scan()], None, None)
    assert row.cve_source == "ci"
    assert (row.critical, row.fixable_critical, row.high, row.fixable_high) == (1, 1, 0, 0)
    assert "listed of" not in row.cve_note


def test_scorecard_takes_the_newest_scan_of_an_image() -> None:
    older = ci_scan(scanned_at=datetime(2026, 11, 1, tzinfo=UTC))
    newer = ci_scan("trivy-ubi-7-comprehensive", scanned_at=datetime(2026, 11, 20, tzinfo=UTC))
    (row,) = scorecard([blog_service()], [newer, older], None, None)
    assert (row.critical, row.high, row.fixable_high) == (0, 1, 1)  # ubi-7's, not debian's


def test_scorecard_is_ok_on_what_is_known_when_other_panels_failed() -> None:
    (row,) = scorecard([blog_service()], None, None, None)
    assert (row.sync, row.health, row.state, row.reasons) == ("Synced", "Healthy", "ok", [])
    assert row.cve_source == UNKNOWN and row.fixable_critical is None and row.critical is None
    assert row.cost_usd is None and row.cost_share is None
    assert row.slo == UNKNOWN and row.slo_detail == ""


def test_scorecard_of_nothing_is_empty() -> None:
    assert scorecard(None, None, None, None) == []
    assert scorecard([], [], None, []) == []


def test_scorecard_without_argo_cd_lists_the_apps_other_panels_name() -> None:
    rows = scorecard(
        None,
        [ci_scan()],
        cost({"portal": 3.0, "(untagged)": 1.0}, 4.0),
        [healthy("auth-service")],
    )
    assert [r.app for r in rows] == ["auth-service", "blog-service", "portal"]
    assert all(r.sync == UNKNOWN and r.health == UNKNOWN and r.application == "" for r in rows)
    assert rows[0].slo == "within" and rows[1].fixable_critical == 1
    assert rows[2].cost_share == 0.75


def test_scorecard_fails_an_app_whose_service_is_down() -> None:
    down = ServiceHealth(service="blog-service", up=False, detail="connection refused")
    (row,) = scorecard([blog_service()], [], None, [down])
    assert row.slo == "outside" and row.slo_detail == "down: connection refused"
    assert row.state == "failing" and row.reasons == ["service down"]


def test_scorecard_fails_a_degraded_app_or_a_failed_sync() -> None:
    degraded, failed_sync = scorecard(
        [
            blog_service(health_status="Degraded"),
            blog_service(app="portal", name="portal", last_sync_phase="Failed"),
        ],
        [],
        None,
        None,
    )
    assert degraded.state == "failing" and degraded.reasons == ["health Degraded"]
    assert failed_sync.app == "portal" and failed_sync.state == "failing"
    assert failed_sync.reasons == ["last sync Failed"]


def test_scorecard_asks_attention_when_out_of_sync_or_missing_the_slo() -> None:
    (row,) = scorecard(
        [blog_service(sync_status="OutOfSync")], [], None, [healthy(p95_seconds=0.8)]
    )
    assert row.slo == "outside" and row.slo_detail == "P95 800 ms, errors 0.00%"
    assert row.state == "attention"
    assert row.reasons == ["out of sync", "SLO missed (P95 800 ms, errors 0.00%)"]


def test_scorecard_leaves_cost_unknown_when_the_app_has_no_tagged_cost() -> None:
    (row,) = scorecard([blog_service()], [], cost({"portal": 3.0}, 3.0), [healthy("portal")])
    assert row.cost_usd is None and row.cost_share is None
    assert row.slo == UNKNOWN and row.slo_detail == "no live health for this service"
    (free,) = scorecard([blog_service()], [], cost({"blog-service": 0.0}, 0.0), None)
    assert free.cost_usd == 0.0 and free.cost_share is None  # no total to share


def test_score_row_round_trips_through_json() -> None:
    (row,) = scorecard([blog_service()], [operator_scan()], None, [healthy()])
    assert ScoreRow.model_validate_json(row.model_dump_json()) == row
