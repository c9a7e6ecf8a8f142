"""One supervisor for the service processes: honcho's Manager, plus readiness polling.

honcho runs every process in its own process group, prefixes their output, and on SIGINT or
SIGTERM (or when any process exits) terminates them all, then kills what is left after 5 s.
We add: which process exited first and whether we were asked to stop, and a readiness watcher
that reports when every readiness URL answers 2xx.
"""

from __future__ import annotations

import multiprocessing
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
from honcho.manager import Manager
from honcho.printer import Printer

__all__ = ["ServiceProcess", "supervise"]


@dataclass(frozen=True)
class ServiceProcess:
    """One row of the process table."""

    name: str
    command: tuple[str, ...]
    port: int
    ready_url: str
    env: Mapping[str, str] = field(default_factory=dict)
    # The route-table upstream this process serves (e.g. "auth-service"); the edge proxies to it.
    upstream: str | None = None
    # Its PostgreSQL database, created before anything starts.
    database: str | None = None
    # Run once, to completion, before the services start (e.g. Alembic migrations).
    migrate: tuple[str, ...] | None = None
    # The package name shown in "==> migrating <package>".
    package: str | None = None
    # Run once, to completion, after the migrations (e.g. the portal's production build).
    build: tuple[str, ...] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _EventTap:
    """Wraps honcho's event queue to see, in the main thread, what its loop sees.

    The first 'stop' tells us who exited first; `requested` is whether honcho's own signal
    handler had already set a return code then (i.e. we were asked to stop). All processes
    having started is the moment to start the readiness thread: after every fork, not before.
    """

    def __init__(self, manager: Any, expected: int, on_all_started: Callable[[], None]) -> None:
        self._queue = manager.events
        self._manager = manager
        self._expected = expected
        self._started = 0
        self._on_all_started = on_all_started
        self.first_stop: tuple[str, int] | None = None
        self.requested = False

    def put(self, message: Any) -> None:  # called in honcho's worker processes
        self._queue.put(message)

    def get(self, timeout: float | None = None) -> Any:
        message = self._queue.get(timeout=timeout)
        if message.type == "start":
            self._started += 1
            if self._started == self._expected:
                self._on_all_started()
        elif message.type == "stop" and self.first_stop is None:
            self.first_stop = (message.name, message.data["returncode"])
            self.requested = self._manager.returncode is not None
        return message


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).is_success
    except httpx.HTTPError:
        return False


def _watch_readiness(
    processes: Sequence[ServiceProcess],
    stopping: threading.Event,
    on_ready: Callable[[], None] | None,
    ready_timeout: float,
    out: TextIO,
) -> None:
    # In table order: the edge's readiness URL goes through the services before it, so
    # polling it early would only fill its log with 502s.
    pending = list(processes)
    deadline = time.monotonic() + ready_timeout
    warned = False
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while pending and not stopping.is_set():
            while pending and _answers(client, pending[0].ready_url):
                pending.pop(0)
            if pending and not warned and time.monotonic() > deadline:
                warned = True
                names = ", ".join(p.name for p in pending)
                out.write(f"==> still waiting for: {names} (see their output above)\n")
                out.flush()
            if pending:
                stopping.wait(0.25)
    if not pending and not stopping.is_set() and on_ready is not None:
        on_ready()


def supervise(
    processes: Sequence[ServiceProcess],
    *,
    cwd: Path | None = None,
    out: TextIO | None = None,
    on_ready: Callable[[], None] | None = None,
    ready_timeout: float = 120.0,
) -> int:
    """Run `processes` until SIGINT/SIGTERM (then 0) or until one exits on its own (non-zero).

    Blocks the calling thread, which must be the main thread (honcho installs signal handlers;
    the previous handlers are restored on return). `on_ready` is called once, from another
    thread, when every readiness URL has answered 2xx (polled in table order).
    """
    out = out if out is not None else sys.stdout
    manager = Manager(printer=Printer(out))
    stopping = threading.Event()
    watcher = threading.Thread(
        target=_watch_readiness,
        args=(processes, stopping, on_ready, ready_timeout, out),
        name="devstack-readiness",
        daemon=True,
    )
    tap = _EventTap(manager, len(processes), watcher.start)
    manager.events = tap
    for proc in processes:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **proc.env}
        cwd_arg = str(cwd) if cwd is not None else None
        # honcho runs commands through /bin/sh; `exec` makes the service the shell's successor,
        # so signals reach it directly and no idle shell is left in the tree.
        command = f"exec {shlex.join(proc.command)}"
        manager.add_process(proc.name, command, env=env, cwd=cwd_arg)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        manager.loop()
    finally:
        stopping.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        multiprocessing.active_children()  # reaps honcho's finished worker processes
        if watcher.is_alive():
            watcher.join(timeout=5.0)

    if tap.first_stop is None or tap.requested:
        return 0
    name, code = tap.first_stop
    out.write(f"==> {name} exited on its own (exit code {code}); stopped everything\n")
    out.flush()
    return code if code > 0 else 1
