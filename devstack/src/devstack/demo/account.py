"""The demo's operator: an account made through auth_service's API, promoted to admin the way
`devstack admin` does it (auth_service's own `promote` command), with a password generated
on every run.

The e-mail and the current password stay in `.data/demo-operator.json` (mode 0600, never in
git), so the next run signs in with the old password and replaces it instead of piling up
accounts.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["DEMO_EMAIL", "PROMOTE_COMMAND", "DemoOperator", "DemoOperatorError", "ensure_operator"]

DEMO_EMAIL = "ops-demo@example.org"
PROMOTE_COMMAND = (sys.executable, "-m", "auth_service.cli", "promote")


class DemoOperatorError(RuntimeError):
    """The demo operator could not be made; the message says what auth_service answered."""


@dataclass(frozen=True)
class DemoOperator:
    email: str
    password: str


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters: within auth_service's 8..128


def ensure_operator(
    auth_url: str,
    auth_env: Mapping[str, str],
    state_file: Path,
    *,
    cwd: Path | None = None,
    promote: Sequence[str] = PROMOTE_COMMAND,
) -> DemoOperator:
    """An admin account with a fresh password: the stored one re-keyed, or a new one."""
    password = new_password()
    with httpx.Client(base_url=auth_url, timeout=30, trust_env=False) as client:
        operator = _rekey(client, _stored(state_file), password) or _register(client, password)
    _save(state_file, operator)
    done = subprocess.run(  # noqa: S603 - our command, the e-mail one argument
        [*promote, operator.email],
        env={**os.environ, **auth_env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DemoOperatorError(f"promoting {operator.email} failed: {done.stdout}{done.stderr}")
    return operator


def _stored(state_file: Path) -> DemoOperator | None:
    try:
        saved = json.loads(state_file.read_text())
        return DemoOperator(str(saved["email"]), str(saved["password"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(state_file: Path, operator: DemoOperator) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"email": operator.email, "password": operator.password}, out)


def _rekey(client: httpx.Client, old: DemoOperator | None, password: str) -> DemoOperator | None:
    """Sign in with the stored password and set the new one; None when that is not possible."""
    if old is None:
        return None
    login = {"user": {"email": old.email, "password": old.password}}
    signed_in = client.post("/api/users/login", json=login)
    if not signed_in.is_success:
        return None  # another database, or the password was changed by hand
    token = signed_in.json()["user"]["token"]
    changed = client.put(
        "/api/user",
        json={"user": {"password": password}},
        headers={"Authorization": f"Token {token}"},
    )
    if not changed.is_success:
        raise DemoOperatorError(f"changing the demo operator's password: {changed.text}")
    return DemoOperator(old.email, password)


def _register(client: httpx.Client, password: str) -> DemoOperator:
    # The plain address first; if someone took it (a lost state file), a suffixed one.
    for email in (DEMO_EMAIL, f"ops-demo-{secrets.token_hex(3)}@example.org"):
        username = email.split("@")[0]
        user = {"username": username, "email": email, "password": password}
        created = client.post("/api/users", json={"user": user})
        if created.is_success:
            return DemoOperator(email, password)
        if created.status_code not in (409, 422):  # anything but "already taken"
            break
    raise DemoOperatorError(f"registering the demo operator: {created.status_code} {created.text}")
