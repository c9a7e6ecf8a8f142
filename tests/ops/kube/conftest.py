"""The Kubernetes side of the ops dashboard: a real KubePeer per test and the real fixtures.

Objects come from the real files in tests/ops/fixtures; tests derive variants from them in
code (each derived case says so) instead of writing long literal blobs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.peers.kube import KubePeer
from portal.ops.settings import OpsSettings

FIXTURES = Path(__file__).parent.parent / "fixtures"
ARGO_API = "argoproj.io/v1alpha1"
TRIVY_API = "aquasecurity.github.io/v1alpha1"
APPS_PATH = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
REPORTS_PATH = "/apis/aquasecurity.github.io/v1alpha1/namespaces/blog/vulnerabilityreports"

MakeSettings = Callable[..., OpsSettings]


def _load(relative: str) -> dict[str, Any]:
    path = FIXTURES / relative
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.fixture
def velero_app() -> dict[str, Any]:
    """Argo CD's own controller test Application (CR layout, 10 history entries, rev1)."""
    return _load("argocd/argo-cd-controller-testdata-diff-cache.yaml")


@pytest.fixture
def roadie_app() -> dict[str, Any]:
    """An Application as Argo CD's REST API returns it (no apiVersion/kind)."""
    return _load("argocd/roadie-applications-test-app.json")


@pytest.fixture
def coredns_report() -> dict[str, Any]:
    """trivy-operator's VulnerabilityReport fixture (lists 1 vulnerability, counts 27)."""
    return _load("trivy/trivy-operator-vulnerabilityreport-coredns.yaml")


def as_application(obj: dict[str, Any], name: str, namespace: str = "argocd") -> dict[str, Any]:
    """Derived: `obj` as a custom resource the peer can hold, renamed into `namespace`."""
    derived = copy.deepcopy(obj)
    derived["apiVersion"], derived["kind"] = ARGO_API, "Application"
    derived["metadata"]["name"], derived["metadata"]["namespace"] = name, namespace
    return derived


def as_report(obj: dict[str, Any], name: str, namespace: str = "blog") -> dict[str, Any]:
    derived = copy.deepcopy(obj)
    derived["metadata"]["name"], derived["metadata"]["namespace"] = name, namespace
    return derived


@pytest.fixture
def kube_peer() -> Iterator[KubePeer]:
    with KubePeer() as peer:
        yield peer


@pytest.fixture
def kube_settings(kube_peer: KubePeer, tmp_path: Path) -> MakeSettings:
    """OpsSettings whose kubeconfig (written in tmp_path) points at the test's peer."""

    def make(**overrides: Any) -> OpsSettings:
        kubeconfig = kube_peer.write_kubeconfig(tmp_path / "kubeconfig")
        settings = OpsSettings(kubeconfig=str(kubeconfig), timeout_seconds=2.0)
        return replace(settings, **overrides)

    return make
