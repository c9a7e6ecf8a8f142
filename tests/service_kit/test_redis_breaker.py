"""The Redis client fails fast for a moment after Redis stopped answering."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from devstack.embedded import EmbeddedRedis
from service_kit.redis_client import create_redis
from service_kit.settings import ServiceSettings

pytestmark = pytest.mark.chaos


async def test_calls_fail_at_once_after_a_timeout_then_try_again(
    disposable_redis: EmbeddedRedis,
) -> None:
    settings = ServiceSettings(
        database_url="postgresql://unused/db",
        redis_url=disposable_redis.url(),
        redis_timeout_seconds=0.3,
    )
    redis = create_redis(settings, cooldown_seconds=0.5)
    try:
        assert await redis.set("k", "v")
        disposable_redis.pause()
        try:
            started = time.monotonic()
            with pytest.raises(RedisTimeoutError):
                await redis.get("k")
            assert time.monotonic() - started >= 0.25  # the first call waits its timeout
            pipe = redis.pipeline()
            pipe.get("k")
            for call in (redis.get("k"), pipe.execute()):
                started = time.monotonic()
                with pytest.raises(RedisConnectionError):
                    await call
                assert time.monotonic() - started < 0.05  # the rest do not
        finally:
            disposable_redis.resume()
        await asyncio.sleep(0.6)  # the cooldown ends: the next call asks Redis again
        assert await redis.get("k") == "v"
    finally:
        await redis.aclose()
