"""Small helpers for tests that time requests against failing dependencies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx


async def timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    """The response and how many seconds it took."""
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def until_ok(
    make_call: Callable[[], Awaitable[httpx.Response]], seconds: float = 15
) -> httpx.Response:
    """Repeat a request until it stops answering 5xx (recovery), or give up after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        response = await make_call()
        if response.status_code < 500 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)
