"""The daily escalation of overdue applications to supervisors and admins.

Once a working day, in one message per supervisor (or admin) listing the overdue
applications of their districts, the longest overdue first; only the first lines are named
and the rest counted. Recorded as done for the day, so a restart does not read it all again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import aiosqlite

from notifications.sweeps import SweepContext, existing_keys
from storage.reminder_reads import applications_by_id, staff_by_id, users_by_id
from storage.reminders import LateVisit, any_overdue, meta_value, overdue_visits, set_meta
from storage.staff_assign import overseers_of
from storage.staff_models import Staff

ESCALATION_LINES = 30  # applications named in one escalation; the rest are counted
ESCALATED_KEY = "escalated"  # reminder_meta: the last day whose escalations were queued


class Escalations:
    """Queues the day's escalations, once per working day."""

    def __init__(self, context: SweepContext) -> None:
        self._ctx = context

    async def __call__(self, now: datetime, today: date) -> int:
        return await self._escalate(now, today)

    async def _escalate(self, now: datetime, today: date) -> int:
        """Once a working day; recorded as done, so a restart does not read it all again."""
        async with self._ctx.db.snapshot() as conn:
            if await meta_value(conn, ESCALATED_KEY) == today.isoformat():
                return 0
            if not await any_overdue(conn, today):
                return 0  # nothing to write, not even that it is done
        async with self._ctx.db.transaction() as conn:
            if await meta_value(conn, ESCALATED_KEY) == today.isoformat():
                return 0
            queued = await self._escalate_in(conn, now, today)
            await set_meta(conn, ESCALATED_KEY, today.isoformat())
            return queued

    async def _escalate_in(self, conn: aiosqlite.Connection, now: datetime, today: date) -> int:
        ctx = self._ctx
        late = await overdue_visits(conn, today)
        if not late:
            return 0
        by_district: defaultdict[str | None, list[LateVisit]] = defaultdict(list)
        for visit in late:
            by_district[visit.district].append(visit)
        by_overseer: defaultdict[int, list[LateVisit]] = defaultdict(list)
        for district, visits in by_district.items():
            for member in await overseers_of(conn, district):
                by_overseer[member.user_id].extend(visits)
        keys = {uid: f"escalate:{uid}:{today.isoformat()}" for uid in by_overseer}
        sent = await existing_keys(conn, list(keys.values()))
        # The longest overdue first; only the first lines are named in the message.
        pending = {
            uid: sorted(items, key=lambda v: (v.due_on, v.application_id))
            for uid, items in by_overseer.items()
            if keys[uid] not in sent
        }
        if not pending:
            return 0
        shown_ids = {
            v.application_id for items in pending.values() for v in items[:ESCALATION_LINES]
        }
        apps = await applications_by_id(conn, list(shown_ids))
        holders = await staff_by_id(
            conn, [a.customer_manager_id for a in apps.values() if a.customer_manager_id]
        )
        users = await users_by_id(conn, list(pending))
        queued = 0
        for uid, items in pending.items():
            user = users.get(uid)
            if user is None:
                continue
            lines = [
                {
                    "app": apps[v.application_id],
                    "due": v.due_on,
                    "late_days": ctx.calendar.working_days_between(v.due_on, today),
                    "holder": _name(holders, apps[v.application_id].customer_manager_id),
                }
                for v in items[:ESCALATION_LINES]
                if v.application_id in apps
            ]
            queued += await ctx.outbox.message(
                conn,
                key=keys[uid],
                recipient=user,
                template="remind/escalation",
                now=now,
                kind="remind.escalation",
                lines=lines,
                total=len(items),
                hidden=max(0, len(items) - len(lines)),
                today=today,
            )
        return queued


def _name(staff: dict[int, Staff], user_id: int | None) -> str | None:
    member = staff.get(user_id) if user_id is not None else None
    return member.name if member else None
