"""auth_service tests run the real app on real PostgreSQL and Redis, in process over ASGI."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from auth_service.cli import migrate
from auth_service.config import AuthSettings
from auth_service.main import create_app
from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from service_kit.testing.servers import create_database, drop_database

Register = Callable[..., Awaitable[dict[str, Any]]]
_names = itertools.count(1)


@pytest.fixture(scope="session")
def auth_database_url(postgres_server_url: str) -> Iterator[str]:
    url = create_database(postgres_server_url, "test_auth")
    migrate(url)
    yield url
    drop_database(url)


def make_settings(
    database_url: str, redis_url: str, keys_dir: Path, **overrides: Any
) -> AuthSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "redis_url": redis_url,
        "jwt_keys_dir": keys_dir,
        "jwt_issuer": "http://localhost:8080",
        **overrides,
    }
    return AuthSettings.model_validate(values)


@pytest.fixture(scope="session")
def auth_settings(
    auth_database_url: str, redis_server_url: str, signing_keys_dir: Path
) -> AuthSettings:
    return make_settings(auth_database_url, redis_server_url, signing_keys_dir)


@pytest.fixture(scope="session")
async def auth_app(auth_settings: AuthSettings) -> AsyncIterator[FastAPI]:
    app = create_app(auth_settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def clean_state(auth_settings: AuthSettings, auth_app: FastAPI) -> None:
    """Every test starts from empty tables and an empty Redis database."""
    with psycopg.connect(auth_settings.database_url) as conn:
        conn.execute("TRUNCATE users, follows RESTART IDENTITY CASCADE")
    redis: Redis = auth_app.state.redis
    await redis.flushdb()


@pytest.fixture
async def client(auth_app: FastAPI, clean_state: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=auth_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def register(client: httpx.AsyncClient) -> Register:
    """Register a user (unique name unless given) and return the response's ``user``."""

    async def make(**fields: Any) -> dict[str, Any]:
        n = next(_names)
        body = {
            "username": f"writer{n}",
            "email": f"writer{n}@example.org",
            "password": "correct horse battery",
            **fields,
        }
        response = await client.post("/api/users", json={"user": body})
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()["user"]
        user["password"] = body["password"]
        return user

    return make


def auth(token: str, scheme: str = "Token") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


@pytest.fixture
def auth_header() -> Callable[..., dict[str, str]]:
    return auth


@pytest.fixture(scope="session")
def settings_factory() -> Callable[..., AuthSettings]:
    """Build settings for an app on other servers (fault tests run on private ones)."""
    return make_settings


@pytest.fixture
async def app_client(
    disposable_postgres: EmbeddedPostgres,
    disposable_redis: EmbeddedRedis,
    signing_keys_dir: Path,
    settings_factory: Callable[..., Any],
) -> AsyncIterator[httpx.AsyncClient]:
    """auth_service on private PostgreSQL and Redis that a fault test may stop and freeze."""
    disposable_postgres.create_database("auth")
    url = disposable_postgres.url("auth")
    migrate(url)
    app = create_app(settings_factory(url, disposable_redis.url(), signing_keys_dir))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client
