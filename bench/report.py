"""Locust's CSV stats to `bench/results.json` and a Markdown table."""

from __future__ import annotations

import csv
import datetime
import json
import os
import platform
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class Targets:
    """What a scenario should reach; None means no requirement on that figure."""

    min_rps: float | None = None
    max_p95_ms: float | None = None
    max_errors: int | None = None

    def describe(self) -> str:
        parts = []
        if self.min_rps is not None:
            parts.append(f">= {self.min_rps:g} req/s")
        if self.max_p95_ms is not None:
            parts.append(f"P95 < {self.max_p95_ms:g} ms")
        if self.max_errors is not None:
            parts.append("no errors" if self.max_errors == 0 else f"<= {self.max_errors} errors")
        return ", ".join(parts)


@dataclass(frozen=True)
class EndpointStats:
    name: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    max_ms: float


def _number(row: dict[str, str], column: str) -> float:
    value = row.get(column, "")
    return float(value) if value not in ("", "N/A") else 0.0


def read_locust_stats(path: Path) -> tuple[list[EndpointStats], EndpointStats]:
    """Per-endpoint rows and the aggregate from locust's `<prefix>_stats.csv`."""
    rows: list[EndpointStats] = []
    aggregate: EndpointStats | None = None
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            stats = EndpointStats(
                name=row["Name"],
                requests=int(_number(row, "Request Count")),
                errors=int(_number(row, "Failure Count")),
                rps=round(_number(row, "Requests/s"), 1),
                p50_ms=_number(row, "50%"),
                p95_ms=_number(row, "95%"),
                p99_ms=_number(row, "99%"),
                avg_ms=round(_number(row, "Average Response Time"), 1),
                max_ms=round(_number(row, "Max Response Time"), 1),
            )
            if row["Name"] == AGGREGATED:
                aggregate = stats
            else:
                rows.append(stats)
    if aggregate is None:
        raise ValueError(f"{path} has no {AGGREGATED} row")
    return rows, aggregate


def read_locust_failures(path: Path) -> list[dict[str, Any]]:
    """(endpoint, error, count) from locust's `<prefix>_failures.csv`, most frequent first."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        rows = [
            {"endpoint": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(handle)
        ]
    return sorted(rows, key=lambda r: -int(r["count"]))


def service_warnings(log_text: str) -> dict[str, int]:
    """Warning events in a service's JSON log, counted by event and error type."""
    counts: Counter[str] = Counter()
    for line in log_text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            counts["(not JSON) " + line[:80]] += 1
            continue
        if not isinstance(entry, dict):
            continue
        key = str(entry.get("event", "?"))
        if "error" in entry:
            detail = str(entry.get("detail", "")).split(" (Background", 1)[0][:90]
            key += f" ({entry['error']}{': ' + detail if detail else ''})"
        counts[key] += 1
    return dict(counts.most_common())


def check(targets: Targets, measured: EndpointStats) -> dict[str, bool]:
    """Each target's outcome, by name."""
    outcome: dict[str, bool] = {}
    if targets.min_rps is not None:
        outcome["rps"] = measured.rps >= targets.min_rps
    if targets.max_p95_ms is not None:
        outcome["p95"] = measured.p95_ms < targets.max_p95_ms
    if targets.max_errors is not None:
        outcome["errors"] = measured.errors <= targets.max_errors
    return outcome


def scenario_result(
    *,
    name: str,
    title: str,
    description: str,
    users: int,
    duration_s: int,
    targets: Targets,
    endpoints: list[EndpointStats],
    aggregate: EndpointStats,
    cpu: dict[str, float],
    failures: list[dict[str, Any]],
    warnings: dict[str, int],
) -> dict[str, Any]:
    checks = check(targets, aggregate)
    return {
        "name": name,
        "title": title,
        "description": description,
        "users": users,
        "duration_s": duration_s,
        "targets": {**asdict(targets), "text": targets.describe()},
        "checks": checks,
        "passed": all(checks.values()),
        "aggregate": asdict(aggregate),
        "endpoints": [asdict(e) for e in endpoints],
        "cpu_percent_of_one_core": cpu,
        "failures": failures,
        "blog_service_warnings": warnings,
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH, like any developer's
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine_info() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _ms(value: float) -> str:
    return f"{value:g}"


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: one row per endpoint, the scenario's aggregate in bold."""
    machine = results["machine"]
    setup = results["setup"]
    lines = [
        "# blog_service benchmark",
        "",
        f"{machine['date']} · {machine['nproc']} cores ({machine['cpu_model']}) ·"
        f" Python {machine['python']} · commit {machine['git_commit']}"
        f"{' (dirty)' if machine['git_dirty'] else ''}",
        "",
        f"Data: {setup['seed_counts']}. Target: {setup['target']}. Load: {setup['load']}.",
        "",
        "| scenario | endpoint | requests | req/s | P50 ms | P95 ms | P99 ms | errors"
        " | target | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for scenario in results["scenarios"]:
        endpoints = scenario["endpoints"]
        if len(endpoints) > 1:
            for e in endpoints:
                lines.append(
                    f"| | {e['name']} | {e['requests']} | {e['rps']} | {_ms(e['p50_ms'])}"
                    f" | {_ms(e['p95_ms'])} | {_ms(e['p99_ms'])} | {e['errors']} | | |"
                )
        a = scenario["aggregate"]
        label = endpoints[0]["name"] if len(endpoints) == 1 else "all requests"
        verdict = "PASS" if scenario["passed"] else "MISS"
        missed = [name for name, ok in scenario["checks"].items() if not ok]
        if missed:
            verdict += f" ({', '.join(missed)})"
        lines.append(
            f"| **{scenario['name']}** ({scenario['users']} users) | **{label}**"
            f" | {a['requests']} | **{a['rps']}** | {_ms(a['p50_ms'])} | **{_ms(a['p95_ms'])}**"
            f" | {_ms(a['p99_ms'])} | {a['errors']} | {scenario['targets']['text']}"
            f" | **{verdict}** |"
        )
    processes = list(results["scenarios"][0]["cpu_percent_of_one_core"]) if results else []
    lines += [
        "",
        "CPU during each scenario, in % of one core (the machine has"
        f" {machine['nproc']} cores, so {100 * (machine['nproc'] or 1)} % is everything):",
        "",
        "| scenario | " + " | ".join(processes) + " |",
        "| --- |" + " ---: |" * len(processes),
    ]
    for scenario in results["scenarios"]:
        cpu = scenario["cpu_percent_of_one_core"]
        lines.append(
            f"| {scenario['name']} | " + " | ".join(f"{cpu[p]:.0f}" for p in processes) + " |"
        )
    for scenario in results["scenarios"]:
        if not scenario["failures"] and not scenario["blog_service_warnings"]:
            continue
        lines += ["", f"Errors in **{scenario['name']}**:", ""]
        lines += [f"- {f['count']}x {f['endpoint']}: {f['error']}" for f in scenario["failures"]]
        lines += [
            f"- blog_service logged {count}x {event}"
            for event, count in scenario["blog_service_warnings"].items()
        ]
    return "\n".join(lines) + "\n"
