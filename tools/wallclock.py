"""``python -m tools.wallclock``: nothing but ``process/clock.py`` reads the wall clock.

Domain, storage, notification and flow code take the injected clock
(:class:`process.clock.Clock`), so the tests and the sandbox can move time through weekends,
holidays and year ends without waiting. A stray ``datetime.now()`` works in production and
breaks exactly those runs, at the hour and on the day the test happens to run — so it is
checked here, statically, rather than found by a test that fails once a year.

The check reads each module's syntax tree, follows its imports (``import datetime``,
``from datetime import datetime as dt``, ``from time import time``) and reports every use of
a function that reads the wall clock, called or passed on (``default_factory=datetime.now``
counts too), ``time.localtime()`` and its kin called without a time, and SQL that asks
SQLite for the time (``datetime('now')``, ``CURRENT_TIMESTAMP``) in a module's strings or in
a migration. ``time.monotonic()`` and ``time.perf_counter()`` measure durations, not the
date, and stay allowed everywhere. The few places that need the real date are listed in
:data:`ALLOWED`, each with its reason.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The packages checked. Tests are not: they fix their own dates.
PACKAGES = (
    "process",
    "storage",
    "notifications",
    "services",
    "reports",
    "flows",
    "bot",
    "sandbox",
    "benchmarks",
)

#: Fully qualified names of the functions that read the wall clock.
WALL_CLOCK = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
    }
)

#: Functions that read the wall clock only when not given a time: ``time.localtime()`` does,
#: ``time.localtime(stamp)`` converts. The number is how many arguments they take before it.
WALL_CLOCK_WITHOUT_TIME = {
    "time.localtime": 0,
    "time.gmtime": 0,
    "time.ctime": 0,
    "time.asctime": 0,
    "time.strftime": 1,
}

#: SQL that reads SQLite's own clock, in a string of a module or a ``.sql`` migration.
SQL_WALL_CLOCK = re.compile(
    r"""\(\s*'now'|\bCURRENT_(?:TIMESTAMP|DATE|TIME)\b|\bunixepoch\(\s*\)""", re.IGNORECASE
)

#: Files or folders (relative to the repository, ``/`` separated; a folder ends in ``/``)
#: that may read the wall clock, and why.
ALLOWED: Mapping[str, str] = {
    "process/clock.py": "SystemClock is the one real clock; everything else is handed it",
    "sandbox/emulator.py": (
        "the Bot API emulator dates messages and updates in real Unix time, as Telegram "
        "does; it stands for Telegram, not the bot (whose sandbox clock it is handed apart)"
    ),
    "sandbox/updates.py": (
        "the emulator numbers updates upwards across its restarts, as Telegram does across "
        "a bot's life, from the real time it starts; it stands for Telegram, not the bot"
    ),
    "benchmarks/": (
        "measurements, not the bot: BENCHMARKS.md is stamped with the real date of a run, "
        "and the recorded Bot API answers are dated as Telegram dates them"
    ),
}


@dataclass(frozen=True)
class Finding:
    """One use of a wall-clock function outside :data:`ALLOWED`."""

    path: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name} reads the wall clock; take the injected clock"


def allowed(path: str, allow: Mapping[str, str] = ALLOWED) -> bool:
    return any(path.startswith(entry) if entry.endswith("/") else path == entry for entry in allow)


class _Uses(ast.NodeVisitor):
    """Resolves names through the module's imports and collects wall-clock uses."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:  # ``import a.b`` binds ``a``
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # relative imports are our own modules
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _qualified(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])

    def _check(self, node: ast.Attribute | ast.Name) -> bool:
        name = self._qualified(node)
        if name in WALL_CLOCK:
            self.found.append((node.lineno, name))
            return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute | ast.Name):
            name = self._qualified(node.func)
            given = WALL_CLOCK_WITHOUT_TIME.get(name or "")
            if given is not None and len(node.args) <= given and not node.keywords:
                self.found.append((node.lineno, f"{name}()"))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not self._check(node):
            self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._check(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and (match := SQL_WALL_CLOCK.search(node.value)):
            self.found.append((node.lineno, "SQL " + match[0]))


def uses(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, function) for every wall-clock use in ``source``, in order."""
    tree = ast.parse(source, filename=filename)
    visitor = _Uses()
    # Imports first, wherever they are (some modules import inside a function), so that a
    # use above a late import is still resolved.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            visitor.visit(node)
    visitor.visit(tree)
    return sorted(visitor.found)


def sql_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) for every read of SQLite's clock in a migration."""
    return [
        (number, "SQL " + found[0])
        for number, line in enumerate(source.splitlines(), start=1)
        if (found := SQL_WALL_CLOCK.search(line))
    ]


def source_files(root: Path, packages: Iterable[str]) -> Iterator[Path]:
    for package in packages:
        yield from sorted(
            path for path in (root / package).rglob("*") if path.suffix in (".py", ".sql")
        )


def check(
    root: Path = ROOT,
    packages: Iterable[str] = PACKAGES,
    allow: Mapping[str, str] = ALLOWED,
) -> list[Finding]:
    """Every wall-clock use under ``root``'s packages that :data:`ALLOWED` does not cover."""
    findings = []
    for file in source_files(root, packages):
        path = file.relative_to(root).as_posix()
        if allowed(path, allow):
            continue
        source = file.read_text(encoding="utf-8")
        found = uses(source, path) if file.suffix == ".py" else sql_uses(source)
        findings += [Finding(path, line, name) for line, name in found]
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.wallclock", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    findings = check(args.root)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(
            f"wallclock: {len(findings)} wall-clock read(s) outside process/clock.py; take "
            "the injected clock, or add the file to tools/wallclock.py's ALLOWED with why",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
