"""Access tokens: short-lived ES256 JWTs carrying the user's id and role."""

from __future__ import annotations

import time
import uuid

import jwt

from auth_service.keys import KeySet
from service_kit.auth import (
    ACCESS_TOKEN_HEADER_TYPE,
    ACCESS_TOKEN_TYPE,
    ALGORITHM,
    TOKEN_TYPE_CLAIM,
)


class TokenIssuer:
    def __init__(self, keys: KeySet, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def access_token(self, user_id: int, role: str, issued_at: int | None = None) -> str:
        now = issued_at or int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            "role": role,
            TOKEN_TYPE_CLAIM: ACCESS_TOKEN_TYPE,
        }
        headers = {"kid": self.keys.active.kid, "typ": ACCESS_TOKEN_HEADER_TYPE}
        return jwt.encode(
            claims, self.keys.active.private_key, algorithm=ALGORITHM, headers=headers
        )
