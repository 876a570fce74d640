"""Reading applications the staff way: a member's work queue, and search.

The queue carries each application's open stage visit and its pauses, so the flow can
compute the deadline with :func:`process.deadlines.stage_clock` and sort by it; the
database cannot, because working days come from the calendar. Search understands the four
things staff actually type: an application number, part of a company or project name, a
mobile number or a unified social credit code.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from process.numbers import parse_application_number
from process.roles import Reach, reach_of
from process.validators import ValidationError, validate_mobile, validate_uscc
from storage.applications import pauses_of_visits
from storage.codec import date_to_db, optional_date_from_db, optional_time_from_db
from storage.models import Application
from storage.rows import APPLICATION_COLUMNS, application_from_row
from storage.staff.models import QueueHead, QueueItem, QueuePage, Staff

_IDS_PER_QUERY = 500  # well under SQLite's limit of bound parameters
_EVERY_ROW = 2**62  # a page size no queue reaches
# Each open application's open stage visit is looked up through the one-open-visit index, one
# application at a time: a queue is a few hundred of the many thousand open visits. The hint
# is SQLite's way of saying so, and PostgreSQL's (storage/dialect.py, a LATERAL look-up);
# left to itself, PostgreSQL reads every open visit into a hash, twice as slow.
_QUEUE_SELECT = """
    SELECT a.id, a.number, a.applicant_name, a.project_name, a.district, a.stage,
           a.plan_due_date, a.customer_manager_id, a.project_manager_id,
           v.id AS visit_id, v.started_at AS visit_started_at, v.limit_days AS visit_limit
    FROM applications a
    LEFT JOIN stage_visits v INDEXED BY stage_visits_one_open
           ON v.application_id = a.id AND v.ended_at IS NULL
"""


@dataclass(frozen=True)
class _QueueQueries:
    """One select of open applications, for each kind of member's queue."""

    held: str  # by a manager: customer or project manager
    district: str  # by a supervisor of one district
    every: str  # by a supervisor of every district, or an admin

    @classmethod
    def of(cls, select: str) -> _QueueQueries:
        return cls(
            # Two index look-ups joined, rather than an OR that would scan every open one.
            held=f"""
                {select} WHERE a.customer_manager_id = ? AND a.status = 'active'
                UNION
                {select} WHERE a.project_manager_id = ? AND a.status = 'active'
            """,
            district=f"{select} WHERE a.district = ? AND a.status = 'active'",
            every=f"{select} WHERE a.status = 'active'",
        )


_QUEUE = _QueueQueries.of(_QUEUE_SELECT)
HOLDER_QUEUE_SQL, DISTRICT_QUEUE_SQL = _QUEUE.held, _QUEUE.district

# Every search is kept to the member's reach: "{scope}" is filled in by :func:`_scope`.
FIND_BY_NUMBER_SQL = (
    f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE number = ? AND {{scope}}"
)
# A sealed applicant name (a person's, storage/sealing/personal.py) is never matched by LIKE (its
# ciphertext would match by chance): it is found whole, by its keyed hash.
# A single typed character has no pair to look up: the table is scanned.
FIND_BY_NAME_SQL = f"""
    SELECT {APPLICATION_COLUMNS} FROM applications
    WHERE ((substr(applicant_name, 1, 4) != 'hv1:' AND applicant_name LIKE ? ESCAPE '\\')
           OR project_name LIKE ? ESCAPE '\\')
      AND {{scope}}
    ORDER BY id DESC LIMIT ?
"""
# Otherwise the rarest pair of characters typed picks the candidates from the pair index
# (migration 0008), newest first; a candidate must hold every other pair typed as well (looked
# up in the same index, rarest first, so most fail at the first look), and LIKE keeps those
# that hold the whole text. The missing pair is found by an outer join, not by a NOT EXISTS
# inside the NOT EXISTS: PostgreSQL turns that inner one into a hash of the whole pair index,
# read in full for every search (190 ms on 10,000 applications, where the look-ups take 0.4).
FIND_BY_NAME_PAIR_SQL = f"""
    SELECT {APPLICATION_COLUMNS} FROM application_name_pairs p
    JOIN applications a ON a.id = p.application_id
    WHERE p.pair = ?
      AND NOT EXISTS (
          SELECT 1 FROM json_each(?) AS other
          LEFT JOIN application_name_pairs q
            ON q.pair = other.value AND q.application_id = p.application_id
          WHERE q.application_id IS NULL)
      AND ((substr(a.applicant_name, 1, 4) != 'hv1:' AND a.applicant_name LIKE ? ESCAPE '\\')
           OR a.project_name LIKE ? ESCAPE '\\')
      AND {{scope}}
    ORDER BY p.application_id DESC LIMIT ?
"""
FIND_BY_APPLICANT_HASH_SQL = f"""
    SELECT {APPLICATION_COLUMNS} FROM applications
    WHERE applicant_name_hash IN (SELECT value FROM json_each(hv_lookups(?))) AND {{scope}}
    ORDER BY id DESC LIMIT ?
"""
# How many names hold each typed pair (a JSON list in, one row per pair out, in one round
# trip), from the counts kept beside the index (migration 0014).
PAIR_COUNTS_SQL = """
    SELECT typed.key AS position, typed.value AS pair, COALESCE(c.found, 0) AS found
    FROM json_each(?) AS typed
    LEFT JOIN name_pair_counts c ON c.pair = typed.value
"""
# Mobiles and credit codes are sealed at rest; they are found by their keyed hashes, under
# every key the connection knows (a rotation may be half-way).
FIND_BY_PHONE_SQL = f"""
    SELECT {APPLICATION_COLUMNS} FROM applications
    WHERE contact_mobile_hash IN (SELECT value FROM json_each(hv_lookups(?))) AND {{scope}}
    ORDER BY id DESC LIMIT ?
"""
FIND_BY_USCC_SQL = f"""
    SELECT {APPLICATION_COLUMNS} FROM applications
    WHERE uscc_hash IN (SELECT value FROM json_each(hv_lookups(?))) AND {{scope}}
    ORDER BY id DESC LIMIT ?
"""


# The queue's first pass: each open application with the deadline the reminder sweep stored
# for its stage, which holds while the row is unchanged since the sweep looked at it
# (``known``; a row changed since must be counted afresh). With no open stage, or a paused
# clock, there is no deadline: known, and ordered last.
_HEAD_SELECT = """
    SELECT a.id, a.number,
        CASE WHEN v.id IS NULL
                  OR (w.check_on != '' AND w.state = 'paused')
                  OR (w.check_on != '' AND w.state = 'running' AND w.due_on IS NOT NULL)
             THEN 1 ELSE 0 END AS known,
        CASE WHEN v.id IS NOT NULL AND w.check_on != '' AND w.state = 'running'
             THEN w.due_on END AS due_on
    FROM applications a
    LEFT JOIN stage_visits v INDEXED BY stage_visits_one_open
           ON v.application_id = a.id AND v.ended_at IS NULL
    LEFT JOIN reminder_watch w ON w.kind = 'stage' AND w.subject_id = v.id
"""
_HEADS = _QueueQueries.of(_HEAD_SELECT)
# Only the first ``first`` known heads in deadline order leave the database (with every head
# still to be counted, which may belong among them), with the size of the whole queue and how
# many of its known deadlines are overdue: a queue of 500 is ordered and counted where it
# lies. The heads are read once (materialised) and counted once; only the known ones are
# sorted, and only as far as the page (a window over every head sorted and counted all of
# them three times over, half again as slow). The order is the queue's (flows/staff/queue.py
# ``_by_deadline``): earliest deadline first, none last, then by number; ISO dates sort as the
# days do.
_PAGE = """
    WITH heads AS MATERIALIZED ({heads}),
         counted AS (
             SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN known = 1 AND due_on < ? THEN 1 ELSE 0 END), 0)
                        AS late
             FROM heads)
    SELECT h.id, h.number, h.known, h.due_on, c.total, c.late
    FROM heads h, counted c WHERE h.known = 0
    UNION ALL
    SELECT * FROM (
        SELECT h.id, h.number, h.known, h.due_on, c.total, c.late
        FROM heads h, counted c WHERE h.known = 1
        ORDER BY h.due_on IS NULL, h.due_on, h.number
        LIMIT ?)
"""
_PAGES = _QueueQueries(
    held=_PAGE.format(heads=_HEADS.held),
    district=_PAGE.format(heads=_HEADS.district),
    every=_PAGE.format(heads=_HEADS.every),
)

# The same page from the reminder sweep's own rows, without visiting each open application
# (migration 0021). A stage row the sweep has looked at (``check_on`` not '') is *settled*:
# it holds the application's current holders and district, for any change to them, to the
# status or to the stage's clock puts it back to '' (migrations 0005 and 0011); paused, or
# running with a deadline, it is a known head. The rows put back since are few (the sweep
# looks every minute): those of the member's open applications are the heads to count
# afresh. Whether the two account for the whole queue is counted in the same statement:
# an open application with no open stage, or a stage whose row is missing, makes them fall
# short, and the page is then read the first way (``_PAGES``).
#
# Only the settled heads up to the page's last deadline (ties included) are joined to their
# applications for the number that orders them. With fewer settled heads than the page, or
# a paused one among the first, every one is.
_SETTLED_PAGE = """
    WITH settled AS MATERIALIZED ({settled}),
    afresh AS MATERIALIZED (
        SELECT a.id, a.number
          FROM reminder_watch w INDEXED BY reminder_watch_check
         CROSS JOIN stage_visits v ON v.id = w.subject_id AND v.ended_at IS NULL
         CROSS JOIN applications a ON a.id = v.application_id
         WHERE w.kind = 'stage' AND w.check_on = '' AND a.status = 'active' AND {held}),
    counted AS (
        SELECT ({total}) AS total,
               (SELECT COUNT(*) FROM settled) + (SELECT COUNT(*) FROM afresh) AS accounted,
               (SELECT COUNT(*) FROM settled WHERE due_on < :late_before) AS late),
    cut AS (
        SELECT due_on FROM settled ORDER BY due_on IS NULL, due_on LIMIT 1 OFFSET :last),
    heads AS (
        SELECT id, number, 0 AS known, NULL AS due_on FROM afresh
        UNION ALL
        SELECT * FROM (
            SELECT a.id, a.number, 1 AS known, s.due_on
              FROM settled s JOIN applications a ON a.id = s.id
             WHERE NOT EXISTS (SELECT 1 FROM cut) OR (SELECT due_on FROM cut) IS NULL
                OR s.due_on <= (SELECT due_on FROM cut)
             ORDER BY s.due_on IS NULL, s.due_on, a.number
             LIMIT :shown))
    SELECT c.total, c.accounted, c.late, h.id, h.number, h.known, h.due_on
      FROM counted c LEFT JOIN heads h ON 1 = 1
"""
# The settled rows of a queue, from the index of its kind (migration 0021); a manager's are
# those held as customer or as project manager, found in each index.
_SETTLED = """
    SELECT application_id AS id, CASE WHEN state = 'running' THEN due_on END AS due_on
      FROM reminder_watch {index}
     WHERE kind = 'stage' AND check_on != ''
       AND (state = 'paused' OR (state = 'running' AND due_on IS NOT NULL))
       AND {scope}
"""
_SETTLED_PAGES = _QueueQueries(
    held=_SETTLED_PAGE.format(
        settled=_SETTLED.format(index="INDEXED BY reminder_watch_queue_cm", scope="cm = :member")
        + "UNION"
        + _SETTLED.format(index="INDEXED BY reminder_watch_queue_pm", scope="pm = :member"),
        held="(a.customer_manager_id = :member OR a.project_manager_id = :member)",
        total="""
            SELECT COUNT(*) FROM (
                SELECT id FROM applications
                 WHERE customer_manager_id = :member AND status = 'active'
                UNION
                SELECT id FROM applications
                 WHERE project_manager_id = :member AND status = 'active')""",
    ),
    district=_SETTLED_PAGE.format(
        settled=_SETTLED.format(
            index="INDEXED BY reminder_watch_queue_district", scope="district = :district"
        ),
        held="a.district = :district",
        total="SELECT COUNT(*) FROM applications WHERE district = :district AND status = 'active'",
    ),
    every=_SETTLED_PAGE.format(
        settled=_SETTLED.format(index="", scope="1 = 1"),
        held="1 = 1",
        total="SELECT COUNT(*) FROM applications WHERE status = 'active'",
    ),
)


def queue_page_in(
    db: sqlite3.Connection,
    member: Staff,
    *,
    late_before: date,
    first: int | None,
    with_items: bool = False,
) -> QueuePage:
    """``member``'s open applications: the ``first`` with known deadlines in deadline order
    (all of them if None), every one still to be counted, the size of the whole queue, and
    how many known deadlines fall before ``late_before`` (overdue, by
    :func:`process.deadlines.late_if_due_before`). ``with_items``: the full item of each of
    those heads as well, which are all that the first ``first`` lines of the queue can be.

    Run on SQLite's own thread (:meth:`storage.db.Database.in_one_trip`): a queue is read in
    one trip there and back, not one for each statement."""
    if not member.active:
        return QueuePage([], 0, 0)
    page = settled_page_in(db, member, late_before=late_before, first=first)
    if page is None:
        page = joined_page_in(db, member, late_before=late_before, first=first)
    if not with_items or not page.heads:
        return page
    read = queue_items_in(db, [head.application_id for head in page.heads])
    return replace(page, items={item.application_id: item for item in read})


def joined_page_in(
    db: sqlite3.Connection, member: Staff, *, late_before: date, first: int | None
) -> QueuePage:
    """:func:`queue_page_in`'s page with every open application joined to its open stage
    and that stage's row (``_PAGES``): right whatever the reminder sweep has seen."""
    sql, scope = _queries_for(member, _PAGES)
    shown = _EVERY_ROW if first is None else first
    rows = db.execute(sql, (*scope, date_to_db(late_before), shown)).fetchall()
    if not rows:
        return QueuePage([], 0, 0)
    return QueuePage(_heads_of(rows), int(rows[0]["total"]), int(rows[0]["late"]))


def settled_page_in(
    db: sqlite3.Connection, member: Staff, *, late_before: date, first: int | None
) -> QueuePage | None:
    """:func:`queue_page_in`'s page from the reminder sweep's settled rows
    (``_SETTLED_PAGE``); None when they and the rows to count afresh do not account for
    the whole queue."""
    shown = _EVERY_ROW if first is None else first
    reach = reach_of(member.role, member.district)
    sql = {Reach.EVERY: _SETTLED_PAGES.every, Reach.DISTRICT: _SETTLED_PAGES.district}.get(
        reach, _SETTLED_PAGES.held
    )
    rows = db.execute(
        sql,
        {
            "member": member.user_id,
            "district": member.district,
            "late_before": date_to_db(late_before),
            "last": max(shown - 1, 0),
            "shown": shown,
        },
    ).fetchall()
    counts = rows[0]
    if counts["accounted"] != counts["total"]:
        return None
    heads = _heads_of([row for row in rows if row["id"] is not None])
    return QueuePage(heads, int(counts["total"]), int(counts["late"]))


def _heads_of(rows: Sequence[sqlite3.Row]) -> list[QueueHead]:
    return [
        QueueHead(row["id"], row["number"], optional_date_from_db(row["due_on"]), row["known"] == 1)
        for row in rows
    ]


def _queries_for(member: Staff, queries: _QueueQueries) -> tuple[str, tuple[object, ...]]:
    """The query of ``queries`` for ``member``, with its parameters: an overseer's district
    (or every district), anyone else's applications held as customer or project manager."""
    reach = reach_of(member.role, member.district)
    if reach is Reach.EVERY:
        return queries.every, ()
    if reach is Reach.DISTRICT:
        return queries.district, (member.district,)
    return queries.held, (member.user_id, member.user_id)


def queue_items_in(db: sqlite3.Connection, ids: Sequence[int]) -> list[QueueItem]:
    """The full queue items of open applications ``ids`` (in id order), on SQLite's thread."""
    rows: list[sqlite3.Row] = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = tuple(ids[start : start + _IDS_PER_QUERY])
        rows += db.execute(
            f"{_QUEUE_SELECT} WHERE a.id IN ({', '.join('?' * len(chunk))})", chunk
        ).fetchall()
    return _items(db, rows)


def queue_in(db: sqlite3.Connection, member: Staff) -> list[QueueItem]:
    """``member``'s open applications; an overseer's are those of their district (or all)."""
    if not member.active:
        return []
    sql, scope = _queries_for(member, _QUEUE)
    return _items(db, db.execute(sql, scope).fetchall())


def _items(db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[QueueItem]:
    pauses = pauses_of_visits(db, [row["visit_id"] for row in rows if row["visit_id"]])
    return [
        QueueItem(
            application_id=row["id"],
            number=row["number"],
            applicant_name=row["applicant_name"],
            project_name=row["project_name"],
            district=row["district"],
            stage=row["stage"],
            plan_due_date=optional_date_from_db(row["plan_due_date"]),
            customer_manager_id=row["customer_manager_id"],
            project_manager_id=row["project_manager_id"],
            stage_started_at=optional_time_from_db(row["visit_started_at"]),
            stage_limit_days=row["visit_limit"],
            pauses=tuple(pauses[row["visit_id"]]) if row["visit_id"] else (),
        )
        for row in sorted(rows, key=lambda r: r["id"])
    ]


def _scope(member: Staff | None) -> tuple[str, tuple[object, ...]]:
    """The condition on ``applications`` that keeps a search to ``member``'s reach
    (:func:`process.roles.reach_of`); None is the shell's and the tests' unscoped search."""
    # TRUE and FALSE, not 1 and 0: PostgreSQL wants a boolean after AND; SQLite takes both.
    if member is None:
        return "TRUE", ()
    if not member.active:
        return "FALSE", ()
    reach = reach_of(member.role, member.district)
    if reach is Reach.EVERY:
        return "TRUE", ()
    if reach is Reach.DISTRICT:
        return "district = ?", (member.district,)
    return "(customer_manager_id = ? OR project_manager_id = ?)", (member.user_id, member.user_id)


def _scoped(
    db: sqlite3.Connection,
    sql: str,
    params: tuple[object, ...],
    member: Staff | None,
    limit: int | None = None,
) -> list[Application]:
    condition, scope_params = _scope(member)
    tail = () if limit is None else (limit,)
    rows = db.execute(sql.format(scope=condition), (*params, *scope_params, *tail)).fetchall()
    return [application_from_row(row) for row in rows]


def find_applications_in(
    db: sqlite3.Connection, text: str, *, limit: int, member: Staff | None = None
) -> list[Application]:
    """Applications matching what a member of staff typed, newest first, within ``member``'s
    reach: what lies outside is not found at all, so a search tells nothing about it.

    Run on the database's thread (:meth:`storage.db.Database.in_one_trip`): its three or
    four statements make one trip there and back, not one each."""
    typed = unicodedata.normalize("NFKC", text).strip()
    if not typed or limit < 1:
        return []
    number = parse_application_number(typed)
    if number is not None:
        return _scoped(db, FIND_BY_NUMBER_SQL, (number,), member)
    try:
        mobile = validate_mobile(typed)
    except ValidationError:
        pass
    else:
        return find_by_mobile_in(db, mobile, limit=limit, member=member)
    try:
        uscc = validate_uscc(typed)
    except ValidationError:
        pass
    else:
        return find_by_uscc_in(db, uscc, limit=limit, member=member)
    pattern = "%" + _escape_like(typed) + "%"
    pairs = _pairs_rarest_first(db, typed)
    if not pairs:
        found = _scoped(db, FIND_BY_NAME_SQL, (pattern, pattern), member, limit)
    else:
        rarest, others = pairs[0], json.dumps(pairs[1:])
        found = _scoped(
            db, FIND_BY_NAME_PAIR_SQL, (rarest, others, pattern, pattern), member, limit
        )
    found += _scoped(db, FIND_BY_APPLICANT_HASH_SQL, (typed,), member, limit)
    newest = sorted({a.id: a for a in found}.values(), key=lambda a: -a.id)
    return newest[:limit]


def _pairs_rarest_first(db: sqlite3.Connection, typed: str) -> list[str]:
    """The pairs of consecutive characters of ``typed``, the fewest names holding them first
    (among equals, the one typed first)."""
    pairs = name_pairs(typed)
    if not pairs:
        return []
    rows = db.execute(PAIR_COUNTS_SQL, (json.dumps(pairs),)).fetchall()
    ordered = sorted(rows, key=lambda row: (int(row["found"]), int(row["position"])))
    return [str(row["pair"]) for row in ordered]


def name_pairs(text: str) -> list[str]:
    """The distinct pairs of consecutive characters of ``text``, ASCII-lowercased as SQLite's
    lower() and LIKE do, in the order they first appear."""
    folded = "".join(c.lower() if c.isascii() else c for c in text)
    return list(dict.fromkeys(folded[i : i + 2] for i in range(len(folded) - 1)))


def find_by_mobile_in(
    db: sqlite3.Connection, mobile: str, *, limit: int, member: Staff | None = None
) -> list[Application]:
    """Applications whose contact mobile is ``mobile`` (its 11 digits).

    The one place that knows how phone numbers are stored: sealed, beside a keyed hash.
    """
    return _scoped(db, FIND_BY_PHONE_SQL, (mobile,), member, limit)


def find_by_uscc_in(
    db: sqlite3.Connection, uscc: str, *, limit: int, member: Staff | None = None
) -> list[Application]:
    """Applications of the company with unified social credit code ``uscc`` (normalised)."""
    return _scoped(db, FIND_BY_USCC_SQL, (uscc,), member, limit)


def _escape_like(text: str) -> str:
    """``text`` matched literally by LIKE: a typed ``%`` or ``_`` is not a wildcard."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
