"""What the schema itself guarantees, whatever code writes to it."""

from __future__ import annotations

import sqlite3

import pytest

from storage.applications import (
    BY_NUMBER_SQL,
    BY_STATUS_STAGE_SQL,
    FOR_CUSTOMER_SQL,
    OPEN_VISIT_SQL,
)
from storage.db import Database
from storage.events import EventsRepo
from tests.storage.samples import NOW


async def _plan(db: Database, sql: str, params: tuple[object, ...]) -> str:
    rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
    return " | ".join(row["detail"] for row in rows)


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
@pytest.mark.parametrize(
    ("sql", "params", "index"),
    [
        (BY_NUMBER_SQL, ("HV-2026-000001",), "sqlite_autoindex_applications_1"),
        (BY_STATUS_STAGE_SQL, ("active", "accept"), "applications_by_status_stage"),
        (FOR_CUSTOMER_SQL, (1,), "applications_by_customer"),
        (OPEN_VISIT_SQL, (1,), "stage_visits_"),
    ],
)
async def test_per_update_lookups_use_an_index(
    db: Database, sql: str, params: tuple[object, ...], index: str
) -> None:
    plan = await _plan(db, sql, params)
    assert f"USING INDEX {index}" in plan
    assert "SCAN applications" not in plan
    assert "SCAN stage_visits" not in plan
    assert "TEMP B-TREE" not in plan  # the order comes from the index, not a sort


async def test_events_cannot_be_changed_or_removed(db: Database, customer: int) -> None:
    event_id = await EventsRepo(db).record(
        application_id=None, actor_id=customer, actor_role="customer", kind="hello", now=NOW
    )
    with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
        await db.execute("UPDATE events SET kind = 'forged' WHERE id = ?", (event_id,))
    with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
        await db.execute("DELETE FROM events WHERE id = ?", (event_id,))
    row = await db.fetchone("SELECT kind FROM events WHERE id = ?", (event_id,))
    assert row is not None and row["kind"] == "hello"


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await db.execute(
            "INSERT INTO drafts (user_id, created_at, updated_at) VALUES (404, 'x', 'x')"
        )


async def test_status_outside_the_known_values_is_refused(db: Database, customer: int) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await db.execute(
            """
            INSERT INTO applications (number, customer_id, stage, status, submitted_at,
                                      updated_at)
            VALUES ('HV-2026-000009', ?, 'accept', 'lost', 'x', 'x')
            """,
            (customer,),
        )
