"""Failed-login throttling per account and per client address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from auth_service.config import AuthSettings
from auth_service.main import create_app


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/users/login", json={"user": {"email": email, "password": password}}
    )


async def test_eleventh_failed_login_is_throttled_even_with_the_right_password(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    for _ in range(10):
        assert (await _login(client, user["email"], "wrong password!")).status_code == 401
    throttled = await _login(client, user["email"], user["password"])
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
    assert throttled.json() == {"errors": {"login": ["too many attempts, try again later"]}}


async def test_unknown_account_is_throttled_like_a_known_one(client: httpx.AsyncClient) -> None:
    for _ in range(10):
        assert (await _login(client, "ghost@example.org", "wrong password!")).status_code == 401
    assert (await _login(client, "ghost@example.org", "wrong password!")).status_code == 429


async def test_successful_login_resets_the_account_counter(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    for _ in range(9):
        await _login(client, user["email"], "wrong password!")
    assert (await _login(client, user["email"], user["password"])).status_code == 200
    for _ in range(9):
        assert (await _login(client, user["email"], "wrong password!")).status_code == 401


async def test_throttle_lock_expires_by_itself(
    client: httpx.AsyncClient, register: Any, auth_app: FastAPI
) -> None:
    user = await register()
    for _ in range(10):
        await _login(client, user["email"], "wrong password!")
    assert (await _login(client, user["email"], user["password"])).status_code == 429
    throttle = auth_app.state.login_throttle
    key = throttle.account_key(user["email"])
    assert 0 < await auth_app.state.redis.ttl(key) <= 15 * 60
    await auth_app.state.redis.pexpire(key, 1)  # fast-forward the window
    await auth_app.state.redis.delete(throttle.address_key("127.0.0.1"))
    import asyncio

    await asyncio.sleep(0.01)
    assert (await _login(client, user["email"], user["password"])).status_code == 200


async def test_client_address_limit_spans_accounts(
    auth_settings: AuthSettings, clean_state: None, signing_keys_dir: Path
) -> None:
    settings = auth_settings.model_copy(update={"login_failures_per_address": 3})
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for n in range(3):
                assert (
                    await _login(client, f"user{n}@example.org", "wrong password!")
                ).status_code == 401
            blocked = await _login(client, "fresh@example.org", "wrong password!")
            assert blocked.status_code == 429
        other = httpx.ASGITransport(app=app, client=("203.0.113.10", 5000))
        async with httpx.AsyncClient(transport=other, base_url="http://t") as client:
            assert (await _login(client, "fresh@example.org", "wrong password!")).status_code == 401
