"""The panel cache: answers by source name in Redis, with an in-process fallback.

Each entry keeps the data and when it was fetched. Freshness is decided by the reader (each
source has its own: seconds for health, hours for Cost Explorer), and entries outlive their
freshness so a failing source can still show its last good answer as stale.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

__all__ = ["CachedAnswer", "PanelCache"]

log = structlog.get_logger("portal.ops.cache")
KEY_PREFIX = "portal:ops:"
KEEP_SECONDS = 7 * 24 * 3600  # how long a last good answer can be shown as stale
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class CachedAnswer:
    data: Any  # JSON-ready (the adapter's model dumped in JSON mode)
    fetched_at: datetime

    def age_seconds(self, now: datetime) -> float:
        return (now - self.fetched_at).total_seconds()


class PanelCache:
    """Redis when `redis_url` is set and answering, else a dict in this process."""

    def __init__(self, redis_url: str = "") -> None:
        self._redis: aioredis.Redis | None = (
            aioredis.from_url(
                redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            if redis_url
            else None
        )
        self._local: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._failures: dict[str, tuple[float, Any]] = {}

    def lock(self, source: str) -> asyncio.Lock:
        """One fetch per source at a time in this process (many admins, one upstream call)."""
        return self._locks.setdefault(source, asyncio.Lock())

    def remember_failure(self, source: str, panel: Any) -> None:
        """Keep a failed panel (this process only) for the callers queued behind it."""
        self._failures[source] = (time.monotonic(), panel)

    def failure_since(self, source: str, started: float) -> Any | None:
        """The failed panel recorded after `started` (time.monotonic()), if any."""
        failed = self._failures.get(source)
        if failed is None or failed[0] < started:
            return None
        return failed[1]

    async def get(self, source: str) -> CachedAnswer | None:
        raw: str | bytes | None = self._local.get(source)
        if self._redis is not None:
            with self._tolerate("read", source):
                raw = await self._redis.get(KEY_PREFIX + source) or raw
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            return CachedAnswer(entry["data"], datetime.fromisoformat(entry["fetched_at"]))
        except (ValueError, KeyError, TypeError):
            return None  # written by an older portal in another shape: fetch again

    async def put(self, source: str, data: Any, fetched_at: datetime | None = None) -> None:
        when = fetched_at or datetime.now(UTC)
        self._failures.pop(source, None)
        raw = json.dumps({"data": data, "fetched_at": when.isoformat()})
        self._local[source] = raw
        if self._redis is not None:
            with self._tolerate("write", source):
                await self._redis.set(KEY_PREFIX + source, raw, ex=KEEP_SECONDS)

    async def forget(self, source: str) -> None:
        self._local.pop(source, None)
        self._failures.pop(source, None)
        if self._redis is not None:
            with self._tolerate("delete", source):
                await self._redis.delete(KEY_PREFIX + source)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    @contextmanager
    def _tolerate(self, action: str, source: str) -> Iterator[None]:
        # A cache that is down must not take the dashboard with it: fall back to this process.
        try:
            yield
        except (RedisError, OSError) as exc:
            log.warning("ops_cache_unavailable", action=action, source=source, error=str(exc))
