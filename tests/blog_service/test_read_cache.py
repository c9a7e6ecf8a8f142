"""The read cache: anonymous answers come from memory, and never outlive a write."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from blog_service.main import create_app as create_blog_app
from blog_service.readcache import GENERATION_KEY

NewArticle = Callable[..., Awaitable[dict[str, Any]]]
ServeBlog = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


async def test_repeated_anonymous_reads_send_no_sql(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, statements: list[str]
) -> None:
    slug = (await new_article(await writer(), title="Cached"))["slug"]
    for path in ("/api/articles?limit=5", f"/api/articles/{slug}"):
        first = await blog.get(path)
        statements.clear()
        again = await blog.get(path)
        assert again.status_code == 200 and again.content == first.content
        assert again.headers.get("etag") == first.headers.get("etag")
        assert statements == []


async def test_signed_in_reads_are_never_cached(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, statements: list[str]
) -> None:
    author, reader = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    await blog.get(f"/api/articles/{slug}")  # an anonymous answer is now cached
    await blog.post(f"/api/articles/{slug}/favorite", headers=reader["headers"])
    statements.clear()
    mine = await blog.get(f"/api/articles/{slug}", headers=reader["headers"])
    assert mine.json()["article"]["favorited"] is True
    listed = await blog.get("/api/articles", headers=reader["headers"])
    assert listed.json()["articles"][0]["favorited"] is True
    assert len(statements) == 2


async def test_every_content_write_is_visible_to_the_next_anonymous_read(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, fan = await writer(), await writer()
    slug = (await new_article(author, title="First words"))["slug"]

    async def anonymous() -> tuple[dict[str, Any], dict[str, Any]]:
        listed = (await blog.get("/api/articles")).json()
        single = await blog.get(f"/api/articles/{slug}")
        return listed, single.json() if single.status_code == 200 else {}

    await anonymous()  # cache both answers
    await new_article(author, title="Second post")
    listed, _ = await anonymous()
    assert [a["title"] for a in listed["articles"]] == ["Second post", "First words"]

    edit = {"article": {"title": "Better words"}}
    await blog.put(f"/api/articles/{slug}", json=edit, headers=author["headers"])
    listed, single = await anonymous()
    assert single["article"]["title"] == "Better words"
    assert "Better words" in [a["title"] for a in listed["articles"]]

    await blog.post(f"/api/articles/{slug}/favorite", headers=fan["headers"])
    _, single = await anonymous()
    assert single["article"]["favoritesCount"] == 1
    await blog.delete(f"/api/articles/{slug}/favorite", headers=fan["headers"])
    _, single = await anonymous()
    assert single["article"]["favoritesCount"] == 0

    await blog.delete(f"/api/articles/{slug}", headers=author["headers"])
    listed, single = await anonymous()
    assert single == {} and listed["articlesCount"] == 1


async def test_answers_are_dropped_when_redis_loses_the_generation(
    blog: httpx.AsyncClient,
    blog_app: FastAPI,
    writer: Any,
    new_article: NewArticle,
    statements: list[str],
) -> None:
    """A restarted Redis must not make old answers current again."""
    slug = (await new_article(await writer()))["slug"]
    await blog.get(f"/api/articles/{slug}")
    redis: Redis = blog_app.state.redis
    await redis.delete(GENERATION_KEY)
    statements.clear()
    assert (await blog.get(f"/api/articles/{slug}")).status_code == 200
    assert len(statements) == 1


async def test_answers_expire_after_their_time_to_live(
    blog: httpx.AsyncClient,
    writer: Any,
    new_article: NewArticle,
    make_blog_settings: Callable[..., Any],
    serve_blog: ServeBlog,
) -> None:
    await new_article(await writer())
    app = create_blog_app(make_blog_settings(read_cache_seconds=0.2))
    async with serve_blog(app) as short_lived:
        first = await short_lived.get("/api/articles")
        assert (await short_lived.get("/api/articles")).content == first.content
        cache = app.state.read_cache
        assert len(cache) == 1
        await asyncio.sleep(0.3)
        assert len(cache) == 0
        assert (await short_lived.get("/api/articles")).status_code == 200


async def test_the_cache_keeps_at_most_its_entry_limit(
    blog: httpx.AsyncClient,
    writer: Any,
    new_article: NewArticle,
    make_blog_settings: Callable[..., Any],
    serve_blog: ServeBlog,
) -> None:
    await new_article(await writer())
    app = create_blog_app(make_blog_settings(read_cache_entries=3))
    async with serve_blog(app) as small:
        for offset in range(6):
            assert (await small.get(f"/api/articles?offset={offset}")).status_code == 200
        assert len(app.state.read_cache) == 3


async def test_tags_are_cached_for_everyone_until_an_article_changes(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, statements: list[str]
) -> None:
    author = await writer()
    await new_article(author, tagList=["one"])
    assert (await blog.get("/api/tags", headers=author["headers"])).json() == {"tags": ["one"]}
    statements.clear()
    assert (await blog.get("/api/tags")).json() == {"tags": ["one"]}
    assert statements == []
    await new_article(author, tagList=["two", "one"])
    assert (await blog.get("/api/tags")).json() == {"tags": ["one", "two"]}
