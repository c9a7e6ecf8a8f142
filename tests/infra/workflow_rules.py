"""Reading .github/workflows and the house rules every workflow follows (test_workflows.py):
actions pinned by commit SHA with a version comment, least-privilege permissions, timeouts,
concurrency, gitops/** ignored, a Trivy gate on HIGH and CRITICAL, AWS through OIDC only."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v?\d+(\.\d+){0,2}\b")
READ_ONLY = {"read", "none"}

Workflow = dict[str, Any]


def workflow_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def load(path: Path) -> Workflow:
    raw: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in raw:
        raw["on"] = raw.pop(True)
    return raw


def broken_copy(tmp_path: Path, name: str, edit: Any) -> Path:
    """A copy of the workflow folder where `edit(text) -> text` changed one file."""
    folder = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    path = folder / name
    changed = edit(path.read_text())
    assert changed != path.read_text(), "the planted mistake changed nothing"
    path.write_text(changed)
    return folder


def jobs(workflow: Workflow) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = workflow.get("jobs", {})
    return result


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = job.get("steps", [])
    return result


def action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@")[0]


# --- the house rules, each a function that lists what is wrong ----------------------------


def pin_problems(text: str) -> list[str]:
    """Every `uses:` is a full commit SHA with a `# vX.Y.Z` comment (or local / by digest)."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$", line)
        if not match:
            continue
        ref, comment = match.group(1).strip("'\""), match.group(2) or ""
        if ref.startswith("./") or re.fullmatch(r"docker://.+@sha256:[0-9a-f]{64}", ref):
            continue
        if not PINNED.match(ref):
            problems.append(f"line {number}: {ref} is not pinned to a 40-hex commit SHA")
        elif not VERSION_COMMENT.search(comment):
            problems.append(f"line {number}: {ref} has no `# vX.Y.Z` comment")
    return problems


def permission_problems(workflow: Workflow) -> list[str]:
    """Top level grants at most read; every job says what it needs; never write-all."""
    problems = []
    top = workflow.get("permissions")
    if top is None:
        problems.append("no top-level permissions")
    elif not isinstance(top, dict) or not set(top.values()) <= READ_ONLY:
        problems.append(f"top-level permissions grant more than read: {top}")
    for name, job in jobs(workflow).items():
        granted = job.get("permissions")
        if granted is None and "uses" not in job:
            problems.append(f"job {name}: no permissions")
        elif isinstance(granted, str):
            problems.append(f"job {name}: permissions {granted!r} instead of a list of scopes")
    return problems


def timeout_problems(workflow: Workflow) -> list[str]:
    return [
        f"job {name}: no timeout-minutes"
        for name, job in jobs(workflow).items()
        if "uses" not in job and not isinstance(job.get("timeout-minutes"), int)
    ]


def concurrency_problems(workflow: Workflow) -> list[str]:
    if "concurrency" in workflow:
        return []
    return [
        f"job {name}: no concurrency group (and none for the workflow)"
        for name, job in jobs(workflow).items()
        if "concurrency" not in job
    ]


def gitops_loop_problems(workflow: Workflow) -> list[str]:
    """Push and pull-request triggers skip gitops/** (the bump commits), or list own paths."""
    triggers = workflow.get("on", {})
    if not isinstance(triggers, dict):
        triggers = dict.fromkeys([triggers] if isinstance(triggers, str) else triggers)
    problems = []
    for event in ("push", "pull_request", "pull_request_target"):
        if event not in triggers:
            continue
        config = triggers[event] or {}
        if "paths" in config:
            if any(str(path).startswith(("gitops", "**", "*")) for path in config["paths"]):
                problems.append(f"{event}: paths include gitops/")
        elif "gitops/**" not in config.get("paths-ignore", []):
            problems.append(f"{event}: no paths-ignore for gitops/**")
    return problems


def trivy_problems(workflow: Workflow) -> list[str]:
    """A job that builds an image scans it with Trivy, failing on HIGH and CRITICAL."""
    problems = []
    for name, job in jobs(workflow).items():
        if not any(action(step) == "docker/build-push-action" for step in steps(job)):
            continue
        gates = [
            step.get("with", {})
            for step in steps(job)
            if action(step) == "aquasecurity/trivy-action"
            and str(step.get("with", {}).get("exit-code")) == "1"
        ]
        if not gates:
            problems.append(f"job {name}: builds an image but no Trivy step fails the job")
        elif any(set(str(g.get("severity", "")).split(",")) != {"HIGH", "CRITICAL"} for g in gates):
            problems.append(f"job {name}: the Trivy gate is not on HIGH,CRITICAL")
    return problems


def aws_problems(workflow: Workflow, text: str) -> list[str]:
    """AWS only through OIDC: a role to assume, id-token: write, no access keys anywhere."""
    problems = [
        f"static AWS key: {key}"
        for key in ("aws-access-key-id", "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY")
        if key in text
    ]
    for name, job in jobs(workflow).items():
        for step in steps(job):
            if action(step) != "aws-actions/configure-aws-credentials":
                continue
            if "role-to-assume" not in step.get("with", {}):
                problems.append(f"job {name}: configure-aws-credentials without role-to-assume")
            if job.get("permissions", {}).get("id-token") != "write":
                problems.append(f"job {name}: AWS credentials without id-token: write")
    return problems


def structural_problems(folder: Path) -> list[str]:
    problems = []
    for path in workflow_files(folder):
        text = path.read_text()
        workflow = load(path)
        for problem in [
            *pin_problems(text),
            *permission_problems(workflow),
            *timeout_problems(workflow),
            *concurrency_problems(workflow),
            *gitops_loop_problems(workflow),
            *trivy_problems(workflow),
            *aws_problems(workflow, text),
        ]:
            problems.append(f"{path.name}: {problem}")
    return problems
