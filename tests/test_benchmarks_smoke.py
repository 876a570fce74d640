"""The sweep, sender and job-store benchmarks still run, at sizes that take seconds.

They check that each benchmark ran through and reported what it should; timings are the
business of ``make bench``, never of the test suite.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import bench_jobstore, bench_sender, bench_sweep
from benchmarks.common import Report, parse_blocks, render_file


def _rows(report: Report) -> list[str]:
    return [
        line
        for section in report.sections
        for block in section.blocks
        for line in block.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]


def test_sweep_benchmark_times_every_kind_of_run(tmp_path: Path) -> None:
    measured = bench_sweep.smoke(tmp_path, applications=300)

    assert measured.applications == 300
    assert measured.queued_day > 0  # the day's reminders were queued
    assert measured.queued_digest > 0  # one digest per supervisor
    # The evening queues the morning's customer reminders, a slice a run, then stops.
    assert measured.queued_evening > 0 and measured.evening_runs >= 2
    report = Report()
    bench_sweep.describe(report, measured)
    assert len(_rows(report)) == 7  # header and six kinds of run
    assert "Reminder sweep over 300 open applications" in report.sections[0].title


def test_sender_benchmark_counts_rate_and_429s(tmp_path: Path) -> None:
    measured = bench_sender.smoke(tmp_path, messages=40)

    assert measured.shipped.median > 0 and measured.narrow.median > 0
    assert measured.shipped_429 == 0
    report = Report()
    bench_sender.describe(report, measured)
    assert len(_rows(report)) == 3


def test_jobstore_benchmark_runs_both_sides_in_their_own_processes(tmp_path: Path) -> None:
    measured = bench_jobstore.smoke(tmp_path, reminders=200)

    for side in (measured.ours, measured.jobs):
        assert len(side.schedule) == len(side.start) == 1
        assert side.schedule[0].ms > 0 and side.start[0].rss_mb > 0
    report = Report()
    bench_jobstore.describe(report, measured)
    assert len(_rows(report)) == 6


def test_a_benchmark_run_alone_replaces_only_its_own_part_of_the_report() -> None:
    def block(name: str, figure: str, when: str) -> str:
        report = Report()
        report.section(f"{name} section").text(f"figure {figure}")
        return report.block(name, command=f"python -m benchmarks {name}", when=when, minutes=1)

    before = render_file([block("sender", "27.2", "monday"), block("sweep", "1.9", "monday")])
    blocks = parse_blocks(before)
    assert set(blocks) == {"sender", "sweep"}
    blocks["sender"] = block("sender", "29.5", "tuesday")
    after = render_file([blocks["sender"], blocks["sweep"]])
    assert "figure 29.5" in after and "figure 27.2" not in after
    assert "figure 1.9" in after and "Measured monday" in after and "Measured tuesday" in after
    assert parse_blocks(after) == blocks
