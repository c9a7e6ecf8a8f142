"""Real peers for the live-health tests: service_kit apps served over HTTP in this process.

Each app is built with ``create_service_app`` (the services' own metrics middleware and
``/metrics``), with routes that answer 200, 500 and slowly, and runs under uvicorn on a free
port in a thread, so a test can stop one and see it reported down.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from devstack._proc import free_port
from service_kit.app import create_service_app
from service_kit.settings import ServiceSettings

SLOW_SECONDS = 0.03


@asynccontextmanager
async def no_stores(app: FastAPI) -> AsyncIterator[None]:
    yield


def probe_app(service: str) -> FastAPI:
    settings = ServiceSettings(
        database_url="postgresql://unused/db",
        redis_url="redis://unused:6379/0",
        environment="test",
        log_level="WARNING",
    )
    app = create_service_app(service=service, settings=settings, lifespan=no_stores)

    @app.get("/api/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/api/boom")
    async def boom() -> JSONResponse:
        return JSONResponse({"detail": "failed on purpose"}, status_code=500)

    @app.get("/api/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(SLOW_SECONDS)
        return {"ok": "slowly"}

    return app


@dataclass
class RunningService:
    name: str
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def metrics_url(self) -> str:
        return f"{self.url}/metrics"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    async def drive(self, ok: int = 0, boom: int = 0, missing: int = 0, slow: int = 0) -> int:
        """Send that many requests of each kind (concurrently); how many were sent."""
        paths = ["/api/ok"] * ok + ["/api/boom"] * boom + ["/nowhere"] * missing
        paths += ["/api/slow"] * slow
        # A few at a time: a hundred at once would measure the queue, not the handlers.
        gate = asyncio.Semaphore(4)

        async def get(client: httpx.AsyncClient, path: str) -> httpx.Response:
            async with gate:
                return await client.get(path)

        async with httpx.AsyncClient(base_url=self.url, timeout=10, trust_env=False) as client:
            answers = await asyncio.gather(*(get(client, path) for path in paths))
        expected = [200] * ok + [500] * boom + [404] * missing + [200] * slow
        assert [a.status_code for a in answers] == expected
        return len(paths)


@contextmanager
def serve(name: str) -> Iterator[RunningService]:
    port = free_port()
    config = uvicorn.Config(
        probe_app(name), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on port {port}")
        time.sleep(0.02)
    running = RunningService(name, f"http://127.0.0.1:{port}", server, thread)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def start_service() -> Iterator[Callable[[str], RunningService]]:
    """Start a probe service by name; every one started is stopped after the test."""
    with ExitStack() as stack:
        yield lambda name: stack.enter_context(serve(name))
