"""KeyRing against a real HTTP JWKS endpoint: caching, refresh on unknown kid, rate limit."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth_service.keys import generate_key_file, load_key_set
from service_kit.auth import KeyRing, remote_jwks


class JWKSServer:
    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.hits = 0
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                body = json.dumps(owner.document).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()


def _jwks(directory: Path, *kids: str) -> dict[str, Any]:
    for kid in kids:
        if not (directory / f"{kid}.pem").exists():
            generate_key_file(directory, kid)
    return load_key_set(directory, kids[0]).jwks()


async def test_unknown_kid_refreshes_once_then_waits(
    jwks_server: JWKSServer, tmp_path: Path
) -> None:
    jwks_server.document = _jwks(tmp_path, "k1")
    async with httpx.AsyncClient() as client:
        ring = KeyRing(remote_jwks(client, jwks_server.url), min_refresh_seconds=60)
        assert await ring.key_for("k1") is not None
        assert jwks_server.hits == 1
        assert await ring.key_for("k1") is not None
        assert jwks_server.hits == 1  # cached
        assert await ring.key_for("k2") is None
        assert await ring.key_for("k2") is None
        assert jwks_server.hits == 1  # no refresh storm on unknown kids


async def test_new_key_is_picked_up_after_the_refresh_interval(
    jwks_server: JWKSServer, tmp_path: Path
) -> None:
    jwks_server.document = _jwks(tmp_path, "k1")
    async with httpx.AsyncClient() as client:
        ring = KeyRing(remote_jwks(client, jwks_server.url), min_refresh_seconds=0)
        assert await ring.key_for("k2") is None
        jwks_server.document = _jwks(tmp_path, "k1", "k2")
        assert await ring.key_for("k2") is not None
        assert await ring.key_for("k1") is not None


async def test_failed_fetch_keeps_known_keys(jwks_server: JWKSServer, tmp_path: Path) -> None:
    jwks_server.document = _jwks(tmp_path, "k1")
    async with httpx.AsyncClient() as client:
        ring = KeyRing(remote_jwks(client, jwks_server.url), min_refresh_seconds=0)
        assert await ring.key_for("k1") is not None
        jwks_server.status = 500
        assert await ring.key_for("k9") is None
        assert await ring.key_for("k1") is not None


async def test_keys_for_other_algorithms_are_ignored(
    jwks_server: JWKSServer, tmp_path: Path
) -> None:
    document = _jwks(tmp_path, "k1")
    document["keys"][0]["alg"] = "ES384"
    jwks_server.document = document
    async with httpx.AsyncClient() as client:
        ring = KeyRing(remote_jwks(client, jwks_server.url))
        assert await ring.key_for("k1") is None


async def test_failed_fetch_is_retried_soon_not_after_the_full_interval(
    jwks_server: JWKSServer, tmp_path: Path
) -> None:
    jwks_server.document = _jwks(tmp_path, "k1")
    jwks_server.status = 503
    async with httpx.AsyncClient() as client:
        ring = KeyRing(
            remote_jwks(client, jwks_server.url),
            min_refresh_seconds=60,
            retry_after_failure_seconds=0,
        )
        assert await ring.key_for("k1") is None
        assert ring.unavailable
        jwks_server.status = 200
        assert await ring.key_for("k1") is not None
        assert not ring.unavailable


async def test_concurrent_first_requests_all_wait_for_the_one_fetch(
    jwks_server: JWKSServer, tmp_path: Path
) -> None:
    import asyncio

    jwks_server.document = _jwks(tmp_path, "k1")
    async with httpx.AsyncClient() as client:
        ring = KeyRing(remote_jwks(client, jwks_server.url))
        keys = await asyncio.gather(*(ring.key_for("k1") for _ in range(16)))
    assert all(key is not None for key in keys)
    assert jwks_server.hits == 1
