"""``/healthz`` says the process is alive; ``/readyz`` says its dependencies answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 1.0


async def run_check(check: Check) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check()
    except TimeoutError:
        return "timed out"
    except Exception as exc:  # a readiness probe reports every failure, whatever its kind
        return f"failed: {type(exc).__name__}"
    return "ok"


async def run_checks(checks: Mapping[str, Check]) -> dict[str, str]:
    results = await asyncio.gather(*(run_check(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"], include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks: Mapping[str, Check] = request.app.state.readiness_checks
        results = await run_checks(checks)
        ready = all(result == "ok" for result in results.values())
        body = {"status": "ready" if ready else "unavailable", "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router
