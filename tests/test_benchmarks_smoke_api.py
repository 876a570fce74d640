"""The integration API's benchmark still runs, on a data set that takes seconds to make.

It asserts only that every read and both conversations were measured and reported;
timings are the business of ``make bench``, never of the test suite.
"""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_api
from benchmarks.common import Report

NUMBER = re.compile(r"\d+(\.\d+)? \(\d")  # a median followed by its (min–max)


def test_api_benchmark_reports_reads_and_the_chat_beside_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(bench_api.KEEP_VARIABLE, raising=False)  # a data set of its own
    sizes = bench_api.Sizes(
        applications=600,
        drafting=20,
        clients=2,
        seconds=0.2,
        runs=1,
        status_reads=3,
        audit_lines=3,
        customers=1,
    )
    report = Report()
    bench_api.run(report, sizes)
    text = report.block("api", command="test", when="now", minutes=0.0)
    for read in (
        "`GET /v1/applications/{number}`, 2 clients",
        "the same, the audit line left out",
        "`GET /v1/events?limit=100` pages",
        "`/status NUMBER` inside the process",
        "| alone |",
        "| with the API under load |",
    ):
        [row] = [line for line in text.splitlines() if read in line]
        assert NUMBER.search(row), row
    assert "ratio to alone (goal ≥ 50%)" in text
