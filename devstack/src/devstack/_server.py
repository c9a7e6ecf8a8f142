"""The process lifecycle both embedded servers share: launch, wait, adopt, stop, freeze.

A server is our child process, or one left running by a previous run on the same data
directory (found through its pid file), which we reuse when it answers on our port.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Self

from devstack._proc import (
    EmbeddedServerError,
    RunAs,
    free_port,
    listens_on,
    log_tail,
    signal_tree,
    stop_tree,
)

HOST = "127.0.0.1"


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block is done, then deliver them to the usual handlers.

    Python-level only (the handlers, not the signal mask), so children start with a normal mask.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    watched = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, remember) for sig in watched}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            # None: a handler not set from Python; the default is the best we can restore.
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for signum in caught:
            signal.raise_signal(signum)


class Server(ABC):
    """What both servers share: a child process (or one adopted from a previous run)."""

    name = "server"

    def __init__(self, data_dir: Path, port: int | None, start_timeout: float) -> None:
        self.data_dir = data_dir.resolve()
        self._port = port if port is not None else free_port()
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The server's main process if it runs: our child, or one left by a previous run."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        return self._live_pid()

    @property
    def is_running(self) -> bool:
        return self.pid is not None

    @abstractmethod
    def _live_pid(self) -> int | None:
        """The server process for this data dir according to its pid file, if alive."""

    @abstractmethod
    def _ready(self) -> bool:
        """True when the server on our port answers."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def _adopt_or_clear(self, stop_signal: signal.Signals) -> bool:
        """Reuse a healthy server left by a previous run on our port; stop any other one."""
        pid = self._live_pid()
        if pid is None:
            return False
        if listens_on(pid, self._port) and self._ready():
            atexit.register(self.stop)
            return True
        stop_tree(pid, stop_signal, timeout=15.0)
        return False

    def _launch(self, argv: list[str], run_as: RunAs) -> None:
        self._release()
        self._log = self.log_path.open("ab")
        try:
            with _signals_deferred():
                # A Ctrl-C inside Popen would orphan a child we never learned the pid of.
                self._proc = subprocess.Popen(  # noqa: S603 - argv is built from our own paths
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    # Own session: a Ctrl-C in the terminal must reach the services first.
                    start_new_session=True,
                    user=run_as.user,
                    group=run_as.group,
                    extra_groups=run_as.extra_groups,
                )
                atexit.register(self.stop)
            self._wait_ready(self._proc)
        except BaseException:  # a failed start, or Ctrl-C/SIGTERM meanwhile: leave nothing
            self.stop()
            raise

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not self._ready():
            code = proc.poll()
            if code is not None or time.monotonic() > deadline:
                why = f"exited with code {code}" if code is not None else "did not answer"
                raise EmbeddedServerError(
                    f"{self.name} on {HOST}:{self._port} {why} within {self.start_timeout:.0f} s;"
                    f" last lines of {self.log_path}:\n{log_tail(self.log_path)}"
                )
            time.sleep(0.1)

    def _stop(self, stop_signal: signal.Signals) -> None:
        pid = self.pid
        if pid is not None:
            stop_tree(pid, stop_signal, timeout=15.0)
        self._release()
        atexit.unregister(self.stop)

    def _release(self) -> None:
        """Reap our exited child (no zombie left) and close its log."""
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5.0)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _require_pid(self) -> int:
        pid = self.pid
        if pid is None:
            raise EmbeddedServerError(f"{self.name} in {self.data_dir} is not running")
        return pid

    def pause(self) -> None:
        """Freeze the server and all its workers (SIGSTOP): connections hang, nothing answers."""
        signal_tree(self._require_pid(), signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `pause` (SIGCONT)."""
        signal_tree(self._require_pid(), signal.SIGCONT)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
