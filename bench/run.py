"""`make bench`: private stack, seed through the services' own code, three locust scenarios.

    uv run python -m bench.run [--duration 40] [--scenario list --scenario mixed] [--profile]

Targets are reported, never asserted: the exit code is 0 whenever the benchmark ran, and
non-zero only when it could not run (a service failed to start, seeding failed, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from bench.cpu import busy_elsewhere
from bench.report import machine_info, markdown
from bench.scenarios import BENCH_DIR, SCENARIOS, run_scenario
from bench.seed import SeedData, SeedPlan, log_in_again, seed
from bench.stack import BLOG_WORKERS, BenchError, Stack, bench_stack, say

RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_MD = BENCH_DIR / "results.md"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    names = [s.name for s in SCENARIOS]
    parser.add_argument("--duration", type=int, default=40, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds before each")
    parser.add_argument(
        "--scenario", action="append", choices=names, help=f"run only these (default: {names})"
    )
    parser.add_argument("--articles", type=int, default=SeedPlan.articles)
    parser.add_argument("--authors", type=int, default=SeedPlan.authors)
    parser.add_argument("--favorites", type=int, default=SeedPlan.favorites)
    parser.add_argument("--comments", type=int, default=SeedPlan.comments)
    parser.add_argument(
        "--seed",
        choices=["store", "api"],
        default=SeedPlan.mode,
        help="articles and favorites through blog_service.store in process (fast), or HTTP",
    )
    parser.add_argument(
        "--profile", action="store_true", help="record blog_service with py-spy in each scenario"
    )
    parser.add_argument(
        "--blog-workers",
        type=int,
        default=BLOG_WORKERS,
        help=f"uvicorn worker processes for blog_service (default {BLOG_WORKERS}, as the"
        " dev overlay's two replicas)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="keep the stack's data here (default: a temporary directory, deleted);"
        " a directory seeded by an earlier run is reused without seeding again",
    )
    return parser.parse_args(argv)


def prepare_data(stack: Stack, args: argparse.Namespace) -> SeedData:
    data_file = stack.work_dir / "seed.json"
    if data_file.exists():
        data = SeedData.read(data_file)
        say(f"==> reusing the data seeded earlier in {stack.work_dir}: {data.counts}")
        asyncio.run(log_in_again(stack, data))
    else:
        plan = SeedPlan(
            authors=args.authors,
            articles=args.articles,
            favorites=args.favorites,
            comments=args.comments,
            mode=args.seed,
        )
        data = asyncio.run(seed(stack, plan))
    data.write(data_file)
    return data


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    scenarios = [s for s in SCENARIOS if not args.scenario or s.name in args.scenario]
    started = time.monotonic()
    elsewhere = busy_elsewhere()
    if elsewhere > 20:
        say(
            f"==> WARNING: other processes keep {elsewhere:.0f} % of a core busy before we start;"
            " the results will be lower than this machine can do (see 'other processes')"
        )
    with bench_stack(args.work_dir, args.blog_workers) as stack:
        data = prepare_data(stack, args)
        data_file = stack.work_dir / "seed.json"
        results = [
            run_scenario(stack, s, data_file, args.duration, args.warmup, args.profile)
            for s in scenarios
        ]
    return {
        "machine": {**machine_info(), "busy_elsewhere_before_start_percent": elsewhere},
        "setup": {
            "seed_counts": data.counts,
            "seed_seconds": data.seconds,
            "seed_mode": args.seed,
            "target": f"blog_service directly on 127.0.0.1 (uvicorn, {args.blog_workers}"
            f" worker{'s' if args.blog_workers > 1 else ''}, no access log, log level WARNING),"
            " not through the edge",
            "load": "locust headless, one process, FastHttpUser, one keep-alive connection"
            " per user, on the same machine",
            "profiled": bool(args.profile),
            "total_seconds": round(time.monotonic() - started, 1),
        },
        "scenarios": results,
    }


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C: everything started is stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C must stop everything, even when started from a shell that ignores SIGINT
    # for background jobs; SIGTERM unwinds the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        results = benchmark(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    RESULTS_MD.write_text(table)
    say("")
    say(table)
    say(f"==> wrote {RESULTS_JSON.relative_to(BENCH_DIR.parent)} and {RESULTS_MD.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
