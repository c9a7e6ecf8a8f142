"""`/healthz` and `/readyz` for the portal, as every deployable has (PLATFORM.md).

Both say the process serves requests; neither calls the APIs (a slow API must not take the
portal out of the load balancer: its pages say when a service does not answer).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["health_app"]


async def _ok(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def health_app() -> Starlette:
    """Reflex mounts its own app under this one (`api_transformer`), so these routes win."""
    return Starlette(routes=[Route("/healthz", _ok), Route("/readyz", _ok)])
