"""The survey's records: one customer's answers to one application's survey, and what became
of a press, kept apart from the repository that reads and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from process.metrics import COMMENT, QUESTIONS, allowed_values
from storage.codec import optional_time_from_db, time_from_db
from storage.models import Application

ALERT_EVENT = "survey_alert"  # a low overall score, alerted to supervisors and the manager
RECOVERY_EVENT = "service_recovery"  # someone called the customer back about it

SURVEY_COLUMNS = (
    "id, application_id, customer_id, overall, speed, service, informed, recommend, comment, "
    "invited_at, started_at, updated_at, submitted_at, closed_at, reminders_sent"
)


class Recovery(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # someone recorded it before; the event says who and when
    NO_ALERT = "no_alert"  # nothing to call back about: no low score was alerted


class SurveyState(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    CLOSED = "closed"


class Outcome(StrEnum):
    """What became of an answer; every value but SAVED means nothing was written."""

    SAVED = "saved"
    NOT_YOURS = "not_yours"  # no survey for that application, or another customer's
    ANSWERED = "answered"  # the survey was submitted already
    CLOSED = "closed"  # it closed unanswered
    STALE = "stale"  # not the question that comes next (an old button, a double press)
    INVALID = "invalid"  # a value the question does not take


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    id: int
    application_id: int
    customer_id: int
    overall: int | None
    speed: int | None
    service: int | None
    informed: int | None
    recommend: int | None
    comment: str | None
    invited_at: datetime
    started_at: datetime | None
    updated_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    reminders_sent: int

    @property
    def state(self) -> SurveyState:
        if self.submitted_at is not None:
            return SurveyState.SUBMITTED
        if self.closed_at is not None:
            return SurveyState.CLOSED
        return SurveyState.OPEN

    def score(self, question: str) -> int | None:
        allowed_values(question)
        value = getattr(self, question)
        return value if isinstance(value, int) else None

    def next_question(self) -> str | None:
        """The question to ask now: the first unanswered score, then the comment."""
        if self.state is not SurveyState.OPEN:
            return None
        for question in QUESTIONS:
            if self.score(question) is None:
                return question
        return COMMENT


def survey_from_row(row: aiosqlite.Row) -> SurveyResponse:
    return SurveyResponse(
        id=row["id"],
        application_id=row["application_id"],
        customer_id=row["customer_id"],
        overall=row["overall"],
        speed=row["speed"],
        service=row["service"],
        informed=row["informed"],
        recommend=row["recommend"],
        comment=row["comment"],
        invited_at=time_from_db(row["invited_at"]),
        started_at=optional_time_from_db(row["started_at"]),
        updated_at=time_from_db(row["updated_at"]),
        submitted_at=optional_time_from_db(row["submitted_at"]),
        closed_at=optional_time_from_db(row["closed_at"]),
        reminders_sent=row["reminders_sent"],
    )


@dataclass(frozen=True, slots=True)
class Energized:
    """A finished application without a survey, and when it was energized."""

    application: Application
    energized_at: datetime
