"""The satisfaction survey's questions and the formulas behind every figure supervisors see.

Pure: facts about applications, stage visits and survey answers come in, numbers come out.
Storage gathers the facts (:mod:`storage.stats`), :mod:`process.metrics_summary` applies the
formulas to a period, a district or a customer manager, and the flows and the command line
show the figures. Keeping the formulas here, apart from any query, lets a test check each
one against numbers worked out by hand.

Definitions (each a percentage, or None when there is nothing to divide by):

* satisfaction rate: answered surveys with an overall score of 4 or 5, over all answered;
* NPS: the share of 9–10 minus the share of 0–6 among the "would you recommend" answers;
* response rate: answered surveys over invited ones;
* time saving rate: ``(T_before - T_after) / T_before``, where T_after is the mean of the
  utility's working days (pauses excluded) over completed applications and T_before the
  legacy nine-step limit for the same supply mode;
* on-time rate of a stage: finished visits that used no more working days than their limit;
* within commitment: completed applications whose utility days stayed within the total of
  the stage limits (22 single, 32 dual by default).

The 90th percentile is the nearest-rank one: the smallest value with at least 90% of the
values at or below it, so it is always a number of days that actually occurred.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TypeVar

from process.calendar import WorkingCalendar
from process.deadlines import Pause, stage_clock, used_working_days


class Question(StrEnum):
    """The survey's questions, in the order they are asked; each names its answer's column
    and travels in the answer buttons."""

    OVERALL = "overall"
    SPEED = "speed"
    SERVICE = "service"
    INFORMED = "informed"
    RECOMMEND = "recommend"
    COMMENT = "comment"


# The survey: four 1–5 scores, then 0–10 for recommending us, then an optional comment.
SCORE_QUESTIONS: tuple[Question, ...] = (
    Question.OVERALL,
    Question.SPEED,
    Question.SERVICE,
    Question.INFORMED,
)
RECOMMEND = Question.RECOMMEND
QUESTIONS: tuple[Question, ...] = (*SCORE_QUESTIONS, RECOMMEND)
COMMENT = Question.COMMENT
SCORE_VALUES = range(1, 6)
RECOMMEND_VALUES = range(0, 11)
SATISFIED = frozenset({4, 5})
LOW_OVERALL = frozenset({1, 2})  # someone calls the customer back
PROMOTERS = frozenset({9, 10})
DETRACTORS = frozenset(range(0, 7))

_Key = TypeVar("_Key", bound=Hashable)


def allowed_values(question: str) -> range:
    """The answers a question takes; ValueError for a question the survey does not ask."""
    if question in SCORE_QUESTIONS:
        return SCORE_VALUES
    if question == RECOMMEND:
        return RECOMMEND_VALUES
    raise ValueError(f"the survey has no question {question!r}")


# -- the formulas --------------------------------------------------------------------------


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent; None when ``whole`` is 0."""
    if whole < 0 or part < 0 or part > whole:
        raise ValueError(f"cannot take {part} of {whole} as a share")
    return None if whole == 0 else 100.0 * part / whole


def satisfaction_rate(overall: Iterable[int]) -> float | None:
    scores = list(overall)
    return percent(sum(score in SATISFIED for score in scores), len(scores))


def net_promoter_score(recommend: Iterable[int]) -> float | None:
    answers = list(recommend)
    if not answers:
        return None
    promoters = sum(a in PROMOTERS for a in answers)
    detractors = sum(a in DETRACTORS for a in answers)
    return 100.0 * (promoters - detractors) / len(answers)


def mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return None if not found else math.fsum(found) / len(found)


def median(values: Iterable[float]) -> float | None:
    found = list(values)
    return None if not found else float(statistics.median(found))


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile ``p`` (0 < p <= 100)."""
    if not 0 < p <= 100:
        raise ValueError(f"a percentile lies in (0, 100], got {p}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[rank - 1])


def time_saving_rate(t_before: float, t_after: float | None) -> float | None:
    """How much shorter the process became, in percent of the old duration."""
    if t_after is None or t_before <= 0:
        return None
    return 100.0 * (t_before - t_after) / t_before


# -- the facts they are computed from ------------------------------------------------------


@dataclass(frozen=True)
class VisitFacts:
    """One stay of an application in a stage."""

    stage: str
    limit_days: int
    started_at: datetime
    ended_at: datetime | None
    pauses: tuple[Pause, ...] = ()


@dataclass(frozen=True)
class ApplicationFacts:
    id: int
    number: str
    district: str
    customer_manager_id: int | None
    supply_mode: str
    submitted_at: datetime
    status: str  # 'active', 'done' or 'withdrawn'
    visits: tuple[VisitFacts, ...] = ()

    @property
    def completed(self) -> bool:
        return self.status == "done"


@dataclass(frozen=True)
class SurveyFacts:
    """One invitation and whatever was answered; ``submitted_at`` None while unanswered."""

    application_id: int
    invited_at: datetime
    submitted_at: datetime | None
    overall: int | None = None
    speed: int | None = None
    service: int | None = None
    informed: int | None = None
    recommend: int | None = None

    def score(self, question: str) -> int | None:
        allowed_values(question)  # refuses unknown names rather than reading any attribute
        value = getattr(self, question)
        return value if isinstance(value, int) else None


@dataclass(frozen=True)
class VisitMeasure:
    stage: str
    used_days: int  # the utility's working days; for an open visit, up to now
    limit_days: int
    finished: bool
    overdue_now: bool  # an open visit past its deadline (never while paused)

    @property
    def on_time(self) -> bool:
        return self.finished and self.used_days <= self.limit_days


def measure_visit(
    calendar: WorkingCalendar, visit: VisitFacts, now: datetime, tz: tzinfo
) -> VisitMeasure:
    pauses = list(visit.pauses)
    if visit.ended_at is not None:
        used = used_working_days(calendar, visit.started_at, visit.ended_at, pauses, tz)
        return VisitMeasure(visit.stage, used, visit.limit_days, finished=True, overdue_now=False)
    clock = stage_clock(calendar, visit.started_at, visit.limit_days, pauses, now, tz)
    return VisitMeasure(
        visit.stage, clock.used_days, visit.limit_days, finished=False, overdue_now=clock.overdue
    )


def utility_days(calendar: WorkingCalendar, application: ApplicationFacts, tz: tzinfo) -> int:
    """The utility's working days over every finished visit of ``application``."""
    return sum(
        used_working_days(calendar, v.started_at, v.ended_at, list(v.pauses), tz)
        for v in application.visits
        if v.ended_at is not None
    )
