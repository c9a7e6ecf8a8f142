"""blog_service when auth_service is unreachable: public reads still answer, from the
author cache or with minimal profiles; what needs auth_service answers 503, never a wrong
answer or a 401 for a good token.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis

from auth_service.config import AuthSettings
from auth_service.main import create_app as create_auth_app
from blog_service.config import BlogSettings
from blog_service.main import create_app
from service_kit.testing.http import timed

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


@pytest.fixture
def held_port() -> Iterator[socket.socket]:
    """A port bound but never listened on: connecting to it is refused at once, and no other
    process can take it until the test closes the socket."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held


def port_of(held: socket.socket) -> int:
    return int(held.getsockname()[1])


@pytest.fixture
async def no_auth_blog(
    make_blog_settings: Callable[..., BlogSettings],
    serve_blog: ServeBlog,
    blog_app: FastAPI,
    clean_blog_state: None,
    held_port: socket.socket,
) -> AsyncIterator[httpx.AsyncClient]:
    """A blog app on the test database and Redis whose auth_service cannot be reached.

    It shares the session app's token verifier, whose public keys are already loaded (the
    ``writer`` and ``new_article`` fixtures use tokens): a running pod keeps the keys it
    fetched before auth_service went away.
    """
    app = create_app(make_blog_settings(auth_url=f"http://127.0.0.1:{port_of(held_port)}"))
    async with serve_blog(app) as client:
        app.state.verifier = blog_app.state.verifier
        yield client


async def forget_authors(blog_app: FastAPI) -> None:
    redis: Redis = blog_app.state.redis
    for pattern in ("blog:author:*", "blog:author-id:*"):
        keys = [key async for key in redis.scan_iter(match=pattern)]
        if keys:
            await redis.delete(*keys)
    assert [key async for key in redis.scan_iter(match="blog:author*")] == []
    blog_app.state.authors.memo.forget()


async def writer_with_bio(writer: Any, auth_http: httpx.AsyncClient) -> dict[str, Any]:
    user: dict[str, Any] = await writer()
    changed = await auth_http.put(
        "/api/user", json={"user": {"bio": "I write about dragons"}}, headers=user["headers"]
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["user"]["bio"] == "I write about dragons"
    return user


async def test_auth_unreachable_reads_use_cached_author_profiles(
    no_auth_blog: httpx.AsyncClient,
    blog: httpx.AsyncClient,
    auth_http: httpx.AsyncClient,
    writer: Any,
    new_article: NewArticle,
) -> None:
    author = await writer_with_bio(writer, auth_http)
    slug = (await new_article(author))["slug"]  # through the healthy app: fills the cache
    comment = await blog.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}},
        headers=author["headers"],
    )  # fmt: skip
    assert comment.status_code == 201
    cached = {"username": author["username"], "bio": "I write about dragons", "image": None,
              "following": False}  # fmt: skip

    listed, elapsed = await timed(no_auth_blog.get("/api/articles"))
    assert listed.status_code == 200 and elapsed < 2.0
    assert listed.json()["articles"][0]["author"] == cached
    single = await no_auth_blog.get(f"/api/articles/{slug}")
    assert single.status_code == 200
    assert single.json()["article"]["author"] == cached
    comments = await no_auth_blog.get(f"/api/articles/{slug}/comments")
    assert comments.status_code == 200
    assert comments.json()["comments"][0]["author"] == cached
    by_author = await no_auth_blog.get("/api/articles", params={"author": author["username"]})
    assert [a["slug"] for a in by_author.json()["articles"]] == [slug]
    # With the author cached, a write needs nothing from auth_service either.
    written = await post_article(no_auth_blog, author, "while auth is away")
    assert written.status_code == 201
    assert written.json()["article"]["author"]["username"] == author["username"]


async def test_auth_unreachable_and_cache_cold_reads_show_minimal_profiles(
    no_auth_blog: httpx.AsyncClient,
    blog: httpx.AsyncClient,
    blog_app: FastAPI,
    auth_http: httpx.AsyncClient,
    writer: Any,
    new_article: NewArticle,
) -> None:
    author = await writer_with_bio(writer, auth_http)
    slug = (await new_article(author))["slug"]
    comment = await blog.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}},
        headers=author["headers"],
    )  # fmt: skip
    assert comment.status_code == 201
    await forget_authors(blog_app)
    minimal = {"username": author["username"], "bio": None, "image": None, "following": False}

    viewers: list[dict[str, str]] = [{}, author["headers"]]
    for headers in viewers:
        listed, elapsed = await timed(no_auth_blog.get("/api/articles", headers=headers))
        assert listed.status_code == 200 and elapsed < 2.0
        assert listed.json()["articles"][0]["author"] == minimal
        single, elapsed = await timed(no_auth_blog.get(f"/api/articles/{slug}", headers=headers))
        assert single.status_code == 200 and elapsed < 2.0
        assert single.json()["article"]["author"] == minimal
        comments = await no_auth_blog.get(f"/api/articles/{slug}/comments", headers=headers)
        assert comments.status_code == 200
        assert comments.json()["comments"][0]["author"] == minimal


async def test_auth_unreachable_and_cache_cold_writes_answer_503_and_write_nothing(
    no_auth_blog: httpx.AsyncClient,
    blog_app: FastAPI,
    writer: Any,
    new_article: NewArticle,
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    await forget_authors(blog_app)
    unresolved = {"errors": {"author": ["could not be resolved, try again shortly"]}}

    article, elapsed = await timed(post_article(no_auth_blog, author, "needs its author"))
    assert article.status_code == 503 and elapsed < 2.0
    assert article.json() == unresolved
    comment = await no_auth_blog.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "needs its author"}},
        headers=author["headers"],
    )  # fmt: skip
    assert comment.status_code == 503
    assert comment.json() == unresolved
    assert await titles(no_auth_blog) == {"How to train your dragon"}
    listed = await no_auth_blog.get(f"/api/articles/{slug}/comments")
    assert listed.json() == {"comments": []}
    # Writes that need no author record still work.
    liked = await no_auth_blog.post(f"/api/articles/{slug}/favorite", headers=author["headers"])
    assert liked.status_code == 200 and liked.json()["article"]["favoritesCount"] == 1


async def test_auth_unreachable_author_filter_does_not_answer_a_wrong_empty_list(
    no_auth_blog: httpx.AsyncClient, blog_app: FastAPI, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    await forget_authors(blog_app)
    response = await no_auth_blog.get("/api/articles", params={"author": author["username"]})
    found = response.status_code == 200 and [a["slug"] for a in response.json()["articles"]] == [
        slug
    ]
    assert found or response.status_code == 503, response.text


async def test_auth_unreachable_feed_does_not_answer_a_wrong_empty_feed(
    no_auth_blog: httpx.AsyncClient,
    blog_app: FastAPI,
    auth_http: httpx.AsyncClient,
    writer: Any,
    new_article: NewArticle,
    user_id: Callable[[dict[str, Any]], int],
) -> None:
    author, reader = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    follow = await auth_http.post(
        f"/api/profiles/{author['username']}/follow", headers=reader["headers"]
    )
    assert follow.status_code == 200
    redis: Redis = blog_app.state.redis
    await redis.delete(f"blog:following:{user_id(reader)}")  # the follows are not cached
    response = await no_auth_blog.get("/api/articles/feed", headers=reader["headers"])
    found = response.status_code == 200 and [a["slug"] for a in response.json()["articles"]] == [
        slug
    ]
    assert found or response.status_code == 503, response.text


@pytest.fixture
async def keyless_blog(
    make_blog_settings: Callable[..., BlogSettings],
    serve_blog: ServeBlog,
    clean_blog_state: None,
    held_port: socket.socket,
) -> AsyncIterator[httpx.AsyncClient]:
    """A blog app started while auth_service is unreachable: it has never seen the JWKS."""
    app = create_app(make_blog_settings(auth_url=f"http://127.0.0.1:{port_of(held_port)}"))
    async with serve_blog(app) as client:
        yield client


@contextmanager
def auth_service_on(port: int, settings: AuthSettings) -> Iterator[None]:
    """A second auth_service (same database, Redis and signing key) on the given port."""
    config = uvicorn.Config(
        create_auth_app(settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "auth_service did not start"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def test_auth_unreachable_without_cached_keys_answers_503_not_401(
    keyless_blog: httpx.AsyncClient, writer: Any
) -> None:
    author = await writer()
    response = await post_article(keyless_blog, author, "cannot check the token")
    assert response.status_code == 503, response.text
    assert await titles(keyless_blog) == set()


async def test_tokens_accepted_soon_after_auth_service_comes_back(
    keyless_blog: httpx.AsyncClient,
    held_port: socket.socket,
    writer: Any,
    blog_auth_database_url: str,
    redis_server_url: str,
    signing_keys_dir: Path,
) -> None:
    client = keyless_blog
    author = await writer()
    drafts = {"status": "draft"}
    refused = await client.get("/api/articles", params=drafts, headers=author["headers"])
    assert refused.status_code in (401, 503)
    settings = AuthSettings.model_validate(
        {"environment": "test", "database_url": blog_auth_database_url,
         "redis_url": redis_server_url, "jwt_keys_dir": signing_keys_dir}
    )  # fmt: skip
    port = port_of(held_port)
    held_port.close()  # auth_service comes back on the address the blog app knows
    with auth_service_on(port, settings):
        deadline = time.monotonic() + 5
        while True:
            response = await client.get("/api/articles", params=drafts, headers=author["headers"])
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
    assert response.status_code == 200, response.text


async def test_auth_unreachable_public_reads_keep_answering_under_load(
    no_auth_blog: httpx.AsyncClient, blog_app: FastAPI, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author, title="read under load", tagList=["busy"]))["slug"]
    await forget_authors(blog_app)  # the worst case: no cached profile to fall back on
    paths = [
        "/api/articles",
        "/api/articles?tag=busy",
        f"/api/articles/{slug}",
        f"/api/articles/{slug}/comments",
        "/api/tags",
    ]

    async def reader(first: int) -> list[tuple[str, int, float]]:
        seen = []
        for n in range(first, first + 20):
            path = paths[n % len(paths)]
            response, elapsed = await timed(no_auth_blog.get(path))
            seen.append((path, response.status_code, elapsed))
        return seen

    answers = [a for batch in await asyncio.gather(*(reader(n) for n in range(8))) for a in batch]
    assert len(answers) == 160
    assert [a for a in answers if a[1] != 200] == []
    assert max(elapsed for _, _, elapsed in answers) < 2.0
    single = await no_auth_blog.get(f"/api/articles/{slug}")
    assert single.json()["article"]["author"]["username"] == author["username"]
