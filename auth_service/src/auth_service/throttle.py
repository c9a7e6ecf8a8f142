"""Failed-login throttling in Redis: per account and per client address, self-expiring.

Counters live for a fixed window from the first failure, so a lock lifts by itself.
Account keys hold a hash of the e-mail, not the address itself. Redis being down fails
closed (503): without counters we cannot promise the limit.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from service_kit.errors import TooManyRequests


class LoginThrottle:
    def __init__(
        self, redis: Redis, per_account: int, per_address: int, window_seconds: int
    ) -> None:
        self.redis = redis
        self.per_account = per_account
        self.per_address = per_address
        self.window_seconds = window_seconds

    @staticmethod
    def account_key(email: str) -> str:
        return "auth:login-failures:account:" + hashlib.sha256(email.lower().encode()).hexdigest()

    @staticmethod
    def address_key(address: str) -> str:
        return f"auth:login-failures:address:{address}"

    async def check(self, email: str, address: str) -> None:
        """Raise 429 with Retry-After while either counter is at its limit."""
        keys = (self.account_key(email), self.address_key(address))
        account, by_address = await self.redis.mget(*keys)
        for key, count, limit in (
            (keys[0], account, self.per_account),
            (keys[1], by_address, self.per_address),
        ):
            if count is not None and int(count) >= limit:
                ttl = await self.redis.ttl(key)
                raise TooManyRequests(ttl if ttl > 0 else self.window_seconds, field="login")

    async def record_failure(self, email: str, address: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (self.account_key(email), self.address_key(address)):
                # SET NX then INCR: the window starts at the first failure (works on Redis 6).
                pipe.set(key, 0, ex=self.window_seconds, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def forget_account(self, email: str) -> None:
        await self.redis.delete(self.account_key(email))
