"""KubePeer speaks the Kubernetes API paths the portal uses (checked over real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from devstack.peers.kube import KubePeer, merge_patch

from .conftest import APPS_PATH, ARGO_API, TRIVY_API, as_application, as_report


def status_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    assert body["code"] == response.status_code
    return dict(body)


def test_list_applications_has_kubernetes_list_shape(
    kube_peer: KubePeer, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "b-app"))
    kube_peer.add(as_application(roadie_app, "a-app"))
    kube_peer.add(as_application(roadie_app, "elsewhere", namespace="other"))

    body = httpx.get(kube_peer.url + APPS_PATH).json()

    assert body["kind"] == "ApplicationList"
    assert body["apiVersion"] == ARGO_API
    assert body["metadata"]["resourceVersion"] == "3"
    assert [i["metadata"]["name"] for i in body["items"]] == ["a-app", "b-app"]
    assert {i["kind"] for i in body["items"]} == {"Application"}
    assert kube_peer.requests == [("GET", APPS_PATH)]


def test_list_applications_honours_label_selector(
    kube_peer: KubePeer, roadie_app: dict[str, Any]
) -> None:
    for name, app in [("one", "blog-service"), ("two", "portal"), ("three", "blog-service")]:
        obj = as_application(roadie_app, name)
        obj["metadata"]["labels"] = {"app": app, "tier": "web" if name != "three" else "api"}
        kube_peer.add(obj)

    def names(selector: str) -> list[str]:
        response = httpx.get(kube_peer.url + APPS_PATH, params={"labelSelector": selector})
        return [i["metadata"]["name"] for i in response.json()["items"]]

    assert names("app=blog-service") == ["one", "three"]
    assert names("app==blog-service,tier=web") == ["one"]
    assert names("app=none") == []


def test_get_application_and_missing_one(kube_peer: KubePeer, roadie_app: dict[str, Any]) -> None:
    kube_peer.add(as_application(roadie_app, "test-app"))

    found = httpx.get(f"{kube_peer.url}{APPS_PATH}/test-app")
    missing = httpx.get(f"{kube_peer.url}{APPS_PATH}/nope")

    assert found.status_code == 200
    assert found.json()["status"]["sync"]["status"] == "Synced"
    assert missing.status_code == 404
    body = status_of(missing)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'applications.argoproj.io "nope" not found'


def test_merge_patch_updates_object_and_bumps_resource_version(
    kube_peer: KubePeer, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "test-app"))
    patch = {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}, "status": None}

    response = httpx.patch(
        f"{kube_peer.url}{APPS_PATH}/test-app",
        content=json.dumps(patch),
        headers={"Content-Type": "application/merge-patch+json"},
    )

    stored = kube_peer.get(ARGO_API, "Application", "argocd", "test-app")
    assert response.status_code == 200
    assert stored is not None
    assert stored["metadata"]["annotations"] == {"argocd.argoproj.io/refresh": "hard"}
    assert "status" not in stored  # null deletes (RFC 7386)
    assert stored["metadata"]["resourceVersion"] == "2"
    assert stored["spec"] == roadie_app["spec"]


def test_patch_with_stale_resource_version_conflicts(
    kube_peer: KubePeer, roadie_app: dict[str, Any]
) -> None:
    kube_peer.add(as_application(roadie_app, "test-app"))
    patch = {"metadata": {"resourceVersion": "0"}, "operation": {"sync": {}}}

    response = httpx.patch(
        f"{kube_peer.url}{APPS_PATH}/test-app",
        content=json.dumps(patch),
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 409
    assert status_of(response)["reason"] == "Conflict"
    stored = kube_peer.get(ARGO_API, "Application", "argocd", "test-app")
    assert stored is not None and "operation" not in stored


@pytest.mark.parametrize(
    ("content_type", "body", "code"),
    [
        ("application/strategic-merge-patch+json", "{}", 415),
        ("application/json-patch+json", "[]", 415),
        ("application/merge-patch+json", "{not json", 400),
        ("application/merge-patch+json", "[1]", 400),
    ],
)
def test_patch_refuses_other_formats_and_bad_bodies(
    kube_peer: KubePeer, roadie_app: dict[str, Any], content_type: str, body: str, code: int
) -> None:
    kube_peer.add(as_application(roadie_app, "test-app"))

    response = httpx.patch(
        f"{kube_peer.url}{APPS_PATH}/test-app", content=body, headers={"Content-Type": content_type}
    )

    assert response.status_code == code
    status_of(response)


def test_patch_of_missing_application_is_404(kube_peer: KubePeer) -> None:
    response = httpx.patch(
        f"{kube_peer.url}{APPS_PATH}/ghost",
        content="{}",
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 404
    assert status_of(response)["message"] == 'applications "ghost" not found'


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/api/v1/namespaces/default/pods", 404),
        ("GET", "/apis/argoproj.io/v1beta1/namespaces/argocd/applications", 404),
        ("GET", "/apis/apps/v1/namespaces/blog/deployments", 404),
        ("DELETE", APPS_PATH + "/test-app", 405),
        ("POST", APPS_PATH, 405),
        ("PATCH", "/apis/argoproj.io/v1alpha1/applications/test-app", 405),
    ],
)
def test_other_paths_and_methods_answer_a_status(
    kube_peer: KubePeer, method: str, path: str, code: int
) -> None:
    response = httpx.request(method, kube_peer.url + path)

    assert response.status_code == code
    status_of(response)


def test_vulnerability_reports_in_namespace_and_all_namespaces(
    kube_peer: KubePeer, coredns_report: dict[str, Any]
) -> None:
    kube_peer.add(coredns_report)  # as it is: kube-system
    kube_peer.add(as_report(coredns_report, "replicaset-blog-service-1-blog-service"))

    in_blog = httpx.get(
        kube_peer.url + "/apis/aquasecurity.github.io/v1alpha1/namespaces/blog/vulnerabilityreports"
    ).json()
    everywhere = httpx.get(
        kube_peer.url + "/apis/aquasecurity.github.io/v1alpha1/vulnerabilityreports"
    ).json()

    assert in_blog["kind"] == "VulnerabilityReportList"
    assert [i["metadata"]["namespace"] for i in in_blog["items"]] == ["blog"]
    assert sorted(i["metadata"]["namespace"] for i in everywhere["items"]) == [
        "blog",
        "kube-system",
    ]
    assert {i["apiVersion"] for i in everywhere["items"]} == {TRIVY_API}


@pytest.mark.parametrize(
    ("code", "reason"),
    [(401, "Unauthorized"), (403, "Forbidden"), (500, "InternalError"), (599, "Unknown")],
)
def test_fail_status_answers_every_request(kube_peer: KubePeer, code: int, reason: str) -> None:
    kube_peer.fail_status = code

    response = httpx.get(kube_peer.url + APPS_PATH)

    assert response.status_code == code
    assert status_of(response)["reason"] == reason


def test_required_token_refuses_other_tokens(kube_peer: KubePeer) -> None:
    kube_peer.required_token = "right-token"

    wrong = httpx.get(kube_peer.url + APPS_PATH, headers={"Authorization": "Bearer wrong"})
    none = httpx.get(kube_peer.url + APPS_PATH)
    right = httpx.get(kube_peer.url + APPS_PATH, headers={"Authorization": "Bearer right-token"})

    assert (wrong.status_code, none.status_code, right.status_code) == (401, 401, 200)


def test_write_kubeconfig_points_at_peer(kube_peer: KubePeer, tmp_path: Path) -> None:
    generated = yaml.safe_load(kube_peer.write_kubeconfig(tmp_path / "a").read_text())
    given = yaml.safe_load(kube_peer.write_kubeconfig(tmp_path / "b", token="t-1").read_text())
    kube_peer.required_token = "t-2"
    required = yaml.safe_load(kube_peer.write_kubeconfig(tmp_path / "c").read_text())

    assert generated["current-context"] == "kube-peer"
    assert generated["clusters"][0]["cluster"]["server"] == kube_peer.url
    assert len(generated["users"][0]["user"]["token"]) >= 32
    assert given["users"][0]["user"]["token"] == "t-1"
    assert required["users"][0]["user"]["token"] == "t-2"


def test_add_needs_api_version_and_kind(kube_peer: KubePeer, roadie_app: dict[str, Any]) -> None:
    with pytest.raises(KeyError):
        kube_peer.add(roadie_app)  # the REST shape has neither


def test_stop_is_idempotent_and_frees_the_port() -> None:
    peer = KubePeer().start()
    url = peer.url
    peer.stop()
    peer.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(url + APPS_PATH)


def test_merge_patch_follows_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "l": [3], "n": {"x": None}}

    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "l": [3], "n": {}}
    assert merge_patch({"a": 1}, ["x"]) == ["x"]
    assert merge_patch("scalar", {"a": 1}) == {"a": 1}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}  # not changed in place
