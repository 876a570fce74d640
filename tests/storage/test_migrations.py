"""Migrations: applied once, in order, atomically, and never onto a newer schema."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.db import Database
from storage.errors import MigrationError, SchemaTooNew
from storage.migrate import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    load_migrations,
    migrate,
    migrations_for,
    schema_version,
    split_statements,
)
from tests.postgres import table_names
from tests.storage.samples import NOW

EXPECTED_TABLES = {
    "users",
    "drafts",
    "draft_documents",
    "application_counters",
    "applications",
    "stage_visits",
    "clock_pauses",
    "documents",
    "owed_items",
    "events",
    "conversations",
    "schema_migrations",
}


async def test_a_new_database_gets_every_migration_once(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        assert await schema_version(db) == 0
        assert await migrate(db, NOW) == list(range(1, LATEST_VERSION + 1))
        assert await migrate(db, NOW) == []
        assert await schema_version(db) == LATEST_VERSION

        assert EXPECTED_TABLES <= await table_names(db)
        recorded = await db.fetchall("SELECT version, name, applied_at FROM schema_migrations")
        assert (recorded[0]["version"], recorded[0]["name"]) == (1, "initial")
        assert recorded[0]["applied_at"] == "2026-11-27T01:48:00+00:00"
    finally:
        await db.close()


async def test_migrating_again_after_a_restart_changes_nothing(db_path: Path) -> None:
    first = await Database.open(db_path)
    await migrate(first, NOW)
    await first.close()

    second = await Database.open(db_path)
    try:
        assert await migrate(second, NOW) == []
        rows = await second.fetchall("SELECT version FROM schema_migrations")
        assert len(rows) == LATEST_VERSION
    finally:
        await second.close()


async def test_a_database_from_a_newer_release_is_refused(db: Database) -> None:
    latest = migrations_for(db)[-1].version
    await db.execute(f"PRAGMA user_version = {latest + 1}")
    with pytest.raises(SchemaTooNew) as refused:
        await migrate(db, NOW)
    assert refused.value.database_version == latest + 1
    assert refused.value.code_version == latest
    assert "newer release" in str(refused.value)


async def test_a_failing_migration_leaves_the_previous_version(db: Database) -> None:
    chain = migrations_for(db)
    latest = chain[-1].version
    broken = Migration(
        latest + 1,
        "broken",
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);",
    )
    with pytest.raises(sqlite3.OperationalError):
        await migrate(db, NOW, (*chain, broken))
    assert await schema_version(db) == latest
    assert "half_done" not in await table_names(db)
    assert (
        await db.fetchone("SELECT 1 FROM schema_migrations WHERE version = ?", (latest + 1,))
        is None
    )


async def test_a_later_migration_is_applied_on_top(db: Database) -> None:
    chain = migrations_for(db)
    latest = chain[-1].version
    extra = Migration(latest + 1, "extra", "ALTER TABLE users ADD COLUMN nickname TEXT;")
    assert await migrate(db, NOW, (*chain, extra)) == [latest + 1]
    assert await schema_version(db) == latest + 1
    # The shipped code now sees a database newer than itself.
    with pytest.raises(SchemaTooNew):
        await migrate(db, NOW)


def test_statements_are_split_without_breaking_triggers_or_comments() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT DEFAULT 'a;b');
    CREATE TRIGGER t_no_delete BEFORE DELETE ON t
    BEGIN
        SELECT RAISE(ABORT, 'no');
    END;
    -- trailing comment
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[0].endswith("DEFAULT 'a;b');")
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_an_unterminated_statement_is_reported() -> None:
    with pytest.raises(MigrationError, match="unterminated"):
        split_statements("CREATE TABLE t (id INTEGER);\nCREATE TABLE u (id INTEGER)")


def test_shipped_migrations_are_numbered_from_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert MIGRATIONS[0].name == "initial"


def _fake_package(root: Path, name: str, files: list[str]) -> str:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "README.txt").write_text("not a migration")
    for file_name in files:
        (package / file_name).write_text("SELECT 1;")
    return name


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        (["0001_first.sql", "0003_third.sql"], "without gaps"),
        (["0002_second.sql"], "without gaps"),
        (["0001_first.sql", "0001_again.sql"], "two migrations"),
    ],
)
def test_misnumbered_migration_files_are_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[str], problem: str
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _fake_package(tmp_path, f"fake_migrations_{len(files)}_{files[-1][:4]}", files)
    with pytest.raises(MigrationError, match=problem):
        load_migrations(package)


def test_well_numbered_files_load_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _fake_package(tmp_path, "fake_migrations_ok", ["0002_second.sql", "0001_first.sql"])
    loaded = load_migrations(package)
    assert [(m.version, m.name) for m in loaded] == [(1, "first"), (2, "second")]


async def test_migrating_with_no_migrations_is_a_no_op(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        assert await migrate(db, NOW, ()) == []
        assert await schema_version(db) == 0
    finally:
        await db.close()


async def test_two_processes_starting_together_migrate_once(db_path: Path) -> None:
    first, second = await Database.open(db_path), await Database.open(db_path)
    try:
        results = await asyncio.gather(migrate(first, NOW), migrate(second, NOW))
        # Each version is applied by exactly one of the two, whichever got there first.
        applied = sorted(results[0] + results[1])
        assert applied == list(range(1, LATEST_VERSION + 1))
        rows = await first.fetchall("SELECT version FROM schema_migrations")
        assert [row["version"] for row in rows] == list(range(1, LATEST_VERSION + 1))
    finally:
        await first.close()
        await second.close()
