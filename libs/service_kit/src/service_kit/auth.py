"""Access-token verification against a JWKS, shared by every service.

Only auth_service holds private keys; every service (auth_service included) verifies
tokens with the public key set. The algorithm is pinned, ``jku``/``x5u``/``jwk`` headers
are never consulted, and ``aud``, ``iss``, ``exp``, ``nbf`` and the token type are checked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from redis.asyncio import Redis
from redis.exceptions import RedisError

from service_kit.errors import ServiceUnavailable, Unauthorized

ALGORITHM = "ES256"
TOKEN_TYPE_CLAIM = "token_use"
ACCESS_TOKEN_TYPE = "access"
ACCESS_TOKEN_HEADER_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "role", TOKEN_TYPE_CLAIM)
CLOCK_SKEW_SECONDS = 5

log = structlog.get_logger(__name__)
JWKSFetcher = Callable[[], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True)
class Claims:
    """The verified claims of an access token."""

    user_id: int
    role: str
    jti: str
    issued_at: int
    expires_at: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class KeyRing:
    """Public keys by ``kid``; an unknown ``kid`` refreshes the JWKS, at most once a minute."""

    def __init__(
        self,
        fetch: JWKSFetcher,
        min_refresh_seconds: float = 60.0,
        retry_after_failure_seconds: float = 2.0,
    ) -> None:
        self._fetch = fetch
        self._min_refresh_seconds = min_refresh_seconds
        self._retry_seconds = retry_after_failure_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._attempted_at: float | None = None
        self._last_attempt_failed = False
        self._lock = asyncio.Lock()

    @property
    def unavailable(self) -> bool:
        """The last fetch failed: an unknown kid may be a good key we could not load."""
        return self._last_attempt_failed

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._keys:
            return self._keys[kid]
        # Unknown kid: wait for any fetch in flight (a fresh process sees many requests at
        # once), then fetch ourselves if the rate limit allows.
        async with self._lock:
            if kid not in self._keys and self._may_refresh():
                await self._refresh()
        return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        if self._attempted_at is None:
            return True
        # A failed fetch is retried soon, so keys arrive shortly after the issuer returns;
        # a successful one rate-limits refreshes triggered by unknown kids.
        wait = self._retry_seconds if self._last_attempt_failed else self._min_refresh_seconds
        return time.monotonic() - self._attempted_at >= wait

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            document = await self._fetch()
            key_set = jwt.PyJWKSet.from_dict(dict(document))
        except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as exc:
            log.warning("jwks_refresh_failed", error=type(exc).__name__)
            self._last_attempt_failed = True
            return
        self._last_attempt_failed = False
        self._keys = {
            key.key_id: key
            for key in key_set.keys
            if key.key_id
            and key.algorithm_name == ALGORITHM
            and key.public_key_use in (None, "sig")
        }


def remote_jwks(client: httpx.AsyncClient, url: str) -> JWKSFetcher:
    """Fetch the key set over HTTP (blog_service reaches auth_service this way)."""

    async def fetch() -> Mapping[str, Any]:
        response = await client.get(url, timeout=2.0)
        response.raise_for_status()
        document: Mapping[str, Any] = response.json()
        return document

    return fetch


class TokenVerifier:
    def __init__(self, keys: KeyRing, issuer: str, audience: str) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience

    async def verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise Unauthorized("is invalid") from exc
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise Unauthorized("is invalid")
        key = await self.keys.key_for(kid)
        if key is None:
            if self.keys.unavailable:
                # The token may be fine: we could not load the keys. Retry, don't discard it.
                raise ServiceUnavailable("token keys")
            raise Unauthorized("is invalid")
        try:
            payload = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("is invalid") from exc
        return self._claims(header, payload)

    @staticmethod
    def _claims(header: Mapping[str, Any], payload: Mapping[str, Any]) -> Claims:
        if header.get("typ") != ACCESS_TOKEN_HEADER_TYPE:
            raise Unauthorized("is invalid")
        if payload.get(TOKEN_TYPE_CLAIM) != ACCESS_TOKEN_TYPE:
            raise Unauthorized("is invalid")
        try:
            return Claims(
                user_id=int(payload["sub"]),
                role=str(payload["role"]),
                jti=str(payload["jti"]),
                issued_at=int(payload["iat"]),
                expires_at=int(payload["exp"]),
            )
        except (TypeError, ValueError) as exc:
            raise Unauthorized("is invalid") from exc


class Revocations:
    """Logged-out token ids and per-user "valid after" marks, shared by all services in Redis.

    Checking fails open when Redis is down: signature checks keep working and the
    exposure is bounded by the 15-minute token lifetime (see docs/adr on tokens).
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def denied_key(jti: str) -> str:
        return f"session:denied:{jti}"

    @staticmethod
    def valid_after_key(user_id: int) -> str:
        return f"session:valid-after:{user_id}"

    async def deny(self, claims: Claims) -> None:
        ttl = max(1, claims.expires_at - int(time.time()) + CLOCK_SKEW_SECONDS)
        await self.redis.set(self.denied_key(claims.jti), "1", ex=ttl)

    async def revoke_user_tokens(self, user_id: int, lifetime_seconds: int) -> int:
        """Reject every access token of the user issued so far; return the cut-off time.

        Token times have one-second resolution, so the cut-off is the next second: every
        token issued up to now is older, and a replacement issued *at* the cut-off passes.
        """
        cutoff = int(time.time()) + 1
        await self.redis.set(self.valid_after_key(user_id), str(cutoff), ex=lifetime_seconds + 60)
        return cutoff

    async def issue_time(self, user_id: int) -> int:
        """When a new access token for the user must say it was issued: now, or the user's
        cut-off if that is still ahead (a token issued in the same second as a password
        change would otherwise count as issued before it, and be refused at once)."""
        now = int(time.time())
        try:
            cutoff = await self.redis.get(self.valid_after_key(user_id))
        except RedisError as exc:
            log.warning("revocation_cutoff_unknown", error=type(exc).__name__)
            return now
        return max(now, int(cutoff)) if cutoff is not None else now

    async def is_revoked(self, claims: Claims) -> bool:
        try:
            denied, valid_after = await self.redis.mget(
                self.denied_key(claims.jti), self.valid_after_key(claims.user_id)
            )
        except RedisError as exc:
            log.warning("revocation_check_skipped", error=type(exc).__name__)
            return False
        return denied is not None or (
            valid_after is not None and claims.issued_at < int(valid_after)
        )


_token_header = APIKeyHeader(
    name="Authorization",
    scheme_name="Token",
    description="`Token <jwt>` (the RealWorld form) or `Bearer <jwt>`.",
    auto_error=False,
)


def parse_authorization(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() not in {"token", "bearer"} or not token.strip():
        raise Unauthorized("is invalid")
    return token.strip()


async def optional_claims(
    request: Request, authorization: Annotated[str | None, Depends(_token_header)]
) -> Claims | None:
    token = parse_authorization(authorization)
    if token is None:
        return None
    verifier: TokenVerifier = request.app.state.verifier
    claims = await verifier.verify(token)
    revocations: Revocations = request.app.state.revocations
    if await revocations.is_revoked(claims):
        raise Unauthorized("has been revoked")
    request.state.access_token = token
    request.state.claims = claims
    return claims


async def required_claims(claims: Annotated[Claims | None, Depends(optional_claims)]) -> Claims:
    if claims is None:
        raise Unauthorized("is missing")
    return claims


OptionalClaims = Annotated[Claims | None, Depends(optional_claims)]
RequiredClaims = Annotated[Claims, Depends(required_claims)]
