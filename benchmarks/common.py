"""What every benchmark shares: timing, medians with their spread, percentiles, the machine
it ran on, and the report that becomes BENCHMARKS.md.

A figure in BENCHMARKS.md is always the median of several runs with the smallest and the
largest beside it, so a reader sees at once how steady it was. Ratios between two systems
are computed run by run (each pair measured back to back) and then summarised the same way.
"""

from __future__ import annotations

import math
import os
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

QUICK_VARIABLE = "BENCH_QUICK"


def quick() -> bool:
    """``BENCH_QUICK=1``: smaller sizes and fewer runs, for development."""
    return os.environ.get(QUICK_VARIABLE, "").strip() not in ("", "0")


def runs(full: int, short: int = 2) -> int:
    """How many times to repeat a measurement in this mode."""
    return short if quick() else full


@dataclass(frozen=True)
class Spread:
    """The median of several runs, with the smallest and largest value."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, samples: Iterable[float]) -> Spread:
        values = sorted(samples)
        if not values:
            raise ValueError("a spread needs at least one sample")
        return cls(statistics.median(values), values[0], values[-1], len(values))

    def show(self, digits: int = 1, unit: str = "") -> str:
        """``12.3 (11.9–13.0)``: median, then min–max."""
        suffix = f" {unit}" if unit else ""
        return f"{self.median:,.{digits}f}{suffix} ({self.low:,.{digits}f}–{self.high:,.{digits}f})"


def percentile(samples: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile by the nearest-rank method (p99 of 100 values is the 99th)."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < pct <= 100:
        raise ValueError("pct must be in (0, 100]")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def work_dir(prefix: str) -> Path:
    """A fresh directory on the real disk (not tmpfs: fsync costs must be paid)."""
    return Path(tempfile.mkdtemp(prefix=f"hvbench-{prefix}-"))


def file_size_mb(path: Path) -> float:
    """A SQLite database's size on disk, its WAL included."""
    total = 0
    for suffix in ("", "-wal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            total += candidate.stat().st_size
    return total / 1024 / 1024


def process_memory_mb(pid: int | None = None) -> tuple[float, float]:
    """(resident, peak resident) memory of a process in MB, from /proc."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text(encoding="ascii")
    values = {}
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def machine() -> dict[str, str]:
    """What a reader needs to compare these numbers with their own machine."""
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gb():.1f} GB",
        "Python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
        "python-telegram-bot": _version("telegram"),
        "OS": f"{platform.system()} {platform.release()}",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _version(module: str) -> str:
    try:
        found = __import__(module)
    except ImportError:
        return "not installed"
    return str(getattr(found, "__version__", "unknown"))


@dataclass
class Section:
    """One heading of BENCHMARKS.md and the Markdown blocks under it."""

    title: str
    blocks: list[str] = field(default_factory=list)

    def text(self, paragraph: str) -> None:
        self.blocks.append(paragraph.strip())

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        lines = [
            "| " + " | ".join(header) + " |",
            "| " + " | ".join("---" for _ in header) + " |",
        ]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        self.blocks.append("\n".join(lines))

    def code(self, body: str, language: str = "") -> None:
        self.blocks.append(f"```{language}\n{body.rstrip()}\n```")

    def markdown(self) -> str:
        return f"## {self.title}\n\n" + "\n\n".join(self.blocks) + "\n"


@dataclass
class Report:
    """Everything one ``make bench`` found, in the order the benchmarks ran."""

    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        found = Section(title)
        self.sections.append(found)
        return found

    def block(
        self, name: str, *, command: str, when: str, minutes: float, commit: str = "unknown"
    ) -> str:
        """This benchmark's part of BENCHMARKS.md, marked so a later run can replace it.

        ``commit`` is what was measured, as :func:`benchmarks.freshness.measured_commit`
        writes it; ``make bench-check`` compares it with the later history of the code.
        """
        stamp = f"*Measured {when} on commit {commit} by `{command}` ({minutes:.1f} minutes).*"
        body = "\n".join(s.markdown() for s in self.sections)
        if self.sections:  # the stamp goes under the first heading
            head, _, rest = body.partition("\n\n")
            body = f"{head}\n\n{stamp}\n\n{rest}"
        return f"{_BEGIN.format(name)}\n{body}{_END.format(name)}\n"


_BEGIN = "<!-- benchmark {} -->"
_END = "<!-- end of benchmark {} -->"
_BLOCK = re.compile(r"<!-- benchmark (\w+) -->\n.*?<!-- end of benchmark \1 -->\n", re.DOTALL)


def parse_blocks(text: str) -> dict[str, str]:
    """The benchmarks' blocks of an existing BENCHMARKS.md, by benchmark name."""
    return {match.group(1): match.group(0) for match in _BLOCK.finditer(text)}


def render_file(blocks: Sequence[str]) -> str:
    """BENCHMARKS.md: what it is, the machine, then each benchmark's block."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks [NAME ...]`); do not edit by hand. "
        "Each benchmark's part says when and by which command it was measured. Every figure "
        "is the median of several runs with the smallest and largest in brackets; every "
        "ratio is taken run by run from a pair measured back to back.",
        "",
        "Machine:",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in machine().items()]
    return "\n".join(lines) + "\n\n" + "\n".join(blocks)
