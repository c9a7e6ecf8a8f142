"""Refresh-token rotation, reuse detection, logout and password change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

Headers = Callable[..., dict[str, str]]


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refreshToken": token})


async def test_refresh_returns_new_tokens_and_retires_the_old_one(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    response = await _refresh(client, user["refreshToken"])
    assert response.status_code == 200
    fresh = response.json()["user"]
    assert fresh["refreshToken"] != user["refreshToken"]
    assert fresh["username"] == user["username"]
    me = await client.get("/api/user", headers=auth_header(fresh["token"]))
    assert me.status_code == 200


async def test_refresh_reuse_revokes_the_whole_family(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    first = (await _refresh(client, user["refreshToken"])).json()["user"]["refreshToken"]
    reused = await _refresh(client, user["refreshToken"])
    assert reused.status_code == 401
    assert "already used" in reused.json()["errors"]["refreshToken"][0]
    newest = await _refresh(client, first)
    assert newest.status_code == 401
    assert newest.json() == {"errors": {"refreshToken": ["has been revoked"]}}


async def test_refresh_concurrent_use_lets_only_one_win(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    results = await asyncio.gather(*(_refresh(client, user["refreshToken"]) for _ in range(5)))
    assert sorted(r.status_code for r in results) == [200, 401, 401, 401, 401]


async def test_refresh_unknown_or_malformed_token_returns_401(client: httpx.AsyncClient) -> None:
    for token in ("garbage", "0" * 32 + ".secret", "a.b.c"):
        response = await _refresh(client, token)
        assert response.status_code == 401
        assert response.json() == {"errors": {"refreshToken": ["is invalid or expired"]}}


async def test_refresh_family_expires_at_its_absolute_lifetime(
    client: httpx.AsyncClient, register: Any, auth_app: FastAPI
) -> None:
    user = await register()
    family = user["refreshToken"].split(".")[0]
    family_pttl = await auth_app.state.redis.pttl(f"auth:refresh-family:{family}")
    assert (30 * 24 * 3600 - 60) * 1000 < family_pttl <= 30 * 24 * 3600 * 1000
    rotated = (await _refresh(client, user["refreshToken"])).json()["user"]["refreshToken"]
    token_pttl = await auth_app.state.redis.pttl(auth_app.state.refresh_tokens.token_key(rotated))
    assert 0 < token_pttl <= family_pttl  # rotation never extends the session


async def test_logout_revokes_family_and_access_token(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    headers = auth_header(user["token"])
    response = await client.post(
        "/api/auth/logout", json={"refreshToken": user["refreshToken"]}, headers=headers
    )
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/api/user", headers=headers)).json() == {
        "errors": {"token": ["has been revoked"]}
    }
    assert (await _refresh(client, user["refreshToken"])).status_code == 401


async def test_logout_requires_an_access_token(client: httpx.AsyncClient, register: Any) -> None:
    user = await register()
    response = await client.post("/api/auth/logout", json={"refreshToken": user["refreshToken"]})
    assert response.status_code == 401
    assert (await _refresh(client, user["refreshToken"])).status_code == 200


async def test_logout_leaves_another_users_session_alone(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    alice, bob = await register(), await register()
    response = await client.post(
        "/api/auth/logout",
        json={"refreshToken": bob["refreshToken"]},
        headers=auth_header(alice["token"]),
    )
    assert response.status_code == 204
    assert (await _refresh(client, bob["refreshToken"])).status_code == 200


async def test_password_change_revokes_every_session_but_returns_a_new_one(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    other_login = await client.post(
        "/api/users/login", json={"user": {"email": user["email"], "password": user["password"]}}
    )
    other = other_login.json()["user"]
    response = await client.put(
        "/api/user",
        json={"user": {"password": "a brand new passphrase"}},
        headers=auth_header(user["token"]),
    )
    assert response.status_code == 200
    fresh = response.json()["user"]
    assert (await client.get("/api/user", headers=auth_header(user["token"]))).status_code == 401
    assert (await client.get("/api/user", headers=auth_header(other["token"]))).status_code == 401
    assert (await _refresh(client, user["refreshToken"])).status_code == 401
    assert (await _refresh(client, other["refreshToken"])).status_code == 401
    assert (await client.get("/api/user", headers=auth_header(fresh["token"]))).status_code == 200
    assert (await _refresh(client, fresh["refreshToken"])).status_code == 200
    old_password = await client.post(
        "/api/users/login", json={"user": {"email": user["email"], "password": user["password"]}}
    )
    assert old_password.status_code == 401
    new_password = await client.post(
        "/api/users/login",
        json={"user": {"email": user["email"], "password": "a brand new passphrase"}},
    )
    assert new_password.status_code == 200


async def test_tokens_issued_right_after_a_password_change_are_accepted(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    """The change revokes tokens issued before the next whole second; a login or refresh in
    that same second must not hand out a token that is already revoked (seen in the portal:
    'Your session has ended' right after signing in with the new password)."""
    user = await register()
    changed = await client.put(
        "/api/user",
        json={"user": {"password": "a brand new passphrase"}},
        headers=auth_header(user["token"]),
    )
    fresh = changed.json()["user"]
    login = await client.post(
        "/api/users/login",
        json={"user": {"email": user["email"], "password": "a brand new passphrase"}},
    )
    refreshed = await _refresh(client, fresh["refreshToken"])
    for answer in (login, refreshed):
        assert answer.status_code == 200, answer.text
        token = answer.json()["user"]["token"]
        assert (await client.get("/api/user", headers=auth_header(token))).status_code == 200
