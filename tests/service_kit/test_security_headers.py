"""Security headers, CORS and the production switch for the API docs, on a bare service app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from service_kit.app import create_service_app
from service_kit.settings import ServiceSettings

PORTAL = "https://blog.example.org"


@asynccontextmanager
async def no_stores(app: FastAPI) -> AsyncIterator[None]:
    yield


def service(environment: str = "test") -> httpx.AsyncClient:
    settings = ServiceSettings(
        database_url="postgresql://unused/db",
        redis_url="redis://unused:6379/0",
        environment=environment,
        cors_origins=[PORTAL],
        max_body_bytes=100,
    )
    app = create_service_app(service="probe", settings=settings, lifespan=no_stores)

    @app.post("/api/echo")
    async def echo(payload: dict[str, str]) -> dict[str, str]:
        return payload

    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://probe")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/echo", b'{"a": "b"}', 200),
        ("GET", "/nowhere", b"", 404),
        ("POST", "/api/echo", b"{" * 200, 413),
        ("POST", "/api/echo", b"not json", 422),
    ],
)
async def test_every_answer_forbids_content_sniffing(
    method: str, path: str, body: bytes, status: int
) -> None:
    async with service() as client:
        response = await client.request(
            method, path, content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_answers_to_requests_with_a_token_are_not_stored() -> None:
    async with service() as client:
        anonymous = await client.post("/api/echo", json={"a": "b"})
        signed_in = await client.post(
            "/api/echo", json={"a": "b"}, headers={"Authorization": "Token x"}
        )
    assert "cache-control" not in anonymous.headers
    assert signed_in.headers["cache-control"] == "no-store"


async def test_cors_allows_only_the_portal_origin() -> None:
    preflight = {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization",
    }
    async with service() as client:
        allowed = await client.options("/api/echo", headers={"Origin": PORTAL, **preflight})
        refused = await client.options(
            "/api/echo", headers={"Origin": "https://evil.example", **preflight}
        )
        simple = await client.post(
            "/api/echo", json={"a": "b"}, headers={"Origin": "https://evil.example"}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize(("environment", "served"), [("development", True), ("production", False)])
async def test_api_docs_are_off_in_production(environment: str, served: bool) -> None:
    async with service(environment) as client:
        for path in ("/docs", "/openapi.json"):
            assert ((await client.get(path)).status_code == 200) is served
