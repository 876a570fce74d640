"""The state of each district, as the supervisors' digest and escalations show it.

Each section (new applications, stages due today, stages overdue, applications waiting on
their customers) is counted per district in one pass, and its first few applications are
listed per district along an index, so that the digest and the escalations stay cheap with
100,000 open applications. The stage sections read the ``reminder_watch`` rows the stage
sweep keeps: the district, the application and the due date, as of its last look.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date

import aiosqlite

from storage.codec import date_to_db, optional_date_from_db
from storage.db import fetch_all, fetch_one
from storage.reminders.points import overdue_sql

# (application, district, due date) in the order of an index, so that "the first few of a
# district" stops after a few rows instead of sorting them all.
_STAGE_ROWS = """
    SELECT application_id, district, due_on, due_on AS sort_key, application_id AS tiebreak
      FROM reminder_watch INDEXED BY reminder_watch_state
     WHERE kind = 'stage' AND state = '{state}' AND {when}
"""
_SECTIONS = {
    "new": """
        SELECT id AS application_id, district, NULL AS due_on, submitted_at AS sort_key,
               id AS tiebreak
          FROM applications INDEXED BY applications_by_submitted
         WHERE submitted_at >= :since AND submitted_at < :until
    """,
    "due_today": _STAGE_ROWS.format(state="running", when="due_on = :today"),
    "overdue": _STAGE_ROWS.format(state="running", when=overdue_sql("due_on")),
    "paused": _STAGE_ROWS.format(state="paused", when="TRUE"),
}
DIGEST_SECTIONS: tuple[str, ...] = tuple(_SECTIONS)


@dataclass(frozen=True, slots=True)
class Listed:
    """An application named in a section; ``due_on`` for the stage sections."""

    application_id: int
    due_on: date | None
    sort_key: str
    tiebreak: int


@dataclass(frozen=True, slots=True)
class DistrictSection:
    """One section: how many per district, and the first few to name, per district and
    over all districts (the earliest first)."""

    counts: dict[str | None, int]
    first: dict[str | None, list[Listed]]
    first_overall: list[Listed]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def district_section(
    conn: aiosqlite.Connection,
    name: str,
    *,
    today: date,
    per_district: int,
    since: str = "",
    until: str = "",
    late_before: date,
) -> DistrictSection:
    """Counted in one pass, listed by a few rows per district. ``since``/``until`` bound
    "new" as stored timestamps (UTC ISO text). ``late_before`` says which due dates are
    overdue ``today`` (:func:`process.deadlines.late_if_due_before`)."""
    found = _SECTIONS[name]
    params = {
        "today": date_to_db(today),
        "late_before": date_to_db(late_before),
        "since": since,
        "until": until,
        "n": per_district,
    }
    counts = {
        r["district"]: r["n"]
        for r in await fetch_all(
            conn, f"SELECT district, COUNT(*) AS n FROM ({found}) GROUP BY district", params
        )
    }
    listed = f"""
        SELECT application_id, due_on, sort_key, tiebreak FROM ({found})
         WHERE district IS :district ORDER BY sort_key, tiebreak LIMIT :n
    """
    first: dict[str | None, list[Listed]] = {}
    for district in counts:
        rows = await fetch_all(conn, listed, {**params, "district": district})
        first[district] = [
            Listed(
                r["application_id"],
                optional_date_from_db(r["due_on"]),
                r["sort_key"] or "",
                r["tiebreak"],
            )
            for r in rows
        ]
    # The first few overall are among the first few of each district.
    overall = heapq.nsmallest(
        per_district,
        (item for items in first.values() for item in items),
        key=lambda item: (item.sort_key, item.tiebreak),
    )
    return DistrictSection(counts, first, overall)


async def any_overdue(conn: aiosqlite.Connection, late_before: date) -> bool:
    """Whether any running stage of an active application is overdue on the day whose
    bound is ``late_before`` (as for :func:`district_section`)."""
    row = await fetch_one(
        conn,
        "SELECT 1 FROM reminder_watch WHERE kind = 'stage' AND state = 'running' "
        f"AND {overdue_sql('due_on')} LIMIT 1",
        {"late_before": date_to_db(late_before)},
    )
    return row is not None
