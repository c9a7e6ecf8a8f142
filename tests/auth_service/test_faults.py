"""auth_service when PostgreSQL or Redis stops or freezes: prompt 503s, self-healing, no lost writes.

Each test runs on private embedded servers it may stop and freeze, never on shared ones.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from service_kit.testing.http import timed, until_ok

pytestmark = pytest.mark.chaos
PASSWORD = "sturdy passphrase"


async def _register(client: httpx.AsyncClient, n: int) -> httpx.Response:
    user = {"username": f"u{n}", "email": f"u{n}@example.org", "password": PASSWORD}
    return await client.post("/api/users", json={"user": user})


async def _login(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {"user": {"email": f"u{n}@example.org", "password": PASSWORD}}
    return await client.post("/api/users/login", json=body)


async def test_postgres_stopped_gives_fast_503_then_recovers_without_restart(
    app_client: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres
) -> None:
    assert (await _register(app_client, 1)).status_code == 201
    disposable_postgres.stop()
    for call in (_register(app_client, 2), app_client.get("/api/profiles/u1")):
        response, elapsed = await timed(call)
        assert response.status_code == 503
        assert elapsed < 2.0
        assert response.headers["Retry-After"]
    ready = await app_client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["postgres"] != "ok"
    disposable_postgres.start()
    assert (await until_ok(lambda: _register(app_client, 3))).status_code == 201
    assert (await _login(app_client, 1)).status_code == 200
    assert (await _login(app_client, 3)).status_code == 200
    assert (await _login(app_client, 2)).status_code == 401  # refused write left nothing behind


async def test_postgres_frozen_gives_503_within_two_seconds_then_recovers(
    app_client: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres
) -> None:
    assert (await _register(app_client, 1)).status_code == 201
    disposable_postgres.pause()
    try:
        for call in (app_client.get("/api/profiles/u1"), _register(app_client, 2)):
            response, elapsed = await timed(call)
            assert response.status_code == 503
            assert elapsed < 2.0
    finally:
        disposable_postgres.resume()
    assert (await until_ok(lambda: app_client.get("/api/profiles/u1"))).status_code == 200
    assert (await until_ok(lambda: _register(app_client, 3))).status_code == 201


async def test_acknowledged_writes_survive_a_postgres_restart_under_load(
    app_client: httpx.AsyncClient, disposable_postgres: EmbeddedPostgres
) -> None:
    acknowledged: list[int] = []

    async def writer() -> None:
        for n in range(100, 160):
            response = await _register(app_client, n)
            assert response.status_code in (201, 503), response.text
            if response.status_code == 201:
                acknowledged.append(n)
            await asyncio.sleep(0.03)

    async def chaos() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(disposable_postgres.stop)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(disposable_postgres.start)

    await asyncio.gather(writer(), chaos())
    assert acknowledged, "no write succeeded at all"
    await until_ok(lambda: app_client.get("/api/profiles/u100"))
    for n in acknowledged:
        profile = await app_client.get(f"/api/profiles/u{n}")
        assert profile.status_code == 200, f"acknowledged user u{n} is missing"


async def test_redis_stopped_keeps_token_checks_and_fails_sessions_closed(
    app_client: httpx.AsyncClient, disposable_redis: EmbeddedRedis
) -> None:
    user = (await _register(app_client, 1)).json()["user"]
    headers = {"Authorization": f"Token {user['token']}"}
    disposable_redis.stop()
    me, elapsed = await timed(app_client.get("/api/user", headers=headers))
    assert me.status_code == 200 and elapsed < 2.0
    assert (await app_client.get("/api/profiles/u1", headers=headers)).status_code == 200
    login, elapsed = await timed(_login(app_client, 1))
    assert login.status_code == 503 and elapsed < 2.0
    assert login.json() == {"errors": {"cache": ["is unavailable, try again shortly"]}}
    refresh = await app_client.post(
        "/api/auth/refresh", json={"refreshToken": user["refreshToken"]}
    )
    assert refresh.status_code == 503
    assert (await _register(app_client, 2)).status_code == 503
    disposable_redis.start()
    assert (await until_ok(lambda: _login(app_client, 1))).status_code == 200
    assert (await _login(app_client, 2)).status_code == 401  # the refused registration left no user
