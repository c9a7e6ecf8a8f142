"""Per-user write limits in Redis: past the budget a write gets 429 with Retry-After and
leaves nothing behind; other users and other kinds of write are not affected."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from blog_service.config import BlogSettings
from blog_service.main import create_app

ServeBlog = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def limited(
    make_blog_settings: Callable[..., BlogSettings],
    serve_blog: ServeBlog,
    clean_blog_state: None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A blog app allowing two articles and two comments per user per minute."""
    app = create_app(make_blog_settings(articles_per_minute=2, comments_per_minute=2))
    async with serve_blog(app) as client:
        await same_minute_ahead()
        yield client


async def same_minute_ahead(seconds_needed: float = 5.0) -> None:
    """The budget is counted per clock minute; a test that needs its writes to land in one
    minute waits out the last few seconds of the current one (rarely more than a no-op)."""
    into_minute = time.time() % 60
    if into_minute > 60 - seconds_needed:
        await asyncio.sleep(60 - into_minute + 0.05)


async def post_article(
    client: httpx.AsyncClient, user: dict[str, Any], title: str
) -> httpx.Response:
    body = {"title": title, "description": "d", "body": "b"}
    return await client.post("/api/articles", json={"article": body}, headers=user["headers"])


async def post_comment(
    client: httpx.AsyncClient, user: dict[str, Any], slug: str, text: str
) -> httpx.Response:
    return await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": text}}, headers=user["headers"]
    )


def assert_limited(response: httpx.Response, kind: str) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {"errors": {kind: ["too many attempts, try again later"]}}
    assert 1 <= int(response.headers["Retry-After"]) <= 60


async def titles(client: httpx.AsyncClient) -> list[str]:
    body = (await client.get("/api/articles")).json()
    return sorted(a["title"] for a in body["articles"])


async def test_create_article_past_the_limit_returns_429_and_writes_nothing(
    limited: httpx.AsyncClient, writer: Any
) -> None:
    author = await writer()
    for n in (1, 2):
        assert (await post_article(limited, author, f"allowed {n}")).status_code == 201
    refused = await post_article(limited, author, "one too many")
    assert_limited(refused, "articles")
    assert await titles(limited) == ["allowed 1", "allowed 2"]
    # Refusals keep being refused within the minute.
    assert_limited(await post_article(limited, author, "still too many"), "articles")
    assert await titles(limited) == ["allowed 1", "allowed 2"]


async def test_article_limit_is_per_user(limited: httpx.AsyncClient, writer: Any) -> None:
    busy, other = await writer(), await writer()
    for n in (1, 2):
        assert (await post_article(limited, busy, f"busy {n}")).status_code == 201
    assert_limited(await post_article(limited, busy, "busy 3"), "articles")
    for n in (1, 2):
        assert (await post_article(limited, other, f"other {n}")).status_code == 201
    assert_limited(await post_article(limited, other, "other 3"), "articles")
    assert await titles(limited) == ["busy 1", "busy 2", "other 1", "other 2"]


async def test_add_comment_past_the_limit_returns_429_and_writes_nothing(
    limited: httpx.AsyncClient, writer: Any
) -> None:
    author = await writer()
    slug = (await post_article(limited, author, "host")).json()["article"]["slug"]
    for n in (1, 2):
        assert (await post_comment(limited, author, slug, f"comment {n}")).status_code == 201
    assert_limited(await post_comment(limited, author, slug, "comment 3"), "comments")
    listed = (await limited.get(f"/api/articles/{slug}/comments")).json()["comments"]
    assert [c["body"] for c in listed] == ["comment 1", "comment 2"]


async def test_comment_limit_is_per_user(limited: httpx.AsyncClient, writer: Any) -> None:
    author, chatty, quiet = await writer(), await writer(), await writer()
    slug = (await post_article(limited, author, "host")).json()["article"]["slug"]
    for n in (1, 2):
        assert (await post_comment(limited, chatty, slug, f"chatty {n}")).status_code == 201
    assert_limited(await post_comment(limited, chatty, slug, "chatty 3"), "comments")
    assert (await post_comment(limited, quiet, slug, "quiet 1")).status_code == 201
    listed = (await limited.get(f"/api/articles/{slug}/comments")).json()["comments"]
    assert [c["body"] for c in listed] == ["chatty 1", "chatty 2", "quiet 1"]


async def test_article_and_comment_budgets_are_separate(
    limited: httpx.AsyncClient, writer: Any
) -> None:
    author = await writer()
    slugs = [
        (await post_article(limited, author, f"post {n}")).json()["article"]["slug"] for n in (1, 2)
    ]
    assert_limited(await post_article(limited, author, "post 3"), "articles")
    for n in (1, 2):
        assert (await post_comment(limited, author, slugs[0], f"c{n}")).status_code == 201
    assert_limited(await post_comment(limited, author, slugs[1], "c3"), "comments")
    # Reads and other writes are not rate limited.
    assert (await limited.get(f"/api/articles/{slugs[0]}")).status_code == 200
    favorite = await limited.post(f"/api/articles/{slugs[1]}/favorite", headers=author["headers"])
    assert favorite.status_code == 200


async def test_invalid_writes_do_not_spend_the_budget(
    limited: httpx.AsyncClient, writer: Any
) -> None:
    author = await writer()
    for _ in range(3):
        invalid = await limited.post(
            "/api/articles", json={"article": {"title": ""}}, headers=author["headers"]
        )
        assert invalid.status_code == 422
    for n in (1, 2):
        assert (await post_article(limited, author, f"valid {n}")).status_code == 201
    assert_limited(await post_article(limited, author, "valid 3"), "articles")
