"""The image ledger: which images each app ran at each revision the portal has seen.

Argo CD's history records revisions, not images. Each read of an Application records
revision -> `status.summary.images` in the Redis hash `portal:ops:images:<app>`, so the
deploy timeline can show what image a past deployment ran. Revisions deployed before the
portal watched stay unknown. Redis is optional: entries are also kept in this process, and
a Redis failure only costs a log line.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from portal.ops.argocd.models import AppStatus

__all__ = ["LEDGER_PREFIX", "ImageLedger"]

log = structlog.get_logger("portal.ops.argocd.ledger")
LEDGER_PREFIX = "portal:ops:images:"
REDIS_TIMEOUT_SECONDS = 0.5


def _images(raw: str | bytes | None) -> list[str] | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return [str(i) for i in value] if isinstance(value, list) else None


class ImageLedger:
    def __init__(self, redis_url: str = "") -> None:
        self._redis: aioredis.Redis | None = (
            aioredis.from_url(
                redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                decode_responses=True,
            )
            if redis_url
            else None
        )
        self._local: dict[str, dict[str, list[str]]] = {}

    async def record(self, app: AppStatus) -> None:
        """Remember the images `app` runs at its current revision (nothing to learn if none)."""
        if not app.revision or not app.images:
            return
        self._local.setdefault(app.name, {})[app.revision] = list(app.images)
        if self._redis is not None:
            try:
                await self._redis.hset(
                    LEDGER_PREFIX + app.name, app.revision, json.dumps(app.images)
                )
            except (RedisError, OSError) as exc:
                log.warning("ops_ledger_unavailable", action="write", app=app.name, error=str(exc))

    async def images_for(self, app_name: str, revisions: list[str]) -> dict[str, list[str]]:
        """The images known for each of `revisions` (revisions never seen are left out)."""
        wanted = [r for r in dict.fromkeys(revisions) if r]
        known = {r: i for r, i in self._local.get(app_name, {}).items() if r in wanted}
        if self._redis is not None and wanted:
            try:
                values = await self._redis.hmget(LEDGER_PREFIX + app_name, wanted)
            except (RedisError, OSError) as exc:
                log.warning("ops_ledger_unavailable", action="read", app=app_name, error=str(exc))
            else:
                for revision, raw in zip(wanted, values, strict=True):
                    images = _images(raw)
                    if images is not None:
                        known[revision] = images
        return known

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
