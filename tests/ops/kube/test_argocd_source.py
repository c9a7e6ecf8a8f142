"""ArgoCDSource through the real `kubernetes` client against a KubePeer."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devstack.peers.kube import KubePeer
from portal.ops.argocd.ledger import ImageLedger
from portal.ops.argocd.models import AppStatus
from portal.ops.argocd.source import ArgoCDSource, SyncRefused
from portal.ops.audit import AuditLog
from portal.ops.cache import PanelCache
from portal.ops.loader import PanelSpec, load_panel
from portal.ops.panel import NotConfigured, PanelStatus, SourceFailed, Unauthorised
from portal.ops.settings import OpsSettings

from .conftest import APPS_PATH, ARGO_API, MakeSettings, as_application

GUESTBOOK_SHA = "53e28ff20cc530b9ada2173fbbd64d48338583ba"


def stored(peer: KubePeer, name: str) -> dict[str, Any]:
    obj = peer.get(ARGO_API, "Application", "argocd", name)
    assert obj is not None
    return obj


def spec_for(source: ArgoCDSource) -> PanelSpec:
    return PanelSpec("argocd", source.applications, list[AppStatus], 30.0)


async def test_applications_lists_the_argocd_namespace_by_name(
    kube_peer: KubePeer,
    kube_settings: MakeSettings,
    roadie_app: dict[str, Any],
    velero_app: dict[str, Any],
) -> None:
    kube_peer.required_token = "token-for-this-test"  # the kubeconfig's token must be sent
    kube_peer.add(as_application(velero_app, "velero-test"))
    kube_peer.add(as_application(roadie_app, "blog-service"))
    kube_peer.add(as_application(roadie_app, "elsewhere", namespace="default"))

    apps = await ArgoCDSource(kube_settings()).applications()

    assert [a.name for a in apps] == ["blog-service", "velero-test"]
    assert apps[0].revision == GUESTBOOK_SHA
    assert apps[1].revision == "rev1"
    assert len(apps[1].history) == 10
    assert kube_peer.requests == [("GET", APPS_PATH)]


async def test_applications_in_another_namespace_setting(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "in-argo-cd", namespace="argo-cd"))
    kube_peer.add(as_application(roadie_app, "in-argocd"))

    apps = await ArgoCDSource(kube_settings(argocd_namespace="argo-cd")).applications()

    assert [a.name for a in apps] == ["in-argo-cd"]


async def test_applications_panel_is_ok_through_the_loader(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))

    panel = await load_panel(spec_for(ArgoCDSource(kube_settings())), PanelCache(), timeout=2.0)

    assert panel.status is PanelStatus.OK
    assert [a.revision_short for a in panel.data or []] == ["53e28ff"]


async def test_refresh_sets_the_annotation_and_audits(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))
    audit = AuditLog()
    source = ArgoCDSource(kube_settings(), audit=audit)

    await source.refresh("blog-service", actor="ada")
    first = stored(kube_peer, "blog-service")["metadata"]["annotations"]
    await source.refresh("blog-service", hard=True, actor="grace")
    second = stored(kube_peer, "blog-service")["metadata"]["annotations"]

    assert first == {"argocd.argoproj.io/refresh": "normal"}
    assert second == {"argocd.argoproj.io/refresh": "hard"}
    path = f"{APPS_PATH}/blog-service"
    assert kube_peer.requests == [("PATCH", path), ("PATCH", path)]
    entries = await audit.recent()
    assert [(e.actor, e.action, e.target, e.outcome) for e in entries] == [
        ("grace", "hard_refresh", "argocd/blog-service", "requested"),
        ("ada", "refresh", "argocd/blog-service", "requested"),
    ]
    assert entries[0].detail == "argocd.argoproj.io/refresh=hard"


async def test_refresh_of_missing_app_fails_and_is_audited(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    audit = AuditLog()

    with pytest.raises(SourceFailed) as failed:
        await ArgoCDSource(kube_settings(), audit=audit).refresh("ghost", actor="ada")

    assert failed.value.reason == (
        f'Kubernetes API at {kube_peer.url}: 404 Not Found — applications "ghost" not found'
    )
    [entry] = await audit.recent()
    assert (entry.actor, entry.action, entry.outcome) == ("ada", "refresh", "failed")
    assert entry.detail == failed.value.reason


async def test_sync_sets_the_documented_operation(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))
    audit = AuditLog()

    await ArgoCDSource(kube_settings(), audit=audit).sync("blog-service", actor="ada")

    assert stored(kube_peer, "blog-service")["operation"] == {
        "sync": {"revision": "HEAD", "syncStrategy": {"hook": {}}},
        "initiatedBy": {"username": "ada"},
    }
    path = f"{APPS_PATH}/blog-service"
    assert kube_peer.requests == [("GET", path), ("PATCH", path)]
    [entry] = await audit.recent()
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (
        "ada",
        "sync",
        "argocd/blog-service",
        "requested",
    )
    assert entry.detail == "revision 'HEAD'"


async def test_sync_of_multi_source_app_sends_every_revision(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    derived = as_application(roadie_app, "multi")  # derived: chart + git values
    derived["spec"].pop("source")
    derived["spec"]["sources"] = [
        {"repoURL": "https://charts.example.com", "chart": "guestbook", "targetRevision": "1.2.0"},
        {"repoURL": "https://github.com/example/gitops.git", "ref": "values"},
    ]
    kube_peer.add(derived)

    await ArgoCDSource(kube_settings(), audit=AuditLog()).sync("multi", actor="ada")

    assert stored(kube_peer, "multi")["operation"]["sync"] == {
        "revisions": ["1.2.0", ""],
        "syncStrategy": {"hook": {}},
    }


async def test_sync_is_refused_while_an_operation_runs(
    kube_peer: KubePeer, kube_settings: MakeSettings, velero_app: dict[str, Any]
) -> None:
    derived = as_application(velero_app, "velero-test")  # derived: a sync under way
    derived["status"]["operationState"]["phase"] = "Running"
    kube_peer.add(derived)
    audit = AuditLog()

    with pytest.raises(SyncRefused) as refused:
        await ArgoCDSource(kube_settings(), audit=audit).sync("velero-test", actor="ada")

    assert refused.value.reason == (
        "A sync of velero-test is already under way (Running); wait for it to finish."
    )
    assert "operation" not in stored(kube_peer, "velero-test")
    assert [m for m, _ in kube_peer.requests] == ["GET"]
    [entry] = await audit.recent()
    assert (entry.outcome, entry.detail) == ("refused", refused.value.reason)


async def test_second_sync_is_refused_until_argo_cd_takes_the_first(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))
    source = ArgoCDSource(kube_settings(), audit=AuditLog())
    await source.sync("blog-service", actor="ada")

    with pytest.raises(SyncRefused, match=r"already under way \(Succeeded\)"):
        await source.sync("blog-service", actor="grace")

    assert stored(kube_peer, "blog-service")["operation"]["initiatedBy"] == {"username": "ada"}


async def test_sync_failure_is_audited_with_the_reason(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))
    kube_peer.fail_status = 403
    audit = AuditLog()

    with pytest.raises(Unauthorised) as denied:
        await ArgoCDSource(kube_settings(), audit=audit).sync("blog-service", actor="ada")

    [entry] = await audit.recent()
    assert (entry.action, entry.outcome, entry.detail) == ("sync", "failed", denied.value.reason)


async def test_sync_timeout_is_audited_and_stays_a_timeout(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))
    kube_peer.delay_seconds = 0.6
    audit = AuditLog()

    with pytest.raises(TimeoutError):
        await ArgoCDSource(kube_settings(timeout_seconds=0.3), audit=audit).sync(
            "blog-service", actor="ada"
        )

    [entry] = await audit.recent()
    assert (entry.outcome, entry.detail.startswith("no answer in time")) == ("failed", True)


async def test_wrong_token_is_unauthorised(
    kube_peer: KubePeer, kube_settings: MakeSettings, tmp_path: Any
) -> None:
    settings = kube_settings()
    kube_peer.required_token = "the-real-token"  # the kubeconfig carries another one

    with pytest.raises(Unauthorised) as refused:
        await ArgoCDSource(settings).applications()

    assert refused.value.reason.startswith(f"Kubernetes API at {kube_peer.url}: 401 Unauthorized")


async def test_forbidden_names_the_rbac_needed(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    kube_peer.fail_status = 403

    panel = await load_panel(spec_for(ArgoCDSource(kube_settings())), PanelCache(), timeout=2.0)

    assert panel.status is PanelStatus.UNAUTHORISED
    assert panel.reason == (
        f"Kubernetes API at {kube_peer.url}: 403 Forbidden — the portal's service account "
        "needs get/list on applications.argoproj.io in argocd."
    )


async def test_server_error_is_a_failed_panel_with_the_status_message(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    kube_peer.fail_status = 500

    panel = await load_panel(spec_for(ArgoCDSource(kube_settings())), PanelCache(), timeout=2.0)

    assert panel.status is PanelStatus.FAILED
    assert panel.reason == (
        f"Kubernetes API at {kube_peer.url}: 500 Internal Server Error — failure set on the peer"
    )


async def test_closed_port_is_unreachable(tmp_path: Any) -> None:
    with KubePeer() as gone:
        kubeconfig = gone.write_kubeconfig(tmp_path / "kubeconfig")
        url = gone.url
    settings = OpsSettings(kubeconfig=str(kubeconfig))

    panel = await load_panel(spec_for(ArgoCDSource(settings)), PanelCache(), timeout=2.0)

    assert panel.status is PanelStatus.UNREACHABLE
    assert panel.reason.startswith(f"Kubernetes API at {url}: could not connect")


async def test_slow_api_times_the_panel_out_and_keeps_the_last_answer(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "blog-service"))
    source = ArgoCDSource(kube_settings(timeout_seconds=0.3))
    cache = PanelCache()
    first = await load_panel(spec_for(source), cache, timeout=0.3)
    kube_peer.delay_seconds = 1.0

    slow = await load_panel(spec_for(source), cache, timeout=0.3, force=True)

    assert first.status is PanelStatus.OK
    assert slow.status is PanelStatus.TIMED_OUT
    assert slow.reason == "No answer within 0.3 s."
    assert slow.stale_since == first.fetched_at
    assert [a.name for a in slow.data or []] == ["blog-service"]


async def test_slow_api_raises_timeout_from_the_client_deadline(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    kube_peer.delay_seconds = 0.6

    with pytest.raises(TimeoutError, match="no answer in time"):
        await ArgoCDSource(kube_settings(timeout_seconds=0.3)).applications()


async def test_not_configured_names_the_settings() -> None:
    source = ArgoCDSource(OpsSettings())

    with pytest.raises(NotConfigured) as missing:
        await source.applications()
    panel = await load_panel(spec_for(source), PanelCache(), timeout=1.0)

    expected = (
        "Argo CD (through the Kubernetes API) is not configured: "
        "set PORTAL_KUBECONFIG or an in-cluster service account."
    )
    assert missing.value.reason == expected
    assert (panel.status, panel.reason) == (PanelStatus.NOT_CONFIGURED, expected)
    with pytest.raises(NotConfigured):
        await source.refresh("blog-service", actor="ada")


def _next_deploy(app: dict[str, Any], revision: str, image: str) -> dict[str, Any]:
    """Derived: the app after one more deployment of `revision` running `image`."""
    derived = copy.deepcopy(app)
    status = derived["status"]
    latest = copy.deepcopy(status["history"][-1])
    latest["id"] += 1
    latest["revision"] = revision
    latest["deployedAt"] = "2021-08-12T09:00:00Z"
    status["history"].append(latest)
    status["sync"]["revision"] = revision
    status["summary"]["images"] = [image]
    return derived


async def _two_reads(
    peer: KubePeer,
    settings: OpsSettings,
    app: dict[str, Any],
    first: ImageLedger,
    second: ImageLedger,
) -> AppStatus:
    peer.add(as_application(app, "blog-service"))
    await ArgoCDSource(settings, ledger=first).applications()
    peer.add(as_application(_next_deploy(app, "f" * 40, "ghcr.io/x/blog:f"), "blog-service"))
    [seen] = await ArgoCDSource(settings, ledger=second).applications()
    return seen


async def test_ledger_fills_history_images_across_reads(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    ledger = ImageLedger()

    app = await _two_reads(kube_peer, kube_settings(), roadie_app, ledger, ledger)

    assert [(h.id, h.revision[:7], h.images) for h in app.history] == [
        (2, "fffffff", ["ghcr.io/x/blog:f"]),
        (1, "53e28ff", ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]),
        (0, "53e28ff", ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]),
    ]


async def test_ledger_in_redis_is_shared_between_portals(
    kube_peer: KubePeer,
    kube_settings: MakeSettings,
    roadie_app: dict[str, Any],
    ops_redis_url: str,
) -> None:
    first, second = ImageLedger(ops_redis_url), ImageLedger(ops_redis_url)
    try:
        app = await _two_reads(kube_peer, kube_settings(), roadie_app, first, second)
    finally:
        await first.close()
        await second.close()

    # The second portal never saw 53e28ff itself: its images came from Redis.
    assert app.history[1].images == ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]
    assert app.history[0].images == ["ghcr.io/x/blog:f"]


async def test_ledger_leaves_unseen_revisions_empty(
    kube_peer: KubePeer, kube_settings: MakeSettings, roadie_app: dict[str, Any]
) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: the oldest entry ran another revision
    derived["status"]["history"][0]["revision"] = "0" * 40
    kube_peer.add(as_application(derived, "blog-service"))

    [app] = await ArgoCDSource(kube_settings()).applications()

    assert [h.images for h in app.history] == [["gcr.io/heptio-images/ks-guestbook-demo:0.2"], []]
