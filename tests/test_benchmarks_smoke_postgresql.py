"""The PostgreSQL benchmark still runs, at sizes that take seconds.

It asserts only that every part ran and reported positive numbers in the block's shape;
timings are the business of ``make bench``. Skipped where no PostgreSQL server can start.
"""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_postgresql
from benchmarks.common import Report
from benchmarks.postgresql_server import NoPostgreSQL, durable_server, stop_server

FIGURE = re.compile(r"(\d[\d,]*\.?\d*) \((\d[\d,]*\.?\d*)–(\d[\d,]*\.?\d*)\)")


@pytest.fixture(scope="module")
def postgresql_available() -> None:
    try:
        server = durable_server()
    except NoPostgreSQL as error:
        pytest.skip(f"no PostgreSQL server: {error}")
    stop_server(server)


def rows_of(text: str, first_cell: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(f"| {first_cell}")
    ]


def positive_figures(cells: list[str]) -> list[float]:
    found = [float(m.group(1).replace(",", "")) for c in cells for m in FIGURE.finditer(c)]
    assert found, cells
    assert all(value > 0 for value in found), cells
    return found


@pytest.mark.usefixtures("postgresql_available")
def test_postgresql_benchmark_reports_the_fleet_and_the_data_set_on_both() -> None:
    report = Report()
    sizes = bench_postgresql.Sizes(
        instances=(1, 2),
        customers=(2,),
        fleet_runs=1,
        calibration_quiet=0.1,
        applications=300,
        drafting=20,
        startups=1,
        iterations=2,
        command_runs=1,
        minute_runs=1,
    )
    bench_postgresql.run(report, sizes)
    text = report.block("postgresql", command="test", when="now", minutes=0.0)
    fleet = rows_of(text, "2 |")
    assert [row[1] for row in fleet] == [
        "SQLite, 1 instance",
        "PostgreSQL, 1 instance",
        "PostgreSQL, 2 instances",
    ]
    for row in fleet:
        positive_figures(row[2:5])  # steps/s, p50, p99
    assert "**" in fleet[2][5] and "**" in fleet[2][6]  # ratios to SQLite 1 and to PG 1
    assert re.search(r"\*\*[\d,]+ rows in \d+\.\d s\*\*", text)  # the copy
    [startup] = rows_of(text, "start-up to the first answered update")
    positive_figures(startup[1:3])
    for command in ("/status card", "/queue, manager with 500 open", "/find, no match"):
        [row] = rows_of(text, command)
        positive_figures(row[1:5])
    [minute] = rows_of(text, "a minute with nothing new")
    positive_figures(minute[1:3])
    assert rows_of(text, "Monday 00:05") and rows_of(text, "Monday 08:31")
    assert text.count("Reading: ") == 2  # the figures in words, under each part's table
