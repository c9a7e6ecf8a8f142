"""Fixtures shared by the offline infrastructure checks: the repository root and a cached
``kubectl kustomize`` that returns the built objects."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.infra.manifests import KustomizeBuild, Manifest

REPO_ROOT = Path(__file__).resolve().parents[2]

KUBECTL_MISSING = (
    "kubectl is not installed; the GitOps checks build every overlay with `kubectl kustomize`. "
    "Install kubectl (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/, or the "
    "`kubectl` package of the Kubernetes or Google Cloud apt repository) and run the tests again."
)


class KustomizeError(RuntimeError):
    """`kubectl kustomize` refused a folder; the message holds its error output."""


def kubectl() -> str:
    """The kubectl binary, or a test failure that says how to install it."""
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail(KUBECTL_MISSING)
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def kustomize_build() -> KustomizeBuild:
    """Build a Kustomize folder into its objects (cached per folder; callers get a copy)."""
    cache: dict[Path, list[Manifest]] = {}

    def build(folder: Path) -> list[Manifest]:
        folder = folder.resolve()
        if folder not in cache:
            done = subprocess.run(
                [kubectl(), "kustomize", str(folder)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise KustomizeError(f"kubectl kustomize {folder} failed:\n{done.stderr}")
            cache[folder] = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
        return copy.deepcopy(cache[folder])

    return build
