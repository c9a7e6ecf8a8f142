"""Where gitops/ is and how its house rules (test_gitops_rules.py) walk it: the apps and
environments, an overlay's folder, the pod spec of every workload, a copy to plant mistakes in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from tests.infra.manifests import Manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
GITOPS = REPO_ROOT / "gitops"
APPS = ("auth-service", "blog-service", "portal")
SERVICES = ("auth-service", "blog-service")
ENVIRONMENTS = ("local", "dev", "prod")
WORKLOADS = {"Deployment", "StatefulSet", "Job", "DaemonSet"}


def overlay(app: str, env: str) -> Path:
    return GITOPS / "apps" / app / "overlays" / env


def pod_specs(objects: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]


def copy_gitops(tmp_path: Path) -> Path:
    target = tmp_path / "gitops"
    shutil.copytree(GITOPS, target, ignore=shutil.ignore_patterns("observability"))
    return target
