"""The benchmark's own stack: PostgreSQL, Redis, auth_service and blog_service, all private.

Everything lives in a fresh temporary directory and listens on ports the kernel picks, so a
running `make dev` (8001/8002/8080/55432/56379) and its `.data/` are never touched. The
services run as production runs them: uvicorn, one worker, no reload, no access log, log
level WARNING. Leaving the `with` block (normally, on an error or on Ctrl-C) stops the
services, then Redis and PostgreSQL, and deletes the directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack._proc import free_port, log_tail, stop_tree
from devstack.databases import ensure_database
from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from devstack.keys import ensure_signing_key
from devstack.stack import Servers, service_env

# Far above anything the seeding or the mixed load needs: the benchmark measures speed,
# not the per-user write budget (which stays in force, just with a bigger number).
UNLIMITED_WRITES = "1000000"
# Long enough for seeding plus every scenario; the default 15 minutes could expire mid-run.
TOKEN_TTL_SECONDS = "7200"  # noqa: S105 - a lifetime, not a secret
READY_TIMEOUT_SECONDS = 60.0


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


def say(line: str) -> None:
    print(line, flush=True)


@dataclass
class Service:
    """One uvicorn process of the stack."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Stack:
    """What the scenarios need to know about the running stack."""

    work_dir: Path
    auth: Service
    blog: Service
    blog_env: Mapping[str, str]
    postgres_pid: int
    redis_pid: int


def uvicorn_command(package: str, port: int, workers: int = 1) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", f"{package}.main:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--no-access-log", "--log-level", "warning"),
    ]


def spawn(argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a child in its own session (a Ctrl-C reaches us, and we stop it in order)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - argv is built here from fixed parts
            list(argv),
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the child and everything it started; SIGKILL whatever is left after `timeout`."""
    if process.poll() is None:
        stop_tree(process.pid, signal.SIGTERM, timeout)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)


def run_step(argv: Sequence[str], env: Mapping[str, str], what: str) -> None:
    done = subprocess.run(  # noqa: S603 - argv is built here from fixed parts
        list(argv), env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(
            f"{what} failed (exit code {done.returncode}):\n{done.stdout}{done.stderr}"
        )


def wait_ready(service: Service, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            code = service.process.poll()
            if code is not None:
                raise BenchError(
                    f"{service.name} exited with code {code} while starting; last lines of"
                    f" {service.log_path}:\n{log_tail(service.log_path)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{service.url}/readyz").is_success:
                    return
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{service.name} not ready within {timeout:.0f} s; last lines of"
                    f" {service.log_path}:\n{log_tail(service.log_path)}"
                )
            time.sleep(0.2)


def _start_service(
    stack: ExitStack,
    name: str,
    package: str,
    env: Mapping[str, str],
    work_dir: Path,
    workers: int = 1,
) -> Service:
    say(f"==> migrating {package}")
    run_step((sys.executable, "-m", f"{package}.cli", "migrate"), env, f"migrating {package}")
    port = free_port()
    log_path = work_dir / f"{name}.log"
    process = spawn(uvicorn_command(package, port, workers), env, log_path)
    stack.callback(stop, process)
    service = Service(name, port, process, log_path)
    wait_ready(service)
    say(f"==> {name} ready at {service.url} (pid {process.pid})")
    return service


# The dev overlay runs blog_service as two pods of one worker each (HPA minReplicas 2); on
# one machine the same is one uvicorn server with two workers.
BLOG_WORKERS = 2


@contextmanager
def bench_stack(work_dir: Path | None = None, blog_workers: int = BLOG_WORKERS) -> Iterator[Stack]:
    """Start the whole private stack; stop it when the block ends.

    Without `work_dir`, the data lives in a new temporary directory, deleted at the end.
    With one, the data is kept there, and a later run on the same directory reuses it.
    `blog_workers` is the number of uvicorn worker processes of blog_service.
    """
    with ExitStack() as stack:
        if work_dir is None:
            work_dir = Path(tempfile.mkdtemp(prefix="blog-bench-"))
            stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
        else:
            work_dir = work_dir.resolve()
            work_dir.mkdir(parents=True, exist_ok=True)
            stack.callback(say, f"==> data kept in {work_dir}")
        stack.callback(say, "==> stopping the stack")
        say(f"==> starting PostgreSQL and Redis (embedded, in {work_dir})")
        pg = stack.enter_context(EmbeddedPostgres(work_dir / "postgres"))
        redis = stack.enter_context(EmbeddedRedis(work_dir / "redis"))
        servers = Servers(pg.url(), redis.url())
        keys_dir = work_dir / "keys"
        ensure_signing_key(keys_dir)
        for database in ("auth", "blog"):
            ensure_database(servers.database_url, database)

        auth_env = {
            **service_env(servers, database="auth"),
            "LOG_LEVEL": "WARNING",
            "AUTH_JWT_KEYS_DIR": str(keys_dir),
            "AUTH_ACCESS_TOKEN_TTL_SECONDS": TOKEN_TTL_SECONDS,
        }
        auth = _start_service(stack, "auth_service", "auth_service", auth_env, work_dir)
        blog_env = {
            **service_env(servers, database="blog"),
            "LOG_LEVEL": "WARNING",
            "BLOG_AUTH_URL": auth.url,
            "BLOG_ARTICLES_PER_MINUTE": UNLIMITED_WRITES,
            "BLOG_COMMENTS_PER_MINUTE": UNLIMITED_WRITES,
        }
        blog = _start_service(
            stack, "blog_service", "blog_service", blog_env, work_dir, blog_workers
        )
        assert pg.pid is not None
        assert redis.pid is not None
        yield Stack(work_dir, auth, blog, blog_env, pg.pid, redis.pid)
