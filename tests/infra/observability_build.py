"""Building gitops/platform/observability for its checks (test_observability.py): the
commands they need (kubectl, promtool) with a message that says what to install, the built
objects, a copy to plant mistakes in, and the schema check of every object."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "gitops" / "platform" / "observability"
APPS = ROOT / "gitops" / "apps"
SERVICES = ("auth-service", "blog-service", "portal")
KUBERNETES_VERSION = "1.32.0"
CRD_VALIDATOR = ROOT / "tools" / "crd-schemas" / "validate.mjs"
# Custom resources no package in tools/crd-schemas has a schema for yet.
NO_CRD_SCHEMA: set[str] = set()


def tool(name: str, package: str) -> str:
    """The path of a command the check needs; a missing one fails and says what to install."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is missing: install the `{package}` package (kubectl: from the Kubernetes "
            "apt repository; promtool: Debian's `prometheus`) and run the tests again"
        )
    return path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def kustomize(folder: Path) -> list[dict[str, Any]]:
    result = run(tool("kubectl", "kubectl"), "kustomize", str(folder))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def broken_copy(tmp_path: Path) -> Path:
    """A copy of the observability folder to plant one mistake in."""
    target = tmp_path / "observability"
    shutil.copytree(OBS, target)
    return target


def schema_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Core objects through kubernetes-validate (strict), custom ones through their CRD schema."""
    problems = []
    custom = []
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        if "/" in obj["apiVersion"]:
            custom.append(obj)
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{name}: {'/'.join(map(str, exc.path))}: {exc.message}")
    node = shutil.which("node")
    if node is None or not (CRD_VALIDATOR.parent / "node_modules").is_dir():
        pytest.fail("the CRD schemas are missing: install Node.js 20 and run `make install`")
    result = subprocess.run(
        [node, str(CRD_VALIDATOR)],
        input=json.dumps(custom),
        capture_output=True,
        text=True,
        check=False,
        cwd=CRD_VALIDATOR.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for entry in json.loads(result.stdout):
        kind = entry["object"].split("/")[-2]
        if entry["errors"] == ["no schema"] and kind in NO_CRD_SCHEMA:
            continue
        problems.extend(f"{entry['object']}: {error}" for error in entry["errors"])
    return problems
