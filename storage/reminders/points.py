"""A running stage's reminder points: stored as dates, told set-wise, recorded as told.

With 100,000 open applications and stage limits of three to ten working days, a working day
can bring tens of thousands of reminder points at once, all at the first run after
midnight. Recounting each stage clock in Python for that would take seconds, and so would
writing every row told. Instead, when the sweep looks at a running stage (because it
started, paused, resumed, changed hands or the calendar changed) it stores on the stage's
``reminder_watch`` row the dates of its points (:func:`process.deadlines.point_dates`) and
what the reminders need from the application (migrations 0010 and 0011); from then on,
until the next change, the point on a day follows from comparing those dates with the last
working day through it, ``:late_before`` (:func:`process.deadlines.late_if_due_before`):

* overdue if ``deadline_on < :late_before``: "overdue" as
  :func:`process.deadlines.is_overdue` defines it;
* due if ``deadline_on = :late_before`` (for a limit of one working day or more);
* one working day left if ``before_on = :late_before``;
* half the limit used if ``half_on <= :late_before``.

:func:`point_at` is that comparison, an SQL mirror of :func:`process.deadlines.stage_point`
kept for speed; ``tests/storage/test_point_mirror.py`` checks the two agree over random
stages, pauses, limits and days. :data:`PAST` marks a point already behind the stage when
its dates were worked out.

What was told is not written row by row. The first run of each working day tells, in one
*day pass*, every row dated before that day; the day of the last pass is kept in
``reminder_meta`` (:data:`DAY_KEY`), so what a row was told is its point on that day. Rows
dated on the day itself (their stage changed) are told by the run that dated them and keep
their *told mark* (the point with its threshold, ``'half:5'``) in ``reminded``. Before a row
is dated again, :func:`remember_told` copies the mark the last pass told into ``reminded``,
so the new dates never repeat it.

Each staff member gets one message a run: how many of each point, and the first few
applications, the most urgent first. So the rows to tell are counted in one pass grouped by
their holders (:func:`told_groups`), and only the lines shown are read, per staff member,
along an index in due order (:func:`told_lines`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import aiosqlite

from process.deadlines import PointDates, PointName
from process.roles import Role
from storage.codec import date_to_db, optional_date_from_db
from storage.db import fetch_all, fetch_one, run
from storage.reminders.watch import NEVER, meta_value, set_meta

PAST = "0001-01-01"
DAY_KEY = "stage_day"  # reminder_meta: the last working day whose day pass was done
# Stages in which the project manager acts too: design review, and the completion inspection.
PROJECT_STAGES = ("design", "contract")


# The parameter that says which due dates are overdue on the day asked about, and the
# working day whose count a day off still shows (:func:`process.deadlines.late_if_due_before`);
# see :func:`told_params`.
LATE_BEFORE = ":late_before"


def overdue_sql(due_column: str, late_before: str = LATE_BEFORE) -> str:
    """SQL: a stage due on ``due_column`` is overdue, as :func:`process.deadlines.is_overdue`
    says: from the first working day after its due date."""
    return f"{due_column} < {late_before}"


def point_at(late_before: str = LATE_BEFORE) -> str:
    """SQL: the most advanced point a row has reached (NULL: none) on the days whose last
    working day is ``late_before``, as :func:`process.deadlines.stage_point` says."""
    return f"""
    CASE WHEN {overdue_sql("deadline_on", late_before)} THEN 'overdue'
         WHEN deadline_on = {late_before} AND limit_days > 0 THEN 'due'
         WHEN before_on = {late_before} THEN 'day_before'
         WHEN half_on <= {late_before} THEN 'half' END"""


def mark_at(day: str, late_before: str = LATE_BEFORE) -> str:
    """SQL: that point on ``day`` with its threshold, the told mark
    (:attr:`process.deadlines.Point.mark`)."""
    return f"""
    CASE WHEN {overdue_sql("deadline_on", late_before)} THEN 'overdue:' || {day}
         WHEN deadline_on = {late_before} AND limit_days > 0 THEN 'due:' || limit_days
         WHEN before_on = {late_before} THEN 'day_before:' || (limit_days - 1)
         WHEN half_on <= {late_before} THEN 'half:' || ((limit_days + 1) / 2) END"""


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
    """SQL condition: the rows with a point to tell today, not told yet (a row has a point
    from ``half_on`` on: half comes first). ``whole_day``: this run does the day pass (rows
    dated before today) as well as the rows dated today."""
    which = f"(dated_on < :today OR {TOLD_BY_RUN})" if whole_day else TOLD_BY_RUN
    return f"{DATED} AND {which} AND half_on <= {LATE_BEFORE} AND {_UNTOLD}"


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


def told_params(today: date, last: date | None, late_before: date) -> dict[str, str | None]:
    """The parameters of the queries here: ``late_before`` is
    :func:`process.deadlines.late_if_due_before` of ``today``, ``last`` the day of the last
    day pass (a working day, its own bound)."""
    return {
        "today": date_to_db(today),
        "last": None if last is None else date_to_db(last),
        "late_before": date_to_db(late_before),
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
             WHERE kind = 'stage'
               AND subject_id IN (SELECT CAST(value AS INTEGER) FROM json_each(:ids))
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
    conn: aiosqlite.Connection, today: date, *, whole_day: bool, late_before: date
) -> None:
    """Record what this run told: each row dated today keeps its told mark; a day pass
    records its day, and rows dated earlier but never told (a run that stopped) are left to
    it. ``late_before`` as for :func:`told_params`."""
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
    """The mark each stage row was told last (``None``: none yet), for the operator and
    tests: what the day passes told is not written on the rows."""
    last = await last_day_pass(conn)
    rows = await fetch_all(
        conn,
        f"SELECT subject_id, {TOLD_BEFORE} AS told FROM reminder_watch WHERE kind = 'stage'",
        {"last": None if last is None else date_to_db(last)},
    )
    return {r["subject_id"]: r["told"] for r in rows}


# -- today's untold points, counted and listed per holder ---------------------------------

POINTS = tuple(name.value for name in reversed(PointName))  # the most urgent first


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


# How many rows are at each point today, each row's point as point_at() names it.
# CASE, not SUM(point = ...): PostgreSQL sums no booleans.
_COUNTS = ", ".join(
    f"SUM(CASE WHEN point = '{name}' THEN 1 ELSE 0 END) AS {name}" for name in POINTS
)
# Held rows counted per customer manager and per project manager along their indexes (in
# their order, so without sorting), the rest per district.
_GROUPS = {
    "cm": f"""SELECT who, {_COUNTS} FROM (
                SELECT cm AS who, {point_at()} AS point
                  FROM reminder_watch INDEXED BY reminder_watch_by_cm
                 WHERE cm IS NOT NULL AND {{told}}) GROUP BY who""",
    "pm": f"""SELECT who, {_COUNTS} FROM (
                SELECT pm AS who, {point_at()} AS point
                  FROM reminder_watch INDEXED BY reminder_watch_by_pm
                 WHERE {PROJECT_PM} AND {{told}}) GROUP BY who""",
    "district": f"""SELECT who, {_COUNTS} FROM (
                      SELECT district AS who, {point_at()} AS point
                        FROM reminder_watch INDEXED BY reminder_watch_by_cm
                       WHERE cm IS NULL AND {{told}}) GROUP BY who""",
}


async def told_groups(
    conn: aiosqlite.Connection,
    today: date,
    last: date | None,
    *,
    whole_day: bool,
    late_before: date,
) -> list[ToldGroup]:
    """Today's untold points, counted per customer manager, per project manager (in the
    stages where they act) and per district for the rows nobody holds. ``late_before``:
    see :func:`told_params`."""
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
           {point_at()} AS point, {mark_at(":today")} AS mark
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


# The same lines on PostgreSQL: one part a kind of holder, laterally joined to the holders of
# that kind (``n``, ``who``, ``district`` from a JSON array), each still one index range scan.
_LATERAL = f"""
SELECT h.n, w.*
  FROM jsonb_to_recordset(CAST(:{{kind}} AS jsonb)) AS h(n integer, who bigint, district text)
 CROSS JOIN LATERAL (
    SELECT subject_id AS visit_id, application_id, stage, due_on,
           {point_at()} AS point, {mark_at(":today")} AS mark
      FROM reminder_watch
     WHERE {{whose}} AND {{told}}
     ORDER BY due_on, application_id
     LIMIT :lines) AS w
"""
_LATERAL_WHOSE = {
    "cm": "cm = h.who",
    "pm": f"pm = h.who AND {PROJECT_PM}",
    "district": "cm IS NULL AND district = h.district",
    "every": "cm IS NULL",
}


def _kind(holder: Holder) -> str:
    if holder.unheld:
        return "every" if holder.district is None else "district"
    return "pm" if holder.role == Role.PROJECT_MANAGER.value else "cm"


def _lateral_lines(told: str) -> str:
    parts = " UNION ALL ".join(
        _LATERAL.format(kind=kind, whose=whose, told=told) for kind, whose in _LATERAL_WHOSE.items()
    )
    return f"""
        SELECT t.*, a.number, a.applicant_name FROM ({parts}) AS t
          JOIN applications a ON a.id = t.application_id
    """


def _lateral_holders(holders: Sequence[Holder]) -> dict[str, object]:
    by_kind: dict[str, list[dict[str, object]]] = {kind: [] for kind in _LATERAL_WHOSE}
    for n, holder in enumerate(holders):
        by_kind[_kind(holder)].append({"n": n, "who": holder.user_id, "district": holder.district})
    return {kind: json.dumps(rows) for kind, rows in by_kind.items()}


def _part(holder: Holder, n: int, told: str) -> str:
    index, whose = _WHOSE[_kind(holder)]
    return _LINES.format(n=n, index=index, whose=whose.format(n=n), told=told)


async def told_lines(
    conn: aiosqlite.Connection,
    today: date,
    last: date | None,
    holders: Sequence[Holder],
    *,
    whole_day: bool,
    lines: int,
    late_before: date,
    lateral: bool = False,
) -> list[list[ToldLine]]:
    """The first ``lines`` of each holder's list, the most urgent (earliest due) first.

    ``lateral`` (PostgreSQL): the holders travel as one JSON value and each kind of holder is
    one part joined laterally to them, instead of a part a holder. PostgreSQL plans a
    compound of a hundred parts in tens of milliseconds, far longer than it takes to run
    them; SQLite has no LATERAL, and plans its compound quickly.
    """
    told = told_today(whole_day=whole_day)
    found: list[list[ToldLine]] = [[] for _ in holders]
    base: dict[str, object] = {**told_params(today, last, late_before), "lines": lines}
    statements: list[tuple[str, dict[str, object]]] = []
    if lateral:
        statements.append((_lateral_lines(told), {**base, **_lateral_holders(holders)}))
    for start in range(0, 0 if lateral else len(holders), _PARTS_PER_QUERY):
        chunk = range(start, min(start + _PARTS_PER_QUERY, len(holders)))
        parts = " UNION ALL ".join(_part(holders[n], n, told) for n in chunk)
        params: dict[str, object] = dict(base)
        for n in chunk:
            params[f"who{n}"] = holders[n].user_id
            params[f"district{n}"] = holders[n].district
        sql = f"""
            SELECT t.*, a.number, a.applicant_name FROM ({parts}) AS t
              JOIN applications a ON a.id = t.application_id
        """
        statements.append((sql, params))
    for sql, params in statements:
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
