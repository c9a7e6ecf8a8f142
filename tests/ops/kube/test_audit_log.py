"""The audit log: Redis stream plus a log line, and a process-local list without Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis import Redis
from structlog.testing import capture_logs

from portal.ops.audit import AUDIT_STREAM, AuditLog

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


async def test_record_without_redis_keeps_newest_first() -> None:
    audit = AuditLog()

    for n in range(3):
        await audit.record(f"admin{n}", "refresh", f"argocd/app{n}", "requested")

    recent = await audit.recent(limit=2)
    assert [(e.actor, e.target) for e in recent] == [
        ("admin2", "argocd/app2"),
        ("admin1", "argocd/app1"),
    ]


async def test_record_writes_the_log_line_with_every_field() -> None:
    with capture_logs() as logs:
        entry = await AuditLog().record("ada", "sync", "argocd/blog", "refused", "already running")

    [line] = [log for log in logs if log["event"] == "ops_action"]
    assert {k: line[k] for k in ("actor", "action", "target", "outcome", "detail", "at")} == {
        "actor": "ada",
        "action": "sync",
        "target": "argocd/blog",
        "outcome": "refused",
        "detail": "already running",
        "at": entry.at.isoformat(),
    }
    assert abs(entry.at - datetime.now(UTC)) < timedelta(seconds=5)


async def test_record_in_redis_is_read_by_another_portal(ops_redis_url: str) -> None:
    writer, reader = AuditLog(ops_redis_url), AuditLog(ops_redis_url)
    try:
        first = await writer.record("ada", "refresh", "argocd/blog", "requested", "normal")
        await writer.record("grace", "sync", "argocd/portal", "failed", "403 Forbidden")
        recent = await reader.recent()
    finally:
        await writer.close()
        await reader.close()

    assert [(e.actor, e.action, e.outcome, e.detail) for e in recent] == [
        ("grace", "sync", "failed", "403 Forbidden"),
        ("ada", "refresh", "requested", "normal"),
    ]
    assert recent[1] == first  # every field, the time included, round-trips
    with Redis.from_url(ops_redis_url) as redis:
        assert redis.xlen(AUDIT_STREAM) == 2


async def test_recent_skips_entries_in_another_shape(ops_redis_url: str) -> None:
    with Redis.from_url(ops_redis_url) as redis:
        redis.xadd(AUDIT_STREAM, {"actor": "old-portal", "at": "yesterday"})
    audit = AuditLog(ops_redis_url)
    try:
        await audit.record("ada", "refresh", "argocd/blog", "requested")
        recent = await audit.recent()
    finally:
        await audit.close()

    assert [e.actor for e in recent] == ["ada"]


async def test_redis_down_keeps_the_log_line_and_the_local_entry() -> None:
    audit = AuditLog(DOWN)
    try:
        with capture_logs() as logs:
            await audit.record("ada", "sync", "argocd/blog", "requested")
            recent = await audit.recent()
    finally:
        await audit.close()

    events = [log["event"] for log in logs]
    assert events.count("ops_action") == 1
    assert events.count("ops_audit_redis_unavailable") == 2  # the write and the read
    assert [(e.actor, e.action) for e in recent] == [("ada", "sync")]
