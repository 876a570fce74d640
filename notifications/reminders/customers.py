"""Messages to customers on the bot's own initiative: progress follow-ups and what they owe.

* A **follow-up** "from their customer manager" when the stage has shown the customer
  nothing new (no event on the application, no message to them about it) for
  ``followup_after_days`` working days while the utility holds the ball: what is being done,
  by whom, and by when. Once per silence: its key names the last event.
* A **reminder of what they owe** (picking a survey time, confirming the plan, the design,
  a document promised under the commitment rule, ...) every ``owed_every_days`` working days
  per item, and never more than one such reminder a day per customer: the item waiting
  longest goes first, the others on the following days.

Both wait for working hours: outside them they are queued for the next working morning,
and the day they are counted for is that morning's.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime

import aiosqlite
from telegram import InlineKeyboardMarkup

from notifications.quiet_hours import customer_send_at
from notifications.reminders.context import BATCH, SweepContext
from process.deadlines import visit_clock
from storage.intake import is_placeholder
from storage.models import Application, OwedItem, StageVisit, User
from storage.outbox import NewMessage
from storage.reminders.reads import (
    PlainApplication,
    applications_by_id,
    customers_reminded_of_owed,
    last_activity,
    last_owed_reminders,
    open_owed_by_application,
    owed_items_by_id,
    plain_applications_by_id,
    staff_by_id,
    users_by_id,
    visits_by_id,
)
from storage.reminders.watch import (
    StageState,
    WatchKind,
    WatchUpdate,
    due_subjects,
    forget_watches,
    update_watches,
)

Look = Callable[[aiosqlite.Connection, list[int]], Awaitable[int]]


# Rows looked at per run while the messages wait for the next working morning: the first
# evening run before a working day would otherwise decide tens of thousands at once (some
# eleven seconds with 100,000 open applications). In slices of 200 rows (about 100 ms),
# each run stays short and the morning's messages are all queued within the first two hours
# of the quiet hours.
AHEAD_PER_RUN = 200


class CustomerReminders:
    """The ``customers`` sweep.

    While customers may be written to, a run decides everything due. During quiet hours and
    days off, what it decides is for the next working morning, so it works ahead in slices
    of ``ahead_per_run`` rows a run; whatever is left when the morning comes is done then.
    """

    def __init__(self, context: SweepContext, *, ahead_per_run: int = AHEAD_PER_RUN) -> None:
        if ahead_per_run < 1:
            raise ValueError("a run looks at one row at least")
        self._ctx = context
        self._ahead_per_run = ahead_per_run

    async def __call__(self, now: datetime) -> int:
        ctx = self._ctx
        await ctx.ready(ctx.today(now))
        send_at = customer_send_at(now, ctx.calendar, ctx.policy.quiet, ctx.tz)
        day = ctx.today(send_at or now)
        run = _Run(ctx, now, send_at, day)
        budget = None if send_at is None else _Budget(self._ahead_per_run)
        return await self._each(WatchKind.FOLLOWUP, day, run.followups, budget) + await self._each(
            WatchKind.OWED, day, run.owed, budget
        )

    async def _each(self, kind: WatchKind, day: date, look: Look, budget: _Budget | None) -> int:
        queued = 0
        while (budget is None or budget.rows) and await self._ctx.anything_due(kind, day):
            limit = BATCH if budget is None else min(BATCH, budget.rows)
            async with self._ctx.db.transaction() as conn:
                ids = await due_subjects(conn, kind, day, limit=limit)
                queued += await look(conn, ids)
            if budget is not None:
                budget.rows -= len(ids)
            await asyncio.sleep(0)  # let waiting handlers have the database
        return queued


class _Budget:
    """The rows a run may still look at."""

    def __init__(self, rows: int) -> None:
        self.rows = rows


class _Run:
    """One run: the moment, when customers may be written to, and the day it counts for."""

    def __init__(
        self, ctx: SweepContext, now: datetime, send_at: datetime | None, day: date
    ) -> None:
        self.ctx = ctx
        self.now = now
        self.send_at = send_at
        self.day = day

    def after(self, day: date, working_days: int) -> date:
        return self.ctx.calendar.add_working_days(day, working_days).day

    # -- follow-ups -------------------------------------------------------------------------

    async def followups(self, conn: aiosqlite.Connection, ids: list[int]) -> int:
        ctx, every = self.ctx, self.ctx.policy.followup_after_days
        visits = await visits_by_id(conn, ids)
        apps = await plain_applications_by_id(conn, [v.application_id for v in visits.values()])
        gone: list[int] = []
        updates: list[WatchUpdate] = []
        running: list[tuple[int, PlainApplication]] = []
        for visit_id in ids:
            visit = visits.get(visit_id)
            app = apps.get(visit.application_id) if visit else None
            if visit is None or app is None or visit.ended_at is not None or app.status != "active":
                gone.append(visit_id)
            elif any(p.ended_at is None for p in visit.pauses):
                # The customer holds the ball: owed-item reminders speak, not follow-ups.
                updates.append(WatchUpdate(visit_id, None, StageState.PAUSED))
            else:
                running.append((visit_id, app))
        activity = await last_activity(conn, [app for _, app in running])
        quiet: list[tuple[int, PlainApplication, int]] = []
        for visit_id, app in running:
            seen = activity.get(app.id)
            if seen is None:
                updates.append(WatchUpdate(visit_id, self.after(self.day, every)))
                continue
            last_day = ctx.today(seen.last_at)
            if ctx.calendar.working_days_between(last_day, self.day) >= every:
                quiet.append((visit_id, app, seen.last_event_id))
                # Looked at again later in case something happens, then silence again.
                updates.append(WatchUpdate(visit_id, self.after(self.day, every)))
            else:
                updates.append(WatchUpdate(visit_id, self.after(last_day, every)))
        await forget_watches(conn, WatchKind.FOLLOWUP, gone)
        await update_watches(conn, WatchKind.FOLLOWUP, updates)
        return await self._follow_up(conn, quiet, visits)

    async def _follow_up(
        self,
        conn: aiosqlite.Connection,
        quiet: list[tuple[int, PlainApplication, int]],
        visits: dict[int, StageVisit],
    ) -> int:
        if not quiet:
            return 0
        ctx = self.ctx
        users = await users_by_id(conn, [app.customer_id for _, app, _ in quiet])
        managers = await staff_by_id(
            conn, [a.customer_manager_id for _, a, _ in quiet if a.customer_manager_id]
        )
        records = await applications_by_id(conn, [a.id for _, a, _ in quiet])
        buttons = await self._buttons(conn, users, records)
        # A document promised under the commitment rule does not pause the clock, so a
        # follow-up can find one still owed: it says so, beside the button that sends it.
        owed = await open_owed_by_application(conn, [a.id for _, a, _ in quiet])
        drafts: list[NewMessage] = []
        for visit_id, brief, last_event_id in quiet:
            customer, app = users.get(brief.customer_id), records.get(brief.id)
            visit = visits[visit_id]
            if customer is None or app is None or not _reachable(customer):
                continue  # blocked the bot: their manager was asked to phone instead
            clock = visit_clock(ctx.calendar, visit, self.now, ctx.tz)
            manager = managers.get(app.customer_manager_id or 0)
            drafted = ctx.outbox.draft(
                key=f"followup:{visit_id}:{last_event_id}",
                recipient=customer,
                template="remind/followup",
                now=self.now,
                application_id=app.id,
                not_before=self.send_at,
                kind="remind.followup",
                reply_markup=buttons.get(app.id),
                params={
                    "app": app,
                    "clock": clock,
                    "manager": manager.name if manager else None,
                    "owed": owed.get(app.id, []),
                },
            )
            drafts.append(drafted)
        # Written together: thousands are due on the first evening run before a working day.
        return await ctx.outbox.queue(conn, drafts)

    async def _buttons(
        self,
        conn: aiosqlite.Connection,
        users: dict[int, User],
        records: dict[int, Application],
    ) -> dict[int, InlineKeyboardMarkup | None]:
        """The buttons of each customer's next step, read for all the messages at once."""
        wanted = [
            (users[app.customer_id].locale, app)
            for app in records.values()
            if app.customer_id in users
        ]
        return await self.ctx.buttons.customer(conn, wanted)

    # -- what the customer owes -------------------------------------------------------------

    async def owed(self, conn: aiosqlite.Connection, ids: list[int]) -> int:
        ctx, every = self.ctx, self.ctx.policy.owed_every_days
        items = await owed_items_by_id(conn, ids)
        apps = await plain_applications_by_id(conn, [i.application_id for i in items.values()])
        gone: list[int] = []
        updates: list[WatchUpdate] = []
        waiting: defaultdict[int, list[tuple[date, OwedItem]]] = defaultdict(list)
        reminded = await last_owed_reminders(conn, ids)
        for item_id in ids:
            item = items.get(item_id)
            app = apps.get(item.application_id) if item else None
            if item is None or app is None or item.resolved_at or app.status != "active":
                gone.append(item_id)
                continue
            since = max(ctx.today(item.created_at), reminded.get(item_id, date.min))
            if ctx.calendar.working_days_between(since, self.day) >= every:
                waiting[app.customer_id].append((since, item))
            else:
                updates.append(WatchUpdate(item_id, self.after(since, every)))
        already = await customers_reminded_of_owed(conn, list(waiting), self.day)
        chosen: list[OwedItem] = []
        for customer_id, candidates in waiting.items():
            candidates.sort(key=lambda pair: (pair[0], pair[1].id))
            first = None if customer_id in already else candidates[0][1]
            for _, item in candidates:
                if item is first:
                    chosen.append(item)
                    updates.append(WatchUpdate(item.id, self.after(self.day, every)))
                else:  # one reminder a day per customer: the others wait for tomorrow
                    updates.append(WatchUpdate(item.id, self.after(self.day, 1)))
        await forget_watches(conn, WatchKind.OWED, gone)
        await update_watches(conn, WatchKind.OWED, updates)
        return await self._remind_owed(conn, chosen, apps)

    async def _remind_owed(
        self, conn: aiosqlite.Connection, chosen: list[OwedItem], apps: dict[int, PlainApplication]
    ) -> int:
        if not chosen:
            return 0
        ctx = self.ctx
        users = await users_by_id(conn, [apps[i.application_id].customer_id for i in chosen])
        still_owed = await open_owed_by_application(conn, [i.application_id for i in chosen])
        records = await applications_by_id(conn, [i.application_id for i in chosen])
        buttons = await self._buttons(conn, users, records)
        drafts: list[NewMessage] = []
        for item in chosen:
            customer = users.get(apps[item.application_id].customer_id)
            app = records.get(item.application_id)
            if customer is None or app is None or not _reachable(customer):
                continue
            others = [o for o in still_owed.get(app.id, []) if o.kind != item.kind]
            drafted = ctx.outbox.draft(
                key=f"owed:{app.id}:{item.kind}:{self.day.isoformat()}",
                recipient=customer,
                template="remind/owed",
                now=self.now,
                application_id=app.id,
                not_before=self.send_at,
                kind="remind.owed",
                reply_markup=buttons.get(app.id),
                params={
                    "app": app,
                    "item": item,
                    "others": others,
                    "waited_days": ctx.calendar.working_days_between(
                        ctx.today(item.created_at), self.day
                    ),
                },
            )
            drafts.append(drafted)
        return await ctx.outbox.queue(conn, drafts)


def _reachable(customer: User) -> bool:
    """Neither blocked the bot (their manager was asked to phone instead) nor a placeholder
    for a customer who has not claimed the application in Telegram yet (reminded once they
    have: the sweep finds the item still owed)."""
    return customer.unreachable_at is None and not is_placeholder(customer.user_id)
