"""`make soak`: a steady realistic load for ten minutes, and whether anything grows.

    make soak                                  # 10 minutes at 100 requests/s
    make soak SOAK_ARGS="--minutes 2 --work-dir /tmp/soak"

The same private stack and seed as `make bench` (bench/README.md); the load is locust's
`SoakUser` (the mixed scenario plus search and sign-ins) at a steady rate against
blog_service, with sign-ins going to auth_service. Every 10 s it samples the memory (RSS)
of each service's process tree, the PostgreSQL connections of each database and Redis's
connected clients. The first sample after one minute is the baseline (pools and caches
are warm by then); "no growth" compares the last sample with it.

Targets (issue 8): P95 under 500 ms for every endpoint but login, under 50 ms for reads,
errors under 0.1 %, and no growth in memory or connections. Writes bench/soak.json and
bench/soak.md. Like the benchmark, it reports and never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg
import redis

from bench.report import Targets, machine_info, read_locust_failures, read_locust_stats
from bench.run import prepare_data
from bench.scenarios import MIXED_RATE_PER_USER, Scenario, run_locust
from bench.seed import SeedPlan
from bench.stack import BLOG_WORKERS, BenchError, Stack, bench_stack, say

BENCH_DIR = Path(__file__).resolve().parent
SAMPLE_EVERY_SECONDS = 10.0
BASELINE_AFTER_SECONDS = 60.0
# Growth allowed between the baseline and the end before it counts as a leak: allocator
# noise and caches that fill up to their bound.
MEMORY_SLACK_MB = 20.0
READ_P95_MS = 50.0
ANY_P95_MS = 500.0
MAX_ERROR_RATE = 0.001


@dataclass(frozen=True)
class Sample:
    seconds: float
    auth_rss_mb: float
    blog_rss_mb: float
    auth_db_connections: int
    blog_db_connections: int
    redis_clients: int


def tree_rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 1_048_576


class Sampler:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.database_url = stack.blog_env["DATABASE_URL"]
        self.redis = redis.Redis.from_url(stack.blog_env["REDIS_URL"])
        self.started = time.monotonic()
        self.next_at = self.started
        self.samples: list[Sample] = []

    def tick(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + SAMPLE_EVERY_SECONDS
        with psycopg.connect(self.database_url, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT datname, count(*) FROM pg_stat_activity"
                " WHERE datname IN ('auth', 'blog') AND pid <> pg_backend_pid() GROUP BY datname"
            ).fetchall()
        connections = {str(name): int(count) for name, count in rows}
        clients = self.redis.info("clients")
        self.samples.append(
            Sample(
                seconds=round(now - self.started, 1),
                auth_rss_mb=round(tree_rss_mb(self.stack.auth.pid), 1),
                blog_rss_mb=round(tree_rss_mb(self.stack.blog.pid), 1),
                auth_db_connections=connections.get("auth", 0),
                blog_db_connections=connections.get("blog", 0),
                redis_clients=int(clients["connected_clients"]),
            )
        )

    def baseline(self) -> Sample:
        warm = [s for s in self.samples if s.seconds >= BASELINE_AFTER_SECONDS]
        return warm[0] if warm else self.samples[0]


def growth(start: Sample, end: Sample) -> dict[str, dict[str, float | bool]]:
    verdicts: dict[str, dict[str, float | bool]] = {}
    for field in ("auth_rss_mb", "blog_rss_mb"):
        before, after = getattr(start, field), getattr(end, field)
        verdicts[field] = {"start": before, "end": after, "grew": after > before + MEMORY_SLACK_MB}
    # Pools are bounded (db_pool_size + overflow per worker): more at the end than at the
    # baseline is growth only if it is also above anything seen while warm.
    for field in ("auth_db_connections", "blog_db_connections", "redis_clients"):
        before, after = getattr(start, field), getattr(end, field)
        verdicts[field] = {"start": before, "end": after, "grew": after > max(before, 1) * 2}
    return verdicts


def is_read(name: str) -> bool:
    return name.startswith("GET ")


def soak(args: argparse.Namespace) -> dict[str, Any]:
    users = int(args.rate / MIXED_RATE_PER_USER)
    scenario = Scenario(
        name="soak",
        title=f"soak at {args.rate:g} req/s for {args.minutes:g} min",
        description="mixed reads and writes, search, sign-ins",
        user_class="SoakUser",
        users=users,
        targets=Targets(),  # judged below, per endpoint
    )
    seconds = int(args.minutes * 60)
    with bench_stack(args.work_dir, args.blog_workers) as stack:
        data = prepare_data(stack, args)
        sampler = Sampler(stack)
        say(f"==> soak: {users} users, {args.rate:g} req/s, {seconds} s")
        csv_prefix = stack.work_dir / "soak"
        run_locust(
            stack, scenario, seconds, stack.work_dir / "seed.json", csv_prefix,
            on_tick=sampler.tick,
        )  # fmt: skip
        sampler.next_at = 0
        sampler.tick()
        # Read inside the block: without --work-dir the stack's directory (and locust's
        # CSV files in it) is deleted when the block ends.
        endpoints, aggregate = read_locust_stats(Path(f"{csv_prefix}_stats.csv"))
        failures = read_locust_failures(Path(f"{csv_prefix}_failures.csv"))
    rows = []
    for e in endpoints:
        limit = None if "login" in e.name else (READ_P95_MS if is_read(e.name) else ANY_P95_MS)
        rows.append({**asdict(e), "p95_target_ms": limit,
                     "passed": limit is None or e.p95_ms < limit})  # fmt: skip
    error_rate = aggregate.errors / aggregate.requests if aggregate.requests else 1.0
    resources = growth(sampler.baseline(), sampler.samples[-1])
    passed = (
        all(r["passed"] for r in rows)
        and error_rate < MAX_ERROR_RATE
        and not any(v["grew"] for v in resources.values())
    )
    return {
        "machine": machine_info(),
        "setup": {"rate": args.rate, "users": users, "seconds": seconds, "seed": data.counts},
        "aggregate": asdict(aggregate),
        "error_rate": error_rate,
        "endpoints": rows,
        "failures": failures,
        "resources": resources,
        "samples": [asdict(s) for s in sampler.samples],
        "passed": passed,
    }


def markdown(result: dict[str, Any]) -> str:
    m, setup, agg = result["machine"], result["setup"], result["aggregate"]
    lines = [
        "# Soak",
        "",
        f"{m['date']} · {m['nproc']} cores ({m['cpu_model']}) · commit {m['git_commit']}"
        f" · {setup['rate']:g} req/s"
        f" for {setup['seconds']} s ({setup['users']} locust users)",
        "",
        "| endpoint | requests | req/s | P50 ms | P95 ms | P99 ms | errors | P95 target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in result["endpoints"]:
        target = "—" if r["p95_target_ms"] is None else f"< {r['p95_target_ms']:g} ms"
        lines.append(
            f"| {r['name']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:g} |"
            f" {r['p95_ms']:g} | {r['p99_ms']:g} | {r['errors']} | {target} |"
            f" {'pass' if r['passed'] else '**MISS**'} |"
        )
    lines += [
        f"| **all** | {agg['requests']} | {agg['rps']:.1f} | {agg['p50_ms']:g} |"
        f" {agg['p95_ms']:g} | {agg['p99_ms']:g} | {agg['errors']} | | |",
        "",
        f"Error rate {result['error_rate']:.3%} (target < {MAX_ERROR_RATE:.1%}).",
        "",
        "| resource | at the baseline (1 min) | at the end | grew |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, v in result["resources"].items():
        lines.append(
            f"| {name} | {v['start']:g} | {v['end']:g} | {'**yes**' if v['grew'] else 'no'} |"
        )
    lines += ["", f"Overall: {'PASS' if result['passed'] else 'MISS'}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=100, help="requests per second")
    parser.add_argument("--work-dir", type=Path, help="keep (or reuse) the seeded stack here")
    parser.add_argument(
        "--blog-workers", type=int, default=BLOG_WORKERS, help="uvicorn workers of blog_service"
    )
    for name in ("articles", "authors", "favorites", "comments"):
        parser.add_argument(f"--{name}", type=int, default=getattr(SeedPlan, name))
    parser.add_argument("--seed", choices=["store", "api"], default=SeedPlan.mode)
    args = parser.parse_args(argv)
    try:
        result = soak(args)
    except BenchError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 1
    (BENCH_DIR / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (BENCH_DIR / "soak.md").write_text(table)
    say(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
