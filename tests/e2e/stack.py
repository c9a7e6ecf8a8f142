"""The browser tests' private stack: auth_service, blog_service and the portal's production
build on free ports, on the test run's PostgreSQL and Redis (``TEST_DATABASE_URL``,
``TEST_REDIS_URL``, else embedded servers), built from devstack's own portal commands.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from devstack._proc import free_port, log_tail, stop_tree
from devstack.keys import ensure_signing_key
from devstack.portal import build_command, portal_env, private_app_dir, serve_command
from service_kit.testing.servers import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
# Short-lived access tokens: the portal's silent refresh runs all through the suite, and the
# expiry test needs to wait only this long.
ACCESS_TOKEN_TTL_SECONDS = 12
PLENTY = "100000"
FOLLOWING_CACHE_TTL_SECONDS = 1


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class E2EStack:
    auth_url: str
    blog_url: str
    portal_url: str
    work_dir: Path
    # For the /ops tests: promoting an admin (`promote`).
    auth_database_url: str = ""


def _spawn(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        stop_tree(process.pid, signal.SIGTERM, 10.0)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)


def _run(argv: Sequence[str], env: Mapping[str, str], cwd: Path, what: str) -> None:
    done = subprocess.run(
        list(argv), env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StackError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                raise StackError(f"{url} exited ({process.returncode}):\n{log_tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).is_success:
                    return
            if time.monotonic() > deadline:
                raise StackError(f"{url} not ready in {timeout:.0f} s:\n{log_tail(log)}")
            time.sleep(0.2)


def _service(
    stack: ExitStack, package: str, port: int, env: Mapping[str, str], work_dir: Path
) -> str:
    """Migrate, then run one service as production does (uvicorn, one worker); its URL."""
    _run((sys.executable, "-m", f"{package}.cli", "migrate"), env, ROOT, f"migrating {package}")
    log = work_dir / f"{package}.log"
    argv = (
        *(sys.executable, "-m", "uvicorn", f"{package}.main:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"),
    )
    process = _spawn(argv, env, ROOT, log)
    stack.callback(_stop, process)
    url = f"http://127.0.0.1:{port}"
    _wait(f"{url}/readyz", process, log)
    return url


def build_portal(app_dir: Path, port: int, auth_url: str, blog_url: str) -> dict[str, str]:
    """A private copy of the app (its own .web/) built for `port`; returns the server's env."""
    private_app_dir(ROOT, app_dir)
    env = portal_env(ROOT, port, auth_url, blog_url)
    _run(build_command(), env, app_dir, "building the portal")
    return env


@dataclass(frozen=True)
class Services:
    auth_url: str
    blog_url: str
    # The auth database, for promoting a user to admin the way `devstack admin` does.
    auth_database_url: str = ""
    # auth_service's signing keys, for tests that mint tokens (expired ones, say).
    keys_dir: Path | None = None


def promote(database_url: str, email: str) -> None:
    """`auth_service.cli promote EMAIL` against the stack's auth database (devstack admin)."""
    # The command touches only the database; its settings still require a Redis URL.
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
    }
    _run((sys.executable, "-m", "auth_service.cli", "promote", email), env, ROOT, "promoting")


@contextmanager
def services_stack(work_dir: Path, postgres_url: str, redis_url: str) -> Iterator[Services]:
    """auth_service and blog_service on free ports, fresh databases, short access tokens."""
    # Fresh databases restart user ids at 1: profiles cached in Redis by id from an earlier
    # run would name the wrong people. The other service suites flush their Redis db too.
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    with ExitStack() as stack:
        keys = work_dir / "keys"
        ensure_signing_key(keys)
        databases = {
            name: create_database(postgres_url, f"e2e_{name}") for name in ("auth", "blog")
        }
        for url in databases.values():
            stack.callback(drop_database, url)
        auth_port = free_port()
        issuer = f"http://127.0.0.1:{auth_port}"
        common = {
            "ENVIRONMENT": "test",
            "JWT_ISSUER": issuer,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
        }
        auth_env = {
            **common,
            "DATABASE_URL": databases["auth"],
            "AUTH_JWT_KEYS_DIR": str(keys),
            "AUTH_ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TOKEN_TTL_SECONDS),
            "AUTH_LOGIN_FAILURES_PER_ADDRESS": PLENTY,
        }
        _service(stack, "auth_service", auth_port, auth_env, work_dir)
        blog_env = {
            **common,
            "DATABASE_URL": databases["blog"],
            "BLOG_AUTH_URL": issuer,
            "BLOG_PUBLIC_URL": issuer,
            "BLOG_ARTICLES_PER_MINUTE": PLENTY,
            "BLOG_COMMENTS_PER_MINUTE": PLENTY,
            # blog_service remembers whom a reader follows for 30 s (follows happen in
            # auth_service, so it cannot know sooner); the feed test cannot wait that long.
            "BLOG_FOLLOWING_CACHE_TTL_SECONDS": str(FOLLOWING_CACHE_TTL_SECONDS),
        }
        blog_url = _service(stack, "blog_service", free_port(), blog_env, work_dir)
        yield Services(issuer, blog_url, databases["auth"], keys)


def portal_ops_env(services: Services, redis_url: str) -> dict[str, str]:
    """The server's /ops settings: the token issuer it verifies roles against, the shared
    Redis (panel cache, image ledger, audit log) and the services' own /metrics."""
    metrics = f"auth-service={services.auth_url}/metrics,blog-service={services.blog_url}/metrics"
    return {"JWT_ISSUER": services.auth_url, "REDIS_URL": redis_url, "PORTAL_METRICS_URLS": metrics}


@contextmanager
def e2e_stack(
    work_dir: Path, postgres_url: str, redis_url: str, ops_env: Mapping[str, str] | None = None
) -> Iterator[E2EStack]:
    """The services, then the portal's production build served on a free port; `ops_env`
    adds /ops source settings (the peers') to the server's environment."""
    with ExitStack() as stack:
        services = stack.enter_context(services_stack(work_dir, postgres_url, redis_url))
        portal_port = free_port()
        app_dir = work_dir / "app"
        env = build_portal(app_dir, portal_port, services.auth_url, services.blog_url)
        env = {**env, **portal_ops_env(services, redis_url), **(ops_env or {})}
        log = work_dir / "portal.log"
        portal = _spawn(serve_command(portal_port), env, app_dir, log)
        stack.callback(_stop, portal)
        _wait(f"http://127.0.0.1:{portal_port}/readyz", portal, log)
        yield E2EStack(
            services.auth_url,
            services.blog_url,
            f"http://localhost:{portal_port}",
            work_dir,
            services.auth_database_url,
        )
