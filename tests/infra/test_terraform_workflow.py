"""The terraform workflow: pinned actions, least privilege, timeouts, one run per environment,
the dev schedule (apply on working-day mornings, destroy every evening), and zizmor clean.
Each check is also run on a broken copy to prove it can fail."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github/workflows/terraform.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
APPLY_CRON = "45 23 * * 0-4"  # 08:45 KST Monday to Friday
DESTROY_CRON = "45 9 * * *"  # 18:45 KST every day
# zizmor comes from the infra dependency group, next to the interpreter running the tests.
ZIZMOR = Path(sys.executable).parent / "zizmor"


def load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    # YAML 1.1 reads the `on:` key as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def unpinned_actions(path: Path) -> list[str]:
    found = []
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(.+)$", line)
        if match and not PINNED.match(match.group(1).strip()):
            found.append(match.group(1).strip())
    return found


def policy_violations(path: Path) -> list[str]:
    workflow = load(path)
    found = []
    if workflow.get("permissions") != {}:
        found.append("top-level permissions must be {}")
    concurrency = workflow.get("concurrency") or {}
    if not concurrency.get("group") or "cancel-in-progress" not in concurrency:
        found.append("no concurrency group")
    for name, job in workflow["jobs"].items():
        if not isinstance(job.get("timeout-minutes"), int):
            found.append(f"job {name} has no timeout-minutes")
        permissions = job.get("permissions") or {}
        writes = sorted(k for k, v in permissions.items() if v == "write" and k != "id-token")
        if writes:
            found.append(f"job {name} may write {writes}")
        if "environment" in job:
            found.append(f"job {name} uses a GitHub environment (changes the OIDC subject)")
    return found


def schedule_violations(path: Path) -> list[str]:
    workflow = load(path)
    found = []
    crons = [entry["cron"] for entry in workflow["on"].get("schedule", [])]
    if sorted(crons) != sorted([APPLY_CRON, DESTROY_CRON]):
        found.append(f"schedule is {crons}")
    if "workflow_dispatch" not in workflow["on"]:
        found.append("no workflow_dispatch")
    jobs = workflow["jobs"]
    if APPLY_CRON not in str(jobs.get("apply", {}).get("if", "")):
        found.append("apply does not run on the morning schedule")
    destroy = jobs.get("destroy-dev", {})
    if DESTROY_CRON not in str(destroy.get("if", "")):
        found.append("destroy-dev does not run on the evening schedule")
    if destroy.get("env", {}).get("STACK") != "environments/dev":
        found.append("destroy-dev must only ever destroy environments/dev")
    plan_steps = " ".join(str(s.get("run", "")) for s in jobs.get("plan", {}).get("steps", []))
    for command in (
        "terraform fmt -check",
        "terraform init",
        "terraform validate",
        "terraform plan",
    ):
        if command not in plan_steps:
            found.append(f"pull request job does not run {command}")
    return found


def zizmor_findings(path: Path) -> str:
    """zizmor's offline audit; empty when clean."""
    completed = subprocess.run(
        [str(ZIZMOR), "--offline", "--format", "plain", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode in range(0, 20), completed.stderr
    return "" if completed.returncode == 0 else completed.stdout


CHECKS = {
    "pinned": unpinned_actions,
    "policy": policy_violations,
    "schedule": schedule_violations,
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_workflow_passes(check: str) -> None:
    assert CHECKS[check](WORKFLOW) == []


def test_workflow_is_zizmor_clean() -> None:
    assert zizmor_findings(WORKFLOW) == ""


PLANTED = {
    "pinned": (
        "uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2",
        "uses: hashicorp/setup-terraform@v3",
    ),
    "policy": ("      contents: read # check out the code\n", "      contents: write\n"),
    "schedule": ('"45 9 * * *" # 18:45 KST', '"45 9 * * 1-5" # 18:45 KST'),
}


@pytest.mark.parametrize("check", sorted(PLANTED))
def test_workflow_check_fails_on_planted_mistake(check: str, tmp_path: Path) -> None:
    old, new = PLANTED[check]
    broken = tmp_path / "terraform.yml"
    shutil.copyfile(WORKFLOW, broken)
    assert old in broken.read_text()
    broken.write_text(broken.read_text().replace(old, new, 1))

    assert CHECKS[check](broken) != []


def test_zizmor_fails_on_planted_template_injection(tmp_path: Path) -> None:
    broken = tmp_path / "terraform.yml"
    text = WORKFLOW.read_text().replace(
        "        run: terraform validate\n",
        '        run: echo "${{ github.event.pull_request.title }}" && terraform validate\n',
        1,
    )
    broken.write_text(text)

    assert "template-injection" in zizmor_findings(broken)
