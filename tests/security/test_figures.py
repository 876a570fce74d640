"""The figures docs/security.md quotes are printed by a command, from the tests themselves."""

from __future__ import annotations

import subprocess
import sys

from tests.security.figures import ROOT, figures


def test_the_figures_are_counted_from_the_test_modules() -> None:
    short_run = {f.name: f.value for f in figures(long=False)}
    long_run = {f.name: f.value for f in figures(long=True)}
    assert short_run["crash rounds (SIGKILL mid-form)"] >= 3
    assert (
        long_run["fuzz cases (scripts of 5-30 hostile updates)"]
        > short_run["fuzz cases (scripts of 5-30 hostile updates)"]
    )
    assert short_run["forged buttons tried"] > 100


def test_the_command_prints_one_line_per_figure() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "tests.security.figures"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    assert printed[0].split()[:1] == ["figure"]
    assert len(printed) == 1 + len(figures(long=False))
