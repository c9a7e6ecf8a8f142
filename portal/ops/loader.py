"""Load one panel: fresh from the cache, else from its source within a deadline.

A source that fails gives a panel with the reason and, when there is one, its last good
answer marked stale; it never raises, so one broken source never blanks the page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError

from portal.ops.cache import PanelCache
from portal.ops.panel import Panel, PanelStatus, SourceError

__all__ = ["PanelSpec", "load_panel"]

T = TypeVar("T")
log = structlog.get_logger("portal.ops")


class PanelSpec:
    """A source's name, how to fetch it, the type of its answer and how long it stays fresh."""

    def __init__(
        self,
        source: str,
        fetch: Callable[[], Awaitable[T]],
        answer_type: Any,
        fresh_seconds: float,
        timeout_seconds: float | None = None,
    ) -> None:
        self.source = source
        self.fetch = fetch
        self.adapter: TypeAdapter[Any] = TypeAdapter(answer_type)
        self.fresh_seconds = fresh_seconds
        # A source's own deadline when the common one does not fit it (Cost Explorer: three
        # calls in a row, each about a second, cached for hours).
        self.timeout_seconds = timeout_seconds


def _failure(exc: BaseException, timeout: float) -> tuple[PanelStatus, str]:
    if isinstance(exc, SourceError):
        return exc.status, exc.reason
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return PanelStatus.TIMED_OUT, f"No answer within {timeout:g} s."
    if isinstance(exc, httpx.TransportError | ConnectionError):
        return PanelStatus.UNREACHABLE, f"Could not connect: {exc}"
    return PanelStatus.FAILED, f"Unexpected error: {type(exc).__name__}: {exc}"


async def load_panel(
    spec: PanelSpec,
    cache: PanelCache,
    *,
    timeout: float,  # noqa: ASYNC109 - the panel's deadline, applied with asyncio.timeout
    demo: bool = False,
    force: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Panel[Any]:
    """The panel for `spec`; `force` skips the freshness check (the "refresh" button)."""
    timeout = spec.timeout_seconds or timeout
    started = time.monotonic()
    async with cache.lock(spec.source):
        # A call that failed while this one waited for the lock is this one's answer too:
        # panels joining a source (timeline, scorecard) must not each wait out its deadline.
        failed_meanwhile = cache.failure_since(spec.source, started)
        if failed_meanwhile is not None:
            return failed_meanwhile  # type: ignore[no-any-return]
        cached = await cache.get(spec.source)
        last_good = None
        if cached is not None:
            try:
                last_good = (spec.adapter.validate_python(cached.data), cached.fetched_at)
            except ValidationError:
                last_good = None
        fresh = cached is not None and cached.age_seconds(now()) < spec.fresh_seconds
        if last_good is not None and fresh and not force:
            return Panel(
                source=spec.source,
                status=PanelStatus.OK,
                data=last_good[0],
                fetched_at=last_good[1],
                demo=demo,
            )
        try:
            async with asyncio.timeout(timeout):
                data = await spec.fetch()
        except Exception as exc:  # every failure becomes the panel's reason
            status, reason = _failure(exc, timeout)
            log.warning("ops_source_failed", source=spec.source, status=status, reason=reason)
            keep = last_good if status is not PanelStatus.NOT_CONFIGURED else None
            failed: Panel[Any] = Panel(
                source=spec.source,
                status=status,
                reason=reason,
                data=keep[0] if keep else None,
                fetched_at=keep[1] if keep else None,
                stale_since=keep[1] if keep else None,
                demo=demo,
            )
            cache.remember_failure(spec.source, failed)
            return failed
        fetched_at = now()
        await cache.put(spec.source, spec.adapter.dump_python(data, mode="json"), fetched_at)
        return Panel(
            source=spec.source, status=PanelStatus.OK, data=data, fetched_at=fetched_at, demo=demo
        )
