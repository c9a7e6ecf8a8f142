"""Build a service's FastAPI app with the platform plumbing already wired in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

from service_kit.auth import Revocations
from service_kit.db import create_engine, ping, read_session_factory, session_factory
from service_kit.errors import install_error_handlers
from service_kit.health import health_router
from service_kit.logs import configure_logging
from service_kit.metrics import HTTPMetrics
from service_kit.middleware import GuardMiddleware, ObserveMiddleware
from service_kit.redis_client import create_redis
from service_kit.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    service: str,
    settings: ServiceSettings,
    lifespan: Lifespan,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app with logs, metrics, health, error bodies, body limit and deadline."""
    configure_logging(service, settings.log_level)
    if settings.environment == "production":
        # The contract is published with the source; production does not serve it.
        fastapi_kwargs = {**fastapi_kwargs, "docs_url": None, "redoc_url": None}
        fastapi_kwargs["openapi_url"] = None
    app = FastAPI(lifespan=lifespan, **fastapi_kwargs)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health_router())
    metrics = HTTPMetrics(service)
    app.state.metrics = metrics
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    # Added last means outermost: every response, even a 413 or 503, gets an id and a log line.
    app.add_middleware(
        GuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        deadline_seconds=settings.request_timeout_seconds,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
        expose_headers=["ETag", "X-Request-ID", "Retry-After"],
        max_age=600,
    )
    app.add_middleware(ObserveMiddleware, metrics=metrics)
    return app


@asynccontextmanager
async def data_stores(app: FastAPI, settings: ServiceSettings) -> AsyncIterator[None]:
    """Open the PostgreSQL engine and the Redis client for the app's lifetime."""
    engine = create_engine(settings)
    redis = create_redis(settings)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.read_sessions = read_session_factory(engine)
    app.state.redis = redis
    app.state.revocations = Revocations(redis)
    app.state.readiness_checks = {"postgres": lambda: ping(engine), "redis": redis.ping}
    try:
        yield
    finally:
        await redis.aclose()
        await engine.dispose()


def app_state(name: str) -> Any:
    """A dependency on an object the lifespan put on ``app.state`` (use in ``Annotated``)."""

    # async: a plain function would be run in the threadpool on every request.
    async def get(request: Request) -> object:
        return getattr(request.app.state, name)

    return Depends(get)
