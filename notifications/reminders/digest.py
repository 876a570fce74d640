"""The supervisors' morning digest: one message per supervisor each working day.

At ``digest_at`` (08:30 by default) on a working day, or at the first run after it within
the staff's hours, every active supervisor gets the state of their district (or of all
districts): applications submitted since the last digest was written, stages due today,
stages overdue, and applications waiting on their customers (clock paused). Counts are
complete; each list names the first few.

A digest that could not be written in the day's staff hours (the bot was down) is not sent
in the evening: the next working morning's digest is the next one, and its "new" reaches
back to the last digest sent, so nothing submitted in between is left out.

It reads the stage states the ``stage`` sweep keeps, so it runs after it in the same run.
The day's digests are recorded as done, so a restart later that day does not read it all
again just to find every message already queued.
"""

from __future__ import annotations

from datetime import date, datetime

import aiosqlite

from notifications.quiet_hours import previous_workday, staff_day_over
from notifications.reminders.context import SweepContext
from process.deadlines import late_if_due_before
from storage.codec import time_from_db, time_to_db
from storage.reminders.reads import applications_by_id, existing_keys, supervisors, users_by_id
from storage.reminders.sections import DIGEST_SECTIONS, DistrictSection, district_section
from storage.reminders.watch import meta_value, set_meta
from storage.staff.models import Staff

LINES_PER_SECTION = 8
DONE_KEY = "digest"
SINCE_KEY = "digest_until"  # reminder_meta: up to when the last digest counted "new"


class SupervisorDigest:
    """The ``digest`` sweep."""

    def __init__(self, context: SweepContext) -> None:
        self._ctx = context
        self._sent_on: date | None = None

    async def __call__(self, now: datetime) -> int:
        ctx = self._ctx
        local = ctx.local(now)
        today = local.date()
        if (
            self._sent_on == today
            or not ctx.calendar.is_workday(today)
            or local.time() < ctx.policy.digest_at
            or staff_day_over(now, ctx.policy.staff_hours, ctx.tz)
        ):
            return 0
        await ctx.ready(today)
        queued = 0
        async with ctx.db.snapshot() as conn:
            done = await meta_value(conn, DONE_KEY) == today.isoformat()
            nobody = not done and not await supervisors(conn)
        if nobody:
            # Looked at again next run: a supervisor enrolled later in the morning still
            # gets the day's digest.
            return 0
        if not done:
            async with ctx.db.transaction() as conn:
                queued = await self._send(conn, now, today)
                await set_meta(conn, DONE_KEY, today.isoformat())
        self._sent_on = today
        return queued

    async def _send(self, conn: aiosqlite.Connection, now: datetime, today: date) -> int:
        ctx = self._ctx
        readers = await supervisors(conn)
        keys = {m.user_id: f"digest:{m.user_id}:{today.isoformat()}" for m in readers}
        sent = await existing_keys(conn, list(keys.values()))
        readers = [m for m in readers if keys[m.user_id] not in sent]
        if not readers:
            return 0
        last = await meta_value(conn, SINCE_KEY)
        # "New" is new since the last digest was written; before the first, since the
        # previous working day's digest time.
        since = (
            time_from_db(last)
            if last
            else datetime.combine(
                previous_workday(ctx.calendar, today), ctx.policy.digest_at, tzinfo=ctx.tz
            )
        )
        until = now
        await set_meta(conn, SINCE_KEY, time_to_db(until))
        found = {
            name: await district_section(
                conn,
                name,
                today=today,
                since=time_to_db(since),
                until=time_to_db(until),
                per_district=LINES_PER_SECTION,
                late_before=late_if_due_before(ctx.calendar, today),
            )
            for name in DIGEST_SECTIONS
        }
        named = {
            m.user_id: {name: _for(section, m) for name, section in found.items()} for m in readers
        }
        shown = {i for per in named.values() for ids, _ in per.values() for i in ids}
        apps = await applications_by_id(conn, sorted(shown))
        users = await users_by_id(conn, [m.user_id for m in readers])
        queued = 0
        for member in readers:
            user = users.get(member.user_id)
            if user is None:
                continue
            sections = {
                name: {"apps": [apps[i] for i in ids if i in apps], "count": count}
                for name, (ids, count) in named[member.user_id].items()
            }
            queued += await ctx.outbox.message(
                conn,
                key=keys[member.user_id],
                recipient=user,
                template="remind/digest",
                now=now,
                kind="remind.digest",
                params={
                    "today": today,
                    "since": since,
                    "district": member.district,
                    "sections": sections,
                    "order": DIGEST_SECTIONS,
                },
            )
        return queued


def _for(section: DistrictSection, member: Staff) -> tuple[list[int], int]:
    """The ids to name and the full count, for a supervisor of one district or of all."""
    if member.district is None:
        listed, count = section.first_overall, section.total
    else:
        listed = section.first.get(member.district, [])
        count = section.counts.get(member.district, 0)
    return [item.application_id for item in listed[:LINES_PER_SECTION]], count
