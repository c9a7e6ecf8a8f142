"""Access tokens: claims, JWKS, and every way a forged or stale token must be refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

Headers = Callable[..., dict[str, str]]


def _private_key(keys_dir: Path) -> Any:
    return serialization.load_pem_private_key((keys_dir / "test-key-1.pem").read_bytes(), None)


def _claims(user_id: str = "1", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "http://localhost:8080",
        "aud": "blog-platform",
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "abc",
        "role": "user",
        "token_use": "access",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _sign(keys_dir: Path, claims: dict[str, Any], **headers: Any) -> str:
    header = {"kid": "test-key-1", "typ": "at+jwt", **headers}
    return jwt.encode(claims, _private_key(keys_dir), algorithm="ES256", headers=header)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_access_token_has_the_documented_claims(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    header = jwt.get_unverified_header(user["token"])
    claims = jwt.decode(user["token"], options={"verify_signature": False})
    assert header["alg"] == "ES256" and header["kid"] == "test-key-1" and header["typ"] == "at+jwt"
    assert claims["iss"] == "http://localhost:8080"
    assert claims["aud"] == "blog-platform"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["nbf"] == claims["iat"]
    assert claims["token_use"] == "access" and claims["role"] == "user"
    assert len(claims["jti"]) == 32 and claims["sub"].isdigit()


async def test_jwks_publishes_the_public_key_that_verifies_tokens(
    client: httpx.AsyncClient, register: Any
) -> None:
    user = await register()
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == ["test-key-1"]
    assert "d" not in keys[0]  # never the private part
    public = jwt.PyJWK.from_dict(keys[0])
    decoded = jwt.decode(user["token"], public, algorithms=["ES256"], audience="blog-platform")
    assert decoded["token_use"] == "access"


async def test_token_signed_by_our_key_is_accepted(
    client: httpx.AsyncClient, register: Any, signing_keys_dir: Path, auth_header: Headers
) -> None:
    user = await register()
    sub = jwt.decode(user["token"], options={"verify_signature": False})["sub"]
    token = _sign(signing_keys_dir, _claims(sub))
    response = await client.get("/api/user", headers=auth_header(token))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exp": int(time.time()) - 60}, "has expired"),
        ({"aud": "someone-else"}, "is invalid"),
        ({"iss": "https://evil.example"}, "is invalid"),
        ({"nbf": int(time.time()) + 3600}, "is invalid"),
        ({"token_use": "refresh"}, "is invalid"),
        ({"jti": None}, "is invalid"),
        ({"sub": "not-a-number"}, "is invalid"),
    ],
)
async def test_token_with_bad_claims_is_refused(
    client: httpx.AsyncClient,
    register: Any,
    signing_keys_dir: Path,
    auth_header: Headers,
    overrides: dict[str, Any],
    message: str,
) -> None:
    user = await register()
    sub = jwt.decode(user["token"], options={"verify_signature": False})["sub"]
    token = _sign(signing_keys_dir, _claims(sub, **overrides))
    response = await client.get("/api/user", headers=auth_header(token))
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": [message]}}


async def test_token_with_tampered_payload_is_refused(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    header, payload, signature = user["token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    response = await client.get("/api/user", headers=auth_header(forged))
    assert response.status_code == 401


async def test_token_with_alg_none_is_refused(
    client: httpx.AsyncClient, register: Any, auth_header: Headers
) -> None:
    user = await register()
    sub = jwt.decode(user["token"], options={"verify_signature": False})["sub"]
    header = _b64(json.dumps({"alg": "none", "kid": "test-key-1", "typ": "at+jwt"}).encode())
    unsigned = f"{header}.{_b64(json.dumps(_claims(sub)).encode())}."
    response = await client.get("/api/user", headers=auth_header(unsigned))
    assert response.status_code == 401


async def test_hs256_token_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, register: Any, signing_keys_dir: Path, auth_header: Headers
) -> None:
    user = await register()
    sub = jwt.decode(user["token"], options={"verify_signature": False})["sub"]
    public_pem = (
        _private_key(signing_keys_dir)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "kid": "test-key-1", "typ": "at+jwt"}).encode())
    body = _b64(json.dumps(_claims(sub)).encode())
    import hashlib
    import hmac

    signature = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{_b64(signature)}"
    response = await client.get("/api/user", headers=auth_header(forged))
    assert response.status_code == 401


async def test_token_pointing_to_a_foreign_jku_is_refused(
    client: httpx.AsyncClient, register: Any, auth_header: Headers, tmp_path: Path
) -> None:
    from service_kit.testing.servers import write_signing_key

    user = await register()
    sub = jwt.decode(user["token"], options={"verify_signature": False})["sub"]
    write_signing_key(tmp_path, "test-key-1")  # an attacker's key with our kid
    token = _sign(tmp_path, _claims(sub), jku="https://evil.example/jwks.json")
    response = await client.get("/api/user", headers=auth_header(token))
    assert response.status_code == 401


@pytest.mark.parametrize("value", ["Token", "Basic abc", "Token not.a.jwt", "Bearer  "])
async def test_malformed_authorization_header_is_refused(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("/api/user", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


async def test_token_of_deleted_user_is_refused(
    client: httpx.AsyncClient, register: Any, auth_header: Headers, auth_app: FastAPI
) -> None:
    from sqlalchemy import text

    user = await register()
    async with auth_app.state.sessions() as session:
        await session.execute(text("DELETE FROM users"))
        await session.commit()
    response = await client.get("/api/user", headers=auth_header(user["token"]))
    assert response.status_code == 401
