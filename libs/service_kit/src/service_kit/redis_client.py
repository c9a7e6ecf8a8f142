"""Redis lifecycle: one client per process with short timeouts, reached from the app.

The client fails fast for a moment after Redis stopped answering. One request can touch
Redis three or four times (read cache, token revocations, author cache, write limits);
with every call waiting out its own timeout against a frozen server, a read that would
happily go on without the cache runs past the request deadline instead. After a timeout
or a refused connection, every call fails at once for ``cooldown`` seconds; then one call
tries again (and trips it again if Redis is still gone).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service_kit.settings import ServiceSettings

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class Breaker:
    def __init__(self, cooldown_seconds: float) -> None:
        self.cooldown = cooldown_seconds
        self.open_until = 0.0

    def check(self) -> None:
        if time.monotonic() < self.open_until:
            raise RedisConnectionError("Redis did not answer a moment ago; not asking again yet")

    def trip(self) -> None:
        self.open_until = time.monotonic() + self.cooldown


class GuardedPipeline(Pipeline):
    breaker: Breaker

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        self.breaker.check()
        try:
            return await super().execute(raise_on_error)
        except UNREACHABLE:
            self.breaker.trip()
            raise


class GuardedRedis(Redis):
    breaker: Breaker

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.breaker.check()
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except UNREACHABLE:
            self.breaker.trip()
            raise

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> GuardedPipeline:
        pipe = GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        pipe.breaker = self.breaker
        return pipe


def create_redis(settings: ServiceSettings, cooldown_seconds: float = 1.0) -> GuardedRedis:
    redis = GuardedRedis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=15,
    )
    assert isinstance(redis, GuardedRedis)  # from_url builds the class it is called on
    redis.breaker = Breaker(cooldown_seconds)
    return redis


def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


RedisDep = Annotated[Redis, Depends(get_redis)]
