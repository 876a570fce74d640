"""The daily escalation of overdue applications to supervisors and admins.

Once a working day, in one message per supervisor (or admin) listing the overdue
applications of their districts, the longest overdue first; only the first lines are named
and the rest counted. Recorded as done for the day, so a restart does not read it all again.
Decided by the day's first run; delivered at the start of the staff's hours, not at night.
"""

from __future__ import annotations

from datetime import date, datetime

import aiosqlite

from notifications.reminders.context import SweepContext
from process.deadlines import days_over, late_if_due_before
from process.roles import Role
from storage.models import Application
from storage.outbox import NewMessage
from storage.reminders.points import PROJECT_STAGES
from storage.reminders.reads import applications_by_id, existing_keys, staff_by_id, users_by_id
from storage.reminders.sections import Listed, any_overdue, district_section
from storage.reminders.watch import meta_value, set_meta
from storage.staff.assign import overseers_of
from storage.staff.models import Staff

ESCALATION_LINES = 30  # applications named in one escalation; the rest are counted
ESCALATED_KEY = "escalated"  # reminder_meta: the last day whose escalations were queued


class Escalations:
    """Queues the day's escalations, once per working day."""

    def __init__(self, context: SweepContext) -> None:
        self._ctx = context

    async def __call__(self, now: datetime, today: date, not_before: datetime | None = None) -> int:
        """``not_before``: the start of the staff's hours, for a run before them."""
        return await self._escalate(now, today, not_before)

    async def _escalate(self, now: datetime, today: date, not_before: datetime | None) -> int:
        """Once a working day; recorded as done, so a restart does not read it all again."""
        async with self._ctx.db.snapshot() as conn:
            if await meta_value(conn, ESCALATED_KEY) == today.isoformat():
                return 0
            if not await any_overdue(conn, late_if_due_before(self._ctx.calendar, today)):
                return 0  # nothing to write, not even that it is done
        async with self._ctx.db.transaction() as conn:
            if await meta_value(conn, ESCALATED_KEY) == today.isoformat():
                return 0
            queued = await self._escalate_in(conn, now, today, not_before)
            await set_meta(conn, ESCALATED_KEY, today.isoformat())
            return queued

    async def _escalate_in(
        self, conn: aiosqlite.Connection, now: datetime, today: date, not_before: datetime | None
    ) -> int:
        ctx = self._ctx
        late = await district_section(
            conn,
            "overdue",
            today=today,
            per_district=ESCALATION_LINES,
            late_before=late_if_due_before(ctx.calendar, today),
        )
        if not late.counts:
            return 0
        # Each overseer: the overdue of their district, or of every district.
        scopes: dict[int, str | None] = {}
        every: set[int] = set()
        for district in late.counts:
            for member in await overseers_of(conn, district):
                if member.role == Role.ADMIN.value or member.district is None:
                    every.add(member.user_id)
                else:
                    scopes[member.user_id] = district
        keys = {uid: f"escalate:{uid}:{today.isoformat()}" for uid in scopes.keys() | every}
        sent = await existing_keys(conn, list(keys.values()))
        # The longest overdue first; only the first lines are named in the message.
        pending: dict[int, tuple[list[Listed], int]] = {
            uid: (late.first_overall, late.total)
            if uid in every
            else (late.first[scopes[uid]], late.counts[scopes[uid]])
            for uid in keys
            if keys[uid] not in sent
        }
        if not pending:
            return 0
        shown_ids = {item.application_id for items, _ in pending.values() for item in items}
        apps = await applications_by_id(conn, list(shown_ids))
        holders = await staff_by_id(
            conn,
            [
                uid
                for a in apps.values()
                for uid in (a.customer_manager_id, a.project_manager_id)
                if uid is not None
            ],
        )
        users = await users_by_id(conn, list(pending))
        drafts: list[NewMessage] = []
        for uid, (items, total) in pending.items():
            user = users.get(uid)
            if user is None:
                continue
            lines = [
                {
                    "app": apps[item.application_id],
                    "due": item.due_on,
                    "late_days": days_over(ctx.calendar, item.due_on, today),
                    "holders": holders_of(holders, apps[item.application_id]),
                }
                for item in items
                if item.application_id in apps and item.due_on is not None
            ]
            drafted = ctx.outbox.draft(
                key=keys[uid],
                recipient=user,
                template="remind/escalation",
                now=now,
                not_before=not_before,
                kind="remind.escalation",
                params={
                    "lines": lines,
                    "total": total,
                    "hidden": max(0, total - len(lines)),
                    "today": today,
                },
            )
            drafts.append(drafted)
        return await ctx.outbox.queue(conn, drafts)


def holders_of(staff: dict[int, Staff], app: Application) -> list[dict[str, str]]:
    """Who holds the overdue stage, by name and role: the customer manager, and the project
    manager in the stages where they act (as the stage reminders go), so a supervisor knows
    whom to follow up with."""
    wanted = [(app.customer_manager_id, Role.CUSTOMER_MANAGER)]
    if app.stage in PROJECT_STAGES and app.project_manager_id != app.customer_manager_id:
        wanted.append((app.project_manager_id, Role.PROJECT_MANAGER))
    return [
        {"name": staff[uid].name, "role": role.value}
        for uid, role in wanted
        if uid is not None and uid in staff
    ]
