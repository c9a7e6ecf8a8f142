"""checkov (its own locked environment, tools/checkov) on the built Kustomize trees of gitops/
and on the three Dockerfiles: no failed check, except the ones gitops/.checkov.yaml skips
with a written reason. A broken copy shows that a failed check fails the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "gitops" / ".checkov.yaml"
# gitops/platform/observability has its own checks (tests/infra/test_observability.py).
SCANNED = [
    "gitops/apps",
    "gitops/platform/istio",
    "gitops/platform/namespaces",
    "gitops/platform/data",
    "gitops/platform/secrets",
    "gitops/argocd",
    "auth_service",
    "blog_service",
    "portal",
]


def checkov(folders: list[Path]) -> tuple[int, list[dict[str, Any]]]:
    """Run checkov on `folders`; its exit code and one report per framework and folder."""
    # `uv run` (how make test starts pytest) names itself in UV, even when not on PATH.
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is missing: run `make install` (it also syncs tools/checkov)")
    done = subprocess.run(
        [
            uv,
            "run",
            "--frozen",
            "--project",
            str(REPO_ROOT / "tools" / "checkov"),
            "checkov",
            "--config-file",
            str(CONFIG),
            *(arg for folder in folders for arg in ("-d", str(folder))),
            "--framework",
            "kustomize",
            "dockerfile",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    reports: list[dict[str, Any]] = []
    decoder, text, index = json.JSONDecoder(), done.stdout, 0
    while text[index:].strip():
        index = len(text) - len(text[index:].lstrip())
        value, end = decoder.raw_decode(text, index)
        reports += value if isinstance(value, list) else [value]
        index = end
    assert reports, done.stderr[-2000:]
    return done.returncode, reports


def failures(reports: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (check["check_id"], check["file_path"])
        for report in reports
        for check in report["results"].get("failed_checks", [])
    }


def test_checkov_passes_on_the_manifests_and_dockerfiles() -> None:
    code, reports = checkov([REPO_ROOT / folder for folder in SCANNED])
    assert failures(reports) == set()
    assert code == 0
    kinds = {report["check_type"] for report in reports}
    assert kinds == {"kustomize", "dockerfile"}
    assert all(report["summary"]["parsing_errors"] == 0 for report in reports)
    dockerfiles = {
        r["summary"]["resource_count"] for r in reports if r["check_type"] == "dockerfile"
    }
    assert max(dockerfiles) >= 1


def test_checkov_fails_on_a_privileged_container_and_a_root_image(tmp_path: Path) -> None:
    apps = tmp_path / "gitops" / "apps"
    shutil.copytree(REPO_ROOT / "gitops" / "apps" / "portal", apps / "portal")
    deployment = apps / "portal" / "base" / "deployment.yaml"
    deployment.write_text(
        deployment.read_text()
        .replace("privileged: false", "privileged: true")
        .replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")
    )
    image = tmp_path / "image"
    image.mkdir()
    dockerfile = (REPO_ROOT / "auth_service" / "Dockerfile").read_text()
    (image / "Dockerfile").write_text(
        "\n".join(
            line
            for line in dockerfile.splitlines()
            if not line.startswith(("USER", "HEALTHCHECK", '    CMD ["python"'))
        )
    )

    code, reports = checkov([apps, image])

    found = {check_id for check_id, _ in failures(reports)}
    assert code != 0
    assert {"CKV_K8S_16", "CKV_K8S_20"} <= found  # privileged, privilege escalation
    assert "CKV_DOCKER_2" in found  # no HEALTHCHECK
