"""blog_service tests: the blog app in process, auth_service as a real HTTP server beside it,
both on real PostgreSQL and Redis."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import event

from auth_service.cli import migrate as migrate_auth
from auth_service.config import AuthSettings
from auth_service.main import create_app as create_auth_app
from blog_service.cli import migrate as migrate_blog
from blog_service.config import BlogSettings
from blog_service.main import create_app as create_blog_app
from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from service_kit.testing.servers import create_database, drop_database

Writer = Callable[..., Awaitable[dict[str, Any]]]
_names = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def blog_auth_database_url(postgres_server_url: str) -> Iterator[str]:
    url = create_database(postgres_server_url, "test_blogauth")
    migrate_auth(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def blog_database_url(postgres_server_url: str) -> Iterator[str]:
    url = create_database(postgres_server_url, "test_blog")
    migrate_blog(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def auth_base_url(
    blog_auth_database_url: str, redis_server_url: str, signing_keys_dir: Path
) -> Iterator[str]:
    """auth_service on a real port, as blog_service meets it in the cluster."""
    settings = AuthSettings.model_validate(
        {"environment": "test", "database_url": blog_auth_database_url,
         "redis_url": redis_server_url, "jwt_keys_dir": signing_keys_dir}
    )  # fmt: skip
    port = free_port()
    config = uvicorn.Config(
        create_auth_app(settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "auth_service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def blog_settings(
    database_url: str, redis_url: str, auth_url: str, **overrides: Any
) -> BlogSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "redis_url": redis_url,
        "auth_url": auth_url,
        **overrides,
    }
    return BlogSettings.model_validate(values)


@pytest.fixture(scope="session")
def make_blog_settings(
    blog_database_url: str, redis_server_url: str, auth_base_url: str
) -> Callable[..., BlogSettings]:
    def make(**overrides: Any) -> BlogSettings:
        values = {"database_url": blog_database_url, "redis_url": redis_server_url,
                  "auth_url": auth_base_url, **overrides}  # fmt: skip
        return blog_settings(**values)

    return make


@pytest.fixture(scope="session")
async def blog_app(make_blog_settings: Callable[..., BlogSettings]) -> AsyncIterator[FastAPI]:
    app = create_blog_app(make_blog_settings())
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def clean_blog_state(
    blog_database_url: str, blog_auth_database_url: str, blog_app: FastAPI
) -> None:
    with psycopg.connect(blog_database_url) as conn:
        conn.execute(
            "TRUNCATE articles, tags, article_tags, favorites, comments, moderation_log "
            "RESTART IDENTITY CASCADE"
        )
    with psycopg.connect(blog_auth_database_url) as conn:
        conn.execute("TRUNCATE users, follows RESTART IDENTITY CASCADE")
    redis: Redis = blog_app.state.redis
    await redis.flushdb()
    blog_app.state.authors.memo.forget()  # user ids restart at 1: other people now


@pytest.fixture
async def blog(blog_app: FastAPI, clean_blog_state: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=blog_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def auth_http(auth_base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_base_url) as client:
        yield client


@pytest.fixture
def writer(auth_http: httpx.AsyncClient, clean_blog_state: None) -> Writer:
    """Register a user on the real auth_service; return its ``user`` with a ``headers`` key."""

    async def make(**fields: Any) -> dict[str, Any]:
        n = next(_names)
        body = {"username": f"author{n}", "email": f"author{n}@example.org",
                "password": "correct horse battery", **fields}  # fmt: skip
        response = await auth_http.post("/api/users", json={"user": body})
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()["user"]
        user["headers"] = {"Authorization": f"Token {user['token']}"}
        return user

    return make


@pytest.fixture
def new_article(blog: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def make(author: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"title": "How to train your dragon", "description": "Ever wonder how?",
                "body": "You have to *believe*.", "tagList": ["dragons", "training"], **fields}  # fmt: skip
        response = await blog.post(
            "/api/articles", json={"article": body}, headers=author["headers"]
        )
        assert response.status_code == 201, response.text
        article: dict[str, Any] = response.json()["article"]
        return article

    return make


# --- Appended block: fixtures for the comments, drafts, moderation, write-limit, fault and
# --- operations tests. Kept together (imports included) so it merges cleanly.
from contextlib import AbstractAsyncContextManager, asynccontextmanager  # noqa: E402

import jwt  # noqa: E402


@pytest.fixture
def serve_blog() -> Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Run another blog app (its own settings) for one test: lifespan and an in-process client."""

    @asynccontextmanager
    async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client

    return serve


@pytest.fixture
def user_id() -> Callable[[dict[str, Any]], int]:
    """The auth_service id of a user made by ``writer`` (the ``sub`` of its token)."""

    def of(user: dict[str, Any]) -> int:
        claims = jwt.decode(user["token"], options={"verify_signature": False})
        return int(claims["sub"])

    return of


# --- End of the appended block.


@pytest.fixture
def statements(blog_app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = blog_app.state.engine.sync_engine

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def pg_blog(
    disposable_postgres: EmbeddedPostgres,
    make_blog_settings: Callable[..., BlogSettings],
    serve_blog: Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]],
    clean_blog_state: None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A blog app on a private PostgreSQL (fault tests may stop and freeze it), with the
    session's auth_service and Redis. Fault tests write in bursts: the per-user write limit
    is raised out of the way (it is tested on its own)."""
    disposable_postgres.create_database("blog")
    url = disposable_postgres.url("blog")
    migrate_blog(url)
    settings = make_blog_settings(database_url=url, articles_per_minute=100_000)
    async with serve_blog(create_blog_app(settings)) as client:
        yield client


@pytest.fixture
async def redis_blog(
    disposable_redis: EmbeddedRedis,
    make_blog_settings: Callable[..., BlogSettings],
    serve_blog: Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]],
    clean_blog_state: None,
) -> AsyncIterator[httpx.AsyncClient]:
    """A blog app on a private Redis, with the test database and the session's auth_service."""
    settings = make_blog_settings(redis_url=disposable_redis.url(), articles_per_minute=100_000)
    async with serve_blog(create_blog_app(settings)) as client:
        yield client
