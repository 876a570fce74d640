"""The survey's sweep: invite a working day after energization, remind, close.

It runs with the other sweeps (every minute or so) and reads everything from the tables, so
nothing is scheduled per survey and a restart loses nothing. Each message has an
idempotency key (``survey:invite:<app>``, ``survey:remind:<app>:<n>``), so running twice
sends once. Customers hear from the bot only inside working hours (the reminders' quiet
hours: 08:00–21:00 on a working day by default); a message that falls outside waits in the
outbox for the next working morning.

Times count in Chinese working days from the moment of the event, keeping its time of day:
energized on Friday at 15:00 means invited on Monday at 15:00 (or the next working day, over
a holiday). Reminders follow 3 and 7 working days after the invitation, and the survey
closes unanswered after 14. A low overall score left unfinished for an hour is alerted with
the answers so far (see :mod:`notifications.survey_alert`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

import aiosqlite

from notifications.outbox import Outbox
from notifications.quiet_hours import QuietHours, StaffHours, customer_send_at, staff_send_at
from notifications.render import Texts
from notifications.survey_alert import needs_alert, queue_low_score_alert
from notifications.survey_questions import question_markup, question_params, queue_invitation
from process.calendar import WorkingCalendar
from storage.db import Database
from storage.models import Application
from storage.survey import (
    SurveyRepo,
    SurveyResponse,
    alerted,
    application_in,
    close,
    invite,
    mark_reminded,
    staff_in,
)
from storage.users import user_in

SURVEY_SWEEP = "survey"  # its name among the scheduler's sweeps
# How far back to look for energized applications: beyond any 14 working days, holidays
# included, so an application is either invited in time or never.
LOOKBACK = timedelta(days=45)


@dataclass(frozen=True)
class SurveyTimes:
    invite_after: int = 1  # working days after energization
    reminders: tuple[int, ...] = (3, 7)  # working days after the invitation
    close_after: int = 14
    # A low overall score left unfinished this long is alerted without waiting for the rest.
    alert_after: timedelta = timedelta(hours=1)
    quiet: QuietHours = field(default_factory=QuietHours)  # customers are left alone then
    staff_hours: StaffHours = field(default_factory=StaffHours)  # when staff hear of alerts


def working_days_later(
    moment: datetime, days: int, calendar: WorkingCalendar, tz: tzinfo
) -> datetime:
    """The same time of day, ``days`` working days after the local date of ``moment``."""
    local = moment.astimezone(tz)
    day = calendar.add_working_days(local.date(), days).day
    return datetime.combine(day, local.time(), tzinfo=tz)


class SurveySweep:
    """Call it with the current moment; returns how many surveys it invited, reminded,
    alerted about or closed."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        texts: Texts,
        calendar: WorkingCalendar,
        tz: tzinfo,
        times: SurveyTimes | None = None,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._texts = texts
        self._calendar = calendar
        self._tz = tz
        self._times = times or SurveyTimes()
        self._surveys = SurveyRepo(db)

    async def __call__(self, now: datetime) -> int:
        return await self.invite(now) + await self.follow_up(now)

    # -- when -----------------------------------------------------------------------------

    def invitation_due(self, energized_at: datetime) -> datetime:
        later = working_days_later(energized_at, self._times.invite_after, self._calendar, self._tz)
        return self._within_hours(later)

    def reminder_due(self, invited_at: datetime, days: int) -> datetime:
        return self._within_hours(working_days_later(invited_at, days, self._calendar, self._tz))

    def closes_at(self, invited_at: datetime) -> datetime:
        return working_days_later(invited_at, self._times.close_after, self._calendar, self._tz)

    def _within_hours(self, moment: datetime) -> datetime:
        """``moment`` if a customer may be written to then, else the next working morning."""
        later = customer_send_at(moment, self._calendar, self._times.quiet, self._tz)
        return moment if later is None else later

    # -- what -----------------------------------------------------------------------------

    async def invite(self, now: datetime) -> int:
        """Queue the invitations that are due; each application is invited once, ever."""
        invited = 0
        for found in await self._surveys.energized_since(now - LOOKBACK):
            due = self.invitation_due(found.energized_at)
            send_at = self._within_hours(now)
            if now < due or send_at >= self.closes_at(due):
                continue  # not yet, or so late that the survey would already be closed
            invited += await self._invite_one(found.application, send_at, now)
        return invited

    async def _invite_one(self, application: Application, send_at: datetime, now: datetime) -> int:
        async with self._db.transaction() as conn:
            recipient = await user_in(conn, application.customer_id)
            if recipient is None or not await invite(
                conn,
                application_id=application.id,
                customer_id=application.customer_id,
                invited_at=send_at,
                now=now,
            ):
                return 0
            await queue_invitation(
                conn,
                self._outbox,
                self._texts,
                application=application,
                recipient=recipient,
                manager=await self._manager_name_in(conn, application),
                now=now,
                not_before=send_at if send_at > now else None,
            )
        return 1

    async def follow_up(self, now: datetime) -> int:
        """Remind or close the surveys still waiting for their answers."""
        done = 0
        for survey in await self._surveys.waiting():
            if now >= self.closes_at(survey.invited_at):
                done += await self._close(survey, now)
                continue
            if needs_alert(survey) and now >= survey.updated_at + self._times.alert_after:
                done += await self._alert_unfinished(survey, now)
            due = [
                number
                for number, days in enumerate(self._times.reminders, start=1)
                if now >= self.reminder_due(survey.invited_at, days)
            ]
            # After a long stop only the latest reminder goes out, not a burst of old ones.
            if due and due[-1] > survey.reminders_sent:
                done += await self._remind(survey, due[-1], now)
        return done

    async def _remind(self, survey: SurveyResponse, number: int, now: datetime) -> int:
        question = survey.next_question()
        if question is None:  # pragma: no cover - waiting() lists open surveys only
            return 0
        send_at = self._within_hours(now)
        closes_on = self.closes_at(survey.invited_at).astimezone(self._tz).date()
        async with self._db.transaction() as conn:
            application = await application_in(conn, survey.application_id)
            recipient = await user_in(conn, survey.customer_id)
            if application is None or recipient is None:
                return 0
            manager = await self._manager_name_in(conn, application)
            await self._outbox.message(
                conn,
                key=f"survey:remind:{application.id}:{number}",
                recipient=recipient,
                template="survey/question",
                now=now,
                application_id=application.id,
                reply_markup=question_markup(
                    self._texts, recipient.locale, application.id, question
                ),
                not_before=send_at if send_at > now else None,
                kind="survey.remind",
                params=question_params(
                    application,
                    question,
                    mode="reminder",
                    manager=manager,
                    reminder=number,
                    closes_on=closes_on,
                ),
            )
            await mark_reminded(conn, survey.id, number)
        return 1

    async def _close(self, survey: SurveyResponse, now: datetime) -> int:
        async with self._db.transaction() as conn:
            return 0 if await close(conn, survey.id, now) is None else 1

    async def _alert_unfinished(self, survey: SurveyResponse, now: datetime) -> int:
        async with self._db.transaction() as conn:
            application = await application_in(conn, survey.application_id)
            if application is None or await alerted(conn, application.id):
                return 0
            await queue_low_score_alert(
                self._outbox,
                self._texts,
                conn,
                application=application,
                response=survey,
                manager_name=await self._manager_name_in(conn, application),
                now=now,
                finished=False,
                not_before=staff_send_at(now, self._calendar, self._times.staff_hours, self._tz),
            )
        return 1

    async def _manager_name_in(
        self, conn: aiosqlite.Connection, application: Application
    ) -> str | None:
        member = await staff_in(conn, application.customer_manager_id)
        return None if member is None else member.name
