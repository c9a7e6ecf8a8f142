"""Every Kustomize folder of gitops/ (but observability, checked by its own tests) builds,
every built core object passes kubernetes-validate in strict mode, and every custom resource
(Istio, Argo CD, External Secrets) passes its CRD schema. Each check fails on a planted mistake."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
Manifest = dict[str, Any]
KustomizeBuild = Callable[[Path], list[Manifest]]

GITOPS = REPO_ROOT / "gitops"
APPS = ("auth-service", "blog-service", "portal")
ENVIRONMENTS = ("local", "dev", "prod")
# The Kubernetes minor the checks hold the core objects to (EKS runs it; kubernetes-validate
# ships its schemas).
KUBERNETES_VERSION = "1.32.0"
# API groups served by Kubernetes itself; everything else is a custom resource.
CORE_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
}
CRD_VALIDATOR = REPO_ROOT / "tools" / "crd-schemas" / "validate.mjs"
NODE_MISSING = (
    "the CRD schemas are missing: install Node.js 20 and run `make install` "
    "(npm ci --prefix tools/crd-schemas)"
)

TARGETS = [
    *(f"apps/{app}/overlays/{env}" for app in APPS for env in ENVIRONMENTS),
    *(f"platform/istio/overlays/{env}" for env in ENVIRONMENTS),
    "platform/secrets/overlays/dev",
    "platform/secrets/overlays/prod",
    "platform/namespaces",
    "platform/data/local",
    "argocd/dev",
    "argocd/prod",
]


def group_of(obj: Manifest) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.split("/")[0] if "/" in api_version else ""


def core_problems(objects: list[Manifest]) -> list[str]:
    """kubernetes-validate, strict (unknown fields are errors), on every core object."""
    problems = []
    for obj in objects:
        if group_of(obj) not in CORE_GROUPS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            name = f"{obj['kind']}/{obj['metadata']['name']}"
            problems.append(f"{name}: {'/'.join(map(str, exc.path))}: {exc.message}")
    return problems


def crd_problems(objects: list[Manifest]) -> list[str]:
    """Each custom resource against its CRD schema (tools/crd-schemas/validate.mjs)."""
    custom = [obj for obj in objects if group_of(obj) not in CORE_GROUPS]
    if not custom:
        return []
    node = shutil.which("node")
    if node is None or not (CRD_VALIDATOR.parent / "node_modules").is_dir():
        pytest.fail(NODE_MISSING)
    done = subprocess.run(
        [node, str(CRD_VALIDATOR)],
        input=json.dumps(custom),
        capture_output=True,
        text=True,
        check=False,
        cwd=CRD_VALIDATOR.parent,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return [f"{r['object']}: {error}" for r in results for error in r["errors"]]


@pytest.fixture(scope="module")
def built(kustomize_build: KustomizeBuild) -> dict[str, list[Manifest]]:
    return {target: kustomize_build(GITOPS / target) for target in TARGETS}


def copy_gitops(tmp_path: Path) -> Path:
    """A copy of gitops/ to plant a mistake in."""
    target = tmp_path / "gitops"
    shutil.copytree(GITOPS, target, ignore=shutil.ignore_patterns("observability"))
    return target


@pytest.mark.parametrize("target", TARGETS)
def test_kustomize_builds(target: str, built: dict[str, list[Manifest]]) -> None:
    assert built[target], f"{target} built nothing"


def test_every_kustomization_is_a_checked_target() -> None:
    folders = {
        str(path.parent.relative_to(GITOPS))
        for path in GITOPS.rglob("kustomization.yaml")
        if "observability" not in path.parts
    }
    # Bases and the shared project are built through the overlays and root apps.
    covered = set(TARGETS) | {f"apps/{app}/base" for app in APPS}
    covered |= {"platform/istio/base", "platform/secrets/base", "argocd/project"}
    assert folders <= covered, f"not built by the checks: {sorted(folders - covered)}"


def test_kustomize_build_fails_on_a_missing_resource(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    gitops = copy_gitops(tmp_path)
    (gitops / "apps/auth-service/base/hpa.yaml").unlink()
    with pytest.raises(RuntimeError, match=r"hpa\.yaml"):
        kustomize_build(gitops / "apps/auth-service/overlays/dev")


@pytest.mark.parametrize("target", TARGETS)
def test_core_objects_pass_kubernetes_validate_strict(
    target: str, built: dict[str, list[Manifest]]
) -> None:
    assert core_problems(built[target]) == []


@pytest.mark.parametrize(
    ("right", "wrong", "reported"),
    [
        ("revisionHistoryLimit: 5", "revisionHistoryLimits: 5", "revisionHistoryLimits"),
        ("containerPort: 8000", 'containerPort: "eight thousand"', "containerPort"),
    ],
    ids=["misspelt-field", "wrong-type"],
)
def test_kubernetes_validate_finds_a_planted_mistake(
    right: str, wrong: str, reported: str, tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    gitops = copy_gitops(tmp_path)
    deployment = gitops / "apps/blog-service/base/deployment.yaml"
    deployment.write_text(deployment.read_text().replace(right, wrong))
    problems = core_problems(kustomize_build(gitops / "apps/blog-service/overlays/prod"))
    assert any(reported in problem for problem in problems), problems


def test_every_custom_resource_kind_has_a_schema(built: dict[str, list[Manifest]]) -> None:
    problems = [p for objects in built.values() for p in crd_problems(objects)]
    assert not [p for p in problems if p.endswith("no schema")]


@pytest.mark.parametrize("target", TARGETS)
def test_custom_resources_pass_their_crd_schemas(
    target: str, built: dict[str, list[Manifest]]
) -> None:
    assert crd_problems(built[target]) == []


def test_crd_schemas_find_a_misspelt_strict_and_a_missing_destination(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    gitops = copy_gitops(tmp_path)
    peer = gitops / "platform/istio/base/peerauthentication.yaml"
    peer.write_text(peer.read_text().replace("mode: STRICT", "mode: STRCT"))
    services = gitops / "argocd/prod/services.yaml"
    text = services.read_text()
    start = text.index("  destination:\n")
    end = text.index("  syncPolicy:\n", start)
    services.write_text(text[:start] + text[end:])

    mesh = crd_problems(kustomize_build(gitops / "platform/istio/overlays/prod"))
    argocd = crd_problems(kustomize_build(gitops / "argocd/prod"))

    assert any("PeerAuthentication/default" in p and "/spec/mtls/mode" in p for p in mesh), mesh
    assert any("Application/auth-service" in p and "destination" in p for p in argocd), argocd


def test_crd_check_refuses_a_kind_it_has_no_schema_for() -> None:
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert crd_problems([unknown]) == ["example.com/v1/Widget/w: no schema"]
