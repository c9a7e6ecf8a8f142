"""Offline checks of every workflow in .github/workflows.

Real tools: actionlint (rhysd/actionlint as WebAssembly, tools/actionlint), zizmor (offline,
default "regular" persona) and checkov (its own project in tools/checkov). Then the house
rules as structural checks: actions pinned by commit SHA with a version comment, declared
least-privilege permissions, timeouts, concurrency, gitops/** ignored by code workflows,
Trivy failing on HIGH and CRITICAL, AWS through OIDC only. Each check also runs once on a
broken copy to prove that it can fail. The checks are generic: they hold for every file in
the folder, whoever adds it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / "tools" / "actionlint" / "node_modules" / "@tktco" / "node-actionlint"
CHECKOV = ROOT / "tools" / "checkov" / ".venv" / "bin" / "checkov"
SERVICES = {
    "auth-service": "auth_service/Dockerfile",
    "blog-service": "blog_service/Dockerfile",
    "portal": "portal/Dockerfile",
}
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v?\d+(\.\d+){0,2}\b")
READ_ONLY = {"read", "none"}
# Workflows checkov cannot read, each with the reason. checkov checks a file against its own
# workflow schema first and skips, without a word, one that does not match; its schema wants
# a literal boolean for `cancel-in-progress`, where GitHub also takes an expression.
CHECKOV_UNSCANNED: dict[str, str] = {}

Workflow = dict[str, Any]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=180, check=False)


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


# --- the tools ---------------------------------------------------------------------------


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


# --- tests: the real folder passes, a broken copy fails ----------------------------------


def test_there_are_workflows_for_code_and_delivery() -> None:
    names = {path.name for path in workflow_files(WORKFLOWS)}
    assert {"ci.yml", "deliver.yml"} <= names


def test_actionlint_finds_nothing() -> None:
    result = actionlint(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_on_an_unknown_expression(tmp_path: Path) -> None:
    folder = broken_copy(
        tmp_path,
        "deliver.yml",
        lambda t: t.replace("${{ matrix.service }}", "${{ matrix.app }}", 1),
    )
    result = actionlint(folder)
    assert result.returncode == 1
    assert 'property "app" is not defined' in result.stdout


def test_zizmor_finds_nothing() -> None:
    code, findings = zizmor(WORKFLOWS)
    assert findings == []
    assert code == 0


def test_zizmor_fails_on_template_injection_and_persisted_credentials(tmp_path: Path) -> None:
    def plant(text: str) -> str:
        text = text.replace("        with:\n          persist-credentials: false\n", "", 1)
        return text.replace(
            'git diff --stat\n', 'git diff --stat\n          echo "${{ github.event.head_commit.message }}"\n'
        )  # fmt: skip

    code, findings = zizmor(broken_copy(tmp_path, "deliver.yml", plant))
    assert code != 0
    assert {"template-injection", "artipacked"} <= {finding["ident"] for finding in findings}


def scanned_files(report: dict[str, Any]) -> set[str]:
    results = report["results"]
    checks = [*results.get("passed_checks", []), *results.get("failed_checks", [])]
    return {Path(check["file_path"]).name for check in checks}


def test_checkov_fails_no_check_unless_skipped_with_a_reason() -> None:
    report = checkov(WORKFLOWS)
    assert report["summary"]["parsing_errors"] == 0
    # checkov skips, without a word, a file that does not match its workflow schema.
    unscanned = {path.name for path in workflow_files(WORKFLOWS)} - scanned_files(report)
    assert unscanned == set(CHECKOV_UNSCANNED) & {p.name for p in workflow_files(WORKFLOWS)}
    assert [c["check_id"] for c in report["results"].get("failed_checks", [])] == []
    for skipped in report["results"].get("skipped_checks", []):
        assert skipped.get("check_result", {}).get("suppress_comment"), skipped["check_id"]


def test_checkov_fails_on_write_all_and_unsecure_commands_and_sees_a_skipped_file(
    tmp_path: Path,
) -> None:
    def plant(text: str) -> str:
        text = text.replace("permissions: {}", "permissions: write-all", 1)
        # The job's env (the first `env:` at job level), not a service container's.
        return text.replace(
            "\n    env:\n", '\n    env:\n      ACTIONS_ALLOW_UNSECURE_COMMANDS: "true"\n', 1
        )

    folder = broken_copy(tmp_path, "ci.yml", plant)
    deliver = folder / "deliver.yml"
    text = deliver.read_text()
    deliver.write_text(
        text.replace("cancel-in-progress: false", "cancel-in-progress: ${{ false }}")
    )
    report = checkov(folder)
    failed = {check["check_id"] for check in report["results"]["failed_checks"]}
    assert {"CKV2_GHA_1", "CKV_GHA_1"} <= failed
    assert "deliver.yml" not in scanned_files(report)


def test_workflows_follow_the_house_rules() -> None:
    assert structural_problems(WORKFLOWS) == []


@pytest.mark.parametrize(
    ("name", "old", "new", "problem"),
    [
        (
            "ci.yml",
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@v4",
            "actions/checkout@v4 is not pinned to a 40-hex commit SHA",
        ),
        (
            "deliver.yml",
            "@263435318d21b8e681c14492fe198d362a7d2c83 # v6.18.0",
            "@263435318d21b8e681c14492fe198d362a7d2c83",
            "docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83 has no `# vX.Y.Z`",
        ),
        ("ci.yml", "permissions: {}", "permissions: write-all", "ci.yml: top-level permissions"),
        ("ci.yml", "    permissions:\n      contents: read\n", "", "ci.yml: job test: no permissions"),
        ("deliver.yml", "    timeout-minutes: 5\n", "", "deliver.yml: job bump: no timeout-minutes"),
        ("ci.yml", "\nconcurrency:\n", "\nx-concurrency:\n", "ci.yml: job test: no concurrency"),
        ("deliver.yml", 'paths-ignore: ["gitops/**"]', "branches-ignore: [gh-pages]", "deliver.yml: push: no paths-ignore"),
        ("ci.yml", '  pull_request:\n    paths-ignore: ["gitops/**"]', "  pull_request:", "ci.yml: pull_request: no paths-ignore"),
        ("deliver.yml", 'exit-code: "1"', 'exit-code: "0"', "deliver.yml: job image: builds an image but no Trivy"),
        ("deliver.yml", "severity: HIGH,CRITICAL", "severity: CRITICAL", "deliver.yml: job image: the Trivy gate"),
        ("deliver.yml", "      id-token: write # the OIDC token for configure-aws-credentials\n", "", "deliver.yml: job image: AWS credentials without id-token"),
        (
            "deliver.yml",
            "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}",
            "aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}",
            "deliver.yml: static AWS key: aws-access-key-id",
        ),
    ],
)  # fmt: skip
def test_structural_check_finds_a_planted_mistake(
    tmp_path: Path, name: str, old: str, new: str, problem: str
) -> None:
    folder = broken_copy(tmp_path, name, lambda text: text.replace(old, new, 1))
    problems = structural_problems(folder)
    assert any(problem in found for found in problems), problems


# --- what the pipeline itself must do ----------------------------------------------------


def test_ci_runs_lint_types_and_tests_on_postgres_and_redis() -> None:
    workflow = load(WORKFLOWS / "ci.yml")
    triggers = workflow["on"]
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = jobs(workflow).values()
    assert {"postgres", "redis"} <= set(job["services"])
    assert job["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert job["env"]["TEST_REDIS_URL"].startswith("redis://")
    commands = [step.get("run", "") for step in steps(job)]
    # `make test` is lint, typecheck and unit; the workflow runs them as separate steps.
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: lint typecheck unit$", makefile, re.MULTILINE)
    assert {"make lint", "make typecheck", "make unit"} <= set(commands)
    assert "--cov" in makefile
    coverage = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]
    assert coverage["report"]["fail_under"] >= 90


def test_deliver_builds_scans_and_pushes_each_service() -> None:
    workflow = load(WORKFLOWS / "deliver.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    image = jobs(workflow)["image"]
    matrix = {
        entry["service"]: entry["dockerfile"] for entry in image["strategy"]["matrix"]["include"]
    }
    assert matrix == SERVICES
    assert all((ROOT / dockerfile).is_file() for dockerfile in matrix.values())
    names = [action(step) for step in steps(image)]
    # Trivy sees no AWS credentials; nothing is pushed before the gate.
    assert names.index("aquasecurity/trivy-action") < names.index(
        "aws-actions/configure-aws-credentials"
    )
    text = (WORKFLOWS / "deliver.yml").read_text()
    assert "s3://$BUCKET/trivy/$SERVICE/$GITHUB_SHA.json" in text
    assert '"$REGISTRY/blog-platform/$SERVICE:$GITHUB_SHA"' in text
    report = next(s for s in steps(image) if s.get("id") == "report")["with"]
    assert (report["format"], report["output"]) == ("json", "${{ env.REPORT }}")


def test_deliver_bumps_the_dev_overlays_that_exist() -> None:
    workflow = load(WORKFLOWS / "deliver.yml")
    bump = jobs(workflow)["bump"]
    assert bump["needs"] == "image"
    assert bump["permissions"] == {"contents": "write"}
    script = "\n".join(step.get("run", "") for step in steps(bump))
    assert "kustomize edit set image" in script
    assert "gitops/apps/$service/overlays/dev" in script
    for service in SERVICES:
        assert f" {service}" in script.split("for service in")[1].splitlines()[0]
        overlay = ROOT / "gitops" / "apps" / service / "overlays" / "dev" / "kustomization.yaml"
        images = yaml.safe_load(overlay.read_text())["images"]
        assert f"blog-platform/{service}" in [image["name"] for image in images]
