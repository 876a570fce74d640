"""Telling staff the points their stages reached: one message per staff member and run.

The points are counted per group of holders (:func:`storage.reminders.points.told_groups`),
given to each staff member who hears of them (:func:`process.audience.audience`, which the
groups' SQL mirrors: the customer manager; the project manager in the stages where they act;
the district's overseers when no customer manager holds the application),
and only then are the first lines of each member's list read. A member with one point gets
the full reminder of that stage, with its clock; with several, one list, the most urgent
(earliest due) first, :data:`LIST_LINES` named and the rest counted.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import aiosqlite

from notifications.reminders.context import SweepContext
from process.deadlines import Point, days_over, late_if_due_before, visit_clock
from process.roles import Role
from storage.models import User
from storage.outbox import NewMessage
from storage.reminders.points import (
    Holder,
    ToldGroup,
    ToldLine,
    told_groups,
    told_lines,
)
from storage.reminders.reads import applications_by_id, users_by_id, visits_by_id
from storage.staff.audience import audience_in

LIST_LINES = 30  # applications named in one list of reminders; the rest are counted


def reminder_key(visit_id: int, point: Point) -> str:
    """The outbox key of a stage's reminder of ``point``: once per point and threshold."""
    return f"remind:{visit_id}:{point.mark}"


@dataclass
class _Told:
    """What one staff member hears of in this run: from which holdings, how many of each."""

    holders: list[Holder] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, holder: Holder, counts: dict[str, int]) -> None:
        self.counts.update(counts)
        if holder not in self.holders:
            self.holders.append(holder)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def tell_points(
    ctx: SweepContext,
    conn: aiosqlite.Connection,
    now: datetime,
    today: date,
    last: date | None,
    *,
    whole_day: bool,
    not_before: datetime | None = None,
) -> int:
    """Queue today's untold points, held back until ``not_before`` (the start of the staff's
    hours, for a run before them); returns how many messages were queued."""
    late_before = late_if_due_before(ctx.calendar, today)
    groups = await told_groups(conn, today, last, whole_day=whole_day, late_before=late_before)
    told = await _by_member(conn, groups)
    if not told:
        return 0
    users = await users_by_id(conn, list(told))
    holders = [holder for heard in told.values() for holder in heard.holders]
    found = iter(
        await told_lines(
            conn,
            today,
            last,
            holders,
            whole_day=whole_day,
            lines=LIST_LINES,
            late_before=late_before,
            lateral=ctx.db.dialect == "postgresql",
        )
    )
    drafts: list[NewMessage] = []
    single: list[tuple[User, ToldLine]] = []
    for user_id, heard in told.items():
        lines = [line for _ in heard.holders for line in next(found)]
        user = users.get(user_id)
        if user is None or not lines:
            continue
        lines.sort(key=lambda line: (line.due_on or date.max, line.application_id))
        if heard.total == 1:
            single.append((user, lines[0]))
        else:
            drafts.append(_tell_list(ctx, user, heard, lines[:LIST_LINES], now, today, not_before))
    drafts += await _tell_each(ctx, conn, single, now, not_before)
    return await ctx.outbox.queue(conn, drafts)


async def _by_member(conn: aiosqlite.Connection, groups: list[ToldGroup]) -> dict[int, _Told]:
    """Each staff member who hears of the groups' points, with their counts."""
    told: defaultdict[int, _Told] = defaultdict(_Told)
    for group in groups:
        if group.by == "cm" and isinstance(group.who, int):
            told[group.who].add(Holder(group.who, Role.CUSTOMER_MANAGER.value), group.counts)
        elif group.by == "pm" and isinstance(group.who, int):
            told[group.who].add(Holder(group.who, Role.PROJECT_MANAGER.value), group.counts)
        elif group.by == "district":
            # Held by no customer manager: whoever hears about such an application of the
            # district (process.audience), i.e. its overseers.
            district = group.who if isinstance(group.who, str) else None
            heard = await audience_in(
                conn,
                customer_manager_id=None,
                project_manager_id=None,
                district=district,
                project_manager_too=False,
            )
            for member in heard:
                every = member.role == Role.ADMIN.value or member.district is None
                holder = Holder(
                    member.user_id, member.role, unheld=True, district=None if every else district
                )
                told[member.user_id].add(holder, group.counts)
    return dict(told)


async def _tell_each(
    ctx: SweepContext,
    conn: aiosqlite.Connection,
    single: list[tuple[User, ToldLine]],
    now: datetime,
    not_before: datetime | None,
) -> list[NewMessage]:
    """The reminder of one stage, with its clock, to each member who has just one."""
    records = await applications_by_id(conn, [line.application_id for _, line in single])
    visits = await visits_by_id(conn, [line.visit_id for _, line in single])
    drafts = []
    for user, line in single:
        record, visit = records.get(line.application_id), visits.get(line.visit_id)
        if record is None or visit is None:
            continue
        point = Point.from_mark(line.mark)
        base = reminder_key(line.visit_id, point)
        # The customer manager's message has the plain key; others add their id.
        key = base if user.user_id == record.customer_manager_id else f"{base}:{user.user_id}"
        clock = visit_clock(ctx.calendar, visit, now, ctx.tz)
        drafts.append(
            ctx.outbox.draft(
                key=key,
                recipient=user,
                template="remind/stage",
                now=now,
                not_before=not_before,
                application_id=record.id,
                kind=f"remind.{point.name}",
                reply_markup=ctx.buttons.staff(user.locale, record),
                params={
                    "app": record,
                    "clock": clock,
                    "point": point.name,
                    "role": line.role,
                    "late_days": clock.days_over,
                },
            )
        )
    return drafts


def _tell_list(
    ctx: SweepContext,
    user: User,
    heard: _Told,
    lines: list[ToldLine],
    now: datetime,
    today: date,
    not_before: datetime | None,
) -> NewMessage:
    """One message listing the first lines, with the counts of each point."""
    calendar = ctx.calendar
    marks = ",".join(f"{line.visit_id}:{line.mark}" for line in lines)
    digest = hashlib.sha256(marks.encode()).hexdigest()[:16]
    shown = [
        {
            "line": line,
            "late_days": days_over(calendar, line.due_on, today)
            if line.point == "overdue" and line.due_on is not None
            else 0,
        }
        for line in lines
    ]
    return ctx.outbox.draft(
        key=f"remind:list:{user.user_id}:{today.isoformat()}:{heard.total}:{digest}",
        recipient=user,
        template="remind/stage_list",
        now=now,
        not_before=not_before,
        kind="remind.list",
        params={
            "lines": shown,
            "counts": dict(heard.counts),
            "total": heard.total,
            "hidden": max(0, heard.total - len(lines)),
            "today": today,
        },
    )
