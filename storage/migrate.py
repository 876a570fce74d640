"""Bring a database up to the schema this release expects.

The SQL files in :mod:`storage.migrations` are read with :mod:`importlib.resources` so they
are found the same way from a source checkout and from an installed wheel. Each file runs
in its own transaction together with its bookkeeping: a row in ``schema_migrations`` and
``PRAGMA user_version``, so a crash half-way leaves the database at the previous version,
never in between. A database written by a newer release is refused rather than guessed at.

PostgreSQL has a chain of its own (:mod:`storage.migrations.postgresql`), numbered as
SQLite's so that a schema version means the same on both; it starts at SQLite's 0017 with one
baseline file. A PostgreSQL file runs whole (its trigger functions' bodies hold semicolons),
and its version is the newest row of ``schema_migrations`` (storage/dialect.py).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from importlib import resources

from storage.codec import time_to_db
from storage.db import Database, fetch_one, in_thread, run
from storage.errors import MigrationError, SchemaTooNew

MIGRATIONS_PACKAGE = "storage.migrations"
POSTGRESQL_MIGRATIONS_PACKAGE = "storage.migrations.postgresql"
# PostgreSQL's chain begins with a baseline equal to SQLite's schema at this version.
POSTGRESQL_BASELINE = 17
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return split_statements(self.sql)


def load_migrations(package: str = MIGRATIONS_PACKAGE, first: int = 1) -> tuple[Migration, ...]:
    """Every migration shipped in ``package``, in order from ``first``; gaps and duplicates
    are errors."""
    found: dict[int, Migration] = {}
    for entry in resources.files(package).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        version = int(match["version"])
        if version in found:
            raise MigrationError(f"two migrations are numbered {version:04d}")
        found[version] = Migration(version, match["name"], entry.read_text(encoding="utf-8"))
    ordered = tuple(found[version] for version in sorted(found))
    expected = tuple(range(first, first + len(ordered)))
    if tuple(m.version for m in ordered) != expected:
        versions = ", ".join(f"{m.version:04d}" for m in ordered) or "none"
        raise MigrationError(
            f"migrations must be numbered {first:04d}, {first + 1:04d}, … without gaps: {versions}"
        )
    return ordered


def split_statements(script: str) -> list[str]:
    """Split SQL text into single statements, keeping trigger bodies whole.

    sqlite3's ``executescript`` would commit our open transaction first, so migrations are
    run statement by statement; SQLite itself decides where a statement ends.
    """
    statements: list[str] = []
    *terminated, rest = script.split(";")
    pending = ""
    for piece in terminated:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _has_code(pending):
                statements.append(pending.strip())
            pending = ""
    pending += rest
    if _has_code(pending):
        raise MigrationError(f"unterminated SQL statement: {pending.strip()[:80]!r}")
    return statements


def _has_code(sql: str) -> bool:
    code_lines = (line.split("--", 1)[0].strip() for line in sql.splitlines())
    return any(line and line != ";" for line in code_lines)


MIGRATIONS: tuple[Migration, ...] = load_migrations()
LATEST_VERSION: int = MIGRATIONS[-1].version
POSTGRESQL_MIGRATIONS: tuple[Migration, ...] = load_migrations(
    POSTGRESQL_MIGRATIONS_PACKAGE, first=POSTGRESQL_BASELINE
)


def migrations_for(db: Database) -> tuple[Migration, ...]:
    """The chain of migrations written for ``db``'s kind of database."""
    return POSTGRESQL_MIGRATIONS if db.dialect == "postgresql" else MIGRATIONS


async def schema_version(db: Database) -> int:
    """The version of the newest migration applied to ``db`` (0 for a new database)."""
    row = await db.fetchone("PRAGMA user_version")
    assert row is not None  # PRAGMA user_version always answers
    return int(row[0])


async def migrate(
    db: Database, now: datetime, migrations: tuple[Migration, ...] | None = None
) -> list[int]:
    """Apply the migrations ``db`` lacks; return the versions applied by this call."""
    if migrations is None:
        migrations = migrations_for(db)
    whole = db.dialect == "postgresql"
    latest = migrations[-1].version if migrations else 0
    current = await schema_version(db)
    if current > latest:
        raise SchemaTooNew(current, latest)
    applied_at = time_to_db(now)
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= current:
            continue
        async with db.transaction() as connection:
            # Another process may have migrated while we waited for the write lock.
            row = await fetch_one(connection, "PRAGMA user_version")
            assert row is not None
            if int(row[0]) >= migration.version:
                continue
            await run(connection, _CREATE_BOOKKEEPING)
            if whole:
                await in_thread(connection, partial(_run_script, sql=migration.sql))
            else:
                for statement in migration.statements():
                    await run(connection, statement)
            await run(
                connection,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, applied_at),
            )
            # PRAGMA takes no parameters; the version is an int we parsed ourselves.
            await run(connection, f"PRAGMA user_version = {migration.version:d}")
        applied.append(migration.version)
    return applied


def _run_script(connection: sqlite3.Connection, sql: str) -> None:
    # Only PostgreSQL's connection (storage/postgres.py) comes here: sqlite3's executescript
    # would commit the transaction the migration runs in.
    connection.executescript(sql)
