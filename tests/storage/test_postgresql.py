"""PostgreSQL itself: its migrations, its schema beside SQLite's, and what the adapter must
get right that SQLite does by itself. These run in `make test` too, on a throwaway server
(tests/postgres.py), and are skipped where PostgreSQL is not installed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database, insert
from storage.dialect import IDENTITY_TABLES
from storage.migrate import POSTGRESQL_BASELINE, POSTGRESQL_MIGRATIONS, migrate, schema_version
from storage.users import UsersRepo
from tests.keys import make_test_cipher
from tests.storage.samples import CUSTOMER_ID, NOW


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Database]:
    database = await Database.open(postgres_url, cipher=make_test_cipher())
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def pg_customer(pg: Database) -> int:
    user = await UsersRepo(pg).touch(
        user_id=CUSTOMER_ID, chat_id=CUSTOMER_ID, first_name="王", username="wang",
        default_locale="zh", now=NOW,
    )  # fmt: skip
    return user.user_id


async def _columns(db: Database) -> dict[str, list[str]]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
    else:
        rows = await db.fetchall(
            "SELECT m.name AS t, p.name AS c FROM sqlite_master AS m "
            "JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table' ORDER BY m.name, p.cid"
        )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(str(row["t"]), []).append(str(row["c"]))
    return found


async def test_a_fresh_database_gets_the_baseline_and_every_later_migration(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    db = await Database.open(empty_postgres_url)
    sqlite = await Database.open(tmp_path / "same.db")
    try:
        assert await schema_version(db) == 0
        versions = [m.version for m in POSTGRESQL_MIGRATIONS]
        assert versions[0] == POSTGRESQL_BASELINE
        assert await migrate(db, NOW) == versions
        assert await migrate(db, NOW) == []
        assert await schema_version(db) == versions[-1]
        recorded = await db.fetchall("SELECT version, name, applied_at FROM schema_migrations")
        assert (recorded[0]["version"], recorded[0]["name"]) == (17, "baseline")
        assert recorded[0]["applied_at"] == "2026-11-27T01:48:00+00:00"

        # The same tables as SQLite's, with the same columns in the same order.
        await migrate(sqlite, NOW)
        ours, theirs = await _columns(db), await _columns(sqlite)
        assert set(theirs) <= set(ours)
        for table, columns in theirs.items():
            assert ours[table] == columns, table
        # Tables PostgreSQL has ahead of this branch's SQLite chain.
        assert set(ours) - set(theirs) <= {"processed_updates"}
    finally:
        await db.close()
        await sqlite.close()


async def test_two_processes_starting_together_migrate_once(empty_postgres_url: str) -> None:
    first = await Database.open(empty_postgres_url)
    second = await Database.open(empty_postgres_url)
    try:
        results = await asyncio.gather(migrate(first, NOW), migrate(second, NOW))
        assert sorted(results[0] + results[1]) == [m.version for m in POSTGRESQL_MIGRATIONS]
    finally:
        await first.close()
        await second.close()


async def test_the_identity_tables_are_those_the_dialect_knows(pg: Database) -> None:
    rows = await pg.fetchall(
        "SELECT table_name AS t FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'"
    )
    assert {str(row["t"]) for row in rows} == IDENTITY_TABLES


async def test_an_insert_gives_its_own_row_id_not_a_triggers(pg: Database) -> None:
    event_sql = "INSERT INTO events (actor_role, kind, created_at) VALUES ('system', 'x', ?)"
    stamp = ("2026-11-27T01:48:00+00:00",)
    async with pg.transaction() as conn:
        earlier = [await insert(conn, event_sql, stamp) for _ in range(3)]
        await insert(
            conn,
            "INSERT INTO webhook_subscriptions (client_name, url, signing_secret, created_at) "
            "VALUES ('crm', 'https://crm.example/hook', 's', ?)",
            stamp,
        )
        # This event's trigger makes the first webhook delivery: lastval() would give its id.
        event = await insert(conn, event_sql, stamp)
    assert earlier == [1, 2, 3] and event == 4
    row = await pg.fetchone("SELECT id, event_id FROM webhook_deliveries")
    assert row is not None and (row["id"], row["event_id"]) == (1, 4)


async def test_violations_read_as_sqlite_words_them(pg: Database, pg_customer: int) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed"):
        await pg.execute(
            "INSERT INTO staff (user_id, name, role, created_at, updated_at) "
            "VALUES (?, 'a', 'admin', 'x', 'x'), (?, 'b', 'admin', 'x', 'x')",
            (pg_customer, pg_customer),
        )
    await pg.execute(
        "INSERT INTO events (actor_role, kind, created_at) VALUES ('system', 'x', 'x')"
    )
    with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
        await pg.execute("DELETE FROM events")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await pg.fetchall("SELECT * FROM no_such_table")


async def test_personal_data_is_sealed_at_rest(pg: Database, pg_customer: int) -> None:
    raw = await pg.fetchone(
        "SELECT first_name AS stored FROM users WHERE user_id = ?", (pg_customer,)
    )
    assert raw is not None and str(raw["stored"]).startswith("hv1:")
    user = await UsersRepo(pg).get(pg_customer)
    assert user is not None and user.first_name == "王"


async def test_a_wrong_address_fails_as_a_database_error() -> None:
    with pytest.raises(sqlite3.OperationalError):
        await Database.open("postgresql://nobody@/nowhere?host=/nonexistent", cipher=None)


async def test_a_database_opened_without_a_key_forgets_nothing_in_clear(
    postgres_url: str,
) -> None:
    keyed = await Database.open(postgres_url, cipher=make_test_cipher())
    await keyed.execute("INSERT INTO storage_facts (name, value) VALUES ('nothing_in_clear', '1')")
    await keyed.close()
    unkeyed = await Database.open(postgres_url)
    try:
        assert await unkeyed.fetchone("SELECT 1 FROM storage_facts") is None
    finally:
        await unkeyed.close()


async def test_settle_does_not_queue_on_the_fleets_write_lock(pg: Database) -> None:
    """An update that wrote nothing commits its id without the advisory lock every write
    takes: the id's primary key is all that decides between instances. Another session
    holds the lock throughout; were settle to ask for it, the lock timeout would fail it."""
    import psycopg

    from storage.dialect import WRITE_LOCK_KEY
    from storage.units import HandledUpdate, begin_unit, end_unit

    await pg.fetchall("SET lock_timeout = '30s'")
    with psycopg.connect(pg.path, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
        unit = begin_unit(77)
        try:
            unit.keep(HandledUpdate(77, "2026-12-03T10:00:00+08:00", arbiter=True))
            await pg.settle()
        finally:
            end_unit()
        holder.execute("ROLLBACK")
    row = await pg.fetchone("SELECT handled_at FROM processed_updates WHERE update_id = 77")
    assert row is not None


async def test_a_batch_counts_the_rows_it_changed_and_fails_whole(pg: Database) -> None:
    """executemany sends its rows as one text of many statements, in chunks: the count is
    summed over every statement of every chunk, and a row that fails takes the transaction
    with it, as a statement a row did."""
    await pg.execute(
        "INSERT INTO reminder_meta (name, value) VALUES (?, ?)", ("hv-batch-0", "kept")
    )
    rows = [(f"hv-batch-{n}", str(n)) for n in range(1_234)]
    async with pg.transaction() as conn:
        cursor = await conn.executemany(
            "INSERT INTO reminder_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            rows,
        )
        assert cursor.rowcount == len(rows) - 1
    with pytest.raises(sqlite3.IntegrityError):
        async with pg.transaction() as conn:
            await conn.executemany(
                "INSERT INTO reminder_meta (name, value) VALUES (?, ?)",
                [("hv-batch-new", "1"), ("hv-batch-5", "twice")],
            )
    found = await pg.fetchall("SELECT value FROM reminder_meta WHERE name LIKE 'hv-batch-%'")
    assert len(found) == len(rows)
    assert await pg.fetchone("SELECT 1 FROM reminder_meta WHERE name = 'hv-batch-new'") is None


async def test_a_batch_of_inserted_rows_is_one_statement_that_keeps_each_rows_values(
    pg: Database,
) -> None:
    """A batch of INSERT rows travels as one INSERT of many rows: each row keeps its own
    values (sealed ones too), a key twice in the batch is skipped as a row a statement would
    be, and a DO UPDATE, which may not touch a row twice in one statement, stays a statement
    a row, the later row winning as on SQLite."""
    rows = [(f"hv-many-{n % 700}", f"value {n} 100%") for n in range(1_100)]
    async with pg.transaction() as conn:
        cursor = await conn.executemany(
            "INSERT OR IGNORE INTO reminder_meta (name, value) VALUES (?, ?)", rows
        )
    assert cursor.rowcount == 700
    found = await pg.fetchall(
        "SELECT name, value FROM reminder_meta WHERE name LIKE 'hv-many-%' ORDER BY name"
    )
    assert {(r["name"], r["value"]) for r in found} == set(rows[:700])
    async with pg.transaction() as conn:
        cursor = await conn.executemany(
            "INSERT INTO reminder_meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [("hv-many-1", "first"), ("hv-many-1", "second")],
        )
    assert cursor.rowcount == 2
    row = await pg.fetchone("SELECT value FROM reminder_meta WHERE name = 'hv-many-1'")
    assert row is not None and row["value"] == "second"
    async with pg.transaction() as conn:
        await conn.executemany(
            "INSERT INTO outbox (key, chat_id, user_id, kind, text, not_before,"
            " next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, 'reminder', hv_seal(?), '', ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            [(f"hv-many:{n}", n, n, f"第{n}条", "t", "t", "t") for n in (1, 2, 3)],
        )
    texts = await pg.fetchall(
        "SELECT key, text FROM outbox WHERE key LIKE 'hv-many:%' ORDER BY key"
    )
    assert [(r["key"], r["text"]) for r in texts] == [
        (f"hv-many:{n}", f"第{n}条") for n in (1, 2, 3)
    ]


async def test_a_row_is_read_by_name_and_position_as_sqlite_rows_are(pg: Database) -> None:
    """A column named twice is its first, as ``sqlite3.Row`` has it; a name not in the result
    is an IndexError; every row of a result answers by its own values."""
    rows = await pg.fetchall(
        "SELECT n AS a, n * 10 AS b, n * 100 AS a FROM (VALUES (1), (2)) AS v(n) ORDER BY n"
    )
    assert [(r["a"], r["b"], r[2]) for r in rows] == [(1, 10, 100), (2, 20, 200)]
    assert rows[1].keys() == ["a", "b", "a"] and tuple(rows[1]) == (2, 20, 200)
    with pytest.raises(IndexError, match="'c'"):
        rows[0]["c"]


async def test_a_statement_run_often_is_prepared_and_a_transaction_opens_with_its_first(
    pg: Database,
) -> None:
    """A statement with values is bound by the server, and prepared once the connection has
    run it a few times; a write transaction's opening (its BEGIN and the fleet's write lock)
    goes in one pipeline with its first statement, the lock held from then on."""
    for n in range(6):
        found = await pg.fetchone("SELECT value FROM reminder_meta WHERE name = ?", (f"x{n}",))
        assert found is None
    prepared = await pg.fetchall("SELECT statement FROM pg_prepared_statements")
    assert [r["statement"] for r in prepared] == ["SELECT value FROM reminder_meta WHERE name = $1"]
    async with pg.transaction() as conn:
        await conn.execute("INSERT INTO reminder_meta (name, value) VALUES (?, ?)", ("seven", "7"))
        cursor = await conn.execute(
            "SELECT COUNT(*) AS n FROM pg_locks"
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
        )
        row = await cursor.fetchone()
        assert row is not None and row["n"] == 1
    row = await pg.fetchone("SELECT name, value FROM reminder_meta WHERE name = 'seven'")
    assert row is not None and (row["name"], row["value"]) == ("seven", "7")


async def test_a_transaction_whose_first_statement_fails_is_rolled_back(pg: Database) -> None:
    """BEGIN travels with the transaction's first statement: when that statement fails the
    transaction is open and failed, and rolled back like any other; an empty one costs
    nothing and leaves nothing open."""
    with pytest.raises(sqlite3.OperationalError):
        async with pg.transaction() as conn:
            await conn.execute("SELECT no_such_column FROM reminder_meta")
    async with pg.transaction():
        pass
    async with pg.snapshot():
        pass
    await pg.execute("INSERT INTO reminder_meta (name, value) VALUES ('after', 'ok')")
    row = await pg.fetchone("SELECT value FROM reminder_meta WHERE name = 'after'")
    assert row is not None and row["value"] == "ok"


async def test_a_hinted_join_finds_what_a_plain_join_finds_looking_up_each_row(
    pg: Database,
) -> None:
    """A joined table's INDEXED BY becomes a LATERAL look-up on PostgreSQL (storage/dialect.py):
    the same rows as the plain join, missing matches and several matches included, and the
    index probed once per outer row rather than the joined table read whole into a hash."""
    await pg.execute("CREATE TABLE hint_left (id INTEGER PRIMARY KEY, name TEXT)")
    await pg.execute(
        "CREATE TABLE hint_right (id INTEGER PRIMARY KEY, left_id INTEGER, kept INTEGER)"
    )
    await pg.execute("CREATE INDEX hint_right_by_left ON hint_right (left_id)")
    for left in ((1, "a"), (2, "b"), (3, "c")):
        await pg.execute("INSERT INTO hint_left (id, name) VALUES (?, ?)", left)
    for right in ((10, 1, 1), (11, 1, 1), (12, 1, 0), (13, 2, 1)):
        await pg.execute("INSERT INTO hint_right (id, left_id, kept) VALUES (?, ?, ?)", right)
    sql = (
        "SELECT l.id, r.id AS rid FROM hint_left l {join} hint_right r {hint} "
        "ON r.left_id = l.id AND r.kept = ? ORDER BY l.id, r.id"
    )

    async def rows(join: str, hint: str, kept: int) -> list[tuple[int, int | None]]:
        found = await pg.fetchall(sql.format(join=join, hint=hint), (kept,))
        return [(row["id"], row["rid"]) for row in found]

    hint = "INDEXED BY hint_right_by_left"
    for join, kept, expected in (
        ("LEFT JOIN", 1, [(1, 10), (1, 11), (2, 13), (3, None)]),
        ("LEFT JOIN", 0, [(1, 12), (2, None), (3, None)]),
        ("CROSS JOIN", 1, [(1, 10), (1, 11), (2, 13)]),
    ):
        assert await rows(join, hint, kept) == await rows(join, "", kept) == expected
    plan = await pg.fetchall("EXPLAIN " + sql.format(join="LEFT JOIN", hint=hint).replace("?", "1"))
    shown = "\n".join(str(row[0]) for row in plan)
    assert "Hash" not in shown and "Index" in shown, shown
