"""Summaries of a py-spy ``--format raw`` profile: where blog_service spends its CPU.

    uv run python -m bench.profile bench/profile-list.txt

Each line of the raw format is one distinct stack, outermost frame first, then the number
of samples. "Self" time is the innermost frame; "inclusive" time counts every stack a
frame appears in; "by package" charges each sample to the package of its innermost frame.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_PACKAGES = frozenset({"blog_service", "service_kit"})
# "function (package/module.py:123)" -> function, file
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


@dataclass(frozen=True)
class Frame:
    function: str
    file: str

    @property
    def package(self) -> str:
        top = self.file.split("/", 1)[0]
        return top.removesuffix(".py") if top else "?"

    def __str__(self) -> str:
        return f"{self.function} ({self.file})"


def parse_frame(text: str) -> Frame:
    match = _FRAME.match(text.strip())
    if match is None:
        return Frame(text.strip(), "?")
    return Frame(match["function"], match["file"])


def read_stacks(path: Path) -> list[tuple[list[Frame], int]]:
    stacks: list[tuple[list[Frame], int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [parse_frame(f) for f in stack.split(";")]
        # py-spy --subprocesses puts a "process <pid>:<command>" frame on top; drop it.
        if frames and frames[0].file == "?" and frames[0].function.startswith("process "):
            frames = frames[1:]
        stacks.append((frames, int(count)))
    return stacks


def summarise(stacks: Iterable[tuple[list[Frame], int]], top: int = 15) -> dict[str, object]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for frames, count in stacks:
        if not frames:
            continue
        total += count
        own[str(frames[-1])] += count
        packages[frames[-1].package] += count
        for name in {str(f) for f in frames}:
            inclusive[name] += count
        for name in {str(f) for f in frames if f.package in PROJECT_PACKAGES}:
            ours[name] += count

    def share(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, round(100 * c / total, 1)) for name, c in counter.most_common(n)]

    return {
        "samples": total,
        "by_package_percent": share(packages, top),
        "self_percent": share(own, top),
        "inclusive_percent": share(inclusive, top * 2),
        "project_inclusive_percent": share(ours, top * 2),
    }


def render(summary: dict[str, object]) -> str:
    lines = [f"{summary['samples']} samples (CPU-active only)"]
    for key, title in (
        ("by_package_percent", "by package of the innermost frame"),
        ("self_percent", "self time"),
        ("inclusive_percent", "inclusive time"),
        ("project_inclusive_percent", "inclusive time of blog_service and service_kit functions"),
    ):
        lines.append(f"-- {title}")
        rows = summary[key]
        assert isinstance(rows, list)
        lines += [f"{percent:6.1f} %  {name}" for name, percent in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    for path in args.profiles:
        print(f"== {path}")
        print(render(summarise(read_stacks(path), args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
