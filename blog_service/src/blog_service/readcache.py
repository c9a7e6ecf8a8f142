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
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

GENERATION_KEY = "blog:content-generation"


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    etag: str | None
    generation: str
    expires: float


class ReadCache:
    def __init__(self, redis: Redis, ttl_seconds: float, max_entries: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._answers: OrderedDict[Hashable, CachedAnswer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_entries > 0

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
        answer = self._answers.get(key)
        if answer is None or generation is None:
            return None
        if answer.generation != generation or answer.expires < time.monotonic():
            del self._answers[key]
            return None
        self._answers.move_to_end(key)
        return answer

    def put(self, key: Hashable, generation: str | None, body: bytes, etag: str | None) -> None:
        if generation is None:
            return
        expires = time.monotonic() + self.ttl
        self._answers[key] = CachedAnswer(body, etag, generation, expires)
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_entries:
            self._answers.popitem(last=False)

    async def content_changed(self) -> None:
        """Call after a committed write that changes a list or an article."""
        try:
            await self.redis.set(GENERATION_KEY, secrets.token_hex(8))
        except RedisError as exc:
            # Other workers keep their answers until the time-to-live ends them.
            log.warning("read_cache_not_invalidated", error=type(exc).__name__)
