"""Turning table rows into :mod:`storage.models` records, for the tables several modules read.

A table read by one repository keeps its mapper beside that repository instead (the
outbox, the staff, the survey, the threads).

Each ``*_COLUMNS`` string lists the columns its mapper reads, so queries and mappers cannot
drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite

from storage.codec import (
    date_from_db,
    json_from_db,
    optional_date_from_db,
    optional_time_from_db,
    time_from_db,
)
from storage.models import (
    Application,
    Document,
    DraftDocument,
    Event,
    OwedItem,
    PauseRow,
    StageVisit,
    User,
)
from storage.notes import EVENT_NOTE_SQL, OWED_NOTE_SQL

USER_COLUMNS = (
    "user_id, chat_id, first_name, username, locale, locale_chosen, phone, phone_verified, "
    "unreachable_at, created_at, updated_at"
)


def user_from_row(row: aiosqlite.Row) -> User:
    return User(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        first_name=row["first_name"],
        username=row["username"],
        locale=row["locale"],
        locale_chosen=bool(row["locale_chosen"]),
        phone=row["phone"],
        phone_verified=bool(row["phone_verified"]),
        unreachable_at=optional_time_from_db(row["unreachable_at"]),
        created_at=time_from_db(row["created_at"]),
        updated_at=time_from_db(row["updated_at"]),
    )


DRAFT_DOCUMENT_COLUMNS = (
    "id, kind, file_id, file_unique_id, file_name, mime_type, file_size, uploaded_at, sent_as"
)


def draft_document_from_row(row: aiosqlite.Row) -> DraftDocument:
    return DraftDocument(
        id=row["id"],
        kind=row["kind"],
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        file_name=row["file_name"],
        mime_type=row["mime_type"],
        file_size=row["file_size"],
        uploaded_at=time_from_db(row["uploaded_at"]),
        sent_as=row["sent_as"],
    )


APPLICATION_COLUMNS = (
    "id, number, customer_id, applicant_name, uscc, project_name, site_address, district, "
    "usage_category, voltage_kv, capacity_kva, supply_mode, important_load, grid_works, "
    "wanted_date, contact_name, contact_mobile, stage, status, version, customer_manager_id, "
    "project_manager_id, plan_due_date, plan_due_provisional, submitted_at, updated_at, "
    "step, energize_date"
)


def application_from_row(row: aiosqlite.Row) -> Application:
    return Application(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        applicant_name=row["applicant_name"],
        uscc=row["uscc"],
        project_name=row["project_name"],
        site_address=row["site_address"],
        district=row["district"],
        usage_category=row["usage_category"],
        voltage_kv=row["voltage_kv"],
        capacity_kva=row["capacity_kva"],
        supply_mode=row["supply_mode"],
        important_load=bool(row["important_load"]),
        grid_works=row["grid_works"],
        wanted_date=date_from_db(row["wanted_date"]),
        contact_name=row["contact_name"],
        contact_mobile=row["contact_mobile"],
        stage=row["stage"],
        status=row["status"],
        version=row["version"],
        customer_manager_id=row["customer_manager_id"],
        project_manager_id=row["project_manager_id"],
        plan_due_date=optional_date_from_db(row["plan_due_date"]),
        plan_due_provisional=bool(row["plan_due_provisional"]),
        submitted_at=time_from_db(row["submitted_at"]),
        updated_at=time_from_db(row["updated_at"]),
        step=row["step"],
        energize_date=optional_date_from_db(row["energize_date"]),
    )


DOCUMENT_COLUMNS = (
    "id, application_id, kind, file_id, file_unique_id, file_name, mime_type, file_size, "
    "caption, uploaded_by, uploaded_at, sent_as"
)


def document_from_row(row: aiosqlite.Row) -> Document:
    return Document(
        id=row["id"],
        application_id=row["application_id"],
        kind=row["kind"],
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        file_name=row["file_name"],
        mime_type=row["mime_type"],
        file_size=row["file_size"],
        caption=row["caption"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=time_from_db(row["uploaded_at"]),
        sent_as=row["sent_as"],
    )


# The detail (what is missing, as staff typed it) is a sealed note (storage/notes.py).
OWED_ITEM_COLUMNS = f"id, application_id, kind, {OWED_NOTE_SQL}, created_at, resolved_at"


def owed_item_from_row(row: aiosqlite.Row) -> OwedItem:
    return OwedItem(
        id=row["id"],
        application_id=row["application_id"],
        kind=row["kind"],
        detail=row["note"],
        created_at=time_from_db(row["created_at"]),
        resolved_at=optional_time_from_db(row["resolved_at"]),
    )


PAUSE_COLUMNS = "id, stage_visit_id, reason, started_at, ended_at"


def pause_from_row(row: aiosqlite.Row) -> PauseRow:
    return PauseRow(
        id=row["id"],
        reason=row["reason"],
        started_at=time_from_db(row["started_at"]),
        ended_at=optional_time_from_db(row["ended_at"]),
    )


STAGE_VISIT_COLUMNS = "id, application_id, stage, limit_days, started_at, ended_at"


def stage_visit_from_row(row: aiosqlite.Row, pauses: Iterable[PauseRow]) -> StageVisit:
    return StageVisit(
        id=row["id"],
        application_id=row["application_id"],
        stage=row["stage"],
        limit_days=row["limit_days"],
        started_at=time_from_db(row["started_at"]),
        ended_at=optional_time_from_db(row["ended_at"]),
        pauses=tuple(pauses),
    )


# Reads ``FROM events`` (unaliased); the note is a sealed row of its own (storage/notes.py).
EVENT_COLUMNS = (
    f"id, application_id, actor_id, actor_role, kind, {EVENT_NOTE_SQL}, data, created_at"
)


def event_from_row(row: aiosqlite.Row) -> Event:
    data: Any = None if row["data"] is None else json_from_db(row["data"])
    return Event(
        id=row["id"],
        application_id=row["application_id"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        kind=row["kind"],
        note=row["note"],
        data=data,
        created_at=time_from_db(row["created_at"]),
    )
