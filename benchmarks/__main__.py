"""``python -m benchmarks [NAME ...]``: run the benchmarks and write BENCHMARKS.md.

Every ``benchmarks/bench_*.py`` module is a benchmark: it has ``run(report)``, which adds
its sections to the :class:`~benchmarks.common.Report`. Without names all of them run, in
alphabetical order; ``python -m benchmarks conversation`` runs ``bench_conversation`` only.
``BENCH_QUICK=1`` makes every benchmark short, for development. Benchmarks never run in
``make test``. Each block records the commit it measured; ``--check`` (``make bench-check``)
runs nothing and lists the blocks whose code has changed since (:mod:`benchmarks.freshness`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import benchmarks
from benchmarks import freshness
from benchmarks.common import QUICK_VARIABLE, Report, parse_blocks, quick, render_file

OUTPUT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def available() -> list[str]:
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"which to run (default all: {available()})")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--check",
        action="store_true",
        help="run nothing: list the blocks whose code changed after the commit they measured",
    )
    args = parser.parse_args(argv)
    if args.check:
        return freshness.main([*args.names, "--file", str(args.output)])
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"no benchmark {unknown[0]!r}; there are {available()}")
    command = "make bench" if not args.names else "python -m benchmarks " + " ".join(names)
    if quick():
        command = f"{QUICK_VARIABLE}=1 {command}"
    # Benchmarks not run this time keep what they last wrote, each block with its own date
    # and command, so one slow benchmark can be re-run without the others.
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    blocks = {name: block for name, block in parse_blocks(previous).items() if name in available()}
    for name in names:
        print(f"benchmarks: {name} …", file=sys.stderr, flush=True)
        # Before the run: what is measured is the code as it stands when it starts.
        commit = freshness.measured_commit(name)
        begun = time.perf_counter()
        report = Report()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        module.run(report)
        minutes = (time.perf_counter() - begun) / 60
        print(f"benchmarks: {name} took {minutes:.1f} min", file=sys.stderr)
        blocks[name] = report.block(
            name,
            command=command,
            when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            commit=commit,
            minutes=minutes,
        )
    args.output.write_text(
        render_file([blocks[name] for name in available() if name in blocks]),
        encoding="utf-8",
    )
    print(f"benchmarks: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
