"""The supervisor with stand-in processes: ready report, signals, a service dying on its own."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from pathlib import Path

import psutil
import pytest

from devstack._proc import free_port, port_in_use
from devstack.supervisor import ServiceProcess, supervise


def http_stand_in(name: str, directory: Path) -> ServiceProcess:
    """A tiny real HTTP service: `python -m http.server` on a free port."""
    port = free_port()
    command = (sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1")
    return ServiceProcess(
        name=name,
        command=(*command, "--directory", str(directory)),
        port=port,
        ready_url=f"http://127.0.0.1:{port}/",
    )


def script_stand_in(name: str, code: str) -> ServiceProcess:
    port = free_port()  # nothing listens here, so it never becomes ready
    return ServiceProcess(name, (sys.executable, "-c", code), port, f"http://127.0.0.1:{port}/")


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


class SignalOnReady:
    """on_ready callback: note every process the supervisor started, then send `sig` to us."""

    def __init__(self, sig: signal.Signals) -> None:
        self.sig = sig
        self.before = {p.pid for p in psutil.Process().children(recursive=True)}
        self.started: list[psutil.Process] = []
        self.commands: list[str] = []
        self.ready = threading.Event()

    def __call__(self) -> None:
        children = psutil.Process().children(recursive=True)
        self.started = [p for p in children if p.pid not in self.before]
        self.commands = [" ".join(p.cmdline()) for p in self.started]
        self.ready.set()
        os.kill(os.getpid(), self.sig)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_supervise_reports_ready_then_signal_stops_every_process(
    tmp_path: Path, sig: signal.Signals
) -> None:
    processes = [http_stand_in("web", tmp_path), http_stand_in("api", tmp_path)]
    on_ready = SignalOnReady(sig)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out = io.StringIO()

    code = supervise(processes, cwd=tmp_path, out=out, on_ready=on_ready, ready_timeout=20)

    assert code == 0
    assert on_ready.ready.is_set()
    servers = [c for c in on_ready.commands if c.startswith(sys.executable + " -m http.server")]
    assert len(servers) == 2, on_ready.commands
    assert alive(on_ready.started) == []
    assert not any(port_in_use(p.port) for p in processes)
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert "web started" in out.getvalue()


def test_supervise_exits_nonzero_naming_the_service_that_died(tmp_path: Path) -> None:
    web = http_stand_in("web", tmp_path)
    crasher = script_stand_in("crasher", "import time, sys; time.sleep(1); sys.exit(3)")
    out = io.StringIO()

    code = supervise([web, crasher], out=out, ready_timeout=20)

    assert code == 3
    assert "==> crasher exited on its own (exit code 3)" in out.getvalue()
    assert not port_in_use(web.port)


def test_supervise_treats_clean_exit_of_a_service_as_failure(tmp_path: Path) -> None:
    quitter = script_stand_in("quitter", "import time; time.sleep(0.5)")
    out = io.StringIO()

    code = supervise([http_stand_in("web", tmp_path), quitter], out=out)

    assert code == 1
    assert "==> quitter exited on its own (exit code 0)" in out.getvalue()


def test_supervise_says_which_services_are_not_ready_in_time(tmp_path: Path) -> None:
    sleeper = script_stand_in("sleeper", "import time; time.sleep(1.2)")
    readies: list[bool] = []
    out = io.StringIO()

    code = supervise(
        [http_stand_in("web", tmp_path), sleeper],
        out=out,
        on_ready=lambda: readies.append(True),
        ready_timeout=0.3,
    )

    assert code == 1
    assert "==> still waiting for: sleeper" in out.getvalue()
    assert readies == []
