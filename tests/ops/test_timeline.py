"""The deploy timeline, built from the real Argo CD and Trivy fixtures through the parsers.

Derived (in code, not in the fixtures): the `app` label, the images the ledger recorded per
history entry, and which CI scan belongs to which git SHA.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from portal.ops.argocd.models import AppStatus
from portal.ops.argocd.parse import parse_application
from portal.ops.settings import OpsSettings
from portal.ops.timeline import (
    NOT_RECORDED,
    Deploy,
    ImageChange,
    deploy_timeline,
    split_image,
)
from portal.ops.trivy.models import ImageScan
from portal.ops.trivy.operator import parse_vulnerability_report
from portal.ops.trivy.report import parse_trivy_report

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/blog-service"
SHA_A = "1" * 40
SHA_B = "2" * 40
IMAGE_A, IMAGE_B = f"{REGISTRY}:{SHA_A}", f"{REGISTRY}:{SHA_B}"


def ci_scan(name: str, sha: str) -> ImageScan:
    doc = json.loads((FIXTURES / "trivy" / f"{name}.json").read_text())
    return parse_trivy_report(doc, app="blog-service", git_sha=sha)


def blog_service() -> AppStatus:
    """The real velero-test Application (10 history entries, ids 23..14), derived: labelled
    blog-service, with ledger images B, A, A for ids 23, 22, 21 and none before."""
    doc = yaml.safe_load(
        (FIXTURES / "argocd" / "argo-cd-controller-testdata-diff-cache.yaml").read_text()
    )
    app = parse_application(doc)
    recorded = {23: [IMAGE_B], 22: [IMAGE_A], 21: [IMAGE_A]}
    history = [e.model_copy(update={"images": recorded.get(e.id, [])}) for e in app.history]
    return app.model_copy(update={"app": "blog-service", "history": history})


class Scans:
    """A scan lookup over a dict, counting the calls."""

    def __init__(self, scans: dict[tuple[str, str], ImageScan]) -> None:
        self.scans = scans
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, service: str, sha: str) -> ImageScan | None:
        self.calls.append((service, sha))
        return self.scans.get((service, sha))


def both_scans() -> Scans:
    return Scans(
        {
            ("blog-service", SHA_A): ci_scan("trivy-debian-buster", SHA_A),
            ("blog-service", SHA_B): ci_scan("trivy-ubi-7-comprehensive", SHA_B),
        }
    )


def by_id(deploys: list[Deploy]) -> dict[int, Deploy]:
    return {d.history_id: d for d in deploys}


async def test_deploy_timeline_diffs_the_cves_of_the_old_and_the_new_image() -> None:
    deploys = by_id(await deploy_timeline([blog_service()], both_scans(), OpsSettings()))
    newest = deploys[23]
    assert newest.app == "blog-service" and newest.application == "velero-test"
    assert newest.revision_short == "ea87599"
    assert newest.revision_url.endswith("/commit/ea8759964626a583667a2bfd08f334ec2070040a")
    assert (newest.images_before, newest.images_after) == ([IMAGE_A], [IMAGE_B])
    assert newest.changed_images == [ImageChange(old=IMAGE_A, new=IMAGE_B)]
    # debian-buster -> ubi-7: the CRITICAL goes, the HIGH comes, the shared LOW stays.
    assert [(c.id, c.severity) for c in newest.cve_added] == [("CVE-2022-40897", "HIGH")]
    assert [(c.id, c.severity) for c in newest.cve_removed] == [("CVE-2019-18224", "CRITICAL")]
    assert newest.cve_added[0].package == "setuptools"
    assert newest.cve_known and newest.note == ""
    assert newest.counts_before is not None and newest.counts_after is not None
    assert (newest.counts_before.critical, newest.counts_before.low) == (1, 1)
    assert (newest.counts_after.high, newest.counts_after.critical) == (1, 0)
    assert newest.dashboard_url is None and newest.logs_url is None  # no Grafana set


async def test_deploy_timeline_says_when_the_images_did_not_change() -> None:
    deploys = by_id(await deploy_timeline([blog_service()], both_scans(), OpsSettings()))
    same = deploys[22]
    assert same.changed_images == [] and same.cve_added == [] and same.cve_removed == []
    assert not same.cve_known and same.counts_before is None
    assert "images unchanged" in same.note


async def test_deploy_timeline_says_which_revisions_have_no_recorded_image() -> None:
    deploys = by_id(await deploy_timeline([blog_service()], both_scans(), OpsSettings()))
    assert deploys[21].images_after == [IMAGE_A] and deploys[21].images_before == []
    assert deploys[21].note == "no image recorded for the revision before"
    assert NOT_RECORDED in deploys[20].note and deploys[20].changed_images == []
    assert "the revision before is not in the history" in deploys[14].note
    assert sorted(deploys) == list(range(14, 24))


async def test_deploy_timeline_calls_the_difference_unknown_without_a_scan() -> None:
    scans = Scans({("blog-service", SHA_A): ci_scan("trivy-debian-buster", SHA_A)})
    newest = by_id(await deploy_timeline([blog_service()], scans, OpsSettings()))[23]
    assert not newest.cve_known
    assert newest.note == f"no CI scan for {IMAGE_B}: the CVE difference is unknown"
    assert newest.counts_before is not None and newest.counts_after is None
    assert newest.cve_added == []  # nothing claimed about the new image


async def test_deploy_timeline_looks_each_scan_up_once() -> None:
    scans = both_scans()
    await deploy_timeline([blog_service()], scans, OpsSettings())
    assert sorted(scans.calls) == [("blog-service", SHA_A), ("blog-service", SHA_B)]


async def test_deploy_timeline_marks_a_partial_difference_when_a_scan_is_trimmed() -> None:
    # The real operator report lists 1 vulnerability and counts 27 (derived: served as
    # the new image's scan).
    doc = yaml.safe_load(
        (FIXTURES / "trivy" / "trivy-operator-vulnerabilityreport-coredns.yaml").read_text()
    )
    trimmed = parse_vulnerability_report(doc)
    scans = Scans(
        {
            ("blog-service", SHA_A): ci_scan("trivy-debian-buster", SHA_A),
            ("blog-service", SHA_B): trimmed,
        }
    )
    newest = by_id(await deploy_timeline([blog_service()], scans, OpsSettings()))[23]
    assert "fewer vulnerabilities than it counts" in newest.note
    assert newest.counts_after == trimmed.counts


async def test_deploy_timeline_pairs_images_by_repository() -> None:
    app = blog_service()
    sidecar = "docker.io/library/nginx:1.27"
    history = list(app.history)
    history[0] = history[0].model_copy(update={"images": [IMAGE_B, sidecar]})
    derived = app.model_copy(update={"history": history})
    newest = by_id(await deploy_timeline([derived], both_scans(), OpsSettings()))[23]
    assert newest.changed_images == [
        ImageChange(old=IMAGE_A, new=IMAGE_B),
        ImageChange(old="", new=sidecar),
    ]
    assert f"no CI scan for {sidecar}" in newest.note


async def test_deploy_timeline_orders_deploys_newest_first_across_apps() -> None:
    doc = json.loads((FIXTURES / "argocd" / "roadie-applications-test-app.json").read_text())
    guestbook = parse_application(doc)  # deploys in 2021, velero's in 2024
    deploys = await deploy_timeline([guestbook, blog_service()], both_scans(), OpsSettings())
    times = [d.deployed_at for d in deploys]
    assert len(deploys) == 12
    assert all(t is not None for t in times)
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    assert [d.app for d in deploys[-2:]] == ["test-app", "test-app"]
    assert NOT_RECORDED in deploys[-1].note


async def test_deploy_timeline_links_cover_the_deploy_window() -> None:
    settings = OpsSettings(grafana_url="https://grafana.example.org")
    newest = by_id(await deploy_timeline([blog_service()], both_scans(), settings))[23]
    # The real entry 23 started 07:33:03 and ended 07:33:04 UTC: from 5 min before to 30 after.
    start = datetime(2024, 3, 5, 7, 28, 3, tzinfo=UTC)
    end = datetime(2024, 3, 5, 8, 3, 4, tzinfo=UTC)
    expected = {"from": str(int(start.timestamp() * 1000)), "to": str(int(end.timestamp() * 1000))}
    assert newest.logs_url is not None and newest.dashboard_url is not None
    (panes,) = parse_qs(urlsplit(newest.logs_url).query)["panes"]
    assert json.loads(panes)["a"]["range"] == expected
    dashboard = parse_qs(urlsplit(newest.dashboard_url).query)
    assert dashboard["var-app"] == ["blog-service"] and dashboard["from"] == [expected["from"]]


async def test_deploy_timeline_of_no_apps_is_empty() -> None:
    scans = both_scans()
    assert await deploy_timeline([], scans, OpsSettings()) == []
    assert scans.calls == []


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (IMAGE_A, (REGISTRY, SHA_A)),
        ("registry.local:5000/team/portal:abc1234", ("registry.local:5000/team/portal", "abc1234")),
        ("registry.local:5000/portal", ("registry.local:5000/portal", "")),
        ("nginx", ("nginx", "")),
        ("nginx@sha256:" + "a" * 64, ("nginx", "sha256:" + "a" * 64)),
    ],
)
def test_split_image_separates_repository_and_tag(image: str, expected: tuple[str, str]) -> None:
    assert split_image(image) == expected


def test_deploy_round_trips_through_json() -> None:
    deploy = Deploy(
        app="portal",
        revision="v1.2.0",
        revision_short="v1.2.0",
        deployed_at=datetime(2026, 11, 26, 15, 0).astimezone(),
        changed_images=[ImageChange(old="a:1", new="a:2")],
    )
    assert Deploy.model_validate_json(deploy.model_dump_json()) == deploy
