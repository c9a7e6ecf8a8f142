"""The local edge on :8080: a reverse proxy routing by `devstack.routes`, like the Istio gateway.

Every method is proxied with bodies streamed both ways. An upstream that is not configured (a
service that does not exist yet) answers 404, one that cannot be reached 502, one that is too
slow 504, each with the RealWorld error body. Internal paths (`/metrics`, `/readyz`) get no
special treatment: they fall through to the default upstream as they would in the cluster.

Request bodies over `max_body_bytes` (the services' own cap, 1 MiB) get 413 at the edge, as an
ingress proxy's buffer limit gives them. Without it, a service refusing a large upload closes
the connection while the edge is still sending, and the edge could only report a 502.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devstack.routes import UPSTREAMS, upstream_for

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_TIMEOUT", "HOP_BY_HOP", "create_edge_app"]

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # ServiceSettings.max_body_bytes

# RFC 9110 §7.6.1: connection-specific headers are for one hop and must not be forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the edge itself, so whatever the client sent under these names is replaced.
_OWN_REQUEST_HEADERS = frozenset({"x-forwarded-proto", "x-forwarded-host", "x-forwarded-for"})
# The edge's server adds its own; forwarding the upstream's too would duplicate them.
_OWN_RESPONSE_HEADERS = frozenset({"date", "server"})

RawHeaders = list[tuple[bytes, bytes]]


def _error(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": {field: [message]}}, status_code=status)


class _BodyTooLarge(Exception):
    """Raised from the streamed body once it passes the cap; ends the upstream request."""


def _too_large(limit: int) -> JSONResponse:
    # The services' own wording, so a client sees one answer whoever refused the body.
    response = _error(413, "body", f"is too large (maximum is {limit} bytes)")
    response.headers["Connection"] = "close"
    return response


async def _capped(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    sent = 0
    async for chunk in chunks:
        sent += len(chunk)
        if sent > limit:
            raise _BodyTooLarge
        yield chunk


def _filtered(raw: RawHeaders, also_drop: frozenset[str]) -> RawHeaders:
    """Drop hop-by-hop headers, those the Connection header names, and `also_drop`."""
    named = {
        token.strip().lower()
        for key, value in raw
        if key.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    drop = HOP_BY_HOP | also_drop | named
    return [(k, v) for k, v in raw if k.decode("latin-1").lower() not in drop]


class _Proxy:
    """ASGI endpoint (not a function, so Starlette routes every method to it)."""

    def __init__(self, upstreams: Mapping[str, str], max_body_bytes: int) -> None:
        self.upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.forward(Request(scope, receive))
        await response(scope, receive, send)

    async def forward(self, request: Request) -> Response:
        name = upstream_for(request.url.path)
        base = self.upstreams.get(name)
        if base is None:
            return _error(404, "route", "no service is running for this path")
        if _declared_length(request) > self.max_body_bytes:
            return _too_large(self.max_body_bytes)
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        client: httpx.AsyncClient = request.state.client
        upstream_request = client.build_request(
            request.method,
            self._target(base, request.scope),
            headers=self._request_headers(request, request_id),
            # No body unless the client announced one; a chunked empty GET upsets some servers.
            content=_capped(request.stream(), self.max_body_bytes) if _has_body(request) else None,
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except _BodyTooLarge:
            return _too_large(self.max_body_bytes)
        except httpx.TimeoutException:
            return _error(504, "upstream", f"{name} timed out")
        except httpx.TransportError:
            return _error(502, "upstream", f"{name} is unreachable")
        return self._response(upstream, request_id)

    @staticmethod
    def _target(base: str, scope: Scope) -> httpx.URL:
        # Forward the path as the client encoded it (not re-quoted), plus the query string.
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        url = httpx.URL(base)
        prefix = url.raw_path.rstrip(b"/")
        return url.copy_with(raw_path=prefix + raw_path + (b"?" + query if query else b""))

    @staticmethod
    def _request_headers(request: Request, request_id: str) -> RawHeaders:
        raw = _filtered(request.headers.raw, _OWN_REQUEST_HEADERS | {"x-request-id"})
        client_host = request.client.host if request.client else "unknown"
        prior = request.headers.get("x-forwarded-for")
        forwarded_for = f"{prior}, {client_host}" if prior else client_host
        # Host is kept as the client sent it, as Istio does; X-Forwarded-Host repeats it.
        raw += [
            (b"x-forwarded-for", forwarded_for.encode("latin-1")),
            (b"x-forwarded-proto", request.url.scheme.encode("latin-1")),
            (b"x-forwarded-host", request.headers.get("host", "").encode("latin-1")),
            (b"x-request-id", request_id.encode("latin-1")),
        ]
        return raw

    @staticmethod
    def _response(upstream: httpx.Response, request_id: str) -> Response:
        async def body() -> AsyncIterator[bytes]:
            try:
                # Raw bytes: a gzip body stays gzip, matching the Content-Encoding we forward.
                async for chunk in upstream.aiter_raw():
                    yield chunk
            finally:
                await upstream.aclose()

        raw = _filtered(upstream.headers.raw, _OWN_RESPONSE_HEADERS)
        if "x-request-id" not in upstream.headers:
            raw.append((b"x-request-id", request_id.encode("latin-1")))
        # The background close covers a body that is never iterated (e.g. client gone).
        response = StreamingResponse(
            body(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
        )
        response.raw_headers = raw  # a list, so repeated headers (Set-Cookie) survive
        return response


def _has_body(request: Request) -> bool:
    return "content-length" in request.headers or "transfer-encoding" in request.headers


def _declared_length(request: Request) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0  # not a number: the service answers it (400), as it would behind Istio


def create_edge_app(
    upstreams: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Starlette:
    """The edge app for `upstreams`: service name (see `devstack.routes`) to base URL."""
    unknown = sorted(set(upstreams) - set(UPSTREAMS))
    if unknown:
        raise ValueError(f"unknown upstream(s) {unknown}; the route table knows {list(UPSTREAMS)}")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
        # trust_env=False: an HTTP(S)_PROXY in the shell must not capture loopback traffic.
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
        ) as client:
            client.headers.clear()  # forward the client's headers only, not httpx's defaults
            yield {"client": client}

    catch_all = Route("/{path:path}", _Proxy(upstreams, max_body_bytes))
    # Starlette's `path` convertor is `.*`, which stops at a line feed; a path may hold one
    # (`%0A` in a slug), and the service, not the edge, must answer it (as Istio lets it).
    catch_all.path_regex = re.compile(r"^/(?P<path>.*)$", re.DOTALL)
    return Starlette(routes=[catch_all], lifespan=lifespan)
