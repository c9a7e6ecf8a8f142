"""Fixtures of the hardening tests: the stack (see `stack.py`) and users registered on it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from auth_service.cli import migrate as migrate_auth
from auth_service.config import AuthSettings
from auth_service.main import create_app as create_auth_app
from blog_service.cli import migrate as migrate_blog
from blog_service.config import BlogSettings
from blog_service.main import create_app as create_blog_app
from devstack.edge import create_edge_app
from devstack.routes import AUTH_SERVICE, BLOG_SERVICE
from service_kit.testing.servers import create_database, drop_database
from tests.hardening.stack import (
    PASSWORD,
    TOKEN_TTL_SECONDS,
    UNLIMITED_WRITES,
    Account,
    Stack,
    serve,
)

_names = itertools.count(1)


@pytest.fixture(scope="session")
def hardening_stack(
    postgres_server_url: str, redis_server_url: str, signing_keys_dir: Path
) -> Iterator[Stack]:
    # Fresh databases, and no cached profile or read-cache generation left in Redis by an
    # earlier run (the same usernames would resolve to that run's user ids).
    with Redis.from_url(redis_server_url) as redis:
        redis.flushdb()
    auth_db = create_database(postgres_server_url, "test_hardening_auth")
    blog_db = create_database(postgres_server_url, "test_hardening_blog")
    migrate_auth(auth_db)
    migrate_blog(blog_db)
    # The fuzzing hunts answers to bad input, not deadlines: on a busy machine a call to
    # auth_service can pass the production 0.5 s and turn into a 503 that is about load.
    # Generous deadlines keep that apart; a request that hangs still ends as a 5xx.
    deadlines = {"request_timeout_seconds": 10.0}
    auth_settings = AuthSettings.model_validate(
        {"environment": "test", "database_url": auth_db, "redis_url": redis_server_url,
         "jwt_keys_dir": signing_keys_dir, "access_token_ttl_seconds": TOKEN_TTL_SECONDS,
         **deadlines}
    )  # fmt: skip
    try:
        with serve(create_auth_app(auth_settings), "auth") as auth_url:
            blog_settings = BlogSettings.model_validate(
                {"environment": "test", "database_url": blog_db, "redis_url": redis_server_url,
                 "auth_url": auth_url, "articles_per_minute": UNLIMITED_WRITES,
                 "comments_per_minute": UNLIMITED_WRITES, "auth_timeout_seconds": 5.0,
                 **deadlines}
            )  # fmt: skip
            with serve(create_blog_app(blog_settings), "blog") as blog_url:
                edge = create_edge_app({AUTH_SERVICE: auth_url, BLOG_SERVICE: blog_url})
                with serve(edge, "edge") as edge_url:
                    yield Stack(edge=edge_url, auth=auth_url, blog=blog_url)
    finally:
        drop_database(auth_db)
        drop_database(blog_db)


@pytest.fixture(scope="session")
def edge_http(hardening_stack: Stack) -> Iterator[httpx.Client]:
    """A plain client of the public edge (no proxy from the environment)."""
    with httpx.Client(base_url=hardening_stack.edge, timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
def register(edge_http: httpx.Client) -> Callable[[str], Account]:
    """Register a new user through the edge (its name starts with `prefix`)."""

    def make(prefix: str) -> Account:
        n = next(_names)
        body = {"username": f"{prefix}{n}", "email": f"{prefix}{n}@example.org",
                "password": PASSWORD}  # fmt: skip
        response = edge_http.post("/api/users", json={"user": body})
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()["user"]
        return Account(user["username"], user["email"], user["token"])

    return make
