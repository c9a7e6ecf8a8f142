"""auth_service under a steady load while Redis freezes (issue 8): token checks keep
answering, the Redis-backed operations (login, refresh, register) refuse promptly with 503,
and nothing is left inconsistent once Redis is back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from devstack.embedded import EmbeddedRedis
from service_kit.testing.http import until_ok

pytestmark = pytest.mark.chaos
PASSWORD = "sturdy passphrase"


async def test_redis_frozen_under_load(
    app_client: httpx.AsyncClient, disposable_redis: EmbeddedRedis
) -> None:
    body = {"user": {"username": "reader", "email": "reader@example.org", "password": PASSWORD}}
    user = (await app_client.post("/api/users", json=body)).json()["user"]
    headers = {"Authorization": f"Token {user['token']}"}
    login = {"user": {"email": "reader@example.org", "password": PASSWORD}}
    answers: list[tuple[str, float, float, int]] = []
    stopping = asyncio.Event()
    window: dict[str, float] = {}

    async def keep(kind: str, call: Any, pause: float) -> None:
        while not stopping.is_set():
            started = time.monotonic()
            response: httpx.Response = await call()
            answers.append((kind, started, time.monotonic() - started, response.status_code))
            await asyncio.sleep(pause)

    tasks = [
        asyncio.create_task(keep("me", lambda: app_client.get("/api/user", headers=headers), 0.02)),
        asyncio.create_task(keep("profile", lambda: app_client.get("/api/profiles/reader"), 0.02)),
        asyncio.create_task(
            keep("login", lambda: app_client.post("/api/users/login", json=login), 0.2)
        ),
    ]
    try:
        await asyncio.sleep(1.0)
        window["from"] = time.monotonic()
        await asyncio.to_thread(disposable_redis.pause)
        await asyncio.sleep(5)
        refused_refresh = await app_client.post(
            "/api/auth/refresh", json={"refreshToken": user["refreshToken"]}
        )
        window["to"] = time.monotonic()
        await asyncio.to_thread(disposable_redis.resume)
        await asyncio.sleep(2.0)
    finally:
        stopping.set()
        await asyncio.gather(*tasks)

    assert 500 not in {status for *_, status in answers}
    during = [a for a in answers if window["from"] + 0.2 <= a[1] and a[1] + a[2] <= window["to"]]
    by_kind = {kind: [a for a in during if a[0] == kind] for kind in ("me", "profile", "login")}
    assert all(by_kind.values()), {k: len(v) for k, v in by_kind.items()}
    assert all(a[3] == 200 for a in by_kind["me"] + by_kind["profile"]), by_kind
    assert all(a[3] == 503 for a in by_kind["login"]), by_kind["login"]
    assert all(a[2] < 2.0 for a in during)
    assert refused_refresh.status_code == 503
    # Once Redis is back: logins work, and the refresh token refused during the outage was
    # not spent: it still rotates exactly once.
    assert (
        await until_ok(lambda: app_client.post("/api/users/login", json=login))
    ).status_code == 200
    rotated = await app_client.post(
        "/api/auth/refresh", json={"refreshToken": user["refreshToken"]}
    )
    assert rotated.status_code == 200, rotated.text
    again = await app_client.post("/api/auth/refresh", json={"refreshToken": user["refreshToken"]})
    assert again.status_code == 401
