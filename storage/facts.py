"""Facts about the database itself, remembered so that start-up stays quick as data grows.

Only what is expensive to recompute and cheap to invalidate belongs here. The one fact so
far is :data:`NOTHING_IN_CLEAR`: every sealed column holds sealed values only. Finding out
means reading every row of every table with personal data (over a second with 100,000
applications), so the bot does it once and records it; a connection opened without a key,
which may store values as given, forgets it (see :meth:`storage.db.Database.open`).
"""

from __future__ import annotations

from storage.db import NOTHING_IN_CLEAR, Database, fetch_one, run

__all__ = ["NOTHING_IN_CLEAR", "fact", "remember"]


async def fact(db: Database, name: str) -> str | None:
    """The recorded value of ``name``, or None when it is not (or no longer) known."""
    async with db.snapshot() as conn:
        row = await fetch_one(conn, "SELECT value FROM storage_facts WHERE name = ?", (name,))
    return None if row is None else str(row["value"])


async def remember(db: Database, name: str, value: str) -> None:
    async with db.transaction() as conn:
        await run(
            conn,
            "INSERT INTO storage_facts (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
