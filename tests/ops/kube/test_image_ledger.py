"""The image ledger on its own: what it records, and Redis being down or holding odd values."""

from __future__ import annotations

from typing import Any

from redis import Redis
from structlog.testing import capture_logs

from portal.ops.argocd.ledger import LEDGER_PREFIX, ImageLedger
from portal.ops.argocd.parse import parse_application

DOWN = "redis://127.0.0.1:1/0"


async def test_record_skips_apps_without_revision_or_images(roadie_app: dict[str, Any]) -> None:
    app = parse_application(roadie_app)
    ledger = ImageLedger()

    await ledger.record(app.model_copy(update={"images": []}))
    await ledger.record(app.model_copy(update={"revision": ""}))

    assert await ledger.images_for(app.name, [app.revision, ""]) == {}


async def test_redis_down_costs_only_a_log_line(roadie_app: dict[str, Any]) -> None:
    app = parse_application(roadie_app)
    ledger = ImageLedger(DOWN)
    try:
        with capture_logs() as logs:
            await ledger.record(app)
            known = await ledger.images_for(app.name, [app.revision])
    finally:
        await ledger.close()

    assert known == {app.revision: ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]}
    assert [log["action"] for log in logs if log["event"] == "ops_ledger_unavailable"] == [
        "write",
        "read",
    ]


async def test_odd_values_in_redis_are_ignored(ops_redis_url: str) -> None:
    with Redis.from_url(ops_redis_url) as redis:
        redis.hset(
            LEDGER_PREFIX + "blog", mapping={"a1": "not json", "b2": '{"x": 1}', "c3": '["img:c"]'}
        )
    ledger = ImageLedger(ops_redis_url)
    try:
        known = await ledger.images_for("blog", ["a1", "b2", "c3", "d4"])
    finally:
        await ledger.close()

    assert known == {"c3": ["img:c"]}
