"""Who is to be reminded of what in this run: counted set-wise, listed a few at a time.

The day's first run may have tens of thousands of points to tell (see
:mod:`storage.reminders.points`), but each staff member gets one message: how many of each
point, and the first few applications, the most urgent first. So the rows are counted in
one pass grouped by their holders, and only the lines shown are read, per staff member,
along an index in due order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import aiosqlite

from process.roles import Role
from storage.codec import optional_date_from_db
from storage.db import fetch_all
from storage.reminders.points import (
    PROJECT_PM,
    mark_at,
    overdue_sql,
    point_at,
    told_params,
    told_today,
)

POINTS = ("overdue", "due", "day_before", "half")


@dataclass(frozen=True, slots=True)
class ToldGroup:
    """Rows to tell held by one customer manager (``by`` 'cm', ``who`` their id), by one
    project manager in the stages where they act ('pm'), or held by nobody in one district
    ('district', ``who`` the district); how many at each point."""

    by: str
    who: int | str | None
    counts: dict[str, int] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class Holder:
    """Whose lines to read: a customer or project manager (by ``role``) for the rows they
    hold, or an overseer (``unheld``) for the rows nobody holds in ``district``, or in every
    district when ``district`` is None."""

    user_id: int
    role: str
    unheld: bool = False
    district: str | None = None


# How many rows are at each point today (the rows are past ``half_on``, see told_today).
# The same points as point_at() names them, one at a time.
_NOT_LATE = f"NOT ({overdue_sql('deadline_on')})"
_AT_POINTS = f"""
    SUM({overdue_sql("deadline_on")}) AS overdue,
    SUM({_NOT_LATE} AND :today = deadline_on) AS due,
    SUM({_NOT_LATE} AND :today != deadline_on AND :today = before_on) AS day_before,
    SUM({_NOT_LATE} AND :today != deadline_on AND :today != before_on) AS half
"""
# Held rows counted per customer manager and per project manager along their indexes (in
# their order, so without sorting), the rest per district.
_GROUPS = {
    "cm": f"""SELECT cm AS who, {_AT_POINTS} FROM reminder_watch INDEXED BY reminder_watch_by_cm
               WHERE cm IS NOT NULL AND {{told}} GROUP BY cm""",
    "pm": f"""SELECT pm AS who, {_AT_POINTS} FROM reminder_watch INDEXED BY reminder_watch_by_pm
               WHERE {PROJECT_PM} AND {{told}} GROUP BY pm""",
    "district": f"""SELECT district AS who, {_AT_POINTS}
                      FROM reminder_watch INDEXED BY reminder_watch_by_cm
                     WHERE cm IS NULL AND {{told}} GROUP BY district""",
}


async def told_groups(
    conn: aiosqlite.Connection,
    today: date,
    last: date | None,
    *,
    whole_day: bool,
    late_before: date | None = None,
) -> list[ToldGroup]:
    """Today's untold points, counted per customer manager, per project manager (in the
    stages where they act) and per district for the rows nobody holds. ``late_before``:
    see :func:`storage.reminders.points.told_params`."""
    told = told_today(whole_day=whole_day)
    params = told_params(today, last, late_before)
    groups: list[ToldGroup] = []
    for by, sql in _GROUPS.items():
        for r in await fetch_all(conn, sql.format(told=told), params):
            counts = {p: r[p] for p in POINTS if r[p]}
            groups.append(ToldGroup(by, r["who"], counts))
    return groups


# One holder's first lines, along the holder's index in due order. The lists of many
# holders are read in one statement, one such part each (their place ``n`` kept).
_LINES = f"""
SELECT * FROM (
    SELECT {{n}} AS n, subject_id AS visit_id, application_id, stage, due_on,
           {point_at(":today")} AS point, {mark_at(":today")} AS mark
      FROM reminder_watch INDEXED BY {{index}}
     WHERE {{whose}} AND {{told}}
     ORDER BY due_on, application_id
     LIMIT :lines)
"""
_WHOSE = {
    "cm": ("reminder_watch_by_cm", "cm = :who{n}"),
    "pm": ("reminder_watch_by_pm", f"pm = :who{{n}} AND {PROJECT_PM}"),
    "district": ("reminder_watch_by_cm", "cm IS NULL AND district IS :district{n}"),
    "every": ("reminder_watch_by_cm", "cm IS NULL"),
}
_PARTS_PER_QUERY = 100  # well below SQLite's limit of 500 parts of a compound SELECT


def _part(holder: Holder, n: int, told: str) -> str:
    if holder.unheld:
        kind = "every" if holder.district is None else "district"
    else:
        kind = "pm" if holder.role == Role.PROJECT_MANAGER.value else "cm"
    index, whose = _WHOSE[kind]
    return _LINES.format(n=n, index=index, whose=whose.format(n=n), told=told)


async def told_lines(
    conn: aiosqlite.Connection,
    today: date,
    last: date | None,
    holders: Sequence[Holder],
    *,
    whole_day: bool,
    lines: int,
    late_before: date | None = None,
) -> list[list[ToldLine]]:
    """The first ``lines`` of each holder's list, the most urgent (earliest due) first."""
    told = told_today(whole_day=whole_day)
    found: list[list[ToldLine]] = [[] for _ in holders]
    for start in range(0, len(holders), _PARTS_PER_QUERY):
        chunk = range(start, min(start + _PARTS_PER_QUERY, len(holders)))
        parts = " UNION ALL ".join(_part(holders[n], n, told) for n in chunk)
        params: dict[str, object] = {**told_params(today, last, late_before), "lines": lines}
        for n in chunk:
            params[f"who{n}"] = holders[n].user_id
            params[f"district{n}"] = holders[n].district
        sql = f"""
            SELECT t.*, a.number, a.applicant_name FROM ({parts}) AS t
              JOIN applications a ON a.id = t.application_id
        """
        for r in await fetch_all(conn, sql, params):
            holder = holders[r["n"]]
            found[r["n"]].append(
                ToldLine(
                    user_id=holder.user_id,
                    role=holder.role,
                    visit_id=r["visit_id"],
                    application_id=r["application_id"],
                    stage=r["stage"],
                    number=r["number"],
                    applicant_name=r["applicant_name"],
                    due_on=optional_date_from_db(r["due_on"]),
                    point=r["point"],
                    mark=r["mark"],
                )
            )
    return found
