"""`devstack up`: servers, databases, migrations, then the process table under one supervisor.

The process table (`process_table`) is the one place that says which services run locally and
how; adding blog_service or the portal is one `ServiceProcess` entry each (the edge picks up
every entry that names an `upstream`).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from devstack._proc import port_in_use
from devstack.databases import display_url, ensure_database, with_database, with_redis_db
from devstack.demo.account import DemoOperatorError, ensure_operator
from devstack.demo.wiring import DemoPeers
from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from devstack.keys import ensure_signing_key
from devstack.portal import ops_env, portal_process
from devstack.routes import AUTH_SERVICE, BLOG_SERVICE, PORTAL
from devstack.supervisor import ServiceProcess, supervise

__all__ = [
    "Servers",
    "StackConfig",
    "StackError",
    "TableFactory",
    "demo_peers",
    "edge_process",
    "find_root",
    "process_table",
    "say",
    "service_env",
    "up",
]

PG_PORT = 55432
REDIS_PORT = 56379
AUTH_PORT = 8001
BLOG_PORT = 8002
PORTAL_PORT = 3000
EDGE_PORT = 8080
PUBLIC_URL = f"http://localhost:{EDGE_PORT}"


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


def _port_from(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{name}={value!r} is not a TCP port")
    return int(value)


@dataclass(frozen=True)
class StackConfig:
    """Where the stack keeps its data and which servers it uses."""

    root: Path
    pg_port: int = PG_PORT
    redis_port: int = REDIS_PORT
    # Set: use that server instead of the embedded one (it names a server, not a database).
    database_url: str | None = None
    redis_url: str | None = None
    # `devstack up --demo` (make dev DEMO=1): the demo peers run beside the stack.
    demo: bool = False

    @classmethod
    def from_env(cls, root: Path, environ: Mapping[str, str] = os.environ) -> StackConfig:
        return cls(
            root=root,
            pg_port=_port_from(environ, "DEVSTACK_PG_PORT", PG_PORT),
            redis_port=_port_from(environ, "DEVSTACK_REDIS_PORT", REDIS_PORT),
            database_url=environ.get("DATABASE_URL") or None,
            redis_url=environ.get("REDIS_URL") or None,
        )

    @property
    def data_dir(self) -> Path:
        return self.root / ".data"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def embedded_postgres(self) -> EmbeddedPostgres:
        return EmbeddedPostgres(self.data_dir / "postgres", self.pg_port)

    def embedded_redis(self) -> EmbeddedRedis:
        return EmbeddedRedis(self.data_dir / "redis", self.redis_port)


@dataclass(frozen=True)
class Servers:
    """The running PostgreSQL and Redis servers (URLs whose database part gets replaced)."""

    database_url: str
    redis_url: str


TableFactory = Callable[[StackConfig, Servers], list[ServiceProcess]]


def service_env(servers: Servers, database: str, redis_db: int = 0) -> dict[str, str]:
    """The platform-wide variables for a service using `database` and Redis db `redis_db`.

    Services share one Redis database by default: their keys carry a per-service prefix,
    and the session revocation keys (``session:*``) must be seen by every verifier.
    """
    return {
        "ENVIRONMENT": "development",
        "JWT_ISSUER": PUBLIC_URL,
        "DATABASE_URL": with_database(servers.database_url, database),
        "REDIS_URL": with_redis_db(servers.redis_url, redis_db),
        "LOG_LEVEL": "INFO",
    }


def edge_process(services: Sequence[ServiceProcess], port: int = EDGE_PORT) -> ServiceProcess:
    """The edge, proxying to every service in `services` that serves an upstream."""
    command = [sys.executable, "-m", "devstack", "edge", "--port", str(port)]
    for svc in services:
        if svc.upstream is not None:
            command += ["--upstream", f"{svc.upstream}={svc.url}"]
    # Ready when a public request gets through it: the JWKS, served by auth-service.
    served = {svc.upstream for svc in services}
    path = "/.well-known/jwks.json" if AUTH_SERVICE in served else "/"
    return ServiceProcess("edge", tuple(command), port, f"http://127.0.0.1:{port}{path}")


def process_table(config: StackConfig, servers: Servers) -> list[ServiceProcess]:
    """The local services, in start order; the edge comes last."""
    python = sys.executable
    auth = ServiceProcess(
        name="auth",
        command=_uvicorn("auth_service", AUTH_PORT),
        port=AUTH_PORT,
        ready_url=f"http://127.0.0.1:{AUTH_PORT}/readyz",
        env={
            **service_env(servers, database="auth"),
            "AUTH_JWT_KEYS_DIR": str(config.keys_dir),
        },
        upstream=AUTH_SERVICE,
        database="auth",
        migrate=(python, "-m", "auth_service.cli", "migrate"),
        package="auth_service",
    )
    blog = ServiceProcess(
        name="blog",
        command=_uvicorn("blog_service", BLOG_PORT),
        port=BLOG_PORT,
        ready_url=f"http://127.0.0.1:{BLOG_PORT}/readyz",
        env={
            **service_env(servers, database="blog"),
            "BLOG_AUTH_URL": f"http://127.0.0.1:{AUTH_PORT}",
            "BLOG_PUBLIC_URL": PUBLIC_URL,
        },
        upstream=BLOG_SERVICE,
        database="blog",
        migrate=(python, "-m", "blog_service.cli", "migrate"),
        package="blog_service",
    )
    redis_url = with_redis_db(servers.redis_url, 0)
    metrics = {AUTH_SERVICE: f"{auth.url}/metrics", BLOG_SERVICE: f"{blog.url}/metrics"}
    # JWT_ISSUER: /ops verifies the role in the access token against auth_service's issuer.
    ops = {**ops_env(redis_url, metrics), "JWT_ISSUER": PUBLIC_URL}
    peers: list[ServiceProcess] = []
    if config.demo:
        demo = demo_peers(config)
        ops = {**ops, **demo.portal_env()}
        peers.append(demo.process(redis_url))
    portal = portal_process(
        config.root,
        PORTAL_PORT,
        f"http://127.0.0.1:{AUTH_PORT}",
        f"http://127.0.0.1:{BLOG_PORT}",
        ops=ops,
    )
    services = [auth, blog, portal]
    return [*peers, *services, edge_process(services)]


def demo_peers(config: StackConfig) -> DemoPeers:
    """The demo's peers for this stack (their data and kubeconfig live under .data/)."""
    return DemoPeers(config.data_dir)


def _uvicorn(package: str, port: int) -> tuple[str, ...]:
    return (
        *(sys.executable, "-m", "uvicorn", f"{package}.main:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
    )


def find_root(start: Path | None = None) -> Path:
    """The uv workspace root above `start` (default: the working directory), else `start`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text():
            return folder
    return here


def say(out: TextIO, line: str) -> None:
    """Print a progress line now (the supervisor's output interleaves with ours)."""
    out.write(line + "\n")
    out.flush()


@contextmanager
def _servers(config: StackConfig, out: TextIO) -> Iterator[Servers]:
    """Start the embedded servers (or use the configured ones); stop Redis, then PostgreSQL."""
    with ExitStack() as stack:
        if config.database_url:
            say(out, f"==> using PostgreSQL at {display_url(config.database_url)} (DATABASE_URL)")
            database_url = config.database_url
        else:
            say(out, "==> starting PostgreSQL (embedded, .data/postgres)")
            pg = stack.enter_context(config.embedded_postgres())
            stack.callback(say, out, "==> stopping PostgreSQL")
            database_url = pg.url()
        if config.redis_url:
            say(out, f"==> using Redis at {display_url(config.redis_url)} (REDIS_URL)")
            redis_url = config.redis_url
        else:
            say(out, "==> starting Redis (embedded, .data/redis)")
            redis_url = stack.enter_context(config.embedded_redis()).url()
            stack.callback(say, out, "==> stopping Redis")
        yield Servers(database_url, redis_url)


@contextmanager
def _single_instance(data_dir: Path) -> Iterator[None]:
    """Refuse a second `devstack up` on the same .data/ (it would share and then stop servers)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "devstack.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise StackError(
                f"another `devstack up` (pid {lock.read().strip() or '?'}) is using {data_dir}"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def _run_step(argv: Sequence[str], env: Mapping[str, str], cwd: Path, what: str) -> str:
    done = subprocess.run(  # noqa: S603 - argv comes from the process table
        list(argv),
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise StackError(f"{what} failed (exit code {done.returncode}):\n{output}")
    return output


def _ready_block(
    processes: Sequence[ServiceProcess],
    out: TextIO,
    extra: Callable[[], list[tuple[str, str]]] | None = None,
) -> Callable[[], None]:
    """Print the URLs once every service answers; `extra` adds (name, text) rows to it."""
    width = max(len(name) for name in ["JWKS", *(p.name for p in processes)])

    def announce() -> None:
        rows = extra() if extra is not None else []
        lines = [
            "==> ready",
            f"    {'API':<{width}} {PUBLIC_URL}",
            f"    {'JWKS':<{width}} {PUBLIC_URL}/.well-known/jwks.json",
            *(f"    {p.name:<{width}} {_shown_url(p)}" for p in processes),
            *(f"    {name:<{width}} {text}" for name, text in rows),
            "    Ctrl-C stops everything; data stays in .data/",
        ]
        say(out, "\n".join(lines))

    return announce


def _demo_operator_row(
    config: StackConfig, processes: Sequence[ServiceProcess]
) -> Callable[[], list[tuple[str, str]]]:
    """Once auth_service answers: make the demo operator, and show where to sign in."""

    def row() -> list[tuple[str, str]]:
        portal = next((p for p in processes if p.upstream == PORTAL), None)
        auth = next(p for p in processes if p.upstream == AUTH_SERVICE)
        where = f"http://localhost:{portal.port if portal else PORTAL_PORT}/ops"
        try:
            operator = ensure_operator(
                auth.url, auth.env, demo_peers(config).operator_file, cwd=config.root
            )
        except (DemoOperatorError, OSError, httpx.HTTPError) as exc:
            return [("ops", f"{where}  (no demo operator: {exc})")]
        return [("ops", f"{where}  (demo operator {operator.email} / {operator.password})")]

    return row


def _shown_url(process: ServiceProcess) -> str:
    # The portal's build points the browser at localhost (cookies and the websocket follow it).
    return f"http://localhost:{process.port}" if process.upstream == PORTAL else process.url


def up(
    config: StackConfig, *, table: TableFactory = process_table, out: TextIO | None = None
) -> int:
    """Run the whole local stack until Ctrl-C/SIGTERM (0) or until a service dies (non-zero)."""
    out = out if out is not None else sys.stdout
    with _single_instance(config.data_dir), _servers(config, out) as servers:
        ensure_signing_key(config.keys_dir)
        processes = table(config, servers)
        busy = [f"{p.port} ({p.name})" for p in processes if port_in_use(p.port)]
        if config.demo and port_in_use(demo_peers(config).aws_port):
            busy.append(f"{demo_peers(config).aws_port} (demo: moto)")
        if busy:
            raise StackError(f"port(s) already in use: {', '.join(busy)}")
        say(out, "==> creating databases")
        for name in dict.fromkeys(p.database for p in processes if p.database):
            ensure_database(servers.database_url, name)
        for proc in processes:
            if proc.migrate is not None:
                label = proc.package or proc.name
                say(out, f"==> migrating {label}")
                out.write(_run_step(proc.migrate, proc.env, config.root, f"migrating {label}"))
        for proc in processes:
            if proc.build is not None:
                label = proc.package or proc.name
                say(out, f"==> building {label} (production build; the first one takes a minute)")
                _run_step(proc.build, proc.env, config.root, f"building {label}")
        say(out, "==> starting services")
        extra = _demo_operator_row(config, processes) if config.demo else None
        announce = _ready_block(processes, out, extra)
        return supervise(processes, cwd=config.root, out=out, on_ready=announce)
