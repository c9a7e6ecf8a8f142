"""Per-user write limits in Redis: a fixed one-minute window per kind of write."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from service_kit.errors import TooManyRequests

WINDOW_SECONDS = 60


class WriteLimiter:
    def __init__(self, redis: Redis, limits: dict[str, int]) -> None:
        self.redis = redis
        self.limits = limits

    async def charge(self, kind: str, user_id: int) -> None:
        """Count one write; raise 429 with Retry-After once the window's budget is spent."""
        window = int(time.time()) // WINDOW_SECONDS
        key = f"blog:writes:{kind}:{user_id}:{window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
        if int(count) > self.limits[kind]:
            retry_after = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
            raise TooManyRequests(retry_after, field=kind)
