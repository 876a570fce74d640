"""Reminders to the staff who hold an application, and escalations to their supervisors.

For the stage an application is in, while its clock runs, the customer manager (and the
project manager too in design review and inspection, where they act) is told on the working
day half the stage's limit is used, on the working day before the deadline, on the day, and
on every working day it is overdue. A sweep that was down for a while says what is true
now, the most advanced of these, rather than everything it missed. Without a customer
manager the district's supervisors are told instead.

When several points of one staff member fall in the same run (the first run of a working
day, above all), they come as one list, the most urgent first, rather than a message each
(:mod:`notifications.reminders.stage_tell`).

Overdue applications are also escalated, once a working day, in one message per supervisor
(or admin) listing all the overdue applications of their districts
(:mod:`notifications.reminders.escalation`).

Staff are written to in their working hours (:class:`~notifications.quiet_hours.StaffHours`,
08:00–18:00 by default). The day's points and escalations are decided by the first run of
the working day, whenever it comes, and delivered at the start of the hours; a run after
the hours have ended tells nothing, and leaves it to the next working day's, which says
what is true then.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import aiosqlite

from notifications.quiet_hours import staff_day_over, staff_send_at
from notifications.reminders.context import BATCH, SweepContext
from notifications.reminders.escalation import Escalations
from notifications.reminders.stage_tell import tell_points
from process.deadlines import (
    PointDates,
    late_if_due_before,
    point_dates,
    stage_point,
    visit_clock,
)
from storage.reminders.points import (
    Holding,
    any_to_tell,
    last_day_pass,
    mark_told,
    remember_told,
    store_holdings,
    store_points,
)
from storage.reminders.reads import plain_applications_by_id, visits_by_id
from storage.reminders.watch import (
    StageState,
    WatchKind,
    WatchUpdate,
    changed_subjects,
    forget_watches,
    update_watches,
)


class StageReminders:
    """The ``stage`` sweep: reminders to staff, then the day's escalations.

    A run first counts afresh the clocks of the stages that changed since it last looked and
    stores the dates of their points (:func:`process.deadlines.point_dates`); then it tells
    what the stored dates call for today (:mod:`storage.reminders.points`, which reads them
    as :func:`process.deadlines.stage_point` says): the first run of a working day for every
    stage, later runs for the stages they counted. One message per staff member and run.
    """

    def __init__(self, context: SweepContext) -> None:
        self._ctx = context
        self._escalations = Escalations(context)
        self._escalated_on: date | None = None
        self._day_passed_on: date | None = None

    async def __call__(self, now: datetime) -> int:
        ctx = self._ctx
        today = ctx.today(now)
        await ctx.ready(today)
        while await ctx.anything_to_look_at(today):
            async with ctx.db.transaction() as conn:
                await self._look_at_changed(conn, now, today, limit=BATCH)
            await asyncio.sleep(0)  # let waiting handlers have the database
        queued = 0
        hours = ctx.policy.staff_hours
        if ctx.calendar.is_workday(today) and not staff_day_over(now, hours, ctx.tz):
            not_before = staff_send_at(now, ctx.calendar, hours, ctx.tz)
            queued = await self._tell_due(now, today, not_before)
            if self._escalated_on != today:
                queued += await self._escalations(now, today, not_before)
                self._escalated_on = today
        return queued

    async def _tell_due(self, now: datetime, today: date, not_before: datetime | None) -> int:
        """Tell today's points: a day pass at the first run of the day, else only the stages
        counted today (read-only when there are none, as in the usual minute)."""
        async with self._ctx.db.snapshot() as conn:
            if self._day_passed_on != today:
                last = await last_day_pass(conn)
                if last is not None and last >= today:
                    self._day_passed_on = today
            if self._day_passed_on == today and not await any_to_tell(conn, today):
                return 0
        async with self._ctx.db.transaction() as conn:
            last = await last_day_pass(conn)
            whole_day = last is None or last < today
            # A day pass sees every stage as it is now: none left changed and uncounted.
            while await self._look_at_changed(conn, now, today, limit=BATCH):
                pass
            queued = await tell_points(
                self._ctx, conn, now, today, last, whole_day=whole_day, not_before=not_before
            )
            await mark_told(
                conn,
                today,
                whole_day=whole_day,
                late_before=late_if_due_before(self._ctx.calendar, today),
            )
        self._day_passed_on = today
        return queued

    async def _look_at_changed(
        self, conn: aiosqlite.Connection, now: datetime, today: date, *, limit: int
    ) -> int:
        ids = await changed_subjects(conn, today, limit=limit)
        if ids:
            await self._look(conn, ids, now, today)
        return len(ids)

    async def _look(
        self, conn: aiosqlite.Connection, ids: list[int], now: datetime, today: date
    ) -> None:
        """Count the clocks of stages that changed, and store when each reaches its points."""
        ctx = self._ctx
        visits = await visits_by_id(conn, ids)
        apps = await plain_applications_by_id(conn, [v.application_id for v in visits.values()])
        gone: list[int] = []
        updates: list[WatchUpdate] = []
        holdings: list[tuple[int, Holding]] = []
        dated: list[tuple[int, PointDates]] = []
        workday = ctx.calendar.is_workday(today)
        for visit_id in ids:
            visit = visits.get(visit_id)
            app = apps.get(visit.application_id) if visit else None
            if visit is None or app is None or visit.ended_at is not None or app.status != "active":
                gone.append(visit_id)
                continue
            holdings.append(
                (
                    visit_id,
                    Holding(
                        app.id,
                        app.district,
                        app.customer_manager_id,
                        app.project_manager_id,
                        visit.stage,
                        visit.limit_days,
                    ),
                )
            )
            if any(p.ended_at is None for p in visit.pauses):
                updates.append(WatchUpdate(visit_id, None, StageState.PAUSED))
                continue
            clock = visit_clock(ctx.calendar, visit, now, ctx.tz)
            if not workday:  # dated on the next working day, when its points can be told
                next_day = ctx.calendar.add_working_days(today, 1).day
                updates.append(WatchUpdate(visit_id, next_day, StageState.RUNNING, clock.due))
                continue
            # Told by this run if a point is reached today; later points by the day passes.
            point = stage_point(clock, today)
            check_on = today if point else None
            updates.append(WatchUpdate(visit_id, check_on, StageState.RUNNING, clock.due))
            dated.append((visit_id, point_dates(ctx.calendar, clock, today)))
        # What the last day pass told is kept before the old dates are cleared.
        await remember_told(conn, ids, await last_day_pass(conn))
        await forget_watches(conn, WatchKind.STAGE, gone)
        await update_watches(conn, WatchKind.STAGE, updates)
        await store_holdings(conn, holdings)
        await store_points(conn, dated, today)
