"""checkov on terraform/: no failed check, and every skipped check says why.

checkov runs from its own locked project (tools/checkov) and fully offline: it neither downloads
the registry modules (`--download-external-modules false`: it checks the module calls, such as
CKV_TF_1/CKV_TF_2, and every plain resource, but not the insides of terraform-aws-modules) nor
asks Prisma Cloud for guidelines (`--skip-download`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"


def uv_command() -> list[str]:
    # `uv run` (how make test starts pytest) names itself in UV, even when not on PATH.
    uv = os.environ.get("UV") or shutil.which("uv")
    return [uv] if uv else [sys.executable, "-m", "uv"]


def run_checkov(directory: Path) -> dict[str, Any]:
    """checkov's JSON report for one directory (a missing checkov is an error, not a skip)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_"))}
    completed = subprocess.run(
        [
            *uv_command(),
            "run",
            "--frozen",
            "--project",
            "tools/checkov",
            "checkov",
            "--directory",
            str(directory),
            "--framework",
            "terraform",
            "--download-external-modules",
            "false",
            "--skip-download",
            "--output",
            "json",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # rc 0: all passed, rc 1: some failed; anything else means checkov itself broke.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    assert [r["check_type"] for r in reports] == ["terraform"], reports
    return dict(reports[0])


def failed(report: dict[str, Any]) -> list[str]:
    return sorted(
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    )


def unexplained_skips(report: dict[str, Any]) -> list[str]:
    """Skips without a written reason (`#checkov:skip=CKV_X:<reason>`)."""
    return sorted(
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["skipped_checks"]
        if not has_reason(str(c["check_result"].get("suppress_comment", "")))
    )


def has_reason(comment: str) -> bool:
    # checkov fills in a placeholder when the skip comment has no reason after the check id.
    return len(comment.strip()) >= 15 and comment.strip().lower() != "no comment provided"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return run_checkov(TERRAFORM)


def test_checkov_finds_no_failed_check(report: dict[str, Any]) -> None:
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 50
    assert failed(report) == []


def test_checkov_skips_all_carry_a_reason(report: dict[str, Any]) -> None:
    assert report["results"]["skipped_checks"], "expected the documented skips to be reported"
    assert unexplained_skips(report) == []


def test_checkov_checks_the_module_calls(report: dict[str, Any]) -> None:
    # Registry modules are not downloaded, but their calls are still checked.
    checked = {
        c["resource"] for c in report["results"]["passed_checks"] if c["check_id"] == "CKV_TF_2"
    }
    assert {"module.cluster.eks", "module.cluster.vpc", "rds", "elasticache"} <= checked


def test_checkov_fails_on_planted_mistakes(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    buckets = copy / "bootstrap/buckets.tf"
    text = buckets.read_text()
    # A public bucket, and a skip whose reason was dropped.
    text = text.replace("block_public_acls       = true", "block_public_acls       = false")
    text = text.replace(
        "#checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; notifications would have no subscriber.",
        "#checkov:skip=CKV2_AWS_62",
    )
    buckets.write_text(text)
    # An unencrypted repository.
    ecr = copy / "bootstrap/ecr.tf"
    ecr.write_text(ecr.read_text().replace('encryption_type = "KMS"', 'encryption_type = "AES256"'))

    planted = run_checkov(copy)

    failed_ids = {c["check_id"] for c in planted["results"]["failed_checks"]}
    assert {"CKV_AWS_53", "CKV_AWS_136"} <= failed_ids, failed(planted)
    assert any(s.startswith("CKV2_AWS_62 ") for s in unexplained_skips(planted))
