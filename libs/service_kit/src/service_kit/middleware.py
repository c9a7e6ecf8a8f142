"""Pure ASGI middleware: request ids, security headers, access logs and metrics; body
limits and deadlines.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming and cancellation behave, and so the
route template that the router stores in the scope is visible once the app has run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.errors import error_response
from service_kit.metrics import UNMEASURED_ROUTES, HTTPMetrics

REQUEST_ID_HEADER = "x-request-id"
log = structlog.get_logger("service_kit.access")

# Handlers cancelled at their deadline finish cleaning up in the background; hold a
# reference so they are not garbage-collected half-way.
_background: set[asyncio.Future[None]] = set()


def _forget(task: asyncio.Future[None]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        structlog.get_logger(__name__).warning(
            "abandoned_request_failed", error=type(task.exception()).__name__
        )


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "<unmatched>"))
    # Plain Starlette routes (`/metrics`) leave no route in the scope: name them by path so
    # a scrape is not counted as a user request under "<unmatched>".
    path = str(scope.get("path", ""))
    return path if path in UNMEASURED_ROUTES else "<unmatched>"


def incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            candidate = str(value.decode("latin-1"))[:128]
            if candidate.isprintable() and candidate:
                return candidate
    return uuid.uuid4().hex


def add_security_headers(headers: MutableHeaders, authenticated: bool) -> None:
    """Headers every API answer carries: no content sniffing, and nothing that was asked
    for with a token may be kept by a browser or a shared cache."""
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if authenticated:
        headers["Cache-Control"] = "no-store"


class ObserveMiddleware:
    """Gives every request an id, logs it once as JSON and counts it in the metrics."""

    def __init__(self, app: ASGIApp, metrics: HTTPMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope)
        authenticated = any(name == b"authorization" for name, _ in scope.get("headers", ()))
        structlog.contextvars.clear_contextvars()
        # The service is bound per request: structlog's configuration is process-wide, and
        # one process may host several apps (tests do).
        structlog.contextvars.bind_contextvars(request_id=request_id, service=self.metrics.service)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append("X-Request-ID", request_id)
                add_security_headers(headers, authenticated)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            self.metrics.observe(method, route, status, elapsed)
            if route not in UNMEASURED_ROUTES:
                log.info(
                    "request",
                    method=method,
                    route=route,
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )


class GuardMiddleware:
    """Refuses oversized bodies with 413 and answers 503 when a request outlives its deadline.

    The deadline is what turns a frozen PostgreSQL or Redis into a prompt, retryable error:
    socket timeouts alone do not cover a pooled connection that simply stops answering.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, deadline_seconds: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.deadline_seconds = deadline_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return

        received = 0
        response_started = False
        abandoned = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise HTTPException(413)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if abandoned:
                return  # the client already has its 503; drop what the late handler says
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        handler = asyncio.ensure_future(self.app(scope, limited_receive, tracking_send))
        done, _ = await asyncio.wait({handler}, timeout=self.deadline_seconds)
        if handler in done:
            handler.result()  # re-raise what the app raised
            return
        # Cancel, but do not wait: a driver's clean-up against a frozen server (psycopg's
        # query cancellation, say) can take seconds, and the client should not.
        handler.cancel()
        _background.add(handler)
        handler.add_done_callback(_forget)
        structlog.get_logger(__name__).warning("request_deadline_exceeded", path=scope["path"])
        if response_started:
            return  # too late for a clean 503; the server closes the half-sent response
        abandoned = True
        response = error_response(
            503, {"service": ["is unavailable, try again shortly"]}, {"Retry-After": "1"}
        )
        await response(scope, receive, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = f"is too large (maximum is {self.max_body_bytes} bytes)"
        response = error_response(413, {"body": [limit]}, {"Connection": "close"})
        await response(scope, receive, send)
