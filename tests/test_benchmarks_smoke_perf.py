"""The conversation and data-set benchmarks still run, at sizes that take seconds.

They assert only that each benchmark ran and reported numbers; timings are the business of
``make bench``, never of the test suite.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from benchmarks import bench_conversation, bench_dataset
from benchmarks.common import Report, Spread, percentile
from benchmarks.datagen import DatasetSpec, generate
from storage.sealing.crypto import FieldCipher, generate_secret_key

NUMBER = re.compile(r"\d+(\.\d+)? \(\d")  # a median followed by its (min–max)
COUNT = re.compile(r"\| \d+\.\d\d \| \d+\.\d\d \|$")  # the floor's and hvconnect's


def table_rows(report: Report) -> list[str]:
    return [
        line
        for section in report.sections
        for block in section.blocks
        for line in block.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]


def test_conversation_benchmark_reports_every_contender() -> None:
    report = Report()
    sizes = bench_conversation.Sizes(
        http_customers=(1,),
        http_runs=1,
        in_process_customers=1,
        in_process_capped=1,
        in_process_runs=1,
        calibration_quiet=0.1,
        built_steps=4,  # as built keeps to one message a second per chat
        client_calls=20,
    )
    bench_conversation.run(report, sizes)
    rows = table_rows(report)
    assert any(row.startswith("| 1 |") and NUMBER.search(row) for row in rows)
    for bot in ("echo bot", "floor", "hvconnect", "hvconnect as built"):
        assert any(row.startswith(f"| {bot} |") and NUMBER.search(row) for row in rows), bot
    for client in ("httpx", "aiohttp"):
        cost = re.compile(rf"^\| {client}.* \| \d+\.\d{{3}} \| \d+\.\d{{3}} \|")
        assert any(cost.search(row) for row in rows), client
    for count in ("SQL statements", "fsyncs", "trips to SQLite's thread", "Bot API calls"):
        assert any(row.startswith(f"| {count}") and COUNT.search(row) for row in rows), count
    assert "process_update" in report.block("test", command="test", when="now", minutes=0.0)


def test_dataset_benchmark_reports_size_start_up_commands_and_plans() -> None:
    report = Report()
    sizes = bench_dataset.Sizes(
        applications=(600,),
        drafting=20,
        startups=1,
        iterations=2,
        runs=1,
        conversation_customers=1,
    )
    bench_dataset.run(report, sizes)
    text = report.block("test", command="test", when="now", minutes=0.0)
    assert re.search(r"database size \(with WAL\) \| \d+ MB", text)
    assert re.search(r"start-up to the first answered update \| \d+\.\d+ s", text)
    assert "/queue, manager with 500 open" in text and "/find, no match" in text
    assert "SEARCH applications USING INDEX" in text  # the plans were printed
    assert any(NUMBER.search(row) for row in table_rows(report))


async def test_generated_data_set_is_consistent(tmp_path: Path) -> None:
    secret = generate_secret_key()
    spec = DatasetSpec(applications=400, drafting=30, busy_manager_open=50)
    dataset = await generate(tmp_path / "hv.db", spec, cipher=FieldCipher.from_secrets(secret))
    assert dataset.counts["applications"] == 400 and dataset.counts["drafts"] == 30
    with sqlite3.connect(dataset.path) as conn:
        open_held = conn.execute(
            "SELECT COUNT(*) FROM applications WHERE customer_manager_id = ? AND status = 'active'",
            (dataset.busy_manager_id,),
        ).fetchone()[0]
        one_open_visit = conn.execute(
            "SELECT COUNT(*) FROM applications a WHERE a.status = 'active' AND 1 != "
            "(SELECT COUNT(*) FROM stage_visits v WHERE v.application_id = a.id "
            "AND v.ended_at IS NULL)"
        ).fetchone()[0]
        [sealed] = conn.execute("SELECT contact_mobile FROM applications LIMIT 1").fetchone()
        conversations = conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
    conn.close()
    assert open_held == 50
    assert one_open_visit == 0
    assert sealed.startswith("hv1:")  # personal data is stored as the bot stores it
    assert conversations == 30
    with pytest.raises(FileExistsError):
        await generate(dataset.path, spec, cipher=None)


def test_spread_and_percentile_summarise_runs() -> None:
    assert Spread.of([3.0, 1.0, 2.0]).show(1) == "2.0 (1.0–3.0)"
    assert percentile(list(range(1, 101)), 99) == 99
    with pytest.raises(ValueError):
        percentile([], 50)
