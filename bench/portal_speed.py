"""How fast the portal shows content: `uv run python -m bench.portal_speed` (not a test).

A private stack (bench.stack: embedded PostgreSQL and Redis, auth_service, blog_service on
free ports), 40 seeded articles, the portal's production build served as `make dev` serves
it, then Chromium measures, over `--runs` fresh page loads each (no cache, no cookies):

- home: from navigation until the home page shows 20 article previews;
- article: from navigation until an article page shows its body.

It prints the medians (and P90, min, max) and writes bench/portal_results.json and
bench/portal_results.md. The target is under 1 s each on the 2-core machine with the whole
stack on it; it is reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, async_playwright

from bench.stack import Service, bench_stack, stop
from devstack._proc import free_port, log_tail
from devstack.portal import build_command, portal_env, private_app_dir, serve_command

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TARGET_MS = 1000.0
PARAGRAPH = (
    "Services talk over HTTP and keep their own data. *Tokens* are short-lived, refresh "
    "tokens rotate, and every write names its author. "
)


def say(line: str) -> None:
    print(line, flush=True)


def seed(auth_url: str, blog_url: str, articles: int) -> str:
    """One author with `articles` articles of a few KB each; the slug of the newest one."""
    with httpx.Client(timeout=30, trust_env=False) as client:
        user = {"username": "bench", "email": "bench@example.org", "password": "bench passphrase!"}
        response = client.post(f"{auth_url}/api/users", json={"user": user})
        response.raise_for_status()
        token = response.json()["user"]["token"]
        slug = ""
        for n in range(articles):
            body = "\n\n".join(f"## Part {i}\n\n{PARAGRAPH * 4}" for i in range(8))
            article = {
                "title": f"Benchmark article {n}",
                "description": "What a reader sees in the list",
                "body": body,
                "tagList": ["bench", f"topic{n % 5}"],
            }
            created = client.post(
                f"{blog_url}/api/articles",
                json={"article": article},
                headers={"Authorization": f"Token {token}"},
            )
            created.raise_for_status()
            slug = created.json()["article"]["slug"]
    return str(slug)


def start_portal(stack: ExitStack, work_dir: Path, auth_url: str, blog_url: str) -> str:
    port = free_port()
    app_dir = private_app_dir(ROOT, work_dir / "app")
    env = portal_env(ROOT, port, auth_url, blog_url)
    say("==> building the portal (production build)")
    done = subprocess.run(  # noqa: S603 - fixed argv
        list(build_command()),
        env={**os.environ, **env},
        cwd=app_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"portal build failed:\n{done.stdout}{done.stderr}")
    log = work_dir / "portal.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            list(serve_command(port)),
            env={**os.environ, **env},
            cwd=app_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack.callback(stop, process)
    service = Service("portal", port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{service.url}/readyz", timeout=2, trust_env=False).is_success:
                return f"http://localhost:{port}"
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"portal did not start:\n{log_tail(log)}")


async def measure(browser: Browser, url: str, selector: str, count: int) -> float:
    """Milliseconds from navigation start until `count` elements match `selector`."""
    context = await browser.new_context()
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url, wait_until="commit")
    await page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n",
        arg=[selector, count],
        timeout=30_000,
    )
    elapsed = (time.perf_counter() - started) * 1000
    await context.close()
    return elapsed


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


async def run(portal_url: str, slug: str, runs: int) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # One unmeasured load of each page: the server's first request compiles its caches.
        await measure(browser, f"{portal_url}/", ".article-preview", 20)
        await measure(browser, f"{portal_url}/article/{slug}", "#article-body p", 1)
        home = [
            await measure(browser, f"{portal_url}/", ".article-preview", 20) for _ in range(runs)
        ]
        article = [
            await measure(browser, f"{portal_url}/article/{slug}", "#article-body p", 1)
            for _ in range(runs)
        ]
        await browser.close()
    return {
        "runs": runs,
        "target_ms": TARGET_MS,
        "home_20_previews": {**summary(home), "samples_ms": [round(s, 1) for s in home]},
        "article_body": {**summary(article), "samples_ms": [round(s, 1) for s in article]},
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"| page (Chromium, {result['runs']} fresh loads) | median | P90 | min | max | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for key, label in (
        ("home_20_previews", "home until 20 previews show"),
        ("article_body", "article until its body shows"),
    ):
        row = result[key]
        met = "met" if row["median_ms"] < TARGET_MS else "NOT met"
        lines.append(
            f"| {label} | {row['median_ms']:.0f} ms | {row['p90_ms']:.0f} ms "
            f"| {row['min_ms']:.0f} ms | {row['max_ms']:.0f} ms | < 1 s ({met}) |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.portal_speed", description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args(argv)
    with ExitStack() as stack, bench_stack() as services:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="portal-speed-")))
        say(f"==> seeding {args.articles} articles")
        slug = seed(services.auth.url, services.blog.url, args.articles)
        portal_url = start_portal(stack, work_dir, services.auth.url, services.blog.url)
        say(f"==> measuring {portal_url} ({args.runs} runs per page)")
        result = asyncio.run(run(portal_url, slug, args.runs))
    (ROOT / "bench" / "portal_results.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (ROOT / "bench" / "portal_results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
