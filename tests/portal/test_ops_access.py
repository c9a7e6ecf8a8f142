"""The /ops admin check against the real auth_service: its JWKS, its tokens, its promote command."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from auth_service.keys import load_key_set
from auth_service.tokens import TokenIssuer
from devstack._proc import free_port
from portal.ops import access
from portal.ops.access import NotAllowed, admin_claims
from service_kit.settings import PLATFORM_AUDIENCE
from tests.e2e.helpers import PASSWORD, unique
from tests.e2e.stack import Services, promote


@pytest.fixture
async def verified_by(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """The portal's settings point at the test auth_service; a fresh verifier per test."""
    monkeypatch.setenv("PORTAL_AUTH_URL", services.auth_url)
    monkeypatch.setenv("JWT_ISSUER", services.auth_url)
    monkeypatch.delenv("JWT_AUDIENCE", raising=False)
    await access.reset_verifier()
    yield services
    await access.reset_verifier()


async def _user(services: Services, *, admin: bool) -> tuple[int, str]:
    """A registered user's id and a fresh access token (signed in after any promotion)."""
    name = unique("ops")
    email = f"{name}@example.org"
    async with httpx.AsyncClient(base_url=services.auth_url, trust_env=False) as client:
        body = {"user": {"username": name, "email": email, "password": PASSWORD}}
        assert (await client.post("/api/users", json=body)).status_code == 201
        if admin:
            promote(services.auth_database_url, email)
        login = {"user": {"email": email, "password": PASSWORD}}
        answer = await client.post("/api/users/login", json=login)
        assert answer.status_code == 200, answer.text
    token = answer.json()["user"]["token"]
    subject = jwt.decode(token, options={"verify_signature": False})["sub"]  # test-side only
    return int(subject), token


def _issuer(services: Services, ttl_seconds: int = 900) -> TokenIssuer:
    assert services.keys_dir is not None
    keys = load_key_set(services.keys_dir, None)
    return TokenIssuer(keys, services.auth_url, PLATFORM_AUDIENCE, ttl_seconds)


async def test_admin_claims_accept_a_promoted_users_token(verified_by: Services) -> None:
    user_id, token = await _user(verified_by, admin=True)
    claims = await admin_claims(token)
    assert (claims.user_id, claims.role) == (user_id, "admin")


async def test_admin_claims_refuse_a_plain_users_token(verified_by: Services) -> None:
    _, token = await _user(verified_by, admin=False)
    with pytest.raises(NotAllowed) as refused:
        await admin_claims(token)
    assert refused.value.reason == access.NOT_AN_OPERATOR
    assert not refused.value.unavailable


@pytest.mark.parametrize("token", [None, ""])
async def test_admin_claims_refuse_no_token(verified_by: Services, token: str | None) -> None:
    with pytest.raises(NotAllowed) as refused:
        await admin_claims(token)
    assert refused.value.reason == access.SIGN_IN


async def test_admin_claims_refuse_a_token_whose_role_was_edited(verified_by: Services) -> None:
    _, token = await _user(verified_by, admin=False)
    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["role"] = "admin"
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(NotAllowed) as refused:
        await admin_claims(f"{header}.{forged_payload}.{signature}")
    assert refused.value.reason == access.INVALID


async def test_admin_claims_refuse_an_expired_admin_token(verified_by: Services) -> None:
    user_id, _ = await _user(verified_by, admin=True)
    issuer = _issuer(verified_by, ttl_seconds=60)
    fresh = issuer.access_token(user_id, "admin")
    expired = issuer.access_token(user_id, "admin", issued_at=int(time.time()) - 3600)
    assert (await admin_claims(fresh)).is_admin  # the same key and claims pass while fresh
    with pytest.raises(NotAllowed) as refused:
        await admin_claims(expired)
    assert refused.value.reason == access.INVALID


async def test_admin_claims_refuse_a_token_signed_by_another_key(verified_by: Services) -> None:
    user_id, _ = await _user(verified_by, admin=True)
    real = _issuer(verified_by)
    # Same kid, issuer, audience and claims; a key generated here, not auth_service's.
    foreign_key = ec.generate_private_key(ec.SECP256R1())
    claims = jwt.decode(real.access_token(user_id, "admin"), options={"verify_signature": False})
    headers = {"kid": real.keys.active.kid, "typ": "at+jwt"}
    forged = jwt.encode(claims, foreign_key, algorithm="ES256", headers=headers)
    with pytest.raises(NotAllowed) as refused:
        await admin_claims(forged)
    assert refused.value.reason == access.INVALID


async def test_admin_claims_say_the_role_cannot_be_checked_when_jwks_is_unreachable(
    verified_by: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = await _user(verified_by, admin=True)
    monkeypatch.setenv("PORTAL_AUTH_URL", f"http://127.0.0.1:{free_port()}")
    await access.reset_verifier()
    with pytest.raises(NotAllowed) as refused:
        await admin_claims(token)
    assert refused.value.unavailable
    assert refused.value.reason == access.CANNOT_CHECK
    assert refused.value.reason not in (access.NOT_AN_OPERATOR, access.INVALID)
