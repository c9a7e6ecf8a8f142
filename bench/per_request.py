"""CPU time per request of blog_service's read endpoints, in process, one request at a time.

    uv run python -m bench.per_request --work-dir /tmp/benchdata [--requests 500]

Needs a work directory seeded by an earlier `python -m bench.run --work-dir DIR`. The app
runs in this process behind httpx's ASGI transport (no HTTP server, no load generator), so
the figure is the handler's own cost: CPU seconds of this process divided by requests.
Unlike requests/s, it hardly moves when other programs keep the machine busy, which makes
it the number to watch while changing the read path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from bench.stack import bench_stack


async def measure(
    client: httpx.AsyncClient, path_of: Callable[[], str], requests: int
) -> tuple[float, float]:
    for _ in range(20):  # warm caches and connections
        (await client.get(path_of())).raise_for_status()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        (await client.get(path_of())).raise_for_status()
    per = 1000 / requests
    return (time.process_time() - cpu) * per, (time.perf_counter() - wall) * per


async def run(work_dir: Path, requests: int, only: str | None = None) -> None:
    with bench_stack(work_dir, blog_workers=1) as stack:
        os.environ.update(stack.blog_env)
        from blog_service.main import create_app  # after the environment is set

        seed = json.loads((work_dir / "seed.json").read_text())
        slugs: list[str] = seed["slugs"]
        tags: list[str] = seed["tags"]
        pick = random.Random(7)  # noqa: S311 - which articles to read, not a secret
        paths: dict[str, Callable[[], str]] = {
            # The floor: the ASGI transport, middleware and httpx's own client-side work.
            "GET /healthz": lambda: "/healthz",
            "GET /api/articles?limit=20": lambda: "/api/articles?limit=20",
            "GET /api/articles?tag=": lambda: f"/api/articles?tag={pick.choice(tags)}",
            "GET /api/articles/{slug}": lambda: f"/api/articles/{pick.choice(slugs)}",
            "GET /api/tags": lambda: "/api/tags",
        }
        app = create_app()
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                print(f"{'endpoint':32} {'CPU ms/request':>15} {'wall ms/request':>16}")
                for name, path_of in paths.items():
                    if only and only not in name:
                        continue
                    cpu_ms, wall_ms = await measure(client, path_of, requests)
                    print(f"{name:32} {cpu_ms:15.2f} {wall_ms:16.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the run here")
    parser.add_argument("--only", help="measure only endpoints whose name contains this")
    args = parser.parse_args()
    if args.profile is None:
        asyncio.run(run(args.work_dir.resolve(), args.requests, args.only))
        return
    import cProfile

    with cProfile.Profile() as profile:
        asyncio.run(run(args.work_dir.resolve(), args.requests, args.only))
    profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
