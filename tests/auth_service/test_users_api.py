"""RealWorld users API: register, login, current user, update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

Headers = Callable[..., dict[str, str]]


async def test_register_returns_201_with_user_and_tokens(client: httpx.AsyncClient) -> None:
    body = {"username": "jake", "email": "Jake@Example.org", "password": "jake's long password"}
    response = await client.post("/api/users", json={"user": body})
    assert response.status_code == 201
    user = response.json()["user"]
    assert user["username"] == "jake"
    assert user["email"] == "jake@example.org"
    assert user["bio"] is None and user["image"] is None
    assert user["token"].count(".") == 2
    assert user["refreshToken"]
    assert user["role"] == "user"


@pytest.mark.parametrize("field", ["username", "email"])
async def test_register_duplicate_returns_409(
    client: httpx.AsyncClient, register: Any, field: str
) -> None:
    first = await register()
    body = {"username": "someone", "email": "someone@example.org", "password": "a fine password"}
    body[field] = first[field].upper() if field == "username" else first[field]
    response = await client.post("/api/users", json={"user": body})
    assert response.status_code == 409
    assert response.json() == {"errors": {field: ["has already been taken"]}}


@pytest.mark.parametrize(
    ("user", "field", "message"),
    [
        ({"email": "a@example.org", "password": "long enough pw"}, "username", "can't be blank"),
        ({"username": "", "email": "a@example.org", "password": "long enough pw"}, "username", "can't be blank"),
        ({"username": "x" * 10_000, "email": "a@example.org", "password": "long enough pw"}, "username", "is too long (maximum is 40 characters)"),
        ({"username": "a b", "email": "a@example.org", "password": "long enough pw"}, "username", "may only contain letters, digits, '_', '-' and '.'"),
        ({"username": "ann", "email": "not-an-email", "password": "long enough pw"}, "email", "is invalid"),
        ({"username": "ann", "email": "a@example.org", "password": "short"}, "password", "is too short (minimum is 8 characters)"),
        ({"username": "ann", "email": "a@example.org", "password": "p" * 129}, "password", "is too long (maximum is 128 characters)"),
        ({"username": "ann", "email": "a@example.org", "password": "password1"}, "password", "is too common"),
        ({"username": "ann", "email": "a@example.org", "password": "long enough pw", "role": "admin"}, "role", "is not allowed"),
        ({"username": "ann", "email": "a@example.org", "password": "long enough pw", "id": 1}, "id", "is not allowed"),
        ({"username": 5, "email": "a@example.org", "password": "long enough pw"}, "username", "has the wrong type"),
    ],
)  # fmt: skip
async def test_register_invalid_input_returns_422_and_writes_nothing(
    client: httpx.AsyncClient, user: dict[str, Any], field: str, message: str
) -> None:
    response = await client.post("/api/users", json={"user": user})
    assert response.status_code == 422
    assert message in response.json()["errors"][field]
    login = await client.post(
        "/api/users/login", json={"user": {"email": "a@example.org", "password": "long enough pw"}}
    )
    assert login.status_code == 401


async def test_register_malformed_json_returns_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", content=b'{"user": {', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["is not valid JSON"]}}


async def test_register_body_over_one_mebibyte_returns_413(client: httpx.AsyncClient) -> None:
    huge = {
        "user": {"username": "big", "email": "big@example.org", "password": "x" * (1024 * 1024)}
    }
    response = await client.post("/api/users", json=huge)
    assert response.status_code == 413
    assert "body" in response.json()["errors"]


async def test_register_streamed_body_over_limit_returns_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        yield b'{"user": {"username": "big", "password": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}}'

    response = await client.post(
        "/api/users", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_login_returns_user_with_fresh_tokens(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    response = await client.post(
        "/api/users/login",
        json={"user": {"email": user["email"].upper(), "password": user["password"]}},
    )
    assert response.status_code == 200
    body = response.json()["user"]
    assert body["username"] == user["username"]
    assert body["token"] != user["token"]
    assert body["refreshToken"] != user["refreshToken"]


async def test_login_unknown_user_and_wrong_password_look_the_same(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    wrong_password = await client.post(
        "/api/users/login", json={"user": {"email": user["email"], "password": "not the password"}}
    )
    unknown_user = await client.post(
        "/api/users/login",
        json={"user": {"email": "nobody@example.org", "password": "not the password"}},
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert (
        wrong_password.json()
        == unknown_user.json()
        == {"errors": {"email or password": ["is invalid"]}}
    )


async def test_get_current_user_returns_the_presented_token(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    for scheme in ("Token", "Bearer"):
        response = await client.get("/api/user", headers=auth_header(user["token"], scheme))
        assert response.status_code == 200
        assert response.json()["user"]["token"] == user["token"]
        assert "refreshToken" not in response.json()["user"]
        assert response.json()["user"]["email"] == user["email"]


async def test_get_current_user_without_token_returns_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/user")
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


async def test_update_user_changes_fields(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    changes = {
        "bio": "I like to skateboard",
        "image": "https://example.org/me.png",
        "username": "renamed",
    }
    response = await client.put(
        "/api/user", json={"user": changes}, headers=auth_header(user["token"])
    )
    assert response.status_code == 200
    body = response.json()["user"]
    assert body["bio"] == "I like to skateboard"
    assert body["image"] == "https://example.org/me.png"
    assert body["username"] == "renamed"
    again = await client.get("/api/user", headers=auth_header(user["token"]))
    assert again.json()["user"]["username"] == "renamed"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "user", "must change at least one field"),
        ({"role": "admin"}, "role", "is not allowed"),
        ({"image": "javascript:alert(1)"}, "image", "must be an http or https URL"),
        ({"password": "123456789"}, "password", "is too common"),
        ({"email": "bad"}, "email", "is invalid"),
        ({"bio": "nul\x00byte"}, "bio", "contains a NUL character"),
    ],
)
async def test_update_user_invalid_returns_422_and_changes_nothing(
    client: httpx.AsyncClient,
    register: Any,
    auth_header: Headers,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    user = await register()
    response = await client.put(
        "/api/user", json={"user": changes}, headers=auth_header(user["token"])
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][field]
    current = await client.get("/api/user", headers=auth_header(user["token"]))
    assert current.json()["user"]["email"] == user["email"]


async def test_update_user_to_taken_email_returns_409(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    first, second = await register(), await register()
    response = await client.put(
        "/api/user", json={"user": {"email": first["email"]}}, headers=auth_header(second["token"])
    )
    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}


async def test_update_user_clears_bio_and_image_with_null(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    headers = auth_header(user["token"])
    await client.put(
        "/api/user", json={"user": {"bio": "x", "image": "https://e.org/a.png"}}, headers=headers
    )
    response = await client.put(
        "/api/user", json={"user": {"bio": None, "image": None}}, headers=headers
    )
    assert response.json()["user"]["bio"] is None
    assert response.json()["user"]["image"] is None


@pytest.mark.parametrize("field", ["email", "username", "password"])
async def test_update_user_with_null_for_a_required_field_returns_422_and_changes_nothing(
    client: httpx.AsyncClient, register: Any, auth_header: Headers, field: str
) -> None:
    user = await register()
    headers = auth_header(user["token"])
    response = await client.put(
        "/api/user", json={"user": {field: None, "bio": "changed"}}, headers=headers
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be null"]}}
    current = await client.get("/api/user", headers=headers)
    assert current.json()["user"]["bio"] != "changed"
