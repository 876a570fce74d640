"""README's performance figures are generated from BENCHMARKS.md, and ``make lint`` notices
when the two part."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import readme_figures
from tools.readme_figures import BEGIN, END, anchor, rows, table, with_table

BENCHMARKS = """# Benchmarks

<!-- benchmark sweep -->
## Reminder sweep over 100,000 open applications

*Measured 2026-11-27 16:58 UTC on commit `c5db9dc3e4a3` by `make bench` (6.4 minutes).*

| run | messages queued | time (ms) | goal 200 ms |
| --- | --- | --- | --- |
| the usual minute | 0 | 1.9 (1.6–2.4) | met |
| first run of a working day | 57 | 145 (109–185) | met |

### 2. Inside the process

Steps per second (goal: hvconnect ≥ 60% of the echo bot):

| customers | echo bot | hvconnect | ratio |
| --- | --- | --- | --- |
| 1 | 225.6 | 96.5 | **38%** (32%–43%) |

| bot | updates/s | ratio to echo (goal ≥ 50%) |
| --- | --- | --- |
| echo bot | 2,710 |  |
| hvconnect | 195 | **6%** (6%–8%) |

| what | figure |
| --- | --- |
| held to nothing | 1 |
<!-- end of benchmark sweep -->
"""

README = f"# hvconnect\n\n## Performance\n\n{BEGIN}\nwritten by hand\n{END}\n\n## Next\n"


def test_every_figure_held_to_a_goal_is_shown_with_its_goal() -> None:
    shown = [(row.what, row.measured, row.goal) for row in rows(BENCHMARKS)]
    assert shown == [
        ("the usual minute", "messages queued 0; time (ms) 1.9 (1.6–2.4)", "goal 200 ms: met"),
        (
            "first run of a working day",
            "messages queued 57; time (ms) 145 (109–185)",
            "goal 200 ms: met",
        ),
        (
            "Steps per second, customers 1",
            "ratio **38%** (32%–43%)",
            "hvconnect ≥ 60% of the echo bot",
        ),
        ("hvconnect", "updates/s 195", "ratio to echo (goal ≥ 50%): **6%** (6%–8%)"),
    ]
    first, _, inside, _ = rows(BENCHMARKS)
    assert first.when == "2026-11-27, commit `c5db9dc3e4a3`"
    assert first.anchor == "reminder-sweep-over-100000-open-applications"
    assert inside.heading == "Reminder sweep over 100,000 open applications — 2. Inside the process"
    assert inside.anchor == "2-inside-the-process"


def test_the_readme_part_between_the_markers_is_replaced_and_nothing_else() -> None:
    written = with_table(README, BENCHMARKS)
    assert "written by hand" not in written
    assert written.startswith("# hvconnect\n\n## Performance\n\n" + BEGIN + "\n| measured in |")
    assert written.endswith(f"goal ≥ 50%): **6%** (6%–8%) |\n{END}\n\n## Next\n")
    assert table(BENCHMARKS) in written
    assert with_table(written, BENCHMARKS) == written


def test_check_fails_when_a_figure_changes_in_benchmarks_md(tmp_path: Path) -> None:
    readme, benchmarks = tmp_path / "README.md", tmp_path / "BENCHMARKS.md"
    readme.write_text(README, encoding="utf-8")
    benchmarks.write_text(BENCHMARKS, encoding="utf-8")
    arguments = ["--readme", str(readme), "--benchmarks", str(benchmarks)]
    assert readme_figures.main([*arguments, "--check"]) == 1  # still the hand-written text
    assert readme_figures.main(arguments) == 0
    assert readme_figures.main([*arguments, "--check"]) == 0

    benchmarks.write_text(BENCHMARKS.replace("145 (109–185)", "1,100 (980–1,200)"))
    assert readme_figures.main([*arguments, "--check"]) == 1


def test_a_readme_without_the_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="no"):
        with_table("# hvconnect\n", BENCHMARKS)


@pytest.mark.parametrize(
    ("heading", "fragment"),
    [
        (
            "A utility's whole data set: 100,000 applications",
            "a-utilitys-whole-data-set-100000-applications",
        ),
        ("1. End to end over HTTP", "1-end-to-end-over-http"),
        ("Growth with the size of the data set", "growth-with-the-size-of-the-data-set"),
        (
            "No job per reminder: APScheduler's SQLAlchemyJobStore, 100,000",
            "no-job-per-reminder-apschedulers-sqlalchemyjobstore-100000",
        ),
    ],
)
def test_anchors_are_those_a_markdown_renderer_gives(heading: str, fragment: str) -> None:
    assert anchor(heading) == fragment


def test_the_readme_is_in_step_with_benchmarks_md_and_its_links_lead_somewhere() -> None:
    readme = readme_figures.README.read_text(encoding="utf-8")
    benchmarks = readme_figures.BENCHMARKS.read_text(encoding="utf-8")
    assert with_table(readme, benchmarks) == readme, "run python -m tools.readme_figures"
    headings = {
        anchor(line.lstrip("#")) for line in benchmarks.splitlines() if line.startswith("#")
    }
    for fragment in re.findall(r"BENCHMARKS\.md#([\w-]+)", readme):
        assert fragment in headings, fragment
