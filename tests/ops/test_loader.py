"""load_panel: fresh answers from the cache, failures as reasons, last good data kept as stale."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from redis import Redis

from portal.ops.cache import KEY_PREFIX, PanelCache
from portal.ops.loader import PanelSpec, load_panel
from portal.ops.panel import (
    Model,
    NotConfigured,
    PanelStatus,
    SourceFailed,
    Unauthorised,
    Unreachable,
)


class Reading(Model):
    name: str
    value: int


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Source:
    """A source whose next answer (or failure) the test decides; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.answer: list[Reading] = [Reading(name="a", value=1)]
        self.error: BaseException | None = None
        self.delay = 0.0

    async def fetch(self) -> list[Reading]:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.answer


def spec(source: Source, fresh_seconds: float = 30.0) -> PanelSpec:
    return PanelSpec("readings", source.fetch, list[Reading], fresh_seconds)


@pytest.fixture(params=["redis", "memory"])
def cache(request: pytest.FixtureRequest) -> PanelCache:
    if request.param == "memory":
        return PanelCache()
    url: str = request.getfixturevalue("ops_redis_url")
    return PanelCache(url)


async def test_load_returns_the_source_answer_and_caches_it(cache: PanelCache) -> None:
    source, clock = Source(), Clock()
    first = await load_panel(spec(source), cache, timeout=1, now=clock)
    clock.advance(10)
    second = await load_panel(spec(source), cache, timeout=1, now=clock)
    assert first.status is PanelStatus.OK
    assert first.data == [Reading(name="a", value=1)]
    assert second.data == first.data
    assert second.fetched_at == clock.at - timedelta(seconds=10)
    assert source.calls == 1


async def test_load_fetches_again_once_the_answer_is_no_longer_fresh(cache: PanelCache) -> None:
    source, clock = Source(), Clock()
    await load_panel(spec(source, fresh_seconds=30), cache, timeout=1, now=clock)
    source.answer = [Reading(name="b", value=2)]
    clock.advance(31)
    panel = await load_panel(spec(source, fresh_seconds=30), cache, timeout=1, now=clock)
    assert panel.data == [Reading(name="b", value=2)]
    assert source.calls == 2


async def test_force_skips_the_fresh_cache(cache: PanelCache) -> None:
    source, clock = Source(), Clock()
    await load_panel(spec(source), cache, timeout=1, now=clock)
    panel = await load_panel(spec(source), cache, timeout=1, now=clock, force=True)
    assert panel.ok
    assert source.calls == 2


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (Unauthorised("token refused"), PanelStatus.UNAUTHORISED, "token refused"),
        (Unreachable("no route"), PanelStatus.UNREACHABLE, "no route"),
        (SourceFailed("bad answer"), PanelStatus.FAILED, "bad answer"),
        (httpx.ConnectError("refused"), PanelStatus.UNREACHABLE, "Could not connect: refused"),
        (ValueError("boom"), PanelStatus.FAILED, "Unexpected error: ValueError: boom"),
    ],
)
async def test_a_failure_becomes_the_panel_reason(
    error: BaseException, status: PanelStatus, reason: str
) -> None:
    source = Source()
    source.error = error
    panel = await load_panel(spec(source), PanelCache(), timeout=1)
    assert panel.status is status
    assert panel.reason == reason
    assert panel.data is None
    assert panel.stale_since is None


async def test_a_slow_source_times_out_within_the_deadline() -> None:
    source = Source()
    source.delay = 5
    started = asyncio.get_running_loop().time()
    panel = await load_panel(spec(source), PanelCache(), timeout=0.2)
    assert asyncio.get_running_loop().time() - started < 1
    assert panel.status is PanelStatus.TIMED_OUT
    assert panel.reason == "No answer within 0.2 s."


async def test_a_failure_after_a_good_answer_shows_it_as_stale(cache: PanelCache) -> None:
    source, clock = Source(), Clock()
    good = await load_panel(spec(source), cache, timeout=1, now=clock)
    clock.advance(60)
    source.error = Unreachable("connection refused")
    panel = await load_panel(spec(source), cache, timeout=1, now=clock)
    assert panel.status is PanelStatus.UNREACHABLE
    assert panel.data == good.data
    assert panel.stale_since == good.fetched_at


async def test_not_configured_shows_no_old_data() -> None:
    source, clock, cache = Source(), Clock(), PanelCache()
    await load_panel(spec(source), cache, timeout=1, now=clock)
    clock.advance(60)
    source.error = NotConfigured("Argo CD", "PORTAL_KUBECONFIG", "an in-cluster service account")
    panel = await load_panel(spec(source), cache, timeout=1, now=clock)
    assert panel.status is PanelStatus.NOT_CONFIGURED
    assert panel.reason == (
        "Argo CD is not configured: set PORTAL_KUBECONFIG or an in-cluster service account."
    )
    assert panel.data is None


async def test_concurrent_loads_make_one_upstream_call() -> None:
    source, cache = Source(), PanelCache()
    source.delay = 0.1
    panels = await asyncio.gather(*(load_panel(spec(source), cache, timeout=1) for _ in range(5)))
    assert source.calls == 1
    assert all(p.ok and p.data == source.answer for p in panels)


async def test_demo_panels_are_labelled() -> None:
    panel = await load_panel(spec(Source()), PanelCache(), timeout=1, demo=True)
    assert panel.demo is True


async def test_an_entry_in_another_shape_is_fetched_again(ops_redis_url: str) -> None:
    with Redis.from_url(ops_redis_url) as redis:
        redis.set(KEY_PREFIX + "readings", b"not json")
    source = Source()
    panel = await load_panel(spec(source), PanelCache(ops_redis_url), timeout=1)
    assert panel.ok
    assert source.calls == 1


async def test_data_that_no_longer_fits_the_model_is_fetched_again(ops_redis_url: str) -> None:
    cache = PanelCache(ops_redis_url)
    await cache.put("readings", [{"name": "a"}])  # no value: an older portal's shape
    source = Source()
    panel = await load_panel(spec(source), cache, timeout=1)
    assert panel.data == source.answer
    assert source.calls == 1


async def test_cache_keeps_working_in_process_when_redis_is_down() -> None:
    cache = PanelCache("redis://127.0.0.1:1/0")  # nothing listens on port 1
    source = Source()
    first = await load_panel(spec(source), cache, timeout=2)
    second = await load_panel(spec(source), cache, timeout=2)
    assert first.ok and second.ok
    assert source.calls == 1
    await cache.forget("readings")
    assert await cache.get("readings") is None
    await cache.close()


async def test_answers_are_shared_through_redis_between_portal_processes(
    ops_redis_url: str,
) -> None:
    source = Source()
    await load_panel(spec(source), PanelCache(ops_redis_url), timeout=1)
    other_process = PanelCache(ops_redis_url)
    panel = await load_panel(spec(source), other_process, timeout=1)
    assert panel.data == source.answer
    assert source.calls == 1


async def test_a_source_may_have_its_own_deadline() -> None:
    source = Source()
    source.delay = 0.3
    patient = PanelSpec("readings", source.fetch, list[Reading], 30, timeout_seconds=2)
    panel = await load_panel(patient, PanelCache(), timeout=0.1)
    assert panel.ok
    assert panel.data == source.answer


async def test_loads_queued_behind_a_failing_call_share_its_failure() -> None:
    source, cache = Source(), PanelCache()
    source.delay = 0.3
    source.error = Unreachable("connection refused")
    panels = await asyncio.gather(*(load_panel(spec(source), cache, timeout=1) for _ in range(3)))
    assert source.calls == 1
    assert [p.status for p in panels] == [PanelStatus.UNREACHABLE] * 3


async def test_a_load_after_a_failure_asks_the_source_again() -> None:
    source, cache = Source(), PanelCache()
    source.error = Unreachable("connection refused")
    await load_panel(spec(source), cache, timeout=1)
    source.error = None
    panel = await load_panel(spec(source), cache, timeout=1)
    assert panel.ok
    assert source.calls == 2
