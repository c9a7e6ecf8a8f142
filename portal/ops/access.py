"""Who may see or change ops data: the admin check, done on the server for every ops event.

The access token is verified with service_kit's `TokenVerifier` against auth_service's JWKS
(signature, issuer, audience, expiry); the role is read only from verified claims. The token
is never decoded unverified for this decision. One key ring per process, made on first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from portal.clients import Settings
from service_kit.auth import Claims, KeyRing, TokenVerifier, remote_jwks
from service_kit.errors import ServiceUnavailable, Unauthorized

__all__ = [
    "CANNOT_CHECK",
    "NOT_AN_OPERATOR",
    "SIGN_IN",
    "NotAllowed",
    "admin_claims",
    "reset_verifier",
]

SIGN_IN = "Sign in with an operator account to see the operator dashboard."
NOT_AN_OPERATOR = (
    "Your account is not an operator: the dashboard is for admins only "
    "(an operator promotes you with `make admin EMAIL=...`)."
)
INVALID = "Your session could not be verified: sign in again."
CANNOT_CHECK = "The portal cannot check your role right now (auth_service's keys are out of "
CANNOT_CHECK += "reach); try again in a moment."
DEFAULT_ISSUER = "http://localhost:8080"
DEFAULT_AUDIENCE = "blog-platform"


class NotAllowed(Exception):
    """The person may not see ops data; `reason` says why, for the "not allowed" page.

    `unavailable` is set when the role could not be checked at all (the JWKS is out of
    reach): that is not a "no", and the page says so.
    """

    def __init__(self, reason: str, *, unavailable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unavailable = unavailable


_verifier: TokenVerifier | None = None
_client: httpx.AsyncClient | None = None


def _make_verifier(environ: Mapping[str, str]) -> TokenVerifier:
    global _client
    base = Settings.from_env(environ).auth_url
    _client = httpx.AsyncClient(trust_env=False)
    keys = KeyRing(remote_jwks(_client, f"{base}/.well-known/jwks.json"))
    issuer = (environ.get("JWT_ISSUER") or DEFAULT_ISSUER).strip()
    audience = (environ.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE).strip()
    return TokenVerifier(keys, issuer=issuer, audience=audience)


def verifier() -> TokenVerifier:
    """The process's verifier (its key ring caches the JWKS), made on first use."""
    global _verifier
    if _verifier is None:
        _verifier = _make_verifier(os.environ)
    return _verifier


async def reset_verifier() -> None:
    """Forget the verifier (tests that change the environment; nothing else needs it)."""
    global _verifier, _client
    if _client is not None:
        await _client.aclose()
    _verifier, _client = None, None


async def admin_claims(token: str | None) -> Claims:
    """The verified claims of an admin's access token; `NotAllowed` with the reason otherwise."""
    if not token:
        raise NotAllowed(SIGN_IN)
    try:
        claims = await verifier().verify(token)
    except ServiceUnavailable as exc:
        raise NotAllowed(CANNOT_CHECK, unavailable=True) from exc
    except Unauthorized as exc:
        raise NotAllowed(INVALID) from exc
    if not claims.is_admin:
        raise NotAllowed(NOT_AN_OPERATOR)
    return claims
