"""The dates of a running stage's reminder points, and what has been told of them.

With 100,000 open applications and stage limits of three to ten working days, a working day
can bring tens of thousands of reminder points at once, all at the first run after
midnight. Recounting each stage clock in Python for that would take seconds, and so would
writing every row told. Instead, when the sweep looks at a running stage (because it
started, paused, resumed, changed hands or the calendar changed) it stores on the stage's
``reminder_watch`` row the dates of its points and what the reminders need from the
application (migrations 0010 and 0011); from then on, until the next change, the points
follow from comparing those dates with today:

* from the first working day after ``deadline_on`` the stage is overdue (told every
  working day), on it due: "overdue" as :func:`process.deadlines.is_overdue` defines it,
  compared in SQL as ``deadline_on < :late_before`` with the date
  :func:`process.deadlines.late_if_due_before` gives for the day (a working day is its own);
* on ``before_on`` one working day is left;
* from ``half_on`` on, half the limit is used.

:data:`PAST` marks a point already behind the stage when its dates were worked out.

What was told is not written row by row. The first run of each working day tells, in one
*day pass*, every row dated before that day; the day of the last pass is kept in
``reminder_meta`` (:data:`DAY_KEY`), so what a row was told is its point on that day. Rows
dated on the day itself (their stage changed) are told by the run that dated them and keep
their point in ``reminded``. Before a row is dated again, :func:`remember_told` copies the
point the last pass told into ``reminded``, so the new dates never repeat it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import aiosqlite

from storage.codec import date_to_db
from storage.db import fetch_all, fetch_one, run
from storage.reminders.watch import NEVER, meta_value, set_meta

PAST = "0001-01-01"
DAY_KEY = "stage_day"  # reminder_meta: the last working day whose day pass was done
# Stages in which the project manager acts too: design review, and the completion inspection.
PROJECT_STAGES = ("design", "contract")


# The parameter that says which due dates are overdue on the day asked about
# (:func:`process.deadlines.late_if_due_before`); see :func:`told_params`.
LATE_BEFORE = ":late_before"


def overdue_sql(due_column: str, late_before: str = LATE_BEFORE) -> str:
    """SQL: a stage due on ``due_column`` is overdue, as :func:`process.deadlines.is_overdue`
    says: from the first working day after its due date."""
    return f"{due_column} < {late_before}"


def point_at(day: str, late_before: str = LATE_BEFORE) -> str:
    """SQL: the most advanced point a row has reached on ``day`` (NULL: none), as
    process-side ``stage_point()`` says. ``late_before`` is ``day``'s overdue bound; a
    working day (the day of a day pass) is its own."""
    return f"""
    CASE WHEN {overdue_sql("deadline_on", late_before)} THEN 'overdue'
         WHEN {day} = deadline_on THEN 'due'
         WHEN {day} = before_on THEN 'day_before'
         WHEN {day} >= half_on THEN 'half' END"""


def mark_at(day: str, late_before: str = LATE_BEFORE) -> str:
    """SQL: that point with its threshold, as the reminder keys have always named it."""
    return f"""
    CASE WHEN {overdue_sql("deadline_on", late_before)} THEN 'overdue:' || {day}
         WHEN {day} = deadline_on THEN 'due:' || limit_days
         WHEN {day} = before_on THEN 'day_before:' || (limit_days - 1)
         WHEN {day} >= half_on THEN 'half:' || ((limit_days + 1) / 2) END"""


# A running stage, unchanged since its dates were stored.
DATED = "kind = 'stage' AND state = 'running' AND check_on != '' AND deadline_on IS NOT NULL"
# The point told last: the last day pass's, for rows it decided, else the row's own.
# (The last day pass was on a working day, its own overdue bound.)
TOLD_BEFORE = f"COALESCE(CASE WHEN dated_on < :last THEN {mark_at(':last', ':last')} END, reminded)"
# Rows dated today, not yet told (their check_on is today until they are).
TOLD_BY_RUN = "check_on <= :today AND dated_on = :today"
# Whom a row's reminder goes to: its customer manager; its project manager too in the
# stages where they act; the overseers of its district when nobody holds it.
PROJECT_PM = f"pm IS NOT NULL AND pm IS NOT cm AND stage IN {PROJECT_STAGES}"


# Today's point is not told yet. A row the last day pass decided was told its point on that
# day: today's differs unless both are "half", i.e. unless one working day is still left
# (today is before ``before_on``). Any other row compares with its own ``reminded``.
_UNTOLD = f"""
    CASE WHEN dated_on < :last AND half_on <= :last THEN :today >= before_on
         ELSE reminded IS NULL OR reminded != {mark_at(":today")} END"""


def told_today(*, whole_day: bool) -> str:
    """SQL condition: the rows with a point to tell today, not told yet (a point is reached
    from ``half_on`` on). ``whole_day``: this run does the day pass (rows dated before
    today) as well as the rows dated today."""
    which = f"(dated_on < :today OR {TOLD_BY_RUN})" if whole_day else TOLD_BY_RUN
    return f"{DATED} AND {which} AND half_on <= :today AND {_UNTOLD}"


@dataclass(frozen=True, slots=True)
class PointDates:
    """The dates a running stage reaches its points (``None``: already passed)."""

    half_on: date | None
    before_on: date | None
    deadline_on: date | None


@dataclass(frozen=True, slots=True)
class Holding:
    """What the reminders need from a stage's visit and application, as of the last look."""

    application_id: int
    district: str | None
    customer_manager_id: int | None
    project_manager_id: int | None
    stage: str
    limit_days: int


def _on(day: date | None) -> str:
    return PAST if day is None else date_to_db(day)


async def store_holdings(
    conn: aiosqlite.Connection, holdings: Sequence[tuple[int, Holding]]
) -> None:
    """Record, for stage rows just looked at, whose they are and in which district."""
    await conn.executemany(
        "UPDATE reminder_watch SET application_id = ?, district = ?, cm = ?, pm = ?, "
        "stage = ?, limit_days = ? WHERE kind = 'stage' AND subject_id = ?",
        [
            (
                h.application_id,
                h.district,
                h.customer_manager_id,
                h.project_manager_id,
                h.stage,
                h.limit_days,
                visit_id,
            )
            for visit_id, h in holdings
        ],
    )


async def store_points(
    conn: aiosqlite.Connection, dated: Sequence[tuple[int, PointDates]], today: date
) -> None:
    """Record the point dates of running stages looked at ``today``."""
    await conn.executemany(
        "UPDATE reminder_watch SET half_on = ?, before_on = ?, deadline_on = ?, dated_on = ? "
        "WHERE kind = 'stage' AND subject_id = ?",
        [
            (_on(d.half_on), _on(d.before_on), _on(d.deadline_on), date_to_db(today), visit_id)
            for visit_id, d in dated
        ],
    )


async def last_day_pass(conn: aiosqlite.Connection) -> date | None:
    value = await meta_value(conn, DAY_KEY)
    return None if value is None else date.fromisoformat(value)


def told_params(
    today: date, last: date | None, late_before: date | None = None
) -> dict[str, str | None]:
    """The parameters of the queries above. ``late_before`` is
    :func:`process.deadlines.late_if_due_before` of ``today``; a caller that only runs on
    working days may leave it out, a working day being its own."""
    return {
        "today": date_to_db(today),
        "last": None if last is None else date_to_db(last),
        "late_before": date_to_db(late_before or today),
    }


async def remember_told(
    conn: aiosqlite.Connection, visit_ids: Sequence[int], last: date | None
) -> None:
    """Before rows are dated again: keep in ``reminded`` the point the last day pass told
    them, which their old dates alone say."""
    if last is None or not visit_ids:
        return
    await run(
        conn,
        f"""UPDATE reminder_watch SET reminded = COALESCE({mark_at(":last", ":last")}, reminded)
             WHERE kind = 'stage' AND subject_id IN (SELECT value FROM json_each(:ids))
               AND deadline_on IS NOT NULL AND dated_on < :last""",
        {"last": date_to_db(last), "ids": json.dumps(list(visit_ids))},
    )


async def any_to_tell(conn: aiosqlite.Connection, today: date) -> bool:
    """Whether a row dated today still waits to be told (read through ``check_on``)."""
    row = await fetch_one(
        conn,
        f"SELECT 1 FROM reminder_watch WHERE {DATED} AND {TOLD_BY_RUN} LIMIT 1",
        {"today": date_to_db(today)},
    )
    return row is not None


async def mark_told(
    conn: aiosqlite.Connection, today: date, *, whole_day: bool, late_before: date | None = None
) -> None:
    """Record what this run told: each row dated today keeps its point; a day pass records
    its day, and rows dated earlier but never told (a run that stopped) are left to it.
    Points are told on working days, each its own overdue bound (``late_before``)."""
    params = {**told_params(today, None, late_before), "never": NEVER}
    await run(
        conn,
        f"UPDATE reminder_watch SET reminded = COALESCE({mark_at(':today')}, reminded), "
        f"check_on = :never WHERE {DATED} AND {TOLD_BY_RUN}",
        params,
    )
    if whole_day:
        await run(
            conn,
            f"UPDATE reminder_watch SET check_on = :never WHERE {DATED} AND check_on < :today",
            params,
        )
        await set_meta(conn, DAY_KEY, date_to_db(today))


async def told_marks(conn: aiosqlite.Connection) -> dict[int, str | None]:
    """The point each stage row was told last (``None``: none yet), for the operator and
    tests: what the day passes told is not written on the rows."""
    last = await last_day_pass(conn)
    rows = await fetch_all(
        conn,
        f"SELECT subject_id, {TOLD_BEFORE} AS told FROM reminder_watch WHERE kind = 'stage'",
        {"last": None if last is None else date_to_db(last)},
    )
    return {r["subject_id"]: r["told"] for r in rows}
