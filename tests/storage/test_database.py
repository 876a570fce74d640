"""The connection rules: durable settings, explicit transactions, no interleaving."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.db import Database
from storage.errors import NestedTransaction


async def _scratch(db: Database) -> None:
    await db.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")


async def test_open_creates_the_folder_and_sets_durable_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "bot.db"
    db = await Database.open(path)
    try:
        assert path.parent.is_dir()
        assert db.path == str(path)
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await db.fetchone("PRAGMA synchronous"))[0] == 2  # type: ignore[index]  # FULL
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
    finally:
        await db.close()


async def test_memory_database_works_for_quick_tests() -> None:
    db = await Database.open(":memory:")
    try:
        await _scratch(db)
        assert await db.execute("INSERT INTO scratch (value) VALUES ('a'), ('b')") == 2
        rows = await db.fetchall("SELECT value FROM scratch ORDER BY id")
        assert [row["value"] for row in rows] == ["a", "b"]
    finally:
        await db.close()


async def test_committed_rows_survive_a_reopen(db_path: Path) -> None:
    db = await Database.open(db_path)
    await _scratch(db)
    async with db.transaction() as connection:
        await connection.execute("INSERT INTO scratch (value) VALUES ('kept')")
    await db.close()

    reopened = await Database.open(db_path)
    try:
        row = await reopened.fetchone("SELECT value FROM scratch")
        assert row is not None and row["value"] == "kept"
    finally:
        await reopened.close()


async def test_a_failing_transaction_leaves_nothing_behind(db: Database) -> None:
    await _scratch(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO scratch (value) VALUES ('first')")
            await connection.execute("INSERT INTO scratch (value) VALUES (NULL)")
    assert await db.fetchall("SELECT * FROM scratch") == []
    # The connection is usable again straight away.
    assert await db.execute("INSERT INTO scratch (value) VALUES ('after')") == 1


async def test_a_cancelled_transaction_is_rolled_back(db: Database) -> None:
    await _scratch(db)
    inside = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO scratch (value) VALUES ('half')")
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.fetchall("SELECT * FROM scratch") == []


async def test_using_the_database_inside_its_own_transaction_fails_fast(db: Database) -> None:
    async with db.transaction():
        with pytest.raises(NestedTransaction):
            await db.fetchone("SELECT 1")
        with pytest.raises(NestedTransaction):
            async with db.transaction():
                pass  # pragma: no cover - never entered


async def test_concurrent_transactions_do_not_interleave(db: Database) -> None:
    """Read-modify-write from many coroutines: a lost update would show in the total."""
    await db.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
    await db.execute("CREATE TABLE trail (task INTEGER NOT NULL, step INTEGER NOT NULL)")
    await db.execute("INSERT INTO counter VALUES (0)")

    async def bump(task_number: int) -> None:
        async with db.transaction() as connection:
            async with connection.execute("SELECT n FROM counter") as cursor:
                row = await cursor.fetchone()
            assert row is not None
            await connection.execute("INSERT INTO trail VALUES (?, 1)", (task_number,))
            await asyncio.sleep(0)  # invite the other coroutines to cut in
            await connection.execute("UPDATE counter SET n = ?", (row[0] + 1,))
            await connection.execute("INSERT INTO trail VALUES (?, 2)", (task_number,))

    await asyncio.gather(*(bump(number) for number in range(50)))

    total = await db.fetchone("SELECT n FROM counter")
    assert total is not None and total[0] == 50
    trail = [(row[0], row[1]) for row in await db.fetchall("SELECT task, step FROM trail")]
    # Each coroutine's two steps are adjacent: nobody wrote in between.
    pairs = list(zip(trail[::2], trail[1::2], strict=True))
    assert all(first[0] == second[0] and (first[1], second[1]) == (1, 2) for first, second in pairs)


async def test_reads_wait_for_a_running_transaction(db: Database) -> None:
    await _scratch(db)
    release = asyncio.Event()
    seen: list[int] = []

    async def writer() -> None:
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO scratch (value) VALUES ('x')")
            await release.wait()

    async def reader() -> None:
        rows = await db.fetchall("SELECT * FROM scratch")
        seen.append(len(rows))

    writing = asyncio.create_task(writer())
    await asyncio.sleep(0.01)
    reading = asyncio.create_task(reader())
    await asyncio.sleep(0.01)
    assert seen == []  # the reader is queued behind the open transaction
    release.set()
    await asyncio.gather(writing, reading)
    assert seen == [1]


async def test_snapshot_reads_and_close_is_idempotent(db_path: Path) -> None:
    db = await Database.open(db_path)
    await _scratch(db)
    await db.execute("INSERT INTO scratch (value) VALUES ('a')")
    async with db.snapshot() as connection:
        async with connection.execute("SELECT count(*) FROM scratch") as cursor:
            row = await cursor.fetchone()
    assert row is not None and row[0] == 1
    await db.close()
    await db.close()
    with pytest.raises(ValueError):
        await db.fetchone("SELECT 1")


async def test_open_fails_cleanly_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        await Database.open(path)


async def test_a_transaction_in_one_trip_commits_or_leaves_nothing(db: Database) -> None:
    await _scratch(db)

    def add_two(connection: sqlite3.Connection) -> int:
        connection.execute("INSERT INTO scratch (value) VALUES ('a')")
        return connection.execute("INSERT INTO scratch (value) VALUES ('b')").rowcount

    def add_then_fail(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO scratch (value) VALUES ('c')")
        connection.execute("INSERT INTO scratch (value) VALUES (NULL)")

    assert await db.in_one_trip(add_two) == 1
    with pytest.raises(sqlite3.IntegrityError):
        await db.in_one_trip(add_then_fail)
    rows = await db.fetchall("SELECT value FROM scratch ORDER BY id")
    assert [row["value"] for row in rows] == ["a", "b"]


async def test_a_write_alone_is_committed_and_rolled_back_whole_on_failure(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        await _scratch(db)
        assert await db.execute_alone("INSERT INTO scratch (value) VALUES ('a')") == 1
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute_alone("INSERT INTO scratch (value) VALUES (NULL)")
        assert (await db.fetchone("PRAGMA synchronous"))[0] == 2  # type: ignore[index]  # FULL
        # The failed write was rolled back: a new transaction can begin.
        async with db.transaction() as connection:
            assert not await connection.execute_fetchall("SELECT 1 WHERE 0")
    finally:
        await db.close()
    reopened = await Database.open(db_path)
    try:
        rows = await reopened.fetchall("SELECT value FROM scratch")
        assert [row["value"] for row in rows] == ["a"]
    finally:
        await reopened.close()
