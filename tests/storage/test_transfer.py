"""A district's SQLite file copied into PostgreSQL: every row, readable with the same key,
and nothing replayed by the target's triggers."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from benchmarks.datagen import Dataset, DatasetSpec, generate
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.transfer import TransferRefused, copy_sqlite_to_postgresql
from storage.users import UsersRepo
from tests.keys import make_test_cipher
from tests.storage.samples import NOW, new_application
from tests.storage_steps import file_draft_in

SPEC = DatasetSpec(applications=120, drafting=15, busy_manager_open=10)


@pytest.fixture
async def district(tmp_path: Path) -> Dataset:
    return await generate(tmp_path / "district.db", SPEC, cipher=make_test_cipher())


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
            )
        ]
        return {
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
        }
    finally:
        conn.close()


async def test_every_row_arrives_and_reads_the_same(district: Dataset, postgres_url: str) -> None:
    moved = copy_sqlite_to_postgresql(district.path, postgres_url)

    counts = _counts(district.path)
    assert moved.rows == counts
    assert counts["applications"] == SPEC.applications
    cipher = make_test_cipher()
    before = await Database.open(district.path, cipher=cipher)
    after = await Database.open(postgres_url, cipher=cipher)
    try:
        on_sqlite = await ApplicationsRepo(before).get_by_number(district.card_number)
        on_postgresql = await ApplicationsRepo(after).get_by_number(district.card_number)
        assert on_postgresql == on_sqlite
        assert on_postgresql is not None and on_postgresql.contact_name  # opened with the key
        customer = await UsersRepo(after).get(district.customer_id)
        assert customer == await UsersRepo(before).get(district.customer_id)
        for table in ("application_name_pairs", "webhook_deliveries", "events"):
            row = await after.fetchone(f"SELECT count(*) AS n FROM {table}")
            assert row is not None and row["n"] == counts[table], table
    finally:
        await before.close()
        await after.close()


async def test_new_rows_continue_after_the_copied_ids(district: Dataset, postgres_url: str) -> None:
    copy_sqlite_to_postgresql(district.path, postgres_url)

    db = await Database.open(postgres_url, cipher=make_test_cipher())
    try:
        highest = await db.fetchone("SELECT max(id) AS id FROM applications")
        assert highest is not None
        newcomer = 77_000_001
        await UsersRepo(db).touch(
            user_id=newcomer, chat_id=newcomer, first_name="新客户", username=None,
            default_locale="zh_CN", now=NOW,
        )  # fmt: skip
        await DraftsRepo(db).start(newcomer, NOW)
        filed = await file_draft_in(
            db,
            customer_id=newcomer,
            year=2026,
            application=new_application(),
            now=NOW,
            accept_limit_days=1,
            plan_due=date(2026, 12, 14),
            plan_due_provisional=False,
        )
        assert filed.id == highest["id"] + 1
    finally:
        await db.close()


async def test_a_database_holding_applications_is_refused(
    district: Dataset, postgres_url: str
) -> None:
    copy_sqlite_to_postgresql(district.path, postgres_url)

    with pytest.raises(TransferRefused, match="already holds 120 application"):
        copy_sqlite_to_postgresql(district.path, postgres_url)


async def test_an_unmigrated_database_is_refused(
    district: Dataset, empty_postgres_url: str
) -> None:
    with pytest.raises(TransferRefused, match="not migrated: run hvconnect migrate"):
        copy_sqlite_to_postgresql(district.path, empty_postgres_url)


async def test_a_missing_file_is_refused(tmp_path: Path, postgres_url: str) -> None:
    with pytest.raises(TransferRefused, match="no such database file"):
        copy_sqlite_to_postgresql(tmp_path / "none.db", postgres_url)
