"""Process plumbing shared by the embedded servers: ports, process trees, log tails.

Kept apart from `embedded` so each server class reads as its start/stop story only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started or stopped."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the kernel picks it; a race is possible but rare)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages that explain themselves."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def live_process(pid: int, name: str) -> psutil.Process | None:
    """The process `pid` if it is alive and its executable is `name` (guards against pid reuse)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE or proc.name() != name:
            return None
    except psutil.Error:
        return None
    return proc


def listens_on(pid: int, port: int) -> bool:
    """True when process `pid` has a TCP socket listening on `port`."""
    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in conns)


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants, parent first."""
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def signal_tree(pid: int, sig: signal.Signals) -> None:
    """Send `sig` to a process and all its descendants (SIGSTOP must reach the workers too)."""
    for proc in process_tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(sig)


def wait_gone(procs: list[psutil.Process], timeout: float) -> bool:
    """Wait until every process has exited; True if they all did in time."""
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return not alive


def stop_tree(pid: int, sig: signal.Signals, timeout: float) -> None:
    """Ask a server to stop with `sig`, then kill whatever of its tree is left after `timeout`."""
    tree = process_tree(pid)
    if not tree:
        return
    # A frozen (SIGSTOPped) server cannot act on a shutdown signal.
    signal_tree(pid, signal.SIGCONT)
    with contextlib.suppress(psutil.NoSuchProcess):
        tree[0].send_signal(sig)
    if wait_gone(tree, timeout):
        return
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    wait_gone(tree, 5.0)


@dataclass(frozen=True)
class RunAs:
    """Credentials for subprocess.Popen/run: an unprivileged user when we are root."""

    user: int | None = None
    group: int | None = None

    @property
    def extra_groups(self) -> list[int] | None:
        # Drop root's supplementary groups too; None means "leave as is".
        return None if self.user is None else []

    def chown(self, path: Path, recursive: bool = False) -> None:
        if self.user is None or self.group is None:
            return
        os.chown(path, self.user, self.group)
        if recursive:
            for child in path.rglob("*"):
                os.chown(child, self.user, self.group, follow_symlinks=False)
