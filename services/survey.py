"""The satisfaction survey's operations: an answer, the submission, the call back.

Each re-reads the survey inside its own transaction before writing, so the server decides
what a press may still do: only the customer's own survey, only the question that comes
next, only while it is neither submitted nor closed (the sweep closes it when it is too
late). Two presses of the same button save one answer; an old button or another
application's changes nothing. A low overall score is alerted in the transaction that
submits it, so the answers are never stored without the alert, nor the alert sent for
answers that were not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from notifications.survey_alert import queue_low_score_alert
from process.metrics import COMMENT, Question, allowed_values
from process.roles import Role, within_reach
from services.context import ServiceContext
from storage.models import Application, Event
from storage.staff.models import Staff
from storage.survey import (
    SurveyResponse,
    SurveyState,
    alert_event,
    application_in,
    record_recovery,
    recovery_event,
    save_answer,
    save_submission,
    staff_in,
    survey_of,
)


class Outcome(StrEnum):
    """What became of an answer; every value but SAVED means nothing was written."""

    SAVED = "saved"
    NOT_YOURS = "not_yours"  # no survey for that application, or another customer's
    ANSWERED = "answered"  # the survey was submitted already
    CLOSED = "closed"  # it closed unanswered
    STALE = "stale"  # not the question that comes next (an old button, a double press)
    INVALID = "invalid"  # a value the question does not take


class Recovery(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # someone recorded it before; the event says who and when
    NO_ALERT = "no_alert"  # nothing to call back about: no low score was alerted
    NOT_ALLOWED = "not_allowed"  # not someone the alert is for


@dataclass(frozen=True)
class Answered:
    """What became of an answer, and the survey as it now stands (None when there is no
    survey of this customer to show)."""

    outcome: Outcome
    survey: SurveyResponse | None


@dataclass(frozen=True)
class Recovered:
    """What became of a "called back" press; ``event`` is the call back on record (this
    one, or the earlier one that makes this one unnecessary)."""

    outcome: Recovery
    application: Application | None
    event: Event | None


def refusal(survey: SurveyResponse | None, question: Question) -> Outcome | None:
    """Why ``question`` may not be answered now; None when it may."""
    if survey is None:
        return Outcome.NOT_YOURS
    if survey.state is SurveyState.SUBMITTED:
        return Outcome.ANSWERED
    if survey.state is SurveyState.CLOSED:
        return Outcome.CLOSED
    if survey.next_question() != question:
        return Outcome.STALE
    return None


async def answer_survey(
    ctx: ServiceContext,
    *,
    customer_id: int,
    application_id: int,
    question: Question,
    value: int | None,
    now: datetime,
) -> Answered:
    """Save a score, or (``question`` the comment, ``value`` None) skip the comment, which
    submits the survey."""
    if question is COMMENT:
        if value is not None:
            return Answered(Outcome.INVALID, None)
        return await submit_survey(
            ctx, customer_id=customer_id, application_id=application_id, comment=None, now=now
        )
    async with ctx.db.transaction() as conn:
        survey = _own(await survey_of(conn, application_id), customer_id)
        refused = refusal(survey, question)
        if refused is not None:
            return Answered(refused, survey)
        assert survey is not None
        if value is None or value not in allowed_values(question):
            return Answered(Outcome.INVALID, survey)
        return Answered(Outcome.SAVED, await save_answer(conn, survey.id, question, value, now))


async def submit_survey(
    ctx: ServiceContext,
    *,
    customer_id: int,
    application_id: int,
    comment: str | None,
    now: datetime,
) -> Answered:
    """Finish the survey with its comment (None: skipped), alerting a low overall score."""
    async with ctx.db.transaction() as conn:
        survey = _own(await survey_of(conn, application_id), customer_id)
        refused = refusal(survey, COMMENT)
        if refused is not None:
            return Answered(refused, survey)
        assert survey is not None
        application = await application_in(conn, application_id)
        assert application is not None  # a survey belongs to an application, never deleted
        submitted = await save_submission(conn, survey.id, comment, now)
        manager = await staff_in(conn, application.customer_manager_id)
        await queue_low_score_alert(
            ctx.outbox,
            ctx.texts,
            conn,
            application=application,
            response=submitted,
            manager_name=None if manager is None else manager.name,
            now=now,
            not_before=ctx.staff_send_at(now),
        )
        return Answered(Outcome.SAVED, submitted)


def may_record_call_back(member: Staff | None, application: Application) -> bool:
    """The alert's recipients: admins, the district's supervisors, its customer manager."""
    return (
        member is not None
        and member.active
        and member.role is not Role.PROJECT_MANAGER
        and within_reach(
            role=member.role,
            district=member.district,
            user_id=member.user_id,
            application_district=application.district,
            customer_manager_id=application.customer_manager_id,
            project_manager_id=application.project_manager_id,
        )
    )


async def record_call_back(
    ctx: ServiceContext, *, actor_id: int, application_id: int, now: datetime
) -> Recovered:
    """Record, once per application, that someone the alert was for called the customer."""
    async with ctx.db.transaction() as conn:
        application = await application_in(conn, application_id)
        member = await staff_in(conn, actor_id)
        if application is None or not may_record_call_back(member, application):
            return Recovered(Recovery.NOT_ALLOWED, application, None)
        assert member is not None
        alert = await alert_event(conn, application.id)
        if alert is None:
            return Recovered(Recovery.NO_ALERT, application, None)
        earlier = await recovery_event(conn, application.id)
        if earlier is not None:
            return Recovered(Recovery.ALREADY, application, earlier)
        recorded = await record_recovery(
            conn,
            application_id=application.id,
            alert=alert,
            actor_id=actor_id,
            actor_role=member.role.value,
            now=now,
        )
        return Recovered(Recovery.RECORDED, application, recorded)


def _own(survey: SurveyResponse | None, customer_id: int) -> SurveyResponse | None:
    return survey if survey is not None and survey.customer_id == customer_id else None
