"""Fixtures for storage tests: a migrated database in a temp file, its personal data sealed
with a test key as in production, and a known customer.

With ``HVCONNECT_TEST_DB=postgresql`` (``make test-pg``) the database is a fresh PostgreSQL
one instead (tests/postgres.py); a test about SQLite's own file, pragmas or backups is marked
``sqlite_only`` and skipped there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.migrate import migrate
from storage.users import UsersRepo
from tests.keys import make_test_cipher
from tests.postgres import on_postgresql
from tests.storage.samples import CUSTOMER_ID, NOW


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hvconnect.db"


@pytest.fixture
def db_location(request: pytest.FixtureRequest, db_path: Path) -> str | Path:
    """Where ``db`` lives: the SQLite file, or the URL of this test's PostgreSQL database."""
    if on_postgresql(request.config):
        return str(request.getfixturevalue("postgres_url"))
    return db_path


@pytest.fixture
async def db(db_location: str | Path) -> AsyncIterator[Database]:
    database = await Database.open(db_location, cipher=make_test_cipher())
    await migrate(database, NOW)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def customer(db: Database) -> int:
    user = await UsersRepo(db).touch(
        user_id=CUSTOMER_ID,
        chat_id=CUSTOMER_ID,
        first_name="王",
        username="wang",
        default_locale="zh",
        now=NOW,
    )
    return user.user_id
