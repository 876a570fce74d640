"""The database the command-line tests point HVCONNECT_DB at."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.postgres import on_postgresql


@pytest.fixture
def cli_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A file in a folder not made yet, or (HVCONNECT_TEST_DB=postgresql) the URL of a
    migrated PostgreSQL database of the test's own."""
    if on_postgresql(request.config):
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "data" / "hv.db"


def raw_rows(database: Path | str, sql: str) -> list[tuple[object, ...]]:
    """Rows read past the bot's storage layer, as another program would: no key, no
    translation (``sql`` must mean the same to both databases)."""
    if isinstance(database, str):
        import psycopg

        with psycopg.connect(database) as connection:
            return [tuple(row) for row in connection.execute(sql).fetchall()]
    with sqlite3.connect(database) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]


def dump_text(database: Path | str) -> str:
    """Everything the database holds, as text: what a copy of it would give away."""
    if isinstance(database, str):
        from storage.backup.postgresql import program

        done = subprocess.run(
            [program("pg_dump"), "--format=plain", f"--dbname={database}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout
    with sqlite3.connect(database) as connection:
        return "\n".join(connection.iterdump())
