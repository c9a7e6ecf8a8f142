"""Anonymous reads served from memory while nothing has been written since.

Most traffic on a blog is people who are not signed in reading the same few pages. Their
answers do not depend on who asks, so each worker keeps the serialised answer of anonymous
list and article reads for a few seconds. What keeps it correct:

- A generation token in Redis. Every write that changes what a list or an article shows
  replaces it with a new random one *after its commit*; an answer is served only while the
  generation it was built under is still the current one, so every worker and replica
  drops it at once. Random, not a counter: a counter restarts at zero when Redis loses its
  data, and would make old answers current again.
- A short time-to-live, for what changes without a write here: authors' profiles live in
  auth_service (and are cached for longer than this anyway).
- When Redis cannot be asked, nothing is served from or put in the cache.
- Degraded answers (auth_service unreachable, minimal author profiles) are never kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from dataclasses import dataclass

import structlog
from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

GENERATION_KEY = "blog:content-generation"


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    etag: str | None
    generation: str


class ReadCache:
    def __init__(self, redis: Redis, ttl_seconds: float, max_entries: int) -> None:
        self.redis = redis
        # Expiry and least-recently-used eviction are cachetools'; None: the cache is off.
        self._answers: TTLCache[Hashable, CachedAnswer] | None = (
            TTLCache(max_entries, ttl_seconds) if ttl_seconds > 0 and max_entries > 0 else None
        )

    def __len__(self) -> int:
        return len(self._answers) if self._answers is not None else 0

    @property
    def enabled(self) -> bool:
        return self._answers is not None

    async def generation(self) -> str | None:
        """The current generation, or None when the cache must not be used."""
        if not self.enabled:
            return None
        try:
            raw = await self.redis.get(GENERATION_KEY)
            if raw is None:  # first use, or Redis lost its data: start a new generation
                await self.redis.set(GENERATION_KEY, secrets.token_hex(8), nx=True)
                raw = await self.redis.get(GENERATION_KEY)
        except RedisError:
            return None
        return None if raw is None else str(raw)

    def get(self, key: Hashable, generation: str | None) -> CachedAnswer | None:
        if self._answers is None or generation is None:
            return None
        answer = self._answers.get(key)
        if answer is not None and answer.generation != generation:
            del self._answers[key]  # built before a write: never again current
            return None
        return answer

    def put(self, key: Hashable, generation: str | None, body: bytes, etag: str | None) -> None:
        if self._answers is not None and generation is not None:
            self._answers[key] = CachedAnswer(body, etag, generation)

    async def content_changed(self) -> None:
        """Call after a committed write that changes a list or an article."""
        try:
            await self.redis.set(GENERATION_KEY, secrets.token_hex(8))
        except RedisError as exc:
            # Other workers keep their answers until the time-to-live ends them.
            log.warning("read_cache_not_invalidated", error=type(exc).__name__)
