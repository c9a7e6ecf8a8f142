"""Refresh tokens: opaque, rotated on every use, stored only as SHA-256 hashes in Redis.

A login starts a *family*; each refresh retires the presented token and issues the next
one in the same family. Presenting a retired token means it leaked, so the whole family
is revoked and even the newest token stops working. Families have an absolute lifetime.
Redis being down fails closed: no refresh and no new session without it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

# Rotation must be atomic: two concurrent refreshes with one token must not both succeed.
_ROTATE = """
local old, new, family = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', old) == 0 or redis.call('EXISTS', family) == 0 then
  return {'unknown'}
end
if redis.call('HGET', family, 'revoked') == '1' then
  return {'revoked'}
end
if redis.call('HGET', old, 'state') ~= 'active' then
  redis.call('HSET', family, 'revoked', '1')
  return {'reused'}
end
local user = redis.call('HGET', old, 'user')
redis.call('HSET', old, 'state', 'retired')
redis.call('HSET', new, 'user', user, 'state', 'active')
redis.call('PEXPIRE', new, redis.call('PTTL', family))
return {'ok', user}
"""


class RotationOutcome(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    REUSED = "reused"


@dataclass(frozen=True)
class Rotation:
    outcome: RotationOutcome
    user_id: int | None = None
    token: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _family_of(token: str) -> str | None:
    family, dot, secret = token.partition(".")
    if not dot or not secret or len(family) != 32 or not family.isalnum():
        return None
    return family


class RefreshTokens:
    def __init__(self, redis: Redis, lifetime_seconds: int) -> None:
        self.redis = redis
        self.lifetime_seconds = lifetime_seconds
        self._rotate = redis.register_script(_ROTATE)

    @staticmethod
    def token_key(token: str) -> str:
        return f"auth:refresh:{_digest(token)}"

    @staticmethod
    def family_key(family: str) -> str:
        return f"auth:refresh-family:{family}"

    @staticmethod
    def user_families_key(user_id: int) -> str:
        return f"auth:user-families:{user_id}"

    @staticmethod
    def _new_token(family: str) -> str:
        return f"{family}.{secrets.token_urlsafe(32)}"

    async def start(self, user_id: int) -> str:
        """Begin a session (a new family) and return its first refresh token."""
        family = uuid.uuid4().hex
        token = self._new_token(family)
        expires_at = int(time.time()) + self.lifetime_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.family_key(family), mapping={"user": user_id, "revoked": "0"})
            pipe.expireat(self.family_key(family), expires_at)
            pipe.hset(self.token_key(token), mapping={"user": user_id, "state": "active"})
            pipe.expireat(self.token_key(token), expires_at)
            pipe.sadd(self.user_families_key(user_id), family)
            pipe.expire(self.user_families_key(user_id), self.lifetime_seconds)
            await pipe.execute()
        return token

    async def rotate(self, token: str) -> Rotation:
        family = _family_of(token)
        if family is None:
            return Rotation(RotationOutcome.UNKNOWN)
        new_token = self._new_token(family)
        keys = [self.token_key(token), self.token_key(new_token), self.family_key(family)]
        result = await self._rotate(keys=keys)
        outcome = RotationOutcome(result[0])
        if outcome is not RotationOutcome.OK:
            return Rotation(outcome)
        return Rotation(outcome, user_id=int(result[1]), token=new_token)

    async def owner(self, token: str) -> int | None:
        user = await self.redis.hget(self.token_key(token), "user")
        return None if user is None else int(user)

    async def revoke_family_of(self, token: str) -> None:
        family = _family_of(token)
        if family is not None and await self.redis.exists(self.family_key(family)):
            await self.redis.hset(self.family_key(family), "revoked", "1")

    async def revoke_all(self, user_id: int) -> None:
        families: set[str] = await self.redis.smembers(self.user_families_key(user_id))  # type: ignore[assignment]
        async with self.redis.pipeline(transaction=True) as pipe:
            for family in families:
                pipe.hset(self.family_key(family), "revoked", "1")
            pipe.delete(self.user_families_key(user_id))
            await pipe.execute()
