"""The figures supervisors see, computed from facts about a set of applications.

Every figure is one of the formulas of :mod:`process.metrics` applied to a group of
applications (a period, a district, a customer manager) and the surveys about them; None
wherever there is nothing to count, so that "no data" never reads as 0%.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypeVar

from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from process.metrics import (
    QUESTIONS,
    RECOMMEND,
    ApplicationFacts,
    SurveyFacts,
    VisitMeasure,
    mean,
    measure_visit,
    median,
    net_promoter_score,
    percent,
    percentile,
    satisfaction_rate,
    time_saving_rate,
    utility_days,
)
from process.stages import WORKING_STAGES, Stage, SupplyMode

_Key = TypeVar("_Key", bound=Hashable)


@dataclass(frozen=True)
class StageFigures:
    stage: str
    finished: int  # visits that ended, the base of every figure below
    mean_days: float | None
    median_days: float | None
    p90_days: float | None
    on_time_rate: float | None
    overdue_now: int
    limit_single: int
    limit_dual: int


@dataclass(frozen=True)
class TimeSaving:
    mode: str
    completed: int
    t_before: int  # the legacy nine-step limit in working days
    t_after: float | None  # mean utility working days of completed applications
    rate: float | None


@dataclass(frozen=True)
class SurveyFigures:
    invited: int
    answered: int
    response_rate: float | None
    satisfaction_rate: float | None
    nps: float | None
    means: dict[str, float | None]  # per 1–5 dimension, and the 0–10 recommendation


@dataclass(frozen=True)
class Summary:
    applications: int
    completed: int
    active: int
    stages: tuple[StageFigures, ...]
    time_saving: tuple[TimeSaving, ...]  # single supply, then dual
    within_commitment: int
    within_commitment_rate: float | None
    survey: SurveyFigures


def survey_figures(surveys: Iterable[SurveyFacts]) -> SurveyFigures:
    invited = list(surveys)
    answered = [s for s in invited if s.submitted_at is not None]

    def answers(question: str) -> list[int]:
        return [v for v in (s.score(question) for s in answered) if v is not None]

    return SurveyFigures(
        invited=len(invited),
        answered=len(answered),
        response_rate=percent(len(answered), len(invited)),
        satisfaction_rate=satisfaction_rate(answers("overall")),
        nps=net_promoter_score(answers(RECOMMEND)),
        means={q: mean(answers(q)) for q in QUESTIONS},
    )


def stage_figures(
    measures: Sequence[VisitMeasure], stage: Stage, limits: TimeLimits
) -> StageFigures:
    finished = [m for m in measures if m.stage == stage.value and m.finished]
    days = [m.used_days for m in finished]
    return StageFigures(
        stage=stage.value,
        finished=len(finished),
        mean_days=mean(days),
        median_days=median(days),
        p90_days=percentile(days, 90),
        on_time_rate=percent(sum(m.on_time for m in finished), len(finished)),
        overdue_now=sum(m.stage == stage.value and m.overdue_now for m in measures),
        limit_single=limits.for_stage(stage, SupplyMode.SINGLE),
        limit_dual=limits.for_stage(stage, SupplyMode.DUAL),
    )


def summarize(
    applications: Sequence[ApplicationFacts],
    surveys: Iterable[SurveyFacts],
    *,
    calendar: WorkingCalendar,
    limits: TimeLimits,
    now: datetime,
    tz: tzinfo,
) -> Summary:
    """Every figure for one set of applications and the surveys about them."""
    measures = [measure_visit(calendar, v, now, tz) for a in applications for v in a.visits]
    completed = [a for a in applications if a.completed]
    totals = {a.id: utility_days(calendar, a, tz) for a in completed}
    savings = []
    for mode in SupplyMode:
        done = [totals[a.id] for a in completed if a.supply_mode == mode.value]
        t_before = limits.legacy_total(mode)
        t_after = mean(done)
        savings.append(
            TimeSaving(
                mode.value, len(done), t_before, t_after, time_saving_rate(t_before, t_after)
            )
        )
    within = sum(totals[a.id] <= limits.total(SupplyMode(a.supply_mode)) for a in completed)
    ids = {a.id for a in applications}
    return Summary(
        applications=len(applications),
        completed=len(completed),
        active=sum(a.status == "active" for a in applications),
        stages=tuple(stage_figures(measures, stage, limits) for stage in WORKING_STAGES),
        time_saving=tuple(savings),
        within_commitment=within,
        within_commitment_rate=percent(within, len(completed)),
        survey=survey_figures(s for s in surveys if s.application_id in ids),
    )


def summarize_by(
    key: Callable[[ApplicationFacts], _Key | None],
    applications: Sequence[ApplicationFacts],
    surveys: Sequence[SurveyFacts],
    *,
    calendar: WorkingCalendar,
    limits: TimeLimits,
    now: datetime,
    tz: tzinfo,
) -> dict[_Key, Summary]:
    """One summary per group (district, customer manager…); None keys are left out."""
    groups: defaultdict[_Key, list[ApplicationFacts]] = defaultdict(list)
    for application in applications:
        group = key(application)
        if group is not None:
            groups[group].append(application)
    return {
        group: summarize(members, surveys, calendar=calendar, limits=limits, now=now, tz=tz)
        for group, members in groups.items()
    }


@dataclass(frozen=True)
class MonthlySatisfaction:
    month: str  # 'YYYY-MM' in the local time zone, by when the survey was answered
    answered: int
    rate: float | None


def monthly_satisfaction(surveys: Iterable[SurveyFacts], tz: tzinfo) -> list[MonthlySatisfaction]:
    """The satisfaction rate month by month, oldest first; months without answers are absent."""
    by_month: defaultdict[str, list[int]] = defaultdict(list)
    for survey in surveys:
        if survey.submitted_at is None or survey.overall is None:
            continue
        by_month[survey.submitted_at.astimezone(tz).strftime("%Y-%m")].append(survey.overall)
    return [
        MonthlySatisfaction(month, len(scores), satisfaction_rate(scores))
        for month, scores in sorted(by_month.items())
    ]
