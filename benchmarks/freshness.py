"""Which parts of BENCHMARKS.md measured code that has changed since: ``make bench-check``.

Each benchmark's block in BENCHMARKS.md names the commit it measured (``on commit `…```).
:data:`PATHS` says, per benchmark, which files its figures depend on: the code it runs and
its own modules. A block is out of date when git has a commit after the measured one that
touches any of them. The check only reads git and BENCHMARKS.md — it runs no benchmark, so
it costs a second, and it says which of the long runs are worth doing again.

The paths are chosen by what the figures measure, not by every import: a benchmark of the
reminder sweep is not out of date because a chat handler's wording changed. Folders end in
``/``. Our report plumbing (``benchmarks/common.py``, ``benchmarks/__main__.py``) is in none
of them: it formats figures, it does not change them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import parse_blocks

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "BENCHMARKS.md"

# The whole bot, for the benchmarks that start it: python-telegram-bot's Application as
# build_application() wires it, every handler and repository on the way.
_WHOLE_BOT = (
    "process/",
    "storage/",
    "notifications/",
    "services/",
    "reports/",
    "flows/",
    "bot/",
)
# Driving the bot over HTTP, as Telegram would: the emulator and its flood limits.
_OVER_HTTP = ("sandbox/", "benchmarks/over_http.py", "benchmarks/run_bot.py")
# The customer's walk through the form, the echo bot it is compared with, the in-process
# request that answers from memory, and the profile.
_CONVERSATION = (
    "benchmarks/walk.py",
    "benchmarks/echo_bot.py",
    "benchmarks/recording.py",
    "benchmarks/profiling.py",
    "benchmarks/conversation_http.py",
    "benchmarks/conversation_inproc.py",
)
# 100,000 open applications written with SQL for the sweep and the job store.
_SWEEP_DATA = ("benchmarks/sweep_data.py", "benchmarks/sweep_runs.py")

#: Per benchmark (``bench_NAME``), the files its figures depend on.
PATHS: Mapping[str, tuple[str, ...]] = {
    "api": (
        *_WHOLE_BOT,
        "api/",
        *_CONVERSATION,
        "benchmarks/datagen.py",
        "benchmarks/dataset_probe.py",
        "benchmarks/api_load.py",
        "benchmarks/bench_api.py",
    ),
    "calendar": (
        "process/calendar.py",
        "process/holidays.py",
        "process/deadlines.py",
        "benchmarks/bench_calendar.py",
    ),
    "conversation": (
        *_WHOLE_BOT,
        *_OVER_HTTP,
        *_CONVERSATION,
        "benchmarks/datagen.py",
        "benchmarks/bench_conversation.py",
    ),
    "dataset": (
        *_WHOLE_BOT,
        *_OVER_HTTP,
        *_CONVERSATION,
        "benchmarks/datagen.py",
        "benchmarks/datagen_lives.py",
        "benchmarks/datagen_values.py",
        "benchmarks/datagen_writer.py",
        "benchmarks/dataset_probe.py",
        "benchmarks/bench_dataset.py",
    ),
    "jobstore": (
        "process/",
        "storage/",
        "notifications/",
        *_SWEEP_DATA,
        "benchmarks/jobstore_child.py",
        "benchmarks/bench_jobstore.py",
    ),
    "postgresql": (
        *_WHOLE_BOT,
        *_OVER_HTTP,
        *_CONVERSATION,
        *_SWEEP_DATA,
        "tests/postgres.py",
        "benchmarks/datagen.py",
        "benchmarks/datagen_lives.py",
        "benchmarks/datagen_values.py",
        "benchmarks/datagen_writer.py",
        "benchmarks/dataset_probe.py",
        "benchmarks/bench_dataset.py",
        "benchmarks/postgresql_server.py",
        "benchmarks/postgresql_fleet.py",
        "benchmarks/postgresql_dataset.py",
        "benchmarks/bench_postgresql.py",
    ),
    "sender": (
        "process/clock.py",
        "storage/db.py",
        "storage/outbox.py",
        "storage/outbox.py",
        "notifications/",
        "bot/app.py",
        "sandbox/emulator.py",
        "sandbox/limits.py",
        "benchmarks/bench_sender.py",
    ),
    "sweep": (
        "process/",
        "storage/",
        "notifications/",
        "flows/reminder_buttons.py",
        *_SWEEP_DATA,
        "benchmarks/bench_sweep.py",
    ),
}

#: How a block names the commit it measured; written by ``python -m benchmarks``.
COMMIT = re.compile(r"on commit `(?P<commit>[0-9a-f]{7,40})`(?P<dirty> with uncommitted changes)?")
DIRTY = " with uncommitted changes"


def git(*args: str, root: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LookupError(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout.strip()


def measured_commit(
    name: str, root: Path = ROOT, paths: Mapping[str, Sequence[str]] = PATHS
) -> str:
    """What to write in ``name``'s block: HEAD, and whether its paths had uncommitted changes.

    A run on uncommitted code says so, and ``make bench-check`` reports it until it is run
    again on a commit: nobody can check out what it measured.
    """
    try:
        head = git("rev-parse", "--short=12", "HEAD", root=root)
        changed = git("status", "--porcelain", "--", *paths.get(name, ()), root=root)
    except (LookupError, OSError):
        return "unknown"  # not a git checkout: the stamp says so rather than guess
    return f"`{head}`" + (DIRTY if changed else "")


@dataclass(frozen=True)
class Freshness:
    """One benchmark's block against the history of its paths."""

    name: str
    commit: str | None
    problem: str | None  # None: up to date

    def __str__(self) -> str:
        measured = f"measured on {self.commit}" if self.commit else "no commit recorded"
        return f"{self.name}: {measured}; {self.problem or 'up to date'}"


def freshness(
    name: str, block: str, root: Path = ROOT, paths: Mapping[str, Sequence[str]] = PATHS
) -> Freshness:
    found = COMMIT.search(block)
    if found is None:
        return Freshness(name, None, "run it again to record the commit it measures")
    commit = found["commit"]
    if name not in paths:
        return Freshness(name, commit, "benchmarks/freshness.py has no PATHS for it")
    try:
        git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}", root=root)
    except LookupError:
        return Freshness(name, commit, "that commit is not in this clone (a shallow one?)")
    later = git(
        "log",
        "--format=%h %ad %s",
        "--date=short",
        f"{commit}..HEAD",
        "--",
        *paths[name],
        root=root,
    ).splitlines()
    if later:
        newest = later[0] if len(later[0]) <= 90 else later[0][:89] + "…"
        count = f"{len(later)} later commit{'s' if len(later) > 1 else ''}"
        return Freshness(name, commit, f"OUT OF DATE: {count} changed its code; newest {newest}")
    if found["dirty"]:
        return Freshness(name, commit, "OUT OF DATE: it measured uncommitted changes")
    return Freshness(name, commit, None)


def check(
    text: str,
    root: Path = ROOT,
    names: Sequence[str] = (),
    paths: Mapping[str, Sequence[str]] = PATHS,
) -> list[Freshness]:
    """Every block of ``text`` (BENCHMARKS.md), or only ``names``, in file order."""
    blocks = parse_blocks(text)
    missing = [
        Freshness(name, None, "no block in BENCHMARKS.md") for name in names if name not in blocks
    ]
    return missing + [
        freshness(name, block, root, paths)
        for name, block in blocks.items()
        if not names or name in names
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.freshness", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these benchmarks")
    parser.add_argument("--file", type=Path, default=OUTPUT)
    parser.add_argument("--root", type=Path, default=ROOT, help="the git checkout to read")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when any block is out of date"
    )
    args = parser.parse_args(argv)
    results = check(args.file.read_text(encoding="utf-8"), args.root, args.names)
    for result in results:
        print(result)
    stale = [result.name for result in results if result.problem]
    if stale:
        print(f"bench-check: run again: python -m benchmarks {' '.join(stale)}", file=sys.stderr)
    return 1 if stale and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
