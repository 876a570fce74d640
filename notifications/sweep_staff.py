"""Reminders to the staff who hold an application, and escalations to their supervisors.

For the stage an application is in, while its clock runs, the customer manager (and the
project manager too in design review and inspection, where they act) is told on the working
day half the stage's limit is used, on the working day before the deadline, on the day, and
on every working day it is overdue. A sweep that was down for a while says what is true
now, the most advanced of these, rather than everything it missed. Without a customer
manager the district's supervisors are told instead.

When several points of one staff member fall in the same run (the first run of a working
day, above all), they come as one list, the most urgent first, rather than a message each.

Overdue applications are also escalated, once a working day, in one message per supervisor
(or admin) listing all the overdue applications of their districts
(:mod:`notifications.sweep_escalation`).

Staff alerts are not held back by quiet hours: they are due at the start of the working day
they are about, and go out then.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import aiosqlite

from notifications.stage_points import (
    Point,
    days_to_next_point,
    point_dates,
    reminder_key,
    stage_point,
)
from notifications.sweep_escalation import Escalations
from notifications.sweeps import BATCH, SweepContext
from process.deadlines import Pause, StageClock, stage_clock
from storage.models import Application, StageVisit, User
from storage.reminder_points import (
    PointDates,
    ToldLine,
    mark_told,
    postpone_to,
    store_points,
    told_today,
)
from storage.reminder_reads import (
    applications_by_id,
    briefs_by_id,
    users_by_id,
    visits_by_id,
)
from storage.reminders import (
    StageState,
    WatchKind,
    WatchUpdate,
    changed_subjects,
    forget_watches,
    update_watches,
)

LIST_LINES = 30  # applications named in one list of reminders; the rest are counted


class StageReminders:
    """The ``stage`` sweep: reminders to staff, then the day's escalations.

    A run first counts afresh the clocks of the stages that changed since it last looked and
    stores the dates of their points; then it tells, set-wise, what the stored dates call for
    today (see :mod:`storage.reminder_points`): one message per staff member and run.
    """

    def __init__(self, context: SweepContext) -> None:
        self._ctx = context
        self._escalations = Escalations(context)
        self._escalated_on: date | None = None

    async def __call__(self, now: datetime) -> int:
        ctx = self._ctx
        today = ctx.today(now)
        await ctx.ready(today)
        while await ctx.anything_to_look_at(today):
            async with ctx.db.transaction() as conn:
                ids = await changed_subjects(conn, today, limit=BATCH)
                await self._look(conn, ids, now, today)
            await asyncio.sleep(0)  # let waiting handlers have the database
        queued = await self._tell_due(now, today)
        if ctx.calendar.is_workday(today) and self._escalated_on != today:
            queued += await self._escalations(now, today)
            self._escalated_on = today
        return queued

    async def _tell_due(self, now: datetime, today: date) -> int:
        ctx = self._ctx
        if not await ctx.anything_due(WatchKind.STAGE, today):
            return 0
        next_workday = ctx.calendar.add_working_days(today, 1).day
        async with ctx.db.transaction() as conn:
            if not ctx.calendar.is_workday(today):
                await postpone_to(conn, today, next_workday)
                return 0
            lines = await told_today(conn, today, lines=LIST_LINES)
            queued = await self._tell(conn, lines, now, today)
            await mark_told(conn, today, next_workday)
            return queued

    async def _look(
        self, conn: aiosqlite.Connection, ids: list[int], now: datetime, today: date
    ) -> None:
        """Count the clocks of stages that changed, and store when each reaches its points."""
        ctx = self._ctx
        visits = await visits_by_id(conn, ids)
        apps = await briefs_by_id(conn, [v.application_id for v in visits.values()])
        gone: list[int] = []
        updates: list[WatchUpdate] = []
        dates: list[tuple[int, PointDates]] = []
        workday = ctx.calendar.is_workday(today)
        for visit_id in ids:
            visit = visits.get(visit_id)
            app = apps.get(visit.application_id) if visit else None
            if visit is None or app is None or visit.ended_at is not None or app.status != "active":
                gone.append(visit_id)
                continue
            if any(p.ended_at is None for p in visit.pauses):
                updates.append(WatchUpdate(visit_id, None, StageState.PAUSED))
                continue
            clock = _clock(ctx, visit, now)
            if not workday:  # counted again on the next working day
                next_day = ctx.calendar.add_working_days(today, 1).day
                updates.append(WatchUpdate(visit_id, next_day, StageState.RUNNING, clock.due))
                continue
            point = stage_point(clock.used_days, clock.limit_days, today)
            step = days_to_next_point(clock.used_days, clock.limit_days)
            check_on = today if point else ctx.calendar.add_working_days(today, step).day
            updates.append(WatchUpdate(visit_id, check_on, StageState.RUNNING, clock.due))
            dates.append(
                (visit_id, point_dates(clock.used_days, clock.limit_days, today, ctx.calendar))
            )
        await forget_watches(conn, WatchKind.STAGE, gone)
        # The dates first: update_watches leaves rows without them to the next look.
        await update_watches(conn, WatchKind.STAGE, updates)
        await store_points(conn, dates)

    async def _tell(
        self, conn: aiosqlite.Connection, lines: Sequence[ToldLine], now: datetime, today: date
    ) -> int:
        """One message per staff member: the reminder itself when there is one, else a list."""
        by_member: defaultdict[int, list[ToldLine]] = defaultdict(list)
        for line in lines:
            by_member[line.user_id].append(line)
        users = await users_by_id(conn, list(by_member))
        single = [told[0] for told in by_member.values() if told[0].total == 1]
        records = await applications_by_id(conn, [line.application_id for line in single])
        visits = await visits_by_id(conn, [line.visit_id for line in single])
        queued = 0
        for user_id, told in by_member.items():
            user = users.get(user_id)
            if user is None:
                continue
            first = told[0]
            if first.total > 1:
                queued += await self._tell_list(conn, user, told, now, today)
                continue
            record, visit = records.get(first.application_id), visits.get(first.visit_id)
            if record is None or visit is None:
                continue
            point = Point(*first.mark.split(":", 1))
            base = reminder_key(first.visit_id, point)
            # The customer manager's message has the plain key; others add their id.
            key = base if user_id == record.customer_manager_id else f"{base}:{user_id}"
            clock = _clock(self._ctx, visit, now)
            queued += await _tell_holder(
                self._ctx, conn, key, user, first.role, record, clock, point, now
            )
        return queued

    async def _tell_list(
        self,
        conn: aiosqlite.Connection,
        user: User,
        told: Sequence[ToldLine],
        now: datetime,
        today: date,
    ) -> int:
        calendar = self._ctx.calendar
        counts = {line.point: line.of_point for line in told}
        marks = ",".join(f"{line.visit_id}:{line.mark}" for line in told)
        digest = hashlib.sha256(marks.encode()).hexdigest()[:16]
        shown = [
            {
                "line": line,
                "late_days": calendar.working_days_between(line.due_on, today)
                if line.point == "overdue" and line.due_on is not None
                else 0,
            }
            for line in told
        ]
        return int(
            await self._ctx.outbox.message(
                conn,
                key=f"remind:list:{user.user_id}:{today.isoformat()}:{told[0].total}:{digest}",
                recipient=user,
                template="remind/stage_list",
                now=now,
                kind="remind.list",
                lines=shown,
                counts=counts,
                total=told[0].total,
                hidden=max(0, told[0].total - len(told)),
                today=today,
            )
        )


def _clock(ctx: SweepContext, visit: StageVisit, now: datetime) -> StageClock:
    pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
    return stage_clock(ctx.calendar, visit.started_at, visit.limit_days, pauses, now, ctx.tz)


async def _tell_holder(
    ctx: SweepContext,
    conn: aiosqlite.Connection,
    key: str,
    user: User,
    role: str,
    app: Application,
    clock: StageClock,
    point: Point,
    now: datetime,
) -> int:
    return int(
        await ctx.outbox.message(
            conn,
            key=key,
            recipient=user,
            template="remind/stage",
            now=now,
            application_id=app.id,
            kind=f"remind.{point.name}",
            reply_markup=ctx.buttons.staff(user.locale, app),
            app=app,
            clock=clock,
            point=point.name,
            role=role,
            late_days=max(0, clock.used_days - clock.limit_days),
        )
    )
