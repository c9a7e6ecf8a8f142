"""Small pure pieces: error bodies, settings, tag splitting, token expiry, the CSP middleware."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from portal.clients.base import UNAVAILABLE, Settings, error_from_response
from portal.csp import ContentSecurityPolicy, policy_for
from portal.health import health_app
from portal.state.editor import split_tags
from portal.state.session import token_expiry


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


def test_error_body_becomes_field_messages_and_a_sentence() -> None:
    error = error_from_response(
        _response(422, {"errors": {"email": ["can't be blank"], "body": ["is bad"]}})
    )
    assert error.fields == {"email": "email can't be blank", "body": "is bad"}
    assert error.message == "Please correct the highlighted fields."


def test_server_errors_and_odd_bodies_read_as_unavailable() -> None:
    assert error_from_response(httpx.Response(502, content=b"<html>")).message == UNAVAILABLE
    assert error_from_response(_response(500, {"errors": {"x": ["y"]}})).message == UNAVAILABLE
    assert error_from_response(_response(429, {})).message.startswith("You are doing that too")


def test_settings_from_env_one_url_for_both_or_one_each() -> None:
    both = Settings.from_env({"PORTAL_API_URL": "http://gw:80/"})
    assert (both.auth_url, both.blog_url) == ("http://gw:80", "http://gw:80")
    split = Settings.from_env(
        {
            "PORTAL_AUTH_URL": "http://a:1",
            "PORTAL_BLOG_URL": "http://b:2",
            "PORTAL_API_TIMEOUT_SECONDS": "2.5",
        }
    )
    assert (split.auth_url, split.blog_url, split.timeout_seconds) == (
        "http://a:1",
        "http://b:2",
        2.5,
    )
    assert Settings.from_env({}).auth_url == "http://localhost:8080"


def test_split_tags_trims_drops_blanks_and_repeats() -> None:
    assert split_tags(" a, b  c,,a ,") == ["a", "b c"]
    assert split_tags("") == []


def test_token_expiry_reads_exp_and_tolerates_garbage() -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": 1234}).encode()).rstrip(b"=").decode()
    assert token_expiry(f"h.{payload}.s") == 1234.0
    assert token_expiry("not a token") == 0.0
    assert token_expiry("h.!!!.s") == 0.0


def _sha(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


def test_policy_hashes_exactly_the_inline_scripts() -> None:
    html = (
        b'<script>one()</script><script src="/a.js"></script><script type="module">two()</script>'
    )
    policy = policy_for(html)
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == f"script-src 'self' {' '.join(sorted([_sha(b'one()'), _sha(b'two()')]))}"
    # A script changed after the fact (an injection) is not in the policy.
    assert _sha(b"one();evil()") not in policy
    assert "unsafe-inline" not in script_src


async def test_middleware_sets_policy_on_html_only() -> None:
    page = "<html><script>boot()</script><p>hi</p></html>"
    app = Starlette(
        routes=[
            Route("/", lambda request: HTMLResponse(page)),
            Route("/data", lambda request: JSONResponse({"a": 1})),
        ]
    )
    transport = httpx.ASGITransport(app=ContentSecurityPolicy(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        html = await client.get("/")
        data = await client.get("/data")
    assert html.text == page
    assert int(html.headers["content-length"]) == len(page)
    assert _sha(b"boot()") in html.headers["content-security-policy"]
    assert html.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in data.headers
    assert data.json() == {"a": 1}


async def test_health_routes_answer_without_the_app() -> None:
    transport = httpx.ASGITransport(app=health_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        for path in ("/healthz", "/readyz"):
            response = await client.get(path)
            assert (response.status_code, response.json()) == (200, {"status": "ok"})
        assert (await client.get("/other")).status_code == 404
