"""The records a reminder sweep needs for a batch of rows, each kind read in one query.

Everything is read inside the sweep's own transaction (the repositories would wait for the
lock it holds), through the same column lists and mappers as the repositories, so sealed
personal data comes back opened exactly as elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from process.roles import Role
from storage.codec import time_from_db
from storage.db import fetch_all
from storage.models import Application, OwedItem, PauseRow, StageVisit, User
from storage.reminders.watch import ids_placeholders
from storage.rows import (
    APPLICATION_COLUMNS,
    OWED_ITEM_COLUMNS,
    PAUSE_COLUMNS,
    STAGE_VISIT_COLUMNS,
    USER_COLUMNS,
    application_from_row,
    owed_item_from_row,
    pause_from_row,
    stage_visit_from_row,
    user_from_row,
)
from storage.staff.models import STAFF_COLUMNS, Staff, staff_from_row

_CHUNK = 500  # ids per IN list, well under SQLite's limit on parameters


@dataclass(frozen=True, slots=True)
class Activity:
    """The last thing that happened on an application, as its customer could see it."""

    last_event_id: int
    last_at: datetime  # the later of the last event and the last message to the customer


async def _by_ids(
    conn: aiosqlite.Connection, sql: str, ids: Sequence[int], first: tuple[object, ...] = ()
) -> list[aiosqlite.Row]:
    """Rows of ``sql`` (with ``{ids}`` where the IN list goes) for every id, in chunks;
    ``first`` are the parameters that come before the list."""
    unique = list(dict.fromkeys(ids))
    rows: list[aiosqlite.Row] = []
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        sql_text = sql.format(ids=ids_placeholders(chunk))
        rows.extend(await fetch_all(conn, sql_text, (*first, *chunk)))
    return rows


@dataclass(frozen=True, slots=True)
class PlainApplication:
    """An application's plain columns, what a sweep decides by (whose it is, where, whether
    still active), read without opening the sealed personal data a full record holds."""

    id: int
    customer_id: int
    district: str | None
    status: str
    customer_manager_id: int | None
    project_manager_id: int | None


async def plain_applications_by_id(
    conn: aiosqlite.Connection, ids: Sequence[int]
) -> dict[int, PlainApplication]:
    rows = await _by_ids(
        conn,
        "SELECT id, customer_id, district, status, customer_manager_id, project_manager_id "
        "FROM applications WHERE id IN ({ids})",
        ids,
    )
    return {
        r["id"]: PlainApplication(
            r["id"],
            r["customer_id"],
            r["district"],
            r["status"],
            r["customer_manager_id"],
            r["project_manager_id"],
        )
        for r in rows
    }


async def applications_by_id(
    conn: aiosqlite.Connection, ids: Sequence[int]
) -> dict[int, Application]:
    rows = await _by_ids(
        conn, f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id IN ({{ids}})", ids
    )
    return {row["id"]: application_from_row(row) for row in rows}


async def visits_by_id(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, StageVisit]:
    """Stage visits with their clock pauses."""
    rows = await _by_ids(
        conn, f"SELECT {STAGE_VISIT_COLUMNS} FROM stage_visits WHERE id IN ({{ids}})", ids
    )
    pauses: defaultdict[int, list[PauseRow]] = defaultdict(list)
    for row in await _by_ids(
        conn,
        f"SELECT {PAUSE_COLUMNS} FROM clock_pauses WHERE stage_visit_id IN ({{ids}}) ORDER BY id",
        ids,
    ):
        pauses[row["stage_visit_id"]].append(pause_from_row(row))
    return {row["id"]: stage_visit_from_row(row, pauses[row["id"]]) for row in rows}


async def users_by_id(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, User]:
    rows = await _by_ids(conn, f"SELECT {USER_COLUMNS} FROM users WHERE user_id IN ({{ids}})", ids)
    return {row["user_id"]: user_from_row(row) for row in rows}


async def staff_by_id(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, Staff]:
    rows = await _by_ids(conn, f"SELECT {STAFF_COLUMNS} FROM staff WHERE user_id IN ({{ids}})", ids)
    return {row["user_id"]: staff_from_row(row) for row in rows}


async def owed_items_by_id(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, OwedItem]:
    rows = await _by_ids(
        conn, f"SELECT {OWED_ITEM_COLUMNS} FROM owed_items WHERE id IN ({{ids}})", ids
    )
    return {row["id"]: owed_item_from_row(row) for row in rows}


async def open_owed_by_application(
    conn: aiosqlite.Connection, application_ids: Sequence[int]
) -> dict[int, list[OwedItem]]:
    rows = await _by_ids(
        conn,
        f"SELECT {OWED_ITEM_COLUMNS} FROM owed_items "
        "WHERE application_id IN ({ids}) AND resolved_at IS NULL ORDER BY id",
        application_ids,
    )
    found: defaultdict[int, list[OwedItem]] = defaultdict(list)
    for row in rows:
        found[row["application_id"]].append(owed_item_from_row(row))
    return dict(found)


async def supervisors(conn: aiosqlite.Connection) -> list[Staff]:
    """Every active supervisor, whatever their district."""
    rows = await fetch_all(
        conn,
        f"SELECT {STAFF_COLUMNS} FROM staff WHERE active = 1 AND role = ? ORDER BY user_id",
        (Role.SUPERVISOR.value,),
    )
    return [staff_from_row(row) for row in rows]


async def last_activity(
    conn: aiosqlite.Connection, applications: Sequence[Application | PlainApplication]
) -> dict[int, Activity]:
    """Per application: its last event, and when its customer last saw anything new."""
    rows = await _by_ids(
        conn,
        """
        SELECT x.application_id, e.id AS last_event_id, e.created_at AS event_at, x.message_at
          FROM (SELECT a.id AS application_id,
                       (SELECT MAX(id) FROM events WHERE application_id = a.id)
                           AS last_event_id,
                       (SELECT MAX(o.created_at) FROM outbox o
                         WHERE o.application_id = a.id AND o.user_id = a.customer_id)
                           AS message_at
                  FROM applications a WHERE a.id IN ({ids})) x
          JOIN events e ON e.id = x.last_event_id
        """,
        [app.id for app in applications],
    )
    found: dict[int, Activity] = {}
    for row in rows:
        moments = [time_from_db(row["event_at"])]
        if row["message_at"] is not None:
            moments.append(time_from_db(row["message_at"]))
        found[row["application_id"]] = Activity(row["last_event_id"], max(moments))
    return found


async def last_owed_reminders(
    conn: aiosqlite.Connection, item_ids: Sequence[int]
) -> dict[int, date]:
    """Per owed item, the date of its last reminder, read from the end of the key
    (``owed:<application>:<kind>:<date>``; ISO dates sort in time order). Items never
    reminded are left out."""
    rows = await _by_ids(
        conn,
        """
        SELECT i.id,
               (SELECT MAX(o.key) FROM outbox o
                 WHERE o.key >= 'owed:' || i.application_id || ':' || i.kind || ':'
                   AND o.key < 'owed:' || i.application_id || ':' || i.kind || ';') AS last
          FROM owed_items i WHERE i.id IN ({ids})
        """,
        item_ids,
    )
    return {r["id"]: date.fromisoformat(r["last"][-10:]) for r in rows if r["last"] is not None}


async def customers_reminded_of_owed(
    conn: aiosqlite.Connection, customer_ids: Sequence[int], day: date
) -> set[int]:
    """Which of these customers already have an owed-item reminder dated ``day``."""
    rows = await _by_ids(
        conn,
        "SELECT DISTINCT a.customer_id FROM applications a "
        "JOIN owed_items j ON j.application_id = a.id "
        "JOIN outbox o ON o.key = 'owed:' || j.application_id || ':' || j.kind || ':' || ? "
        "WHERE a.customer_id IN ({ids})",
        customer_ids,
        (day.isoformat(),),
    )
    return {row["customer_id"] for row in rows}


async def active_applications_of(conn: aiosqlite.Connection, customer_id: int) -> list[Application]:
    rows = await fetch_all(
        conn,
        f"SELECT {APPLICATION_COLUMNS} FROM applications "
        "WHERE customer_id = ? AND status = 'active' ORDER BY id",
        (customer_id,),
    )
    return [application_from_row(row) for row in rows]


@dataclass(frozen=True, slots=True)
class UnreachableHolding:
    """An open application whose customer has blocked the bot."""

    customer_id: int
    unreachable_at: datetime
    application_id: int
    customer_manager_id: int | None
    district: str | None


async def unreachable_holdings(conn: aiosqlite.Connection) -> list[UnreachableHolding]:
    """Open applications of customers marked unreachable, with who holds them.

    Run every minute, so the plan is fixed: the few marked users first (a partial index),
    then their applications; left to itself SQLite would read every active application.
    """
    rows = await fetch_all(
        conn,
        """
        SELECT u.user_id, u.unreachable_at, a.id AS application_id, a.customer_manager_id,
               a.district
          FROM users u INDEXED BY users_unreachable
         CROSS JOIN applications a INDEXED BY applications_by_customer
            ON a.customer_id = u.user_id AND a.status = 'active'
         WHERE u.unreachable_at IS NOT NULL
         ORDER BY u.user_id, a.id
        """,
    )
    return [
        UnreachableHolding(
            r["user_id"],
            time_from_db(r["unreachable_at"]),
            r["application_id"],
            r["customer_manager_id"],
            r["district"],
        )
        for r in rows
    ]


async def existing_keys(conn: aiosqlite.Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` are in the outbox already (so their messages need no rendering)."""
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = await fetch_all(
            conn, f"SELECT key FROM outbox WHERE key IN ({ids_placeholders(chunk)})", chunk
        )
        found.update(row["key"] for row in rows)
    return found
