"""`devstack up` and `devstack admin` end to end, with stand-in services and real servers."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import signal
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from devstack._proc import free_port, port_in_use
from devstack.admin import admin
from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from devstack.routes import AUTH_SERVICE
from devstack.stack import (
    Servers,
    StackConfig,
    StackError,
    TableFactory,
    edge_process,
    service_env,
    up,
)
from devstack.supervisor import ServiceProcess

PRINT_ENV = "import os; print('migrated with', os.environ['DATABASE_URL'], os.environ['REDIS_URL'])"


def stand_in_table(
    site: Path,
    migrate: tuple[str, ...] | None = None,
    port: int | None = None,
    build: tuple[str, ...] | None = None,
) -> TableFactory:
    """A process table like the real one: an 'auth' that is `http.server`, and the real edge."""
    jwks = site / ".well-known" / "jwks.json"
    jwks.parent.mkdir(parents=True, exist_ok=True)
    jwks.write_text('{"keys": []}')
    auth_port = port or free_port()
    edge_port = free_port()

    def table(config: StackConfig, servers: Servers) -> list[ServiceProcess]:
        auth = ServiceProcess(
            name="auth",
            command=(
                *(sys.executable, "-m", "http.server", str(auth_port), "--bind", "127.0.0.1"),
                *("--directory", str(site)),
            ),
            port=auth_port,
            ready_url=f"http://127.0.0.1:{auth_port}/",
            env={**service_env(servers, "auth", 0), "AUTH_JWT_KEYS_DIR": str(config.keys_dir)},
            upstream=AUTH_SERVICE,
            database="auth",
            migrate=migrate or (sys.executable, "-c", PRINT_ENV),
            package="auth_service",
            build=build,
        )
        return [auth, edge_process([auth], port=edge_port)]

    return table


@contextlib.contextmanager
def interrupt_when_ready(
    out: io.StringIO, probe: Callable[[], None] = lambda: None
) -> Iterator[None]:
    """While the block runs: wait for the ready report, run `probe` on the live stack, Ctrl-C.

    The interrupt is only sent while the services run, never into a later test.
    """
    finished = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 30
        while "==> ready" not in out.getvalue() and time.monotonic() < deadline:
            if finished.wait(0.05):
                return
        if "==> starting services" not in out.getvalue():
            return
        try:
            probe()
        finally:
            if not finished.is_set():
                os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join()


def test_up_starts_stack_reports_ready_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    config = StackConfig(root=tmp_path, pg_port=free_port(), redis_port=free_port())
    build = (sys.executable, "-c", "open('built.txt', 'w').write('frontend')")
    table = stand_in_table(tmp_path / "site", build=build)
    databases: list[str] = []
    jwks_status: list[int] = []

    def probe() -> None:
        with psycopg.connect(config.embedded_postgres().url()) as conn:
            rows = conn.execute("SELECT datname FROM pg_database").fetchall()
        databases.extend(name for (name,) in rows)
        edge = table(config, Servers("postgresql://unused/x", "redis://unused/0"))[-1]
        jwks_status.append(httpx.get(edge.ready_url, trust_env=False).status_code)

    out = io.StringIO()
    with interrupt_when_ready(out, probe):
        code = up(config, table=table, out=out)

    text = out.getvalue()
    assert code == 0, text
    steps = [line for line in text.splitlines() if line.startswith("==>")]
    assert steps[:6] == [
        "==> starting PostgreSQL (embedded, .data/postgres)",
        "==> starting Redis (embedded, .data/redis)",
        "==> creating databases",
        "==> migrating auth_service",
        "==> building auth_service (production build; the first one takes a minute)",
        "==> starting services",
    ]
    # The build ran to completion in the workspace root, before anything started.
    assert (tmp_path / "built.txt").read_text() == "frontend"
    assert steps[-2:] == ["==> stopping Redis", "==> stopping PostgreSQL"]
    pg_url = f"postgresql://postgres@127.0.0.1:{config.pg_port}/auth"
    assert f"migrated with {pg_url} redis://127.0.0.1:{config.redis_port}/0" in text
    assert "auth" in databases
    assert jwks_status == [200]  # the JWKS through the real edge to the stand-in auth
    # Nothing is left running, and the data stays for the next run.
    assert not config.embedded_postgres().is_running
    assert not config.embedded_redis().is_running
    assert not port_in_use(config.pg_port)
    assert (tmp_path / ".data" / "postgres" / "PG_VERSION").exists()
    (key,) = (tmp_path / ".data" / "keys").glob("dev-*.pem")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_up_with_external_servers_prints_urls_and_leaves_servers_running(
    tmp_path: Path, devstack_pg: EmbeddedPostgres, devstack_redis: EmbeddedRedis
) -> None:
    # A SQLAlchemy-style URL, as a .env might hold, names the same server.
    server_url = devstack_pg.url().replace("postgresql://", "postgresql+psycopg://")
    config = StackConfig(root=tmp_path, database_url=server_url, redis_url=devstack_redis.url(5))
    out = io.StringIO()
    with interrupt_when_ready(out):
        code = up(config, table=stand_in_table(tmp_path / "site"), out=out)

    text = out.getvalue()
    assert code == 0, text
    assert f"==> using PostgreSQL at {server_url} (DATABASE_URL)" in text
    assert f"==> using Redis at {devstack_redis.url(5)} (REDIS_URL)" in text
    assert "    API  http://localhost:8080\n" in text
    assert "    JWKS http://localhost:8080/.well-known/jwks.json\n" in text
    assert "    auth http://127.0.0.1:" in text
    assert "    edge http://127.0.0.1:" in text
    # auth got its own database and Redis db 0 on the given servers.
    auth_url = server_url.removesuffix("/postgres") + "/auth"
    assert f"migrated with {auth_url} {devstack_redis.url(0)}" in text
    # The external servers are the user's: used, not stopped.
    assert devstack_pg.is_running
    assert devstack_redis.is_running


def test_up_fails_with_migration_output_and_stops_servers(tmp_path: Path) -> None:
    config = StackConfig(root=tmp_path, pg_port=free_port(), redis_port=free_port())
    failing = (sys.executable, "-c", "import sys; print('no such revision'); sys.exit(2)")
    table = stand_in_table(tmp_path / "site", migrate=failing)
    out = io.StringIO()

    with pytest.raises(StackError) as caught:
        up(config, table=table, out=out)

    assert "migrating auth_service failed (exit code 2)" in str(caught.value)
    assert "no such revision" in str(caught.value)
    assert "==> starting services" not in out.getvalue()
    assert not config.embedded_postgres().is_running
    assert not config.embedded_redis().is_running


def test_up_fails_with_build_output_and_starts_nothing(tmp_path: Path) -> None:
    config = StackConfig(root=tmp_path, pg_port=free_port(), redis_port=free_port())
    failing = (sys.executable, "-c", "import sys; print('bun: not found'); sys.exit(3)")
    table = stand_in_table(tmp_path / "site", build=failing)
    out = io.StringIO()

    with pytest.raises(StackError) as caught:
        up(config, table=table, out=out)

    assert "building auth_service failed (exit code 3)" in str(caught.value)
    assert "bun: not found" in str(caught.value)
    assert "==> starting services" not in out.getvalue()
    assert not config.embedded_postgres().is_running


def test_up_refuses_busy_service_port(
    tmp_path: Path, devstack_pg: EmbeddedPostgres, devstack_redis: EmbeddedRedis
) -> None:
    config = StackConfig(
        root=tmp_path, database_url=devstack_pg.url(), redis_url=devstack_redis.url()
    )
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        table = stand_in_table(tmp_path / "site", port=blocker.getsockname()[1])
        with pytest.raises(StackError, match=r"port\(s\) already in use: \d+ \(auth\)"):
            up(config, table=table, out=io.StringIO())


def test_up_refuses_second_instance_on_same_data_dir(tmp_path: Path) -> None:
    config = StackConfig(root=tmp_path, pg_port=free_port(), redis_port=free_port())
    (tmp_path / ".data").mkdir()
    with (tmp_path / ".data" / "devstack.lock").open("w") as held:
        held.write("4242")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StackError, match=r"another `devstack up` \(pid 4242\)"):
            up(config, table=stand_in_table(tmp_path / "site"), out=io.StringIO())
    assert not (tmp_path / ".data" / "postgres").exists()


PROMOTE = (
    sys.executable,
    "-c",
    "import os, sys; print('promoted', sys.argv[1], os.environ['DATABASE_URL'])",
)


def test_admin_starts_postgres_for_the_command_and_stops_it_after(tmp_path: Path) -> None:
    config = StackConfig(root=tmp_path, pg_port=free_port(), redis_port=free_port())
    out = io.StringIO()

    code = admin(config, "jake@example.com", promote=PROMOTE, out=out)

    assert code == 0, out.getvalue()
    pg_url = f"postgresql://postgres@127.0.0.1:{config.pg_port}/auth"
    assert f"promoted jake@example.com {pg_url}" in out.getvalue()
    assert "==> starting PostgreSQL (embedded, .data/postgres) for this command" in out.getvalue()
    assert not config.embedded_postgres().is_running


def test_admin_leaves_running_postgres_running(tmp_path: Path) -> None:
    config = StackConfig(root=tmp_path, pg_port=free_port(), redis_port=free_port())
    with config.embedded_postgres() as running:
        out = io.StringIO()
        code = admin(config, "jake@example.com", promote=PROMOTE, out=out)
        assert code == 0
        assert "starting PostgreSQL" not in out.getvalue()
        assert running.is_running


def test_admin_returns_promote_exit_code_on_failure(
    tmp_path: Path, devstack_pg: EmbeddedPostgres
) -> None:
    config = StackConfig(root=tmp_path, database_url=devstack_pg.url(), redis_url="redis://x:1/0")
    failing = (sys.executable, "-c", "import sys; print('no user', sys.argv[1]); sys.exit(1)")
    out = io.StringIO()

    code = admin(config, "ghost@example.com", promote=failing, out=out)

    assert code == 1
    assert "no user ghost@example.com" in out.getvalue()
    assert "==> promoting ghost@example.com failed (exit code 1)" in out.getvalue()
