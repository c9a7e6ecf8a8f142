"""Health, readiness, metrics, logs and the OpenAPI document of auth_service."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest


async def test_healthz_and_readyz_report_ok(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    await client.get(f"/api/profiles/{user['username']}")
    await client.get("/healthz")
    await client.get("/metrics")  # a scrape is not a user request
    text = (await client.get("/metrics")).text
    assert (
        'http_requests_total{method="GET",route="/api/profiles/{username}",service="auth-service",status="200"}'
        in text
    )
    # The app is shared: other tests' 404s and 413s are unmatched too, but never a GET 200.
    scrape = (
        'http_requests_total{method="GET",route="<unmatched>",service="auth-service",status="200"}'
    )
    assert scrape not in text
    assert 'route="/metrics"' not in text
    assert (
        'http_request_duration_seconds_bucket{le="0.05",method="POST",route="/api/users",service="auth-service"}'
        in text
    )
    assert 'route="/healthz"' not in text
    assert user["username"] not in text


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    given = await client.get("/api/profiles/x", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = await client.get("/api/profiles/x")
    assert len(made.headers["X-Request-ID"]) == 32


async def test_access_log_is_one_json_object_with_the_platform_fields(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/api/profiles/someone", headers={"X-Request-ID": "log-check"})
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    entry = next(
        line
        for line in lines
        if line.get("event") == "request" and line.get("request_id") == "log-check"
    )
    assert entry["service"] == "auth-service"
    assert entry["route"] == "/api/profiles/{username}"
    assert entry["status"] == 404 and entry["method"] == "GET"
    assert {"timestamp", "level", "duration_ms"} <= set(entry)


async def test_unknown_path_and_method_use_the_error_body(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"errors": {"path": ["not found"]}}
    wrong = await client.patch("/api/user")
    assert wrong.status_code == 405
    assert wrong.json() == {"errors": {"method": ["is not allowed"]}}


async def test_openapi_documents_the_contract_paths_and_errors(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/api/users", "/api/users/login", "/api/user", "/api/profiles/{username}",
                 "/api/profiles/{username}/follow", "/api/auth/refresh", "/api/auth/logout"):  # fmt: skip
        assert path in paths
    assert "409" in paths["/api/users"]["post"]["responses"]
    assert "Token" in document["components"]["securitySchemes"]
