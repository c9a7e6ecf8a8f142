"""The command line, the configuration, the process table, URLs and the signing key."""

from __future__ import annotations

import datetime
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from devstack._proc import free_port, port_in_use
from devstack.cli import build_parser, main
from devstack.databases import display_url, libpq_url, with_database, with_redis_db
from devstack.keys import ensure_signing_key, new_kid
from devstack.stack import (
    PUBLIC_URL,
    Servers,
    StackConfig,
    StackError,
    find_root,
    process_table,
)

SERVERS = Servers("postgresql://postgres@127.0.0.1:55432/postgres", "redis://127.0.0.1:56379/0")


def test_from_env_uses_fixed_ports_and_embedded_servers_by_default(tmp_path: Path) -> None:
    config = StackConfig.from_env(tmp_path, {})
    assert (config.pg_port, config.redis_port) == (55432, 56379)
    assert (config.database_url, config.redis_url) == (None, None)
    assert config.keys_dir == tmp_path / ".data" / "keys"
    assert config.embedded_postgres().data_dir == (tmp_path / ".data" / "postgres").resolve()


def test_from_env_reads_overrides(tmp_path: Path) -> None:
    env = {
        "DEVSTACK_PG_PORT": "6000",
        "DEVSTACK_REDIS_PORT": "6001",
        "DATABASE_URL": "postgresql://u:p@db:5432/postgres",
        "REDIS_URL": "redis://cache:6379/0",
    }
    config = StackConfig.from_env(tmp_path, env)
    assert (config.pg_port, config.redis_port) == (6000, 6001)
    assert config.database_url == "postgresql://u:p@db:5432/postgres"
    assert config.redis_url == "redis://cache:6379/0"


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1"])
def test_from_env_rejects_port_that_is_not_a_port(tmp_path: Path, value: str) -> None:
    with pytest.raises(StackError, match="DEVSTACK_PG_PORT"):
        StackConfig.from_env(tmp_path, {"DEVSTACK_PG_PORT": value})


def test_process_table_runs_auth_blog_and_portal_with_their_settings_and_edge_last(
    tmp_path: Path,
) -> None:
    auth, blog, portal, edge = process_table(StackConfig(root=tmp_path), SERVERS)

    assert auth.name == "auth"
    assert auth.command == (
        sys.executable,
        *("-m", "uvicorn", "auth_service.main:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", "8001", "--no-access-log"),
    )
    assert auth.ready_url == "http://127.0.0.1:8001/readyz"
    assert dict(auth.env) == {
        "ENVIRONMENT": "development",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:55432/auth",
        "REDIS_URL": "redis://127.0.0.1:56379/0",
        "AUTH_JWT_KEYS_DIR": str(tmp_path / ".data" / "keys"),
        "JWT_ISSUER": "http://localhost:8080",
        "LOG_LEVEL": "INFO",
    }
    assert auth.migrate == (sys.executable, "-m", "auth_service.cli", "migrate")
    assert auth.database == "auth"
    assert blog.command[-5:] == ("--host", "127.0.0.1", "--port", "8002", "--no-access-log")
    assert blog.env["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:55432/blog"
    assert blog.env["REDIS_URL"] == auth.env["REDIS_URL"]  # revocations are shared
    assert blog.env["BLOG_AUTH_URL"] == "http://127.0.0.1:8001"
    assert blog.migrate == (sys.executable, "-m", "blog_service.cli", "migrate")
    assert edge.command == (
        sys.executable,
        *("-m", "devstack", "edge", "--port", "8080"),
        *("--upstream", "auth-service=http://127.0.0.1:8001"),
        *("--upstream", "blog-service=http://127.0.0.1:8002"),
        *("--upstream", "portal=http://127.0.0.1:3000"),
    )
    assert portal.command == (
        sys.executable,
        *("-m", "granian", "--interface", "asgi", "--factory"),
        *("--host", "127.0.0.1", "--port", "3000", "--workers", "1", "portal.asgi:create_app"),
    )
    assert portal.build == (
        sys.executable,
        *("-m", "reflex", "export", "--frontend-only", "--no-zip", "--loglevel", "warning"),
    )
    assert portal.ready_url == "http://127.0.0.1:3000/readyz"
    assert portal.env["PORTAL_AUTH_URL"] == "http://127.0.0.1:8001"
    assert portal.env["PORTAL_BLOG_URL"] == "http://127.0.0.1:8002"
    assert portal.env["REFLEX_API_URL"] == "http://localhost:3000"
    assert portal.env["REFLEX_USE_SYSTEM_BUN"] == "1"
    assert portal.env["NPM_CONFIG_REGISTRY"] == "https://registry.npmjs.org"
    assert portal.env["PATH"].split(os.pathsep)[0] == str(tmp_path / "node_modules" / ".bin")
    assert portal.migrate is None
    assert portal.database is None
    assert edge.ready_url == "http://127.0.0.1:8080/.well-known/jwks.json"
    assert PUBLIC_URL == "http://localhost:8080"


def test_find_root_walks_up_to_the_uv_workspace(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["a"]\n')
    (tmp_path / "a" / "pyproject.toml").parent.mkdir()
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'a'\n")
    assert find_root(tmp_path / "a") == tmp_path.resolve()


def test_find_root_without_workspace_returns_start(tmp_path: Path) -> None:
    assert find_root(tmp_path) == tmp_path.resolve()


def test_with_database_replaces_only_the_path() -> None:
    url = "postgresql://u:p@db.example:5433/app?sslmode=require"
    assert with_database(url, "blog") == "postgresql://u:p@db.example:5433/blog?sslmode=require"
    assert with_database("postgresql://db", "auth") == "postgresql://db/auth"


def test_with_redis_db_replaces_the_db_number() -> None:
    assert with_redis_db("redis://:pw@cache:6379/4", 1) == "redis://:pw@cache:6379/1"
    assert with_redis_db("redis://cache", 0) == "redis://cache/0"


def test_libpq_url_drops_sqlalchemy_driver_suffix() -> None:
    assert libpq_url("postgresql+psycopg://u@db:5432/x") == "postgresql://u@db:5432/x"
    assert libpq_url("postgresql://u@db/x") == "postgresql://u@db/x"


def test_display_url_hides_password() -> None:
    assert display_url("postgresql://u:secret@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert display_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_ensure_signing_key_creates_private_p256_key(tmp_path: Path) -> None:
    path = ensure_signing_key(tmp_path / "keys")

    assert re.fullmatch(r"dev-\d{8}-[0-9a-f]{4}\.pem", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"


def test_ensure_signing_key_keeps_existing_key(tmp_path: Path) -> None:
    first = ensure_signing_key(tmp_path)
    content = first.read_bytes()
    assert ensure_signing_key(tmp_path) == first
    assert first.read_bytes() == content
    assert len(list(tmp_path.glob("*.pem"))) == 1


def test_new_kid_starts_with_the_date() -> None:
    assert new_kid(datetime.date(2025, 3, 9)).startswith("dev-20250309-")
    assert re.fullmatch(r"dev-\d{8}-[0-9a-f]{4}", new_kid())


@pytest.mark.parametrize(
    "value", ["auth=http://127.0.0.1:1", "auth-service", "auth-service=ftp://x", "=http://x"]
)
def test_edge_command_rejects_bad_upstream(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["edge", "--upstream", value])
    assert caught.value.code == 2
    assert "--upstream" in capsys.readouterr().err


def test_edge_command_parses_repeated_upstreams() -> None:
    args = build_parser().parse_args(
        [
            *("edge", "--port", "9000", "--upstream", "auth-service=http://127.0.0.1:8001"),
            *("--upstream", "portal=http://127.0.0.1:3000"),
        ]
    )
    assert args.port == 9000
    assert dict(args.upstream) == {
        "auth-service": "http://127.0.0.1:8001",
        "portal": "http://127.0.0.1:3000",
    }


def test_main_reports_configuration_error_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEVSTACK_PG_PORT", "not-a-port")
    assert main(["up", "--root", str(tmp_path)]) == 1
    assert "devstack: DEVSTACK_PG_PORT='not-a-port' is not a TCP port" in capsys.readouterr().err
    assert not (tmp_path / ".data").exists()


# An upstream that answers every GET with the X-Forwarded-For header it received.
ECHO_XFF = """
import http.server, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.headers.get("x-forwarded-for") or "").encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
"""


def test_python_m_devstack_edge_proxies_and_stops_on_sigterm() -> None:
    upstream_port, edge_port = free_port(), free_port()
    upstream = subprocess.Popen([sys.executable, "-c", ECHO_XFF, str(upstream_port)])
    edge = subprocess.Popen(
        [
            *(sys.executable, "-m", "devstack", "edge", "--port", str(edge_port)),
            *("--upstream", f"auth-service=http://127.0.0.1:{upstream_port}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not (port_in_use(edge_port) and port_in_use(upstream_port)):
            assert time.monotonic() < deadline, "edge or upstream did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{edge_port}", trust_env=False) as c:
            proxied = c.get("/api/users", headers={"x-forwarded-for": "198.51.100.1"})
            unrouted = c.get("/api/articles")
        # The edge appends the real peer; it does not let the client's header replace it.
        assert (proxied.status_code, proxied.text) == (200, "198.51.100.1, 127.0.0.1")
        assert unrouted.status_code == 404
        assert unrouted.json() == {"errors": {"route": ["no service is running for this path"]}}
        edge.send_signal(signal.SIGTERM)
        edge.wait(timeout=10)  # uvicorn shuts down, then re-raises SIGTERM on itself
        assert not port_in_use(edge_port)
    finally:
        for proc in (edge, upstream):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def test_devstack_up_sigterm_during_startup_stops_servers_and_exits_130(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DEVSTACK_PG_PORT": str(free_port()), "DEVSTACK_REDIS_PORT": str(free_port())}
    up = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up", "--root", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert up.stdout is not None
    lines = []
    for line in up.stdout:
        lines.append(line)
        if line.startswith("==> starting Redis"):  # PostgreSQL is up by now
            up.send_signal(signal.SIGTERM)
            break
    rest = up.communicate(timeout=30)[0]
    assert up.returncode == 130, "".join(lines) + rest
    # Servers rewrite their command lines (redis-server, "postgres: checkpointer"), so look at
    # the working directory too: both run inside their data directories.
    leftovers = [
        p.info
        for p in psutil.process_iter(["pid", "cmdline", "cwd"])
        if str(tmp_path) in " ".join([*(p.info["cmdline"] or []), p.info["cwd"] or ""])
    ]
    assert leftovers == []
    assert not port_in_use(int(env["DEVSTACK_PG_PORT"]))
    assert (tmp_path / ".data" / "postgres" / "PG_VERSION").exists()
