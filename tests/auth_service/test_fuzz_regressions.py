"""Failures schemathesis found in auth_service (tests/hardening/test_fuzz.py), smallest input each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

# A JSON body that is not UTF-8 made FastAPI answer 400 "There was an error parsing the body",
# a status no operation documents (schemathesis: status_code_conformance, 2026-11-26).
NOT_UTF8 = b"\x80"


@pytest.mark.parametrize(
    "path", ["/api/users", "/api/users/login", "/api/auth/refresh", "/api/auth/logout"]
)
async def test_post_body_not_utf8_is_invalid_json_422(
    client: httpx.AsyncClient,
    register: Callable[..., Awaitable[dict[str, Any]]],
    auth_header: Callable[..., dict[str, str]],
    path: str,
) -> None:
    user = await register()
    headers = {"Content-Type": "application/json", **auth_header(user["token"])}
    response = await client.post(path, content=NOT_UTF8, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json() == {"errors": {"body": ["is not valid JSON"]}}


async def test_put_user_body_not_utf8_is_invalid_json_422(
    client: httpx.AsyncClient,
    register: Callable[..., Awaitable[dict[str, Any]]],
    auth_header: Callable[..., dict[str, str]],
) -> None:
    user = await register()
    headers = {"Content-Type": "application/json", **auth_header(user["token"])}
    response = await client.put("/api/user", content=NOT_UTF8, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json() == {"errors": {"body": ["is not valid JSON"]}}


# A 405 named only the methods of the first route FastAPI registered for the path
# (`Allow: GET` on /api/user, which also takes PUT): schemathesis, allow_header_conformance.
@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/api/user", "GET, PUT"), ("/api/profiles/someone/follow", "DELETE, POST")],
)
async def test_method_not_allowed_lists_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, allowed: str
) -> None:
    response = await client.options(path)
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == allowed
    assert response.json() == {"errors": {"method": ["is not allowed"]}}


# Bodies over the 1 MiB cap get 413, which no operation documented (schemathesis on the
# blog's POST /api/articles; the same cap guards every service).
def test_every_operation_with_a_body_documents_413(auth_app: FastAPI) -> None:
    operations = auth_app.openapi()["paths"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, methods in operations.items()
        for method, operation in methods.items()
        if "requestBody" in operation and "413" not in operation["responses"]
    ]
    assert undocumented == []


async def test_body_over_the_cap_is_413(client: httpx.AsyncClient) -> None:
    padding = " " * (1024 * 1024)
    response = await client.post(
        "/api/users/login",
        content=f'{{"user": {{"email": "a@example.org", "password": "x"}}}}{padding}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json() == {"errors": {"body": ["is too large (maximum is 1048576 bytes)"]}}
