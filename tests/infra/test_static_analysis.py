"""Static security checks on the Python code (issue 8): bandit, and semgrep with the project's
own rules in tools/semgrep/rules.yml. Both run offline from their own locked projects under
tools/ (`make install` syncs them). Each check also runs on a planted mistake, to prove it
can fail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE = [
    "libs/service_kit/src",
    "auth_service/src",
    "blog_service/src",
    "devstack/src",
    "portal",
    "bench",
]
SEMGREP_RULES = ROOT / "tools" / "semgrep" / "rules.yml"

PLANTED = """
import subprocess

import httpx
import structlog
from sqlalchemy import text

log = structlog.get_logger()


def leak(password: str, refresh_token: str, user_id: int, conn, name: str) -> None:
    log.info("login", password=password)
    log.warning("refresh", refresh_token)
    log.info("fine", user_id=user_id, token_use="access")
    httpx.get("https://example.org", verify=False)
    conn.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
    subprocess.call("ls " + name, shell=True)
"""


def tool(project: str, *args: str) -> subprocess.CompletedProcess[str]:
    # `uv run` (how make test starts pytest) names itself in UV, even when not on PATH.
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is missing: run `make install` (it installs uv and the tool projects)")
    command = [uv, "run", "--frozen", "--quiet", "--project", f"tools/{project}", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def existing(paths: list[str]) -> list[str]:
    return [p for p in paths if (ROOT / p).exists()]


def bandit(*paths: str) -> subprocess.CompletedProcess[str]:
    # Medium severity and up fails; low findings (asserts, subprocess imports) are allowed.
    return tool("bandit", "bandit", "-q", "-r", "--severity-level", "medium", "-f", "json", *paths)


def test_bandit_finds_nothing_of_medium_severity_or_higher() -> None:
    result = bandit(*existing(CODE))
    findings = json.loads(result.stdout)["results"] if result.stdout else []
    assert result.returncode == 0, [
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}" for f in findings
    ] or result.stderr


def test_bandit_fails_on_a_planted_mistake(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(PLANTED)
    result = bandit(str(tmp_path))
    assert result.returncode == 1
    assert "B602" in {f["test_id"] for f in json.loads(result.stdout)["results"]}  # shell=True


def test_semgrep_project_rules_pass_on_the_code_and_fail_on_a_planted_mistake(
    tmp_path: Path,
) -> None:
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "bad.py").write_text(PLANTED)
    # One run for both: semgrep's start-up is most of its time.
    result = tool(
        "semgrep", "semgrep", "scan", "--config", str(SEMGREP_RULES), "--metrics=off",
        "--disable-version-check", "--json", "--quiet", *existing(CODE), str(planted),
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    in_code = [r for r in report["results"] if not r["path"].startswith(str(planted))]
    assert in_code == [], [f"{r['path']}:{r['start']['line']} {r['check_id']}" for r in in_code]
    found = {
        (r["check_id"].rsplit(".", 1)[-1], r["start"]["line"])
        for r in report["results"]
        if r["path"].startswith(str(planted))
    }
    assert found == {
        ("secret-in-log-call", 12),
        ("secret-in-log-call", 13),
        ("tls-verification-disabled", 15),
        ("sql-built-from-strings", 16),
    }
