"""kube_call: the client built from the settings, and every failure as a reason in words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from devstack.peers.kube import KubePeer
from portal.ops.kube import KubeRequest, kube_call, request_timeout
from portal.ops.panel import SourceError, SourceFailed, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings

from .conftest import MakeSettings

NEED = "get/list on applications.argoproj.io in argocd"


def host_of(api: Any, timeout: KubeRequest) -> str:
    return str(api.configuration.host)


def rewrite_server(kubeconfig: Path, server: str) -> Path:
    """Derived: the peer's kubeconfig pointed at another address."""
    config = json.loads(kubeconfig.read_text())
    config["clusters"][0]["cluster"]["server"] = server
    kubeconfig.write_text(json.dumps(config))
    return kubeconfig


async def test_kube_call_uses_the_kubeconfig_context(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    assert await kube_call(kube_settings(), "x", NEED, host_of) == kube_peer.url
    assert await kube_call(kube_settings(kube_context="kube-peer"), "x", NEED, host_of) == (
        kube_peer.url
    )


async def test_kube_call_with_unknown_context_fails_with_the_file(
    kube_settings: MakeSettings,
) -> None:
    settings = kube_settings(kube_context="production")

    with pytest.raises(SourceFailed) as failed:
        await kube_call(settings, "x", NEED, host_of)

    assert failed.value.reason.startswith(
        f"Kubernetes API (kubeconfig {settings.kubeconfig}): cannot load the configuration:"
    )
    assert "production" in failed.value.reason


async def test_kube_call_with_missing_kubeconfig_file_fails(tmp_path: Path) -> None:
    settings = OpsSettings(kubeconfig=str(tmp_path / "absent"))

    with pytest.raises(SourceFailed, match="cannot load the configuration"):
        await kube_call(settings, "x", NEED, host_of)


async def test_kube_call_in_cluster_outside_a_pod_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment a pod would have is absent here; the loader itself runs for real.
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    with pytest.raises(SourceFailed) as failed:
        await kube_call(OpsSettings(in_cluster=True), "x", NEED, host_of)

    assert failed.value.reason.startswith("Kubernetes API (in-cluster): cannot load")


async def test_kube_call_tls_to_a_plain_http_server_is_unreachable(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    settings = kube_settings()
    https = kube_peer.url.replace("http://", "https://")
    rewrite_server(Path(settings.kubeconfig), https)

    def list_apps(api: Any, timeout: KubeRequest) -> Any:
        from kubernetes import client

        return client.CustomObjectsApi(api).list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications", _request_timeout=timeout
        )

    with pytest.raises(Unreachable) as unreachable:
        await kube_call(settings, "x", NEED, list_apps)

    assert unreachable.value.reason.startswith(f"Kubernetes API at {https}: could not connect (")


async def test_kube_call_unknown_host_is_unreachable(
    kube_peer: KubePeer, kube_settings: MakeSettings
) -> None:
    settings = kube_settings()
    rewrite_server(Path(settings.kubeconfig), "http://kube.invalid:6443")

    def list_apps(api: Any, timeout: KubeRequest) -> Any:
        from kubernetes import client

        return client.CustomObjectsApi(api).list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications", _request_timeout=timeout
        )

    with pytest.raises(
        Unreachable, match=r"^Kubernetes API at http://kube.invalid:6443: could not connect"
    ):
        await kube_call(settings, "x", NEED, list_apps)


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (
            ApiException(status=502, reason="Bad Gateway"),
            SourceFailed,
            "502 Bad Gateway — Bad Gateway",
        ),
        (
            ApiException(status=401, reason="Unauthorized"),
            Unauthorised,
            "401 Unauthorized — the API refused",
        ),
        (ConnectionResetError("reset by peer"), Unreachable, "connection failed (reset by peer)"),
    ],
)
async def test_kube_call_maps_errors_raised_by_the_call(
    kube_settings: MakeSettings,
    kube_peer: KubePeer,
    error: Exception,
    kind: type[SourceError],
    reason: str,
) -> None:
    def fail(api: Any, timeout: KubeRequest) -> Any:
        raise error

    with pytest.raises(kind) as raised:
        await kube_call(kube_settings(), "x", NEED, fail)

    assert raised.value.reason.startswith(f"Kubernetes API at {kube_peer.url}: {reason}")


async def test_kube_call_lets_unknown_errors_and_source_errors_through(
    kube_settings: MakeSettings,
) -> None:
    def broken(api: Any, timeout: KubeRequest) -> Any:
        raise KeyError("a bug")

    def refused(api: Any, timeout: KubeRequest) -> Any:
        raise SourceFailed("decided by the caller")

    with pytest.raises(KeyError):
        await kube_call(kube_settings(), "x", NEED, broken)
    with pytest.raises(SourceFailed, match=r"^decided by the caller$"):
        await kube_call(kube_settings(), "x", NEED, refused)


@pytest.mark.parametrize(
    ("deadline", "expected"), [(3.0, (2.0, 2.4)), (1.0, (0.8, 0.8)), (0.05, (0.1, 0.1))]
)
def test_request_timeout_stays_below_the_panel_deadline(
    deadline: float, expected: tuple[float, float]
) -> None:
    connect, read = request_timeout(OpsSettings(timeout_seconds=deadline))

    assert (connect, read) == pytest.approx(expected)


async def test_kube_call_unwraps_retry_errors_to_their_cause(kube_settings: MakeSettings) -> None:
    # A client configured with retries wraps the cause; with none left it is still a timeout.
    cause = urllib3.exceptions.ReadTimeoutError(None, "/apis", "Read timed out.")  # type: ignore[arg-type]

    def fail(api: Any, timeout: KubeRequest) -> Any:
        raise urllib3.exceptions.MaxRetryError(None, "/apis", cause)  # type: ignore[arg-type]

    with pytest.raises(TimeoutError, match="no answer in time"):
        await kube_call(kube_settings(), "x", NEED, fail)
