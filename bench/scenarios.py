"""The three scenarios of issue 3 and how one is run: locust in its own process, measured."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import CpuMeter, tree_cpu_seconds
from bench.report import (
    Targets,
    read_locust_failures,
    read_locust_stats,
    scenario_result,
    service_warnings,
)
from bench.stack import BenchError, Stack, say, spawn, stop
from devstack._proc import log_tail

BENCH_DIR = Path(__file__).resolve().parent
LOCUSTFILE = BENCH_DIR / "locustfile.py"
MIXED_RATE = 100  # requests per second, the steady mixed load
MIXED_RATE_PER_USER = 2


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    user_class: str
    users: int
    targets: Targets


SCENARIOS = (
    Scenario(
        name="list",
        title="GET /api/articles?limit=20",
        description="anonymous first page of the newest articles, 32 connections back to back",
        user_class="ListUser",
        users=32,
        targets=Targets(min_rps=500, max_p95_ms=100),
    ),
    Scenario(
        name="article",
        title="GET /api/articles/{slug}",
        description="one random seeded article (anonymous), 32 connections back to back",
        user_class="ArticleUser",
        users=32,
        targets=Targets(min_rps=800, max_p95_ms=60),
    ),
    Scenario(
        name="mixed",
        title=f"mixed load at {MIXED_RATE} req/s",
        description=(
            f"{MIXED_RATE // MIXED_RATE_PER_USER} signed-in users at {MIXED_RATE_PER_USER} req/s"
            " each: lists, tag/author filters, articles, comments, feed, tags (81 %); new"
            " articles, edits, comments, favorites and unfavorites (19 %)"
        ),
        user_class="MixedUser",
        users=MIXED_RATE // MIXED_RATE_PER_USER,
        # 95 % of the offered rate: the load was really applied, not throttled by latency.
        targets=Targets(min_rps=0.95 * MIXED_RATE, max_p95_ms=50, max_errors=0),
    ),
)


def locust_command(
    scenario: Scenario, host: str, seconds: int, csv_prefix: Path | None
) -> list[str]:
    spawn_rate = max(scenario.users / 2, 1)  # everyone within two seconds
    argv = [
        *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"),
        *("--users", str(scenario.users), "--spawn-rate", f"{spawn_rate:g}"),
        *("--run-time", f"{seconds}s", "--host", host, "--stop-timeout", "5"),
        *("--only-summary", "--loglevel", "WARNING", "--reset-stats"),
    ]
    if csv_prefix is not None:
        argv += ["--csv", str(csv_prefix)]
    return [*argv, scenario.user_class]


def run_locust(
    stack: Stack,
    scenario: Scenario,
    seconds: int,
    data_file: Path,
    csv_prefix: Path | None,
    meter: CpuMeter | None = None,
    on_measuring: Callable[[], None] | None = None,
    on_tick: Callable[[], None] | None = None,
) -> float:
    """Run one locust process to completion; return when its measurement began.

    ``on_tick`` is called about once a second while locust runs (for sampling)."""
    env = {
        "BENCH_DATA": str(data_file),
        "BENCH_MIXED_RATE_PER_USER": str(MIXED_RATE_PER_USER),
        "BENCH_AUTH_URL": stack.auth.url,
    }
    log_path = stack.work_dir / f"locust-{scenario.name}.log"
    process = spawn(locust_command(scenario, stack.blog.url, seconds, csv_prefix), env, log_path)
    measuring_from = time.monotonic() + 4.0  # start-up and two seconds of spawning
    try:
        if meter is not None:
            meter.groups["locust"] = lambda: tree_cpu_seconds(process.pid)
        notified = False
        deadline = time.monotonic() + seconds + 60
        while process.poll() is None:
            if meter is not None:
                meter.sample()
            if on_tick is not None:
                on_tick()
            if not notified and time.monotonic() >= measuring_from and on_measuring:
                on_measuring()
                notified = True
            if time.monotonic() > deadline:
                raise BenchError(f"locust ({scenario.name}) did not finish; see {log_path}")
            time.sleep(1.0)
    finally:
        stop(process)
        if meter is not None:
            meter.groups.pop("locust", None)
    for service in (stack.blog, stack.auth):
        if service.process.poll() is not None:
            raise BenchError(
                f"{service.name} died during {scenario.name}:\n{log_tail(service.log_path)}"
            )
    return measuring_from


def read_from(path: Path, offset: int) -> str:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode(errors="replace")


@contextlib.contextmanager
def py_spy(stack: Stack, name: str, seconds: int) -> Iterator[Callable[[], None]]:
    """Yield a starter that records blog_service with py-spy for `seconds` (--profile)."""
    started: list[subprocess.Popen[bytes]] = []
    exe = shutil.which("py-spy")
    if exe is None:
        raise BenchError("--profile needs py-spy: `uv pip install py-spy` (or pipx install)")
    output = BENCH_DIR / f"profile-{name}.txt"

    def start() -> None:
        argv = [
            *(exe, "record", "--pid", str(stack.blog.pid), "--rate", "100", "--subprocesses"),
            *("--duration", str(seconds), "--format", "raw", "--output", str(output)),
            "--nonblocking",
        ]
        started.append(spawn(argv, {}, stack.work_dir / f"py-spy-{name}.log"))
        say(f"    profiling blog_service into {output.relative_to(BENCH_DIR.parent)}")

    try:
        yield start
    finally:
        for process in started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            stop(process)


def run_scenario(
    stack: Stack,
    scenario: Scenario,
    data_file: Path,
    duration: int,
    warmup: int,
    profile: bool,
) -> dict[str, Any]:
    say(f"==> {scenario.name}: {scenario.title} — {scenario.description}")
    if warmup:
        say(f"    warm-up {warmup} s (not measured)")
        run_locust(stack, scenario, warmup + 2, data_file, csv_prefix=None)
    meter = CpuMeter(
        {
            "blog_service": lambda: tree_cpu_seconds(stack.blog.pid),
            "auth_service": lambda: tree_cpu_seconds(stack.auth.pid),
            "postgres": lambda: tree_cpu_seconds(stack.postgres_pid),
            "redis": lambda: tree_cpu_seconds(stack.redis_pid),
        }
    )
    csv_prefix = stack.work_dir / scenario.name
    log_offset = stack.blog.log_path.stat().st_size
    say(f"    measuring {duration} s with {scenario.users} users")
    with contextlib.ExitStack() as profiling:
        on_measuring = None
        if profile:
            on_measuring = profiling.enter_context(py_spy(stack, scenario.name, duration - 5))
        measuring_from = run_locust(
            stack, scenario, duration + 2, data_file, csv_prefix, meter, on_measuring
        )
    stats_file = Path(f"{csv_prefix}_stats.csv")
    if not stats_file.exists():
        log_path = stack.work_dir / f"locust-{scenario.name}.log"
        raise BenchError(f"locust wrote no stats for {scenario.name}:\n{log_tail(log_path)}")
    endpoints, aggregate = read_locust_stats(stats_file)
    result = scenario_result(
        name=scenario.name,
        title=scenario.title,
        description=scenario.description,
        users=scenario.users,
        duration_s=duration,
        targets=scenario.targets,
        endpoints=endpoints,
        aggregate=aggregate,
        cpu=meter.percent_since(measuring_from),
        failures=read_locust_failures(Path(f"{csv_prefix}_failures.csv")),
        warnings=service_warnings(read_from(stack.blog.log_path, log_offset)),
    )
    verdict = "PASS" if result["passed"] else "MISS"
    say(
        f"    {aggregate.rps:,.1f} req/s, P50 {aggregate.p50_ms:g} ms, P95 {aggregate.p95_ms:g} ms,"
        f" P99 {aggregate.p99_ms:g} ms, {aggregate.errors} errors"
        f" — target {scenario.targets.describe()}: {verdict}"
    )
    return result
