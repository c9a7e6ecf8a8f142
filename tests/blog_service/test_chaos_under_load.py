"""blog_service under a steady mixed load while PostgreSQL or Redis misbehaves (issue 8).

Where test_blog_faults.py checks each rule one request at a time, these keep readers and
writers busy throughout and judge every answer: how fast it came, whether it was a clean
503 and never a 500, and whether every write acknowledged with 2xx is there afterwards.
Each runs on private embedded servers (never the shared ones).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from service_kit.testing.http import until_ok

pytestmark = pytest.mark.chaos

ServeBlog = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
READERS = 4
WRITERS = 2


@dataclass(frozen=True)
class Answer:
    kind: str
    started: float
    seconds: float
    status: int


@dataclass
class Load:
    """Readers and writers running until stopped; every answer is kept for judging."""

    client: httpx.AsyncClient
    author: dict[str, Any]
    answers: list[Answer] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    titles: itertools.count[int] = field(default_factory=itertools.count)

    async def _timed(self, kind: str, call: Any) -> httpx.Response:
        started = time.monotonic()
        response: httpx.Response = await call
        self.answers.append(Answer(kind, started, time.monotonic() - started, response.status_code))
        return response

    async def reader(self, signed_in: bool) -> None:
        headers = self.author["headers"] if signed_in else {}
        while not self.stopping.is_set():
            await self._timed("read", self.client.get("/api/articles?limit=5", headers=headers))
            await asyncio.sleep(0.02)

    async def writer(self) -> None:
        while not self.stopping.is_set():
            title = f"under load {next(self.titles)}"
            article = {"title": title, "description": "d", "body": "b"}
            response = await self._timed(
                "write",
                self.client.post(
                    "/api/articles", json={"article": article}, headers=self.author["headers"]
                ),
            )
            if response.status_code == 201:
                self.acknowledged.append(title)
            await asyncio.sleep(0.05)

    async def run_while(self, chaos: Callable[[], Any]) -> None:
        tasks = [asyncio.create_task(self.reader(signed_in=n % 2 == 1)) for n in range(READERS)]
        tasks += [asyncio.create_task(self.writer()) for _ in range(WRITERS)]
        try:
            await asyncio.sleep(1.0)  # steady state first
            await chaos()
            await asyncio.sleep(3.0)  # and after, to see recovery
        finally:
            self.stopping.set()
            await asyncio.gather(*tasks)

    def during(self, start: float, end: float) -> list[Answer]:
        """Answers to requests sent and answered between ``start`` and ``end``."""
        return [a for a in self.answers if start <= a.started and a.started + a.seconds <= end]

    def statuses(self) -> set[int]:
        return {a.status for a in self.answers}


async def all_titles(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for offset in range(0, 1000, 100):
        page = await client.get(f"/api/articles?limit=100&offset={offset}", headers=headers)
        assert page.status_code == 200, page.text
        articles = page.json()["articles"]
        found |= {a["title"] for a in articles}
        if len(articles) < 100:
            return found
    return found


async def test_postgres_frozen_five_seconds_under_load(
    pg_blog: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres, writer: Any
) -> None:
    load = Load(pg_blog, await writer())
    window: dict[str, float] = {}

    async def freeze() -> None:
        await asyncio.to_thread(disposable_postgres.pause)
        window["from"] = time.monotonic()
        await asyncio.sleep(5)
        window["to"] = time.monotonic()
        await asyncio.to_thread(disposable_postgres.resume)

    await load.run_while(freeze)

    assert 500 not in load.statuses()
    frozen = load.during(window["from"] + 0.2, window["to"])
    assert frozen, "no request was sent while PostgreSQL was frozen"
    for answer in frozen:
        # Signed-in reads and every write need the database: a prompt, clean refusal.
        assert answer.seconds < 2.0, answer
    assert any(a.status == 503 for a in frozen)
    # Recovered without a restart: the last second of load went through.
    recovered = load.during(window["to"] + 1.5, float("inf"))
    assert recovered and all(a.status < 500 for a in recovered), recovered
    assert load.acknowledged
    assert set(load.acknowledged) <= await all_titles(pg_blog, load.author["headers"])


async def test_every_database_connection_terminated_under_load(
    pg_blog: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres, writer: Any
) -> None:
    load = Load(pg_blog, await writer())
    killed: list[int] = []

    async def terminate() -> None:
        def kill_all() -> None:
            with psycopg.connect(disposable_postgres.url("blog"), autocommit=True) as admin:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = 'blog' AND pid <> pg_backend_pid()"
                ).fetchall()
            killed.append(sum(1 for (done,) in rows if done))

        await asyncio.to_thread(kill_all)

    await load.run_while(terminate)

    assert killed and killed[0] > 0, "no connection was there to terminate"
    assert 500 not in load.statuses()
    # pool_pre_ping replaces the idle ones; only requests holding a connection at that
    # moment may fail, and they fail as a retryable 503.
    failed = [a for a in load.answers if a.status >= 500]
    assert len(failed) <= min(killed[0], READERS + WRITERS), failed
    assert all(a.status == 503 for a in failed)
    assert set(load.acknowledged) <= await all_titles(pg_blog, load.author["headers"])


@pytest.mark.parametrize("fault", ["freeze", "stop"])
async def test_redis_frozen_or_stopped_under_load(
    redis_blog: httpx.AsyncClient, disposable_redis: EmbeddedRedis, writer: Any, fault: str
) -> None:
    load = Load(redis_blog, await writer())
    window: dict[str, float] = {}
    down, up = (
        (disposable_redis.pause, disposable_redis.resume)
        if fault == "freeze"
        else (disposable_redis.stop, disposable_redis.start)
    )

    async def outage() -> None:
        await asyncio.to_thread(down)
        window["from"] = time.monotonic()  # once it is really down (a stop takes a moment)
        await asyncio.sleep(5)
        window["to"] = time.monotonic()
        await asyncio.to_thread(up)

    await load.run_while(outage)

    assert 500 not in load.statuses()
    during = load.during(window["from"] + 0.2, window["to"])
    reads = [a for a in during if a.kind == "read"]
    writes = [a for a in during if a.kind == "write"]
    assert reads and writes
    # Reads keep answering (the cache is optional); writes are refused (the per-user write
    # limit cannot be counted), and everything answers promptly.
    assert all(a.status == 200 for a in reads), reads
    assert all(a.status == 503 for a in writes), writes
    assert all(a.seconds < 2.0 for a in during)
    # Nothing inconsistent once Redis is back: writes flow again, and every acknowledged
    # write is listed, for signed-in readers and for anonymous ones (read cache included).
    back = await until_ok(
        lambda: redis_blog.post(
            "/api/articles",
            json={"article": {"title": "after the outage", "description": "d", "body": "b"}},
            headers=load.author["headers"],
        )
    )
    assert back.status_code == 201
    expected = {*load.acknowledged, "after the outage"}
    assert expected <= await all_titles(redis_blog, load.author["headers"])
    assert expected <= await all_titles(redis_blog, {})
