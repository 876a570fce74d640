"""Moving a district's SQLite database into PostgreSQL, row for row.

A district starts on the embedded SQLite file; when the provincial utility takes it into its
PostgreSQL service, its history must come along whole: applications, their events, drafts
in the middle of the form, the outbox, the reminders already sent (whose idempotency keys
keep them from being sent again), the conversation states. Both schemas have the same
tables and columns in the same order (storage/migrations/postgresql/0017_baseline.sql), and
sealed values are the same text on both, so the rows are copied as they are, with the same
key still opening them.

What makes a verbatim copy correct rather than a replay:

* the target's own triggers are off while the rows go in (``DISABLE TRIGGER USER``, which
  the table's owner may do; no superuser needed): the copied events must not queue webhook
  deliveries again, nor the copied applications add name pairs beside the copied ones;
* tables are filled parents first, so the foreign keys, which stay on, hold row by row;
* identity columns continue after the highest copied id;
* the tables are analysed, so the planner sees their sizes from the first query on;
* all of it is one transaction: a failure leaves the target as empty as it was.

The target must be migrated to the same schema version as the source and hold no
application yet: this copies a district in, it never merges two.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

# Tables that say which migrations ran: each database keeps its own.
_BOOKKEEPING = frozenset({"schema_migrations"})
BATCH_ROWS = 5_000


class TransferRefused(Exception):
    """The copy cannot start; the message says why in one line."""


@dataclass
class Transferred:
    """How many rows each table received, in the order the tables were filled."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_sqlite_to_postgresql(
    source: Path,
    target_url: str,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> Transferred:
    """Copy every table of the SQLite file ``source`` into the PostgreSQL database at
    ``target_url``, which the caller has migrated (``hvconnect migrate``) beforehand.

    Synchronous and long (a large district is gigabytes): run it on a thread of its own.
    ``progress(table, rows)`` is told after each table.
    """
    import psycopg

    if not source.is_file():
        raise TransferRefused(f"{source}: no such database file")
    reading = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with psycopg.connect(target_url, autocommit=False) as target:
            _check_versions(reading, target)
            order = _fill_order(target, _source_tables(reading))
            moved = Transferred()
            for table in order:
                moved.rows[table] = _copy_table(reading, target, table)
                if progress is not None:
                    progress(table, moved.rows[table])
            _continue_identities(target, order)
            # The planner knows nothing of the rows just copied until the tables are
            # analysed, and would plan the first queries as if they were empty.
            target.execute("ANALYZE")
            target.commit()
            return moved
    finally:
        reading.close()


def _source_tables(reading: sqlite3.Connection) -> list[str]:
    rows = reading.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [name for (name,) in rows if name not in _BOOKKEEPING]


def _check_versions(reading: sqlite3.Connection, target: Any) -> None:
    (source_version,) = reading.execute("PRAGMA user_version").fetchone()
    found = target.execute(
        "SELECT to_regclass('schema_migrations') IS NOT NULL AS migrated"
    ).fetchone()
    if not found[0]:
        raise TransferRefused("the PostgreSQL database is not migrated: run hvconnect migrate")
    (target_version,) = target.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
    ).fetchone()
    if source_version != target_version:
        raise TransferRefused(
            f"schema versions differ (SQLite {source_version}, PostgreSQL {target_version}): "
            "run hvconnect migrate on both first"
        )
    (applications,) = target.execute("SELECT count(*) FROM applications").fetchone()
    if applications:
        raise TransferRefused(
            f"the PostgreSQL database already holds {applications} application(s): a "
            "district is copied into an empty database, never merged into another"
        )


def _fill_order(target: Any, tables: Sequence[str]) -> list[str]:
    """``tables`` with every table after those its foreign keys point at."""
    wanted = set(tables)
    graph: dict[str, set[str]] = {table: set() for table in tables}
    references = target.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text "
        "FROM pg_constraint WHERE contype = 'f'"
    ).fetchall()
    for child, parent in references:
        if child in wanted and parent in wanted and child != parent:
            graph[child].add(parent)
    missing = wanted - set(_target_tables(target))
    if missing:
        raise TransferRefused(f"tables missing in PostgreSQL: {', '.join(sorted(missing))}")
    return list(TopologicalSorter(graph).static_order())


def _target_tables(target: Any) -> list[str]:
    rows = target.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    ).fetchall()
    return [name for (name,) in rows]


def _copy_table(reading: sqlite3.Connection, target: Any, table: str) -> int:
    from psycopg import sql

    columns = [row[1] for row in reading.execute(f'PRAGMA table_info("{table}")')]
    name = sql.Identifier(table)
    # A freshly migrated database may hold rows its migrations put there (facts, defaults):
    # the district's own rows replace them.
    target.execute(sql.SQL("DELETE FROM {}").format(name))
    target.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(name))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        name, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    copied = 0
    with target.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in _batches(reading, table, columns):
            for row in batch:
                copy.write_row(row)
            copied += len(batch)
    target.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(name))
    return copied


def _batches(
    reading: sqlite3.Connection, table: str, columns: Sequence[str]
) -> Iterator[list[tuple[Any, ...]]]:
    listed = ", ".join(f'"{c}"' for c in columns)
    cursor = reading.execute(f'SELECT {listed} FROM "{table}"')
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield batch


def _continue_identities(target: Any, tables: Sequence[str]) -> None:
    rows = target.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    copied = set(tables)
    for table, column in rows:
        if table not in copied:
            continue
        target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
        )
