"""A utility's whole data set, written straight into a database file with SQL.

The schema comes from the project's own migrations; the rows are what years of use leave
behind: applications in every stage and step (most of them finished) with their events,
stage visits, pauses, documents, owed items, survey times, relayed messages and sent
notices, the staff of every district, and customers in the middle of the application form
(a draft and a saved conversation state each).

Generation must be fast enough to build a million applications within the benchmark's
time: rows are built in plain Python and inserted with ``executemany`` in large
transactions, with the indexes dropped during the load and created again after it, and
the journal off (nothing here needs to survive a crash). Personal columns are sealed with
the bot's cipher, as the bot would write them; equal values share one sealed text, which
keeps generation quick and changes neither the sizes nor the work of reading them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from benchmarks.datagen_values import NOW
from benchmarks.datagen_writer import Writer
from storage.db import Database
from storage.migrate import migrate
from storage.sealing.columns import lookup_hash, seal_value
from storage.sealing.crypto import FieldCipher


@dataclass(frozen=True)
class DatasetSpec:
    applications: int
    drafting: int = 10_000  # customers in the middle of the form
    busy_manager_open: int = 500  # open applications held by one customer manager
    seed: int = 2026
    now: datetime = NOW


@dataclass
class Dataset:
    """What was generated, and the people and texts the benchmarks need from it."""

    path: Path
    spec: DatasetSpec
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    busy_manager_id: int = 0
    supervisor_id: int = 0
    admin_id: int = 0  # sees every district: /find over the whole data set
    customer_id: int = 0  # a customer whose application went through every stage
    card_number: str = ""  # that application
    search: dict[str, str] = field(default_factory=dict)  # kind of search -> what is typed


class Sealer:
    """Seals values with the bot's cipher, once per distinct value."""

    def __init__(self, cipher: FieldCipher | None) -> None:
        self._cipher = cipher
        self._sealed: dict[tuple[str, bool], str] = {}
        self._hashed: dict[str, str] = {}

    def seal(self, plain: str | None, *, as_json: bool = False) -> str | None:
        if plain is None:
            return None
        found = self._sealed.get((plain, as_json))
        if found is None:
            found = self._sealed[plain, as_json] = seal_value(self._cipher, plain, as_json=as_json)
        return found

    def lookup(self, plain: str) -> str:
        found = self._hashed.get(plain)
        if found is None:
            found = self._hashed[plain] = lookup_hash(self._cipher, plain)
        return found


async def generate(path: Path, spec: DatasetSpec, *, cipher: FieldCipher | None) -> Dataset:
    """Create the database at ``path`` (which must not exist) and fill it."""
    if await asyncio.to_thread(path.exists):
        raise FileExistsError(path)
    started = time.perf_counter()
    await prepare_database(path, spec.now)
    dataset = Dataset(path, spec)
    await asyncio.to_thread(_fill, dataset, Sealer(cipher))
    dataset.seconds = time.perf_counter() - started
    return dataset


def _fill(dataset: Dataset, sealer: Sealer) -> None:
    conn = sqlite3.connect(dataset.path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("BEGIN")
        Writer(conn, dataset, sealer).write()
        conn.execute("COMMIT")
        for _, sql in indexes:
            conn.execute(sql)
        dataset.counts = {
            table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for (table,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        }
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


async def prepare_database(path: Path, now: datetime = NOW) -> None:
    """An empty database with the current schema, as the bot would create it."""
    db = await Database.open(path)
    try:
        await migrate(db, now)
    finally:
        await db.close()


def add_staff_member(
    path: Path, user_id: int, *, role: str, district: str | None, now: datetime = NOW
) -> None:
    """Enrol one member of staff straight in the tables (their invite is not the point)."""
    created = now.isoformat()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (user_id, chat_id, first_name, locale, created_at, updated_at) "
            "VALUES (?, ?, ?, 'zh_CN', ?, ?)",
            (user_id, user_id, "娜", created, created),
        )
        conn.execute(
            "INSERT INTO staff (user_id, name, role, district, active, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?)",
            (user_id, "李娜", role, district, created, created),
        )
    conn.close()
