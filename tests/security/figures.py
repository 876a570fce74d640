"""The figures of the suite a security review asks for, counted from the tests themselves.

    python -m tests.security.figures

docs/security.md quotes these numbers; they are read from the constants and parameters the
test modules run with (never typed by hand), for the default run (``make test``) and the long
one (``HVCONNECT_LONG_TESTS=1``), which the modules switch on at import. Each figure says
which test it comes from.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
LONG_SWITCH = "HVCONNECT_LONG_TESTS"
CRASH = "tests.reliability.test_crash_rounds"
FUZZ = "tests.security.test_fuzz_updates"
FUZZ_FILE = ROOT / "tests" / "security" / "test_fuzz_updates.py"
REFUSALS = ROOT / "tests" / "e2e" / "test_staff_refusals.py"


@dataclass(frozen=True)
class Figure:
    name: str
    value: int
    source: str


@contextmanager
def _long_tests(on: bool) -> Iterator[None]:
    before = os.environ.get(LONG_SWITCH)
    os.environ[LONG_SWITCH] = "1" if on else "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(LONG_SWITCH, None)
        else:
            os.environ[LONG_SWITCH] = before


def _fresh(name: str) -> ModuleType:
    """The module as imported under the current environment (its LONG switch re-read)."""
    module = sys.modules.get(name)
    return importlib.reload(module) if module else importlib.import_module(name)


def _loop_items(path: Path, target: str) -> list[ast.expr]:
    """What the ``for <target> in (...)`` loops of ``path`` go through, literally written."""
    items: list[ast.expr] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.For | ast.AsyncFor)
            and isinstance(node.target, ast.Name)
            and node.target.id == target
            and isinstance(node.iter, ast.Tuple)
        ):
            items += node.iter.elts
    return items


def _prefix_sweep(fuzz: ModuleType) -> int:
    """The presses of the sweep: every prefix (``PREFIXES`` and those the loop adds) with
    every odd id, by every actor of the loop."""
    prefixes = _loop_items(FUZZ_FILE, "prefix")
    added = sum(1 for p in prefixes if not isinstance(p, ast.Starred))
    actors = len(_loop_items(FUZZ_FILE, "actor"))
    return (len(fuzz.PREFIXES) + added) * len(fuzz.ODD_IDS) * actors


def figures(long: bool) -> list[Figure]:
    with _long_tests(long):
        crash = _fresh(CRASH)
        fuzz = _fresh(FUZZ)
    hostile = fuzz.test_hostile_and_odd_updates_change_nothing_they_should_not
    cases = hostile._hypothesis_internal_use_settings.max_examples
    sweep = _prefix_sweep(fuzz)
    forged = len(_loop_items(REFUSALS, "forged"))
    return [
        Figure("crash rounds (SIGKILL mid-form)", crash.ROUNDS, f"{CRASH}.ROUNDS"),
        Figure("customers filling in during them", crash.CUSTOMERS, f"{CRASH}.CUSTOMERS"),
        Figure(
            "fuzz cases (scripts of 5-30 hostile updates)",
            cases,
            f"{FUZZ}: hypothesis max_examples",
        ),
        Figure(
            "forged buttons tried",
            sweep + forged,
            f"{FUZZ} prefix sweep ({sweep}) + tests/e2e/test_staff_refusals.py ({forged})",
        ),
    ]


def main() -> int:
    default, long = figures(long=False), figures(long=True)
    print(f"{'figure':48} {'make test':>10} {'long run':>10}  counted from")
    for short_run, long_run in zip(default, long, strict=True):
        print(f"{short_run.name:48} {short_run.value:>10} {long_run.value:>10}  {short_run.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
