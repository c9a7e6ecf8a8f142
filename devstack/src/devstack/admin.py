"""`devstack admin EMAIL`: promote a user to admin on the local stack.

It runs auth_service's own command with the auth process's environment, so it reaches the same
database `devstack up` uses; the embedded PostgreSQL is started for it only if it is not running.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TextIO

from devstack.keys import ensure_signing_key
from devstack.routes import AUTH_SERVICE
from devstack.stack import Servers, StackConfig, TableFactory, process_table, say

__all__ = ["PROMOTE_COMMAND", "admin"]

PROMOTE_COMMAND = (sys.executable, "-m", "auth_service.cli", "promote")


def admin(
    config: StackConfig,
    email: str,
    *,
    table: TableFactory = process_table,
    promote: Sequence[str] = PROMOTE_COMMAND,
    out: TextIO | None = None,
) -> int:
    """Promote `email` to admin, starting the embedded PostgreSQL for it if it is not running."""
    out = out if out is not None else sys.stdout
    ensure_signing_key(config.keys_dir)
    with ExitStack() as stack:
        database_url = config.database_url
        if database_url is None:
            pg = config.embedded_postgres()
            if not pg.is_running:  # else `devstack up` owns it: use it, leave it running
                say(out, "==> starting PostgreSQL (embedded, .data/postgres) for this command")
                stack.enter_context(pg)
            database_url = pg.url()
        redis_url = config.redis_url or config.embedded_redis().url()
        processes = table(config, Servers(database_url, redis_url))
        auth = next(p for p in processes if p.upstream == AUTH_SERVICE)
        say(out, f"==> promoting {email} to admin")
        done = subprocess.run(  # noqa: S603 - the command is ours, the email one argument
            [*promote, email],
            env={**os.environ, **auth.env},
            cwd=config.root,
            capture_output=True,
            text=True,
            check=False,
        )
        out.write(done.stdout + done.stderr)
        if done.returncode != 0:
            say(out, f"==> promoting {email} failed (exit code {done.returncode})")
            return done.returncode
        return 0
