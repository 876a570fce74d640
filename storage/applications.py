"""Submitted applications and what hangs off them: documents, debts and stage visits.

Submitting is the one moment a draft becomes an application, so it happens in a single
transaction: the number is drawn, the draft's files and promises move over, the first
stage's clock starts, the event is written and the draft disappears, all or nothing. A
second press of Submit finds no draft and raises :class:`~storage.errors.DraftMissing`
instead of filing a duplicate.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import aiosqlite

from process.numbers import format_application_number
from process.stages import Stage
from storage.codec import date_to_db, plain, time_to_db
from storage.db import Database, fetch_all, fetch_one, in_thread, insert, run
from storage.drafts import load_draft
from storage.errors import DraftMissing
from storage.events import append_event
from storage.models import (
    Application,
    Document,
    NewApplication,
    OwedItem,
    PauseRow,
    StageVisit,
)
from storage.rows import (
    APPLICATION_COLUMNS,
    DOCUMENT_COLUMNS,
    OWED_ITEM_COLUMNS,
    PAUSE_COLUMNS,
    STAGE_VISIT_COLUMNS,
    application_from_row,
    document_from_row,
    owed_item_from_row,
    pause_from_row,
    stage_visit_from_row,
)
from storage.sealing.personal import is_personal_applicant, must_seal

# The look-ups the bot runs on every update; tests check that each one uses an index.
BY_ID_SQL = f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?"
BY_NUMBER_SQL = f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE number = ?"
FOR_CUSTOMER_SQL = (
    f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE customer_id = ? ORDER BY id DESC"
)
BY_STATUS_SQL = f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE status = ? ORDER BY id"
BY_STATUS_STAGE_SQL = (
    f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE status = ? AND stage = ? ORDER BY id"
)
OPEN_VISIT_SQL = (
    f"SELECT {STAGE_VISIT_COLUMNS} FROM stage_visits "
    "WHERE application_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1"
)

DOCUMENTS_SQL = f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE application_id = ? ORDER BY id"
OWED_ITEMS_SQL = f"SELECT {OWED_ITEM_COLUMNS} FROM owed_items WHERE application_id = ? ORDER BY id"
OPEN_OWED_ITEMS_SQL = (
    f"SELECT {OWED_ITEM_COLUMNS} FROM owed_items "
    "WHERE application_id = ? AND resolved_at IS NULL ORDER BY id"
)

OWED_DOCUMENT_PREFIX = "document:"


class ApplicationsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, application_id: int) -> Application | None:
        row = await self._db.fetchone(BY_ID_SQL, (application_id,))
        return None if row is None else application_from_row(row)

    async def get_by_number(self, number: str) -> Application | None:
        row = await self._db.fetchone(BY_NUMBER_SQL, (number,))
        return None if row is None else application_from_row(row)

    async def list_for_customer(self, customer_id: int) -> list[Application]:
        """The customer's applications, newest first."""
        rows = await self._db.fetchall(FOR_CUSTOMER_SQL, (customer_id,))
        return [application_from_row(row) for row in rows]

    async def list_by_status(self, status: str, stage: str | None = None) -> list[Application]:
        """Applications with ``status`` (optionally only in ``stage``), oldest first."""
        if stage is None:
            rows = await self._db.fetchall(BY_STATUS_SQL, (plain(status),))
        else:
            rows = await self._db.fetchall(BY_STATUS_STAGE_SQL, (plain(status), plain(stage)))
        return [application_from_row(row) for row in rows]

    async def documents(self, application_id: int) -> list[Document]:
        rows = await self._db.fetchall(DOCUMENTS_SQL, (application_id,))
        return [document_from_row(row) for row in rows]

    async def owed_items(self, application_id: int, *, open_only: bool = True) -> list[OwedItem]:
        """What the customer still owes (or, with ``open_only=False``, ever owed)."""
        rows = await self._db.fetchall(
            OPEN_OWED_ITEMS_SQL if open_only else OWED_ITEMS_SQL, (application_id,)
        )
        return [owed_item_from_row(row) for row in rows]

    async def stage_visits(self, application_id: int) -> list[StageVisit]:
        """Every stay in a stage, oldest first, each with its clock pauses."""
        async with self._db.snapshot() as connection:
            visits = await fetch_all(
                connection,
                f"SELECT {STAGE_VISIT_COLUMNS} FROM stage_visits "
                "WHERE application_id = ? ORDER BY id",
                (application_id,),
            )
            pauses = await pauses_by_visit(connection, [row["id"] for row in visits])
        return [stage_visit_from_row(row, pauses[row["id"]]) for row in visits]

    async def current_visit(self, application_id: int) -> StageVisit | None:
        """The open stage visit, i.e. the stage whose clock is running (or paused)."""
        return await self._db.in_one_trip(lambda db: open_visit_in(db, application_id), write=False)


async def file_draft(
    connection: aiosqlite.Connection,
    *,
    customer_id: int,
    year: int,
    application: NewApplication,
    now: datetime,
    accept_limit_days: int,
    plan_due: date,
    plan_due_provisional: bool,
) -> Application:
    """Inside the caller's transaction, turn the customer's draft into application number
    ``HV-<year>-<seq>``; raises :class:`~storage.errors.DraftMissing` when there is none.

    The caller's transaction is the submission's (see :mod:`services.submission`): what
    follows from it (assignment, alerts in the outbox) commits with it or not at all.
    """
    if accept_limit_days < 0:
        raise ValueError("accept_limit_days cannot be negative")
    stamp = time_to_db(now)
    draft = await load_draft(connection, customer_id)
    if draft is None:
        raise DraftMissing(customer_id)
    number = format_application_number(year, await _next_sequence(connection, year))
    application_id = await _insert_application(
        connection,
        number=number,
        customer_id=customer_id,
        application=application,
        stamp=stamp,
        plan_due=plan_due,
        plan_due_provisional=plan_due_provisional,
    )
    await run(
        connection,
        """
        INSERT INTO documents (application_id, kind, file_id, file_unique_id,
                               file_name, mime_type, file_size, uploaded_by,
                               uploaded_at, sent_as)
        SELECT ?, kind, file_id, file_unique_id, file_name, mime_type, file_size,
               user_id, uploaded_at, sent_as
        FROM draft_documents WHERE user_id = ? ORDER BY id
        """,
        (application_id, customer_id),
    )
    for kind in sorted(draft.deferred):
        await run(
            connection,
            "INSERT INTO owed_items (application_id, kind, created_at) VALUES (?, ?, ?)",
            (application_id, OWED_DOCUMENT_PREFIX + kind, stamp),
        )
    await run(
        connection,
        """
        INSERT INTO stage_visits (application_id, stage, limit_days, started_at)
        VALUES (?, ?, ?, ?)
        """,
        (application_id, Stage.ACCEPT.value, accept_limit_days, stamp),
    )
    await append_event(
        connection,
        application_id=application_id,
        actor_id=customer_id,
        actor_role="customer",
        kind="submitted",
        now=now,
        data={
            "number": number,
            "documents": len(draft.documents),
            "deferred": sorted(draft.deferred),
        },
    )
    await run(connection, "DELETE FROM drafts WHERE user_id = ?", (customer_id,))
    filed = await application_in(connection, application_id)
    assert filed is not None  # inserted just above
    return filed


async def application_in(
    connection: aiosqlite.Connection, application_id: int
) -> Application | None:
    """An application read inside the caller's transaction."""
    row = await fetch_one(connection, BY_ID_SQL, (application_id,))
    return None if row is None else application_from_row(row)


async def _next_sequence(connection: aiosqlite.Connection, year: int) -> int:
    row = await fetch_one(
        connection,
        """
        INSERT INTO application_counters (year, last_seq) VALUES (?, 1)
        ON CONFLICT (year) DO UPDATE SET last_seq = application_counters.last_seq + 1
        RETURNING last_seq
        """,
        (year,),
    )
    assert row is not None  # RETURNING always yields the row it wrote
    return int(row["last_seq"])


async def _insert_application(
    connection: aiosqlite.Connection,
    *,
    number: str,
    customer_id: int,
    application: NewApplication,
    stamp: str,
    plan_due: date,
    plan_due_provisional: bool,
) -> int:
    a = application
    # Personal data is sealed by the connection (storage.sealing.columns); ?4 (uscc) and ?16 (the
    # mobile) are bound once and used again for their look-up hashes. A person's name and
    # site address (storage/sealing/personal.py) are sealed too, the name with its hash for /find.
    personal = is_personal_applicant(a.uscc, plain(a.usage_category))
    seal_name = must_seal(personal, a.applicant_name)
    seal_site = must_seal(personal, a.site_address)
    return await insert(
        connection,
        f"""
        INSERT INTO applications (
            number, customer_id, applicant_name, uscc, project_name, site_address, district,
            usage_category, voltage_kv, capacity_kva, supply_mode, important_load, grid_works,
            wanted_date, contact_name, contact_mobile, stage, status, plan_due_date,
            plan_due_provisional, submitted_at, updated_at, contact_mobile_hash, uscc_hash,
            personal_applicant, applicant_name_hash)
        VALUES (?, ?, {_sealed_if(seal_name, 3)}, hv_seal(?4), ?, {_sealed_if(seal_site, 6)},
                ?, ?, ?, ?, ?, ?, ?, ?, hv_seal(?15), hv_seal(?16),
                ?, 'active', ?, ?, ?, ?, hv_lookup(?16), hv_lookup(?4),
                {int(personal)}, {"hv_lookup(?3)" if seal_name else "NULL"})
        """,
        (
            number,
            customer_id,
            a.applicant_name,
            a.uscc,
            a.project_name,
            a.site_address,
            a.district,
            plain(a.usage_category),
            a.voltage_kv,
            a.capacity_kva,
            plain(a.supply_mode),
            int(a.important_load),
            plain(a.grid_works),
            date_to_db(a.wanted_date),
            a.contact_name,
            a.contact_mobile,
            Stage.ACCEPT.value,
            date_to_db(plan_due),
            int(plan_due_provisional),
            stamp,
            stamp,
        ),
    )


def _sealed_if(sealed: bool, parameter: int) -> str:
    """The SQL that stores parameter ``?N`` sealed or as it is."""
    return f"hv_seal(?{parameter})" if sealed else f"?{parameter}"


async def pauses_by_visit(
    connection: aiosqlite.Connection, visit_ids: list[int]
) -> defaultdict[int, list[PauseRow]]:
    """The clock pauses of each of ``visit_ids``, oldest first (an empty list for none)."""
    return await in_thread(connection, lambda db: pauses_of_visits(db, visit_ids))


def open_visit_in(db: sqlite3.Connection, application_id: int) -> StageVisit | None:
    """:meth:`ApplicationsRepo.current_visit` on the database's thread, with its pauses."""
    row = db.execute(OPEN_VISIT_SQL, (application_id,)).fetchone()
    if row is None:
        return None
    return stage_visit_from_row(row, pauses_of_visits(db, [row["id"]])[row["id"]])


def pauses_of_visits(
    db: sqlite3.Connection, visit_ids: Sequence[int]
) -> defaultdict[int, list[PauseRow]]:
    """:func:`pauses_by_visit` on SQLite's own thread, for reads made there in one trip."""
    grouped: defaultdict[int, list[PauseRow]] = defaultdict(list)
    if not visit_ids:
        return grouped
    placeholders = ", ".join("?" * len(visit_ids))
    rows = db.execute(
        f"SELECT {PAUSE_COLUMNS} FROM clock_pauses "
        f"WHERE stage_visit_id IN ({placeholders}) ORDER BY id",
        tuple(visit_ids),
    ).fetchall()
    for row in rows:
        grouped[row["stage_visit_id"]].append(pause_from_row(row))
    return grouped
