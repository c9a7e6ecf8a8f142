"""Where the cores went: CPU seconds of each part of the stack, sampled while a scenario runs."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import psutil

MACHINE = "whole machine"
STEAL = "stolen by the hypervisor"


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and all its descendants, living or exited.

    Exited children count through the root's children_user/children_system (what the kernel
    adds once it reaps them): PostgreSQL starts and ends a backend per pool overflow
    connection, and their time must not vanish from the sum.
    """
    total = 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
            if proc is root:
                total += times.children_user + times.children_system
    return total


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine (guest time is inside user already)."""
    times = psutil.cpu_times()
    return float(
        times.user + times.nice + times.system + getattr(times, "irq", 0.0)
        + getattr(times, "softirq", 0.0)
    )  # fmt: skip


class CpuMeter:
    """Samples the CPU time of each part of the stack, to say where the cores went."""

    def __init__(self, groups: dict[str, Callable[[], float]]) -> None:
        self.groups = groups
        self.samples: list[tuple[float, dict[str, float]]] = []

    def sample(self) -> None:
        values = {name: read() for name, read in self.groups.items()}
        values[MACHINE] = machine_busy_seconds()
        values[STEAL] = float(getattr(psutil.cpu_times(), "steal", 0.0))
        self.samples.append((time.monotonic(), values))

    def percent_since(self, start: float) -> dict[str, float]:
        """% of one core per group between the first sample at or after `start` and the last."""
        window = [s for s in self.samples if s[0] >= start]
        if len(window) < 2:
            return dict.fromkeys([*self.groups, "other processes", MACHINE, STEAL], 0.0)
        (t0, first), (t1, last) = window[0], window[-1]
        percent = {
            name: round(max(0.0, last[name] - first[name]) / (t1 - t0) * 100, 1) for name in first
        }
        machine = percent.pop(MACHINE)
        steal = percent.pop(STEAL)
        # Anything else busy on the machine (another test run, say) skews the numbers.
        percent["other processes"] = round(max(0.0, machine - sum(percent.values())), 1)
        percent[MACHINE] = machine
        # Time a virtual machine wanted but did not get: noisy neighbours, not our code.
        percent[STEAL] = steal
        return percent


def busy_elsewhere(seconds: float = 3.0) -> float:
    """% of one core that other processes use while we are idle: they would skew results."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return round((machine_busy_seconds() - before) / seconds * 100, 1)
