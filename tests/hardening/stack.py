"""The hardening tests' stack: auth_service, blog_service and the local edge on real ports.

The fuzzing and the property tests talk to the stack the way a client does: over HTTP,
through `devstack`'s edge, which routes by the public route table (PLATFORM.md). The two
services run on uvicorn in threads of the test process, on real PostgreSQL and Redis.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

from devstack._proc import free_port

PASSWORD = "correct horse battery staple"
# Far above what the fuzzing writes: the write budget is tested elsewhere, and a 429 on
# every second write would leave the article and comment operations barely explored.
UNLIMITED_WRITES = 1_000_000
# The fuzzing user's token must outlive a long `make fuzz` (the default lifetime is 15 minutes).
TOKEN_TTL_SECONDS = 4 * 3600


class _Server(uvicorn.Server):
    # Leave the test process's signal handlers alone.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.contextmanager
def serve(app: ASGIApp, name: str) -> Iterator[str]:
    """Run `app` on uvicorn on a free port in its own thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), f"{name} stopped while starting"
        assert time.monotonic() < deadline, f"{name} did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True)
class Stack:
    """Where the running services answer."""

    edge: str  # the public entry, as a browser or the portal reaches the platform
    auth: str  # direct, for what the edge never routes (the OpenAPI documents, /internal)
    blog: str


@dataclass
class Account:
    """A user registered through the edge, and the header that proves it."""

    username: str
    email: str
    token: str
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Token {self.token}"}


def examples(default: int) -> int:
    """Generated examples per operation or property: `FUZZ_EXAMPLES` (`make fuzz`), or `default`."""
    value = os.environ.get("FUZZ_EXAMPLES", "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"FUZZ_EXAMPLES={value!r} is not a positive whole number")
    return int(value)
