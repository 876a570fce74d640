"""Moving an application from one step to the next, in one transaction with its history.

The caller names the version of the application it saw; if anyone changed it since, the
update matches no row and :class:`StaleVersion` is raised, so of two concurrent presses
exactly one applies. Stage visits and clock pauses follow from the steps: entering the
customer's turn stops the stage clock, leaving it starts the clock again, and entering a new
stage closes the old visit and opens the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from process.stages import Stage
from process.workflow import STEP_STAGE, Step, clock_paused
from storage.applications import BY_ID_SQL, BY_NUMBER_SQL
from storage.codec import date_to_db, json_from_db, json_to_db, time_to_db
from storage.db import Database, fetch_all, fetch_one, insert, run
from storage.errors import StorageError
from storage.events import append_event
from storage.models import Application, Document
from storage.notes import store_note
from storage.rows import (
    APPLICATION_COLUMNS,
    DOCUMENT_COLUMNS,
    application_from_row,
    document_from_row,
)
from storage.slots import (
    LATEST_SLOTS_SQL,
    SurveySlot,
    add_slots,
    choose_slot,
    latest_slots,
    slot_from_row,
)

__all__ = ["SurveySlot", "add_slots", "choose_slot", "latest_slots"]  # where callers found them


class StaleVersion(StorageError):
    """The application changed since the card or button was made."""


@dataclass(frozen=True, slots=True)
class PendingInput:
    user_id: int
    application_id: int
    action: str
    version: int
    data: dict[str, Any]


async def transition(
    connection: aiosqlite.Connection,
    *,
    application_id: int,
    expected_version: int,
    action: str,
    target: Step,
    actor_id: int,
    actor_role: str,
    now: datetime,
    next_limit_days: int,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Application:
    """Move to ``target`` if the application is still at ``expected_version``.

    ``next_limit_days`` is the limit of the target's stage, used when the stage changes.
    """
    row = await fetch_one(
        connection,
        f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?",
        (application_id,),
    )
    if row is None or row["version"] != expected_version:
        raise StaleVersion(application_id)
    before = Step(row["step"])
    stamp = time_to_db(now)
    new_stage = STEP_STAGE[target]
    changed = await run(
        connection,
        """
        UPDATE applications SET step = ?, stage = ?, status = ?, version = version + 1,
                                updated_at = ?
        WHERE id = ? AND version = ?
        """,
        (
            target.value,
            new_stage.value,
            "done" if target is Step.DONE else "active",
            stamp,
            application_id,
            expected_version,
        ),
    )
    if changed != 1:
        raise StaleVersion(application_id)
    await _move_clock(connection, application_id, before, target, next_limit_days, stamp)
    await append_event(
        connection,
        application_id=application_id,
        actor_id=actor_id,
        actor_role=actor_role,
        kind=action,
        now=now,
        note=note,
        data={"from": before.value, "to": target.value, **(data or {})},
    )
    updated = await fetch_one(
        connection,
        f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?",
        (application_id,),
    )
    assert updated is not None
    return application_from_row(updated)


async def _move_clock(
    connection: aiosqlite.Connection,
    application_id: int,
    before: Step,
    after: Step,
    next_limit_days: int,
    stamp: str,
) -> None:
    visit = await fetch_one(
        connection,
        "SELECT id FROM stage_visits WHERE application_id = ? AND ended_at IS NULL",
        (application_id,),
    )
    if STEP_STAGE[before] is not STEP_STAGE[after]:
        if visit is not None:
            await _end_pause(connection, visit["id"], stamp)
            await run(
                connection,
                "UPDATE stage_visits SET ended_at = ? WHERE id = ?",
                (stamp, visit["id"]),
            )
        if STEP_STAGE[after] is Stage.DONE:
            return
        visit_id = await insert(
            connection,
            "INSERT INTO stage_visits (application_id, stage, limit_days, started_at) "
            "VALUES (?, ?, ?, ?)",
            (application_id, STEP_STAGE[after].value, next_limit_days, stamp),
        )
        if clock_paused(after):
            await _start_pause(connection, visit_id, after, stamp)
        return
    if visit is None:
        return
    if clock_paused(after) and not clock_paused(before):
        await _start_pause(connection, visit["id"], after, stamp)
    elif clock_paused(before) and not clock_paused(after):
        await _end_pause(connection, visit["id"], stamp)


async def _start_pause(
    connection: aiosqlite.Connection, visit_id: int, step: Step, stamp: str
) -> None:
    await run(
        connection,
        "INSERT INTO clock_pauses (stage_visit_id, reason, started_at) VALUES (?, ?, ?)",
        (visit_id, step.value, stamp),
    )


async def _end_pause(connection: aiosqlite.Connection, visit_id: int, stamp: str) -> None:
    await run(
        connection,
        "UPDATE clock_pauses SET ended_at = ? WHERE stage_visit_id = ? AND ended_at IS NULL",
        (stamp, visit_id),
    )


class WorkflowRepo:
    """Reads and small writes around the workflow: slots, pending inputs, documents."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def slots(self, application_id: int) -> list[SurveySlot]:
        """The survey times of the latest round of proposals."""
        rows = await self._db.fetchall(LATEST_SLOTS_SQL, (application_id, application_id))
        return [slot_from_row(r) for r in rows]

    async def update_pending_data(self, user_id: int, data: Mapping[str, Any]) -> None:
        await self._db.execute(
            # Sealed: it holds the names of the files a customer is sending.
            "UPDATE pending_inputs SET data = hv_seal_json(?) WHERE user_id = ?",
            (json_to_db(dict(data)), user_id),
        )

    async def pending(self, user_id: int) -> PendingInput | None:
        row = await self._db.fetchone(
            "SELECT user_id, application_id, action, version, data FROM pending_inputs "
            "WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return PendingInput(
            row["user_id"],
            row["application_id"],
            row["action"],
            row["version"],
            json_from_db(row["data"]),
        )


async def set_pending(
    connection: aiosqlite.Connection,
    *,
    user_id: int,
    application_id: int,
    action: str,
    version: int,
    now: datetime,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Remember what ``user_id`` is asked to type or send next (one thing at a time)."""
    await run(
        connection,
        """
        INSERT INTO pending_inputs (user_id, application_id, action, version, data,
                                    created_at)
        VALUES (?, ?, ?, ?, hv_seal_json(?), ?)
        ON CONFLICT (user_id) DO UPDATE SET application_id = excluded.application_id,
            action = excluded.action, version = excluded.version, data = excluded.data,
            created_at = excluded.created_at
        """,
        (user_id, application_id, action, version, json_to_db(dict(data or {})), time_to_db(now)),
    )


async def clear_pending(connection: aiosqlite.Connection, user_id: int) -> None:
    await run(connection, "DELETE FROM pending_inputs WHERE user_id = ?", (user_id,))


async def application_in(
    connection: aiosqlite.Connection, application_id: int
) -> Application | None:
    """The application read inside an open transaction."""
    row = await fetch_one(connection, BY_ID_SQL, (application_id,))
    return None if row is None else application_from_row(row)


async def application_numbered(connection: aiosqlite.Connection, number: str) -> Application | None:
    row = await fetch_one(connection, BY_NUMBER_SQL, (number,))
    return None if row is None else application_from_row(row)


async def documents_in(connection: aiosqlite.Connection, application_id: int) -> list[Document]:
    rows = await fetch_all(
        connection,
        f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE application_id = ? ORDER BY id",
        (application_id,),
    )
    return [document_from_row(row) for row in rows]


async def add_document(
    connection: aiosqlite.Connection,
    *,
    application_id: int,
    kind: str,
    file_id: str,
    file_unique_id: str | None,
    file_name: str | None,
    mime_type: str | None,
    file_size: int | None,
    caption: str | None,
    uploaded_by: int,
    now: datetime,
    sent_as: str = "document",
) -> int:
    return await insert(
        connection,
        """
        INSERT INTO documents (application_id, kind, file_id, file_unique_id, file_name,
                               mime_type, file_size, caption, uploaded_by, uploaded_at,
                               sent_as)
        VALUES (?, ?, ?, ?, hv_seal(?), ?, ?, hv_seal(?), ?, ?, ?)
        """,
        (
            application_id,
            kind,
            file_id,
            file_unique_id,
            file_name,
            mime_type,
            file_size,
            caption,
            uploaded_by,
            time_to_db(now),
            sent_as,
        ),
    )


async def resolve_owed(
    connection: aiosqlite.Connection, application_id: int, kind: str, now: datetime
) -> int:
    return await run(
        connection,
        "UPDATE owed_items SET resolved_at = ? "
        "WHERE application_id = ? AND kind = ? AND resolved_at IS NULL",
        (time_to_db(now), application_id, kind),
    )


async def add_owed(
    connection: aiosqlite.Connection,
    application_id: int,
    kind: str,
    detail: str | None,
    now: datetime,
) -> None:
    """Open an owed item; its detail is a sealed note, shared with the action's event."""
    note_id = await store_note(connection, application_id, detail, now)
    await run(
        connection,
        "INSERT INTO owed_items (application_id, kind, note_id, created_at) VALUES (?, ?, ?, ?)",
        (application_id, kind, note_id, time_to_db(now)),
    )


async def set_energize_date(
    connection: aiosqlite.Connection, application_id: int, day: date
) -> None:
    await run(
        connection,
        "UPDATE applications SET energize_date = ? WHERE id = ?",
        (date_to_db(day), application_id),
    )


async def open_documents(
    connection: aiosqlite.Connection, application_id: int, kinds: Sequence[str]
) -> list[aiosqlite.Row]:
    marks = ",".join("?" for _ in kinds)
    return await fetch_all(
        connection,
        f"SELECT kind FROM documents WHERE application_id = ? AND kind IN ({marks})",
        (application_id, *kinds),
    )


HOLDER_COLUMNS = {
    "customer_manager": "customer_manager_id",
    "project_manager": "project_manager_id",
}


async def set_holder(
    connection: aiosqlite.Connection,
    *,
    application_id: int,
    expected_version: int,
    role: str,
    user_id: int | None,
    now: datetime,
) -> Application:
    """Give the application to another manager, if nobody changed it meanwhile."""
    column = HOLDER_COLUMNS[role]
    changed = await run(
        connection,
        f"UPDATE applications SET {column} = ?, version = version + 1, updated_at = ? "
        "WHERE id = ? AND version = ?",
        (user_id, time_to_db(now), application_id, expected_version),
    )
    if changed != 1:
        raise StaleVersion(application_id)
    row = await fetch_one(
        connection,
        f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?",
        (application_id,),
    )
    assert row is not None
    return application_from_row(row)
