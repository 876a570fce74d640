"""The day's staff reminders, decided and marked set-wise in SQL.

With 100,000 open applications and stage limits of three to ten working days, a working day
can bring tens of thousands of reminder points at once, all at the first run after
midnight. Recounting each stage clock in Python for that would take seconds. Instead, when
the sweep looks at a running stage (because it started, paused, resumed or the calendar
changed) it stores the dates of its points in ``reminder_watch`` (migration 0010); from then
on, until the next change, the points follow from comparing those dates with today:

* on ``deadline_on`` the stage is due, after it overdue (every working day);
* on ``before_on`` one working day is left;
* from ``half_on`` on, half the limit is used.

:data:`PAST` marks a point already behind the stage when its dates were worked out. The
point told last is kept in ``reminded``, so none is told twice. Rows qualify only while
their stage runs and nothing changed since their dates were stored (the triggers of
migration 0005 reset ``check_on`` to ``''`` on any change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

from storage.codec import date_to_db
from storage.db import fetch_all, run

PAST = "0001-01-01"
# Stages in which the project manager acts too: design review, and the completion inspection.
PROJECT_STAGES = ("design", "contract")

# Which rows the dates decide for: running, unchanged since their dates were stored, to be
# looked at by today, of an open stage of an active application.
_QUALIFIES = """
    w.kind = 'stage' AND w.state = 'running' AND w.check_on != '' AND w.check_on <= :today
    AND w.deadline_on IS NOT NULL AND v.ended_at IS NULL AND a.status = 'active'
"""
# The most advanced point reached today (NULL: none), as process-side stage_point() says.
_POINT = """
    CASE WHEN :today > w.deadline_on THEN 'overdue'
         WHEN :today = w.deadline_on THEN 'due'
         WHEN :today = w.before_on THEN 'day_before'
         WHEN :today >= w.half_on THEN 'half' END
"""


def _mark_of(point: str, limit_days: str) -> str:
    """SQL for the point with its threshold, as the reminder keys have always named it."""
    return f"""
    CASE {point}
        WHEN 'overdue' THEN 'overdue:' || :today
        WHEN 'due' THEN 'due:' || {limit_days}
        WHEN 'day_before' THEN 'day_before:' || ({limit_days} - 1)
        WHEN 'half' THEN 'half:' || (({limit_days} + 1) / 2) END
"""


_MARK = _mark_of(_POINT, "v.limit_days")
# When to look again: the next point still ahead, or the next working day once overdue.
_NEXT = """
    CASE WHEN :today < w.half_on THEN w.half_on
         WHEN :today < w.before_on THEN w.before_on
         WHEN :today < w.deadline_on THEN w.deadline_on
         ELSE :next_workday END
"""
_URGENCY = "CASE point WHEN 'overdue' THEN 0 WHEN 'due' THEN 1 WHEN 'day_before' THEN 2 ELSE 3 END"

_DUE_TODAY = f"""
WITH pointed AS (
    SELECT w.subject_id AS visit_id, v.application_id, v.stage, v.limit_days, a.number,
           a.applicant_name, a.district, a.customer_manager_id AS cm,
           a.project_manager_id AS pm, w.due_on, w.reminded, {_POINT} AS point
      FROM reminder_watch w
      JOIN stage_visits v ON v.id = w.subject_id
      JOIN applications a ON a.id = v.application_id
     WHERE {_QUALIFIES}
),
marked AS (
    SELECT *, {_mark_of("point", "limit_days")} AS mark FROM pointed WHERE point IS NOT NULL
),
fresh AS (SELECT * FROM marked WHERE mark IS NOT reminded),
told AS (
    SELECT f.*, f.cm AS user_id, 'customer_manager' AS role FROM fresh f WHERE f.cm IS NOT NULL
    UNION ALL
    SELECT f.*, f.pm, 'project_manager' FROM fresh f
     WHERE f.pm IS NOT NULL AND f.pm IS NOT f.cm AND f.stage IN {PROJECT_STAGES}
    UNION ALL
    SELECT f.*, s.user_id, s.role FROM fresh f
      JOIN staff s ON s.active = 1
       AND (s.role = 'admin' OR (s.role = 'supervisor' AND (s.district IS NULL
                                                           OR s.district IS f.district)))
     WHERE f.cm IS NULL
)
SELECT * FROM (
    SELECT user_id, role, visit_id, application_id, stage, number, applicant_name, due_on,
           point, mark,
           ROW_NUMBER() OVER (PARTITION BY user_id
                              ORDER BY {_URGENCY}, due_on, application_id) AS place,
           COUNT(*) OVER (PARTITION BY user_id) AS total,
           COUNT(*) OVER (PARTITION BY user_id, point) AS of_point
      FROM told)
 WHERE place <= :lines
 ORDER BY user_id, place
"""

_MARK_TOLD = f"""
UPDATE reminder_watch AS w
   SET reminded = COALESCE({_MARK}, w.reminded), check_on = {_NEXT}
  FROM stage_visits v JOIN applications a ON a.id = v.application_id
 WHERE v.id = w.subject_id AND {_QUALIFIES}
"""

_POSTPONE = f"""
UPDATE reminder_watch AS w SET check_on = :next_workday
  FROM stage_visits v JOIN applications a ON a.id = v.application_id
 WHERE v.id = w.subject_id AND {_QUALIFIES}
"""

_FORGET_GONE = """
DELETE FROM reminder_watch
 WHERE kind = 'stage' AND check_on != '' AND check_on <= :today
   AND NOT EXISTS (
        SELECT 1 FROM stage_visits v JOIN applications a ON a.id = v.application_id
         WHERE v.id = reminder_watch.subject_id AND v.ended_at IS NULL AND a.status = 'active')
"""


@dataclass(frozen=True, slots=True)
class ToldLine:
    """One application a staff member is reminded of today (among the first few shown)."""

    user_id: int
    role: str
    visit_id: int
    application_id: int
    stage: str
    number: str
    applicant_name: str
    due_on: date | None
    point: str  # half | day_before | due | overdue
    mark: str  # the point with its threshold: 'half:5', 'overdue:2026-12-03'
    total: int  # how many this staff member is reminded of in this run
    of_point: int  # of which at this line's point


@dataclass(frozen=True, slots=True)
class PointDates:
    """The dates a running stage reaches its points (``None``: already passed)."""

    half_on: date | None
    before_on: date | None
    deadline_on: date | None


def _on(day: date | None) -> str:
    return PAST if day is None else date_to_db(day)


async def store_points(
    conn: aiosqlite.Connection, visit_ids_and_dates: list[tuple[int, PointDates]]
) -> None:
    """Record the point dates of running stages just looked at."""
    await conn.executemany(
        "UPDATE reminder_watch SET half_on = ?, before_on = ?, deadline_on = ? "
        "WHERE kind = 'stage' AND subject_id = ?",
        [
            (_on(d.half_on), _on(d.before_on), _on(d.deadline_on), visit_id)
            for visit_id, d in visit_ids_and_dates
        ],
    )


async def told_today(conn: aiosqlite.Connection, today: date, *, lines: int) -> list[ToldLine]:
    """Who is to be reminded of what today, the most urgent first: up to ``lines`` lines per
    staff member, each carrying the member's full count."""
    rows = await fetch_all(conn, _DUE_TODAY, {"today": date_to_db(today), "lines": lines})
    return [
        ToldLine(
            user_id=r["user_id"],
            role=r["role"],
            visit_id=r["visit_id"],
            application_id=r["application_id"],
            stage=r["stage"],
            number=r["number"],
            applicant_name=r["applicant_name"],
            due_on=None if r["due_on"] is None else date.fromisoformat(r["due_on"]),
            point=r["point"],
            mark=r["mark"],
            total=r["total"],
            of_point=r["of_point"],
        )
        for r in rows
    ]


async def mark_told(conn: aiosqlite.Connection, today: date, next_workday: date) -> int:
    """Record today's points as told and move each row to its next point; returns rows."""
    params = {"today": date_to_db(today), "next_workday": date_to_db(next_workday)}
    changed = await run(conn, _MARK_TOLD, params)
    await run(conn, _FORGET_GONE, {"today": date_to_db(today)})
    return changed


async def postpone_to(conn: aiosqlite.Connection, today: date, next_workday: date) -> None:
    """On a day off: nothing is told; rows due are looked at on the next working day."""
    await run(
        conn,
        _POSTPONE,
        {"today": date_to_db(today), "next_workday": date_to_db(next_workday)},
    )
    await run(conn, _FORGET_GONE, {"today": date_to_db(today)})
