"""Re-sealing stored personal data: under a new key (rotation), or for the first time.

Both are the same walk over the sealed columns of :mod:`storage.sealing.columns`: find the rows
whose values are not sealed under the cipher's current key, open them with whichever key they name
(or take them as they are, if they were written before encryption), seal them again and
recompute their look-up hashes.

The walk goes table by table in rowid order, a small batch per transaction, so the running
bot is never held up for longer than one batch: rotation needs no downtime. The bot must
already know the new key (as ``HVCONNECT_SECRET_KEY``, with the old one in
``HVCONNECT_OLD_SECRET_KEYS``), so that it reads values on both sides of the walk and writes
new ones under the new key; the README gives the steps.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiosqlite

from storage.db import Database, fetch_all, run, table_exists
from storage.sealing.columns import (
    JSON_COLUMNS,
    LOOKUP_COLUMNS,
    SEALED_COLUMNS,
    SEALED_WHEN,
    open_value,
    seal_value,
)
from storage.sealing.crypto import SEALED_PREFIX, FieldCipher
from storage.sealing.personal import is_personal_applicant

DEFAULT_BATCH = 200


class NoCipher(RuntimeError):
    """Re-sealing needs a database opened with a cipher."""


@dataclass
class ResealReport:
    """What one walk did: values re-sealed per ``table.column``, and what is left."""

    resealed: dict[str, int] = field(default_factory=dict)
    remaining: int = 0

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


async def reseal(
    db: Database,
    *,
    only_unsealed: bool = False,
    batch_size: int = DEFAULT_BATCH,
    pause_s: float = 0.0,
) -> ResealReport:
    """Seal every value not under the current key; ``only_unsealed`` leaves sealed ones be.

    ``pause_s`` sleeps between batches, to leave the database to the bot on a busy day.
    """
    cipher = db.cipher
    if cipher is None:
        raise NoCipher("re-sealing needs HVCONNECT_SECRET_KEY")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = ResealReport()
    await classify_applicants(db, batch_size=batch_size)
    for table, columns in SEALED_COLUMNS.items():
        if not await table_exists(db, table):
            continue
        key = ("rowid",) if db.dialect == "sqlite" else WALK_KEYS.get(table, ("id",))
        after: tuple[object, ...] | None = None
        while True:
            async with db.transaction() as conn:
                done, after = await _reseal_batch(
                    conn, cipher, table, columns, key, after, batch_size, only_unsealed, report
                )
            if done:
                break
            if pause_s:
                await asyncio.sleep(pause_s)
    report.remaining = await count_stale(db, only_unsealed=only_unsealed)
    return report


# What the walk goes by on PostgreSQL, which has no rowid: each table's primary key (``id``
# where not named here).
WALK_KEYS: dict[str, tuple[str, ...]] = {
    "users": ("user_id",),
    "drafts": ("user_id",),
    "pending_inputs": ("user_id",),
    "intake_requests": ("client", "idempotency_key"),
}


async def count_stale(db: Database, *, only_unsealed: bool = False) -> int:
    """How many rows still hold a value not sealed under the current key (or not at all)."""
    cipher = db.cipher
    total = 0
    for table, columns in SEALED_COLUMNS.items():
        if not await table_exists(db, table):
            continue
        condition, params = _stale_condition(cipher, table, columns, only_unsealed)
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table} WHERE {condition}", params)
        total += int(row["n"]) if row else 0
    return total + await _unclassified(db)


async def classify_applicants(db: Database, *, batch_size: int = DEFAULT_BATCH) -> int:
    """Decide for the applications written before it was recorded whether the applicant is a
    person (storage/sealing/personal.py), so that the walk seals their name and site address.

    The credit code it goes by is sealed, so this is done here, with the key, rather than
    in the migration that added the column.
    """
    decided = 0
    while True:
        async with db.transaction() as conn:
            rows = await fetch_all(
                conn,
                "SELECT id, uscc, usage_category FROM applications "
                "WHERE personal_applicant IS NULL ORDER BY id LIMIT ?",
                (batch_size,),
            )
            for row in rows:
                personal = is_personal_applicant(row["uscc"], row["usage_category"])
                await run(
                    conn,
                    "UPDATE applications SET personal_applicant = ? WHERE id = ?",
                    (int(personal), row["id"]),
                )
        decided += len(rows)
        if len(rows) < batch_size:
            return decided


async def _unclassified(db: Database) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) AS n FROM applications WHERE personal_applicant IS NULL"
    )
    return int(row["n"]) if row else 0


async def _reseal_batch(
    conn: aiosqlite.Connection,
    cipher: FieldCipher,
    table: str,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    after: tuple[object, ...] | None,
    batch_size: int,
    only_unsealed: bool,
    report: ResealReport,
) -> tuple[bool, tuple[object, ...] | None]:
    condition, params = _stale_condition(cipher, table, columns, only_unsealed)
    # Aliased, so that the row factory hands us the stored text rather than opening it.
    raw = ", ".join(
        f"{c} AS raw_{i}, {SEALED_WHEN.get((table, c), '1 = 1')} AS due_{i}"
        for i, c in enumerate(columns)
    )
    keys = ", ".join(f"{k} AS key_{i}" for i, k in enumerate(key))
    walked = (
        f"({', '.join(key)}) > ({', '.join('?' for _ in key)})"
        if len(key) > 1
        else (f"{key[0]} > ?")
    )
    rows = await fetch_all(
        conn,
        f"SELECT {keys}, {raw} FROM {table} "
        f"WHERE {'1 = 1' if after is None else walked} AND ({condition}) "
        f"ORDER BY {', '.join(key)} LIMIT ?",
        (*(after or ()), *params, batch_size),
    )
    for row in rows:
        assignments: list[str] = []
        values: list[object] = []
        for i, column in enumerate(columns):
            stored = row[f"raw_{i}"]
            if stored is None or not row[f"due_{i}"]:
                continue
            if not _needs_work(cipher, table, column, stored, only_unsealed):
                continue
            plain = open_value(cipher, stored)
            assignments.append(f"{column} = ?")
            values.append(seal_value(cipher, plain, as_json=(table, column) in JSON_COLUMNS))
            hash_column = LOOKUP_COLUMNS.get((table, column))
            if hash_column is not None:
                assignments.append(f"{hash_column} = ?")
                values.append(cipher.lookup_hash(plain))
            counted = f"{table}.{column}"
            report.resealed[counted] = report.resealed.get(counted, 0) + 1
        if assignments:
            await run(
                conn,
                f"UPDATE {table} SET {', '.join(assignments)} "
                f"WHERE {' AND '.join(f'{k} = ?' for k in key)}",
                (*values, *(row[f"key_{i}"] for i in range(len(key)))),
            )
    last = tuple(rows[-1][f"key_{i}"] for i in range(len(key))) if rows else after
    return len(rows) < batch_size, last


def _done_prefix(cipher: FieldCipher | None, table: str, column: str, only_unsealed: bool) -> str:
    """What a stored value that needs no work starts with."""
    if only_unsealed or cipher is None:
        prefix = SEALED_PREFIX
    else:
        prefix = f"{SEALED_PREFIX}{cipher.current.key_id}:"
    return '"' + prefix if (table, column) in JSON_COLUMNS else prefix


def _needs_work(
    cipher: FieldCipher, table: str, column: str, stored: str, only_unsealed: bool
) -> bool:
    return not stored.startswith(_done_prefix(cipher, table, column, only_unsealed))


def _stale_condition(
    cipher: FieldCipher | None, table: str, columns: tuple[str, ...], only_unsealed: bool
) -> tuple[str, list[object]]:
    parts: list[str] = []
    params: list[object] = []
    for column in columns:
        prefix = _done_prefix(cipher, table, column, only_unsealed)
        when = SEALED_WHEN.get((table, column), "1 = 1")
        parts.append(f"({when} AND {column} IS NOT NULL AND substr({column}, 1, ?) != ?)")
        params.extend((len(prefix), prefix))
    return " OR ".join(parts), params


async def checkpoint(db: Database) -> None:
    """Fold the WAL into the database file and empty it, so that values just re-sealed do
    not linger there in their old form.

    Nothing to do on PostgreSQL: its WAL is the server's, recycled by the server, and no
    statement of a client empties it.
    """
    if db.dialect == "postgresql":
        return
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = [
    "DEFAULT_BATCH",
    "NoCipher",
    "ResealReport",
    "checkpoint",
    "classify_applicants",
    "count_stale",
    "reseal",
]
