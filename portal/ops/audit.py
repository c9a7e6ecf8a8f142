"""The audit log of admin actions on the ops dashboard (refresh, sync): who, what, when, result.

Every entry is written twice: a structured log line (`event="ops_action"`, which reaches Loki)
that is never skipped, and the Redis stream `portal:ops:audit` (the last ~10,000 entries)
that the page reads back. Without Redis, or while it is down, entries are kept in this
process so the page still shows what happened here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from portal.ops.panel import Model

__all__ = ["AUDIT_STREAM", "AuditEntry", "AuditLog"]

log = structlog.get_logger("portal.ops.audit")
AUDIT_STREAM = "portal:ops:audit"
KEEP_ENTRIES = 10_000
REDIS_TIMEOUT_SECONDS = 0.5
FIELDS = ("actor", "action", "target", "outcome", "detail", "at")


class AuditEntry(Model):
    actor: str  # the admin's username (from the verified access token)
    action: str  # "refresh", "hard_refresh", "sync"
    target: str  # e.g. "argocd/blog-service"
    outcome: str  # "requested", "refused", "failed"
    detail: str = ""
    at: datetime


class AuditLog:
    """Redis stream when `redis_url` is set and answering; this process's memory as well."""

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
        self._local: deque[AuditEntry] = deque(maxlen=KEEP_ENTRIES)

    async def record(
        self, actor: str, action: str, target: str, outcome: str, detail: str = ""
    ) -> AuditEntry:
        entry = AuditEntry(
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            detail=detail,
            at=datetime.now(UTC),
        )
        # The log line first: it is the record that survives a Redis outage.
        log.info(
            "ops_action",
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            detail=detail,
            at=entry.at.isoformat(),
        )
        self._local.append(entry)
        if self._redis is not None:
            fields = {**entry.model_dump(exclude={"at"}), "at": entry.at.isoformat()}
            try:
                await self._redis.xadd(AUDIT_STREAM, fields, maxlen=KEEP_ENTRIES, approximate=True)  # type: ignore[arg-type]
            except (RedisError, OSError) as exc:
                log.warning("ops_audit_redis_unavailable", action="write", error=str(exc))
        return entry

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        """The newest `limit` entries, newest first (from Redis when it answers)."""
        if self._redis is not None:
            try:
                rows = await self._redis.xrevrange(AUDIT_STREAM, count=limit)
            except (RedisError, OSError) as exc:
                log.warning("ops_audit_redis_unavailable", action="read", error=str(exc))
            else:
                entries = (_entry(fields or {}) for _, fields in rows or [])
                return [entry for entry in entries if entry is not None]
        return list(reversed(self._local))[:limit]

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def _entry(fields: Mapping[Any, Any]) -> AuditEntry | None:
    try:
        return AuditEntry.model_validate({name: fields.get(name, "") for name in FIELDS})
    except ValueError:
        return None  # written by another version in another shape: skip it
