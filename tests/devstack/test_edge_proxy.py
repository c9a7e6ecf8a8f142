"""The edge against real upstream HTTP servers (uvicorn on free ports, the edge on uvicorn too)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from devstack._proc import free_port
from devstack.edge import create_edge_app


class _Server(uvicorn.Server):
    # Leave the test process's signal handlers alone.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` on uvicorn on a free port in this event loop; yield its base URL."""
    port = free_port()
    # proxy_headers=False as `devstack edge` runs it: the edge is the first hop.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Gates:
    """Events the streaming upstream waits on, so a test can prove bytes flow before the end."""

    response_first_chunk_seen: asyncio.Event = field(default_factory=asyncio.Event)
    request_first_chunk_seen: asyncio.Event = field(default_factory=asyncio.Event)


def upstream_app(name: str, gates: Gates) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        response = JSONResponse(
            {
                "upstream": name,
                "method": request.method,
                "raw_path": request.scope["raw_path"].decode(),
                "query": request.scope["query_string"].decode(),
                "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw],
                "body": body.decode(),
            },
            status_code=int(request.query_params.get("status", "200")),
        )
        response.headers.append("set-cookie", "a=1")
        response.headers.append("set-cookie", "b=2")
        response.headers["x-upstream"] = name
        return response

    async def stream_out(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first;"
            # Only continues once the client has the first chunk: a buffering proxy hangs here.
            await asyncio.wait_for(gates.response_first_chunk_seen.wait(), 5)
            yield b"second"

        return StreamingResponse(chunks(), media_type="text/plain")

    async def stream_in(request: Request) -> Response:
        received = b""
        async for chunk in request.stream():
            if chunk:
                gates.request_first_chunk_seen.set()
            received += chunk
        return Response(received, media_type="text/plain")

    async def slow(request: Request) -> Response:
        await asyncio.sleep(3)
        return Response("late")

    async def zipped(request: Request) -> Response:
        return Response(
            gzip.compress(b"compressed hello"),
            headers={"content-encoding": "gzip", "content-type": "text/plain"},
        )

    return Starlette(
        routes=[
            Route("/api/articles/stream", stream_out),
            Route("/api/users/upload", stream_in, methods=["POST"]),
            Route("/api/tags/slow", slow),
            Route("/api/profiles/zipped", zipped),
            Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
    )


@dataclass
class Edge:
    url: str
    gates: Gates


@pytest.fixture(scope="module")
def gates() -> Gates:
    return Gates()


@pytest.fixture(scope="module")
async def edge(gates: Gates) -> AsyncIterator[Edge]:
    async with contextlib.AsyncExitStack() as stack:
        upstreams = {
            name: await stack.enter_async_context(serve(upstream_app(name, gates)))
            for name in ("auth-service", "blog-service", "portal")
        }
        url = await stack.enter_async_context(serve(create_edge_app(upstreams, timeout=1.0)))
        yield Edge(url, gates)


@pytest.fixture
async def client(edge: Edge) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge.url, trust_env=False, timeout=10) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/api/users/login", "auth-service"),
        ("/api/user", "auth-service"),
        ("/api/userx", "auth-service"),
        ("/api/profiles/jake", "auth-service"),
        ("/api/auth/refresh", "auth-service"),
        ("/.well-known/jwks.json", "auth-service"),
        ("/api/articles/feed", "blog-service"),
        ("/api/tags", "blog-service"),
        ("/api/feeds/all", "blog-service"),
        ("/", "portal"),
        ("/metrics", "portal"),
        ("/readyz", "portal"),
        ("/editor/new", "portal"),
    ],
)
async def test_proxy_routes_each_prefix_to_its_upstream(
    client: httpx.AsyncClient, path: str, upstream: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json()["upstream"] == upstream
    assert response.json()["raw_path"] == path


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_proxy_forwards_method_body_and_status(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(
        method, "/api/articles/x", params={"status": "201"}, content=b'{"a": 1}'
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["method"], body["body"], body["query"]) == (method, '{"a": 1}', "status=201")


async def test_proxy_keeps_raw_path_and_query_string(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/profiles/caf%C3%A9%2Fx?tag=a%20b&tag=c&empty=")
    body = response.json()
    assert body["raw_path"] == "/api/profiles/caf%C3%A9%2Fx"
    assert body["query"] == "tag=a%20b&tag=c&empty="


async def test_proxy_sets_forwarded_headers_and_drops_hop_by_hop(
    client: httpx.AsyncClient, edge: Edge
) -> None:
    response = await client.get(
        "/api/users",
        headers={
            "x-custom": "kept",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-proto": "gopher",
            "connection": "keep-alive, x-secret-hop",
            "x-secret-hop": "dropped",
            "te": "trailers",
            "authorization": "Token abc",
        },
    )
    sent = dict(response.json()["headers"])
    host = edge.url.removeprefix("http://")
    assert sent["x-custom"] == "kept"
    assert sent["authorization"] == "Token abc"
    assert sent["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert sent["x-forwarded-proto"] == "http"
    assert sent["x-forwarded-host"] == host
    assert sent["host"] == host
    assert "x-secret-hop" not in sent
    assert "te" not in sent
    # httpx opens its own upstream connection; the client's Connection header is not forwarded.
    assert sent.get("connection") != "keep-alive, x-secret-hop"


async def test_proxy_generates_request_id_when_absent(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags")
    sent = dict(response.json()["headers"])
    assert len(sent["x-request-id"]) == 32
    assert response.headers["x-request-id"] == sent["x-request-id"]


async def test_proxy_passes_request_id_when_present(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags", headers={"x-request-id": "req-123"})
    assert dict(response.json()["headers"])["x-request-id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"


async def test_proxy_keeps_repeated_response_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/users")
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-upstream"] == "auth-service"
    assert len(response.headers.get_list("server")) <= 1
    assert len(response.headers.get_list("date")) == 1


async def test_proxy_streams_response_before_upstream_finishes(
    client: httpx.AsyncClient, edge: Edge
) -> None:
    async with client.stream("GET", "/api/articles/stream") as response:
        chunks = response.aiter_raw()
        first = await asyncio.wait_for(chunks.__anext__(), 3)
        assert first == b"first;"
        edge.gates.response_first_chunk_seen.set()
        rest = b"".join([chunk async for chunk in chunks])
    assert rest == b"second"


async def test_proxy_streams_request_body_before_client_finishes(
    client: httpx.AsyncClient, edge: Edge
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"part one;"
        # The upstream must see the first part while we still hold the second.
        await asyncio.wait_for(edge.gates.request_first_chunk_seen.wait(), 3)
        yield b"part two"

    response = await client.post("/api/users/upload", content=body())
    assert response.status_code == 200
    assert response.content == b"part one;part two"


async def test_proxy_passes_compressed_body_unchanged(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/profiles/zipped", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "compressed hello"


async def test_proxy_upstream_timeout_answers_504(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags/slow")
    assert response.status_code == 504
    assert response.json() == {"errors": {"upstream": ["blog-service timed out"]}}


async def test_edge_without_upstream_answers_404_with_realworld_body() -> None:
    async with serve(create_edge_app({})) as url, httpx.AsyncClient(base_url=url) as c:
        for path in ("/api/articles", "/", "/metrics"):
            response = await c.get(path)
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"errors": {"route": ["no service is running for this path"]}}


async def test_edge_with_unreachable_upstream_answers_502() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    edge = create_edge_app({"auth-service": dead})
    async with serve(edge) as url, httpx.AsyncClient(base_url=url) as c:
        response = await c.post("/api/users/login", json={"user": {}})
        other = await c.get("/api/articles")
    assert response.status_code == 502
    assert response.json() == {"errors": {"upstream": ["auth-service is unreachable"]}}
    assert other.status_code == 404


async def test_edge_keeps_upstream_base_path() -> None:
    gates = Gates()
    async with contextlib.AsyncExitStack() as stack:
        upstream = await stack.enter_async_context(serve(upstream_app("portal", gates)))
        url = await stack.enter_async_context(
            serve(create_edge_app({"portal": upstream + "/base/"}))
        )
        c = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
        response = await c.get("/page?x=1")
    assert response.json()["raw_path"] == "/base/page"
    assert response.json()["query"] == "x=1"


def test_create_edge_app_rejects_unknown_upstream_name() -> None:
    with pytest.raises(ValueError, match="unknown upstream"):
        create_edge_app({"auth": "http://127.0.0.1:8001"})


@pytest.fixture
async def capped_edge() -> AsyncIterator[tuple[str, Gates]]:
    gates = Gates()
    async with contextlib.AsyncExitStack() as stack:
        upstream = await stack.enter_async_context(serve(upstream_app("auth-service", gates)))
        edge = create_edge_app({"auth-service": upstream}, max_body_bytes=1000)
        yield await stack.enter_async_context(serve(edge)), gates


TOO_LARGE = {"errors": {"body": ["is too large (maximum is 1000 bytes)"]}}


async def test_edge_refuses_a_declared_oversized_body_without_sending_it(
    capped_edge: tuple[str, Gates],
) -> None:
    url, gates = capped_edge
    async with httpx.AsyncClient(base_url=url, trust_env=False) as c:
        response = await c.post("/api/users/upload", content=b"x" * 1001)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert not gates.request_first_chunk_seen.is_set()


async def test_edge_refuses_a_streamed_body_once_it_passes_the_cap(
    capped_edge: tuple[str, Gates],
) -> None:
    url, _ = capped_edge

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"y" * 600

    async with httpx.AsyncClient(base_url=url, trust_env=False) as c:
        response = await c.post("/api/users/upload", content=chunks())
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


async def test_edge_forwards_a_body_of_exactly_the_cap(capped_edge: tuple[str, Gates]) -> None:
    url, _ = capped_edge
    async with httpx.AsyncClient(base_url=url, trust_env=False) as c:
        response = await c.post("/api/users/upload", content=b"z" * 1000)
    assert response.status_code == 200
    assert response.content == b"z" * 1000
