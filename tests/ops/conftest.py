"""The ops dashboard's data layer: shared fixtures (each source's own live in its modules)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from portal.ops.cache import KEY_PREFIX


@pytest.fixture
def ops_redis_url(redis_server_url: str) -> Iterator[str]:
    """The test Redis with no ops keys before and after the test."""

    def clean() -> None:
        with Redis.from_url(redis_server_url) as redis:
            keys = list(redis.scan_iter(match=KEY_PREFIX + "*"))
            if keys:
                redis.delete(*keys)

    clean()
    yield redis_server_url
    clean()
