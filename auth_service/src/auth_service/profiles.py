"""Profiles and follow sets, cached in Redis and invalidated when they change.

The cache only saves PostgreSQL work: when Redis misbehaves every read falls back to the
database, so profiles keep answering without it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import crud
from auth_service.models import ProfileRecord, User

log = structlog.get_logger(__name__)


class ProfileCache:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def profile_key(user_id: int) -> str:
        return f"auth:profile:{user_id}"

    @staticmethod
    def following_key(user_id: int) -> str:
        return f"auth:following:{user_id}"

    async def profiles(
        self, session: AsyncSession, ids: Iterable[int]
    ) -> dict[int, dict[str, object]]:
        wanted = sorted(set(ids))
        found: dict[int, dict[str, object]] = {}
        if not wanted:
            return found
        try:
            cached = await self.redis.mget([self.profile_key(i) for i in wanted])
            found = {i: json.loads(raw) for i, raw in zip(wanted, cached, strict=True) if raw}
        except RedisError as exc:
            log.warning("profile_cache_unavailable", error=type(exc).__name__)
        missing = [i for i in wanted if i not in found]
        if missing:
            loaded = {
                user.id: _profile_fields(user)
                for user in await crud.users_by_ids(session, missing)
                if user.id
            }
            found.update(loaded)
            await self._store(loaded)
        return found

    async def following(self, session: AsyncSession, viewer_id: int) -> set[int]:
        try:
            raw = await self.redis.get(self.following_key(viewer_id))
            if raw is not None:
                return set(json.loads(raw))
        except RedisError as exc:
            log.warning("profile_cache_unavailable", error=type(exc).__name__)
        followed = await crud.followed_ids(session, viewer_id)
        with contextlib.suppress(RedisError):
            await self.redis.set(
                self.following_key(viewer_id), json.dumps(sorted(followed)), ex=self.ttl_seconds
            )
        return followed

    async def forget(
        self, *, profile_of: int | None = None, following_of: int | None = None
    ) -> None:
        keys = []
        if profile_of is not None:
            keys.append(self.profile_key(profile_of))
        if following_of is not None:
            keys.append(self.following_key(following_of))
        # Invalidation must not silently fail: a stale follow state would outlive the TTL,
        # so errors propagate and the request fails (and rolls back) instead.
        await self.redis.delete(*keys)

    async def _store(self, profiles: dict[int, dict[str, object]]) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for user_id, fields in profiles.items():
                    pipe.set(self.profile_key(user_id), json.dumps(fields), ex=self.ttl_seconds)
                await pipe.execute()
        except RedisError:
            pass


def _profile_fields(user: User) -> dict[str, object]:
    return {"id": user.id, "username": user.username, "bio": user.bio, "image": user.image}


def profile_record(fields: dict[str, object], following: bool) -> ProfileRecord:
    return ProfileRecord.model_validate({**fields, "following": following})
