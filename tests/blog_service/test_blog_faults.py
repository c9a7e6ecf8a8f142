"""blog_service when PostgreSQL or Redis fails: prompt 503s, then recovery with no
acknowledged write lost. Both run on private embedded servers, never the shared ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from service_kit.testing.http import timed, until_ok

pytestmark = pytest.mark.chaos

ServeBlog = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
NewArticle = Callable[..., Awaitable[dict[str, Any]]]
ARTICLE = {"description": "d", "body": "b"}


async def post_article(
    client: httpx.AsyncClient, user: dict[str, Any], title: str
) -> httpx.Response:
    article = {"title": title, **ARTICLE}
    return await client.post("/api/articles", json={"article": article}, headers=user["headers"])


async def titles(client: httpx.AsyncClient) -> set[str]:
    response = await client.get("/api/articles", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {a["title"] for a in response.json()["articles"]}


# --- PostgreSQL stopped or frozen -------------------------------------------------------


async def test_postgres_stopped_gives_fast_503_then_recovers_without_restart(
    pg_blog: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres, writer: Any
) -> None:
    author = await writer()
    before = await post_article(pg_blog, author, "written before")
    assert before.status_code == 201
    slug = before.json()["article"]["slug"]

    disposable_postgres.stop()
    for call in (
        pg_blog.get("/api/articles"),
        pg_blog.get(f"/api/articles/{slug}"),
        post_article(pg_blog, author, "refused while down"),
    ):
        response, elapsed = await timed(call)
        assert response.status_code == 503, response.text
        assert elapsed < 2.0
        assert response.headers["Retry-After"]
        assert response.json() == {"errors": {"database": ["is unavailable, try again shortly"]}}
    ready = await pg_blog.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["postgres"] != "ok"
    assert ready.json()["checks"]["redis"] == "ok"

    disposable_postgres.start()
    assert (await until_ok(lambda: pg_blog.get("/api/articles"))).status_code == 200
    assert (await pg_blog.get(f"/api/articles/{slug}")).status_code == 200
    assert (await post_article(pg_blog, author, "written after")).status_code == 201
    assert await titles(pg_blog) == {"written before", "written after"}
    assert (await pg_blog.get("/readyz")).status_code == 200


async def test_postgres_frozen_gives_503_within_two_seconds_then_recovers(
    pg_blog: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres, writer: Any
) -> None:
    author = await writer()
    assert (await post_article(pg_blog, author, "written before")).status_code == 201
    disposable_postgres.pause()
    try:
        for call in (
            pg_blog.get("/api/articles"),
            post_article(pg_blog, author, "refused while frozen"),
        ):
            response, elapsed = await timed(call)
            assert response.status_code == 503, response.text
            assert elapsed < 2.0
            assert response.headers["Retry-After"]
    finally:
        disposable_postgres.resume()
    assert (await until_ok(lambda: pg_blog.get("/api/articles"))).status_code == 200
    assert (await until_ok(lambda: post_article(pg_blog, author, "after"))).status_code == 201
    # The write refused with a 503 may or may not have landed; what was acknowledged did.
    assert {"written before", "after"} <= await titles(pg_blog)


async def test_acknowledged_writes_survive_a_postgres_restart_under_load(
    pg_blog: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres, writer: Any
) -> None:
    author = await writer()
    acknowledged: list[str] = []

    async def write() -> None:
        for n in range(60):
            response = await post_article(pg_blog, author, f"load {n}")
            assert response.status_code in (201, 503), response.text
            if response.status_code == 201:
                acknowledged.append(f"load {n}")
            await asyncio.sleep(0.03)

    async def chaos() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(disposable_postgres.stop)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(disposable_postgres.start)

    await asyncio.gather(write(), chaos())
    assert acknowledged, "no write succeeded at all"
    assert len(acknowledged) < 60, "PostgreSQL never went away: the test proved nothing"
    await until_ok(lambda: pg_blog.get("/api/articles"))
    assert set(acknowledged) <= await titles(pg_blog)


# --- Redis stopped ----------------------------------------------------------------------


async def test_redis_stopped_keeps_reads_and_refuses_writes_with_503(
    redis_blog: httpx.AsyncClient, disposable_redis: EmbeddedRedis, writer: Any
) -> None:
    author = await writer()
    created = await post_article(redis_blog, author, "written before")
    assert created.status_code == 201
    slug = created.json()["article"]["slug"]

    disposable_redis.stop()
    viewers: list[dict[str, str]] = [{}, author["headers"]]
    for headers in viewers:
        listed, elapsed = await timed(redis_blog.get("/api/articles", headers=headers))
        assert listed.status_code == 200 and elapsed < 2.0
        assert listed.json()["articles"][0]["author"]["username"] == author["username"]
        single = await redis_blog.get(f"/api/articles/{slug}", headers=headers)
        assert single.status_code == 200
    refused, elapsed = await timed(post_article(redis_blog, author, "refused while down"))
    assert refused.status_code == 503 and elapsed < 2.0
    assert refused.json() == {"errors": {"cache": ["is unavailable, try again shortly"]}}
    ready = await redis_blog.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["redis"] != "ok"

    disposable_redis.start()
    after = await until_ok(lambda: post_article(redis_blog, author, "written after"))
    assert after.status_code == 201
    assert await titles(redis_blog) == {"written before", "written after"}


async def test_redis_frozen_answers_within_two_seconds_then_recovers(
    redis_blog: httpx.AsyncClient, disposable_redis: EmbeddedRedis, writer: Any
) -> None:
    author = await writer()
    created = await post_article(redis_blog, author, "written before")
    assert created.status_code == 201
    slug = created.json()["article"]["slug"]
    disposable_redis.pause()
    try:
        viewers: list[dict[str, str]] = [{}, author["headers"]]
        for headers in viewers:
            for path in ("/api/articles", f"/api/articles/{slug}"):
                response, elapsed = await timed(redis_blog.get(path, headers=headers))
                # Reads may be served without the cache or refused, but promptly either way.
                assert response.status_code in (200, 503), response.text
                assert elapsed < 2.0, (path, elapsed)
        refused, elapsed = await timed(post_article(redis_blog, author, "refused while frozen"))
        assert refused.status_code == 503 and elapsed < 2.0
    finally:
        disposable_redis.resume()
    after = await until_ok(lambda: post_article(redis_blog, author, "written after"))
    assert after.status_code == 201
    assert await titles(redis_blog) == {"written before", "written after"}


# --- auth_service unreachable -----------------------------------------------------------
