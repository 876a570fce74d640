"""A year of generated applications whose every working day is known by construction.

Each stage visit is built forward from its start: ``before`` counted working days, then
(sometimes) a pause in which the customer holds the ball for ``held`` working days, then
``after`` more counted days. Working days come straight from ``chinese_calendar`` (the
official data, with the Spring Festival and its make-up Saturdays), walked one day at a time,
not from the code under test. So the utility's days of a finished visit are
``before + after`` without any counting, and tests can work the figures out by hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from process.deadlines import Pause
from process.metrics import ApplicationFacts, SurveyFacts, VisitFacts

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 18, 15, 0, tzinfo=TZ)
STAGES = ("accept", "plan", "design", "contract", "energize")
LIMITS = {
    "single": {"accept": 1, "plan": 10, "design": 5, "contract": 3, "energize": 3},
    "dual": {"accept": 1, "plan": 20, "design": 5, "contract": 3, "energize": 3},
}
DISTRICTS = ("汉台区", "南郑区", "城固县")
MANAGERS = (2001, 2002, 2003, 2004)


LAST_DAY = date(2026, 12, 31)  # the last day of chinese_calendar's official data


class Beyond(Exception):
    """The walk needs a day past the official data: it ends after the data set's today."""


def next_workday(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while day <= LAST_DAY and not chinese_calendar.is_workday(day):
        day += timedelta(days=1)
    if day > LAST_DAY:
        raise Beyond(day)
    return day


def workday_on_or_after(day: date) -> date:
    while not chinese_calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


@dataclass
class Expected:
    """What a test knows about one application without computing anything."""

    used: list[int] = field(default_factory=list)  # per visit, finished ones only
    stages: list[str] = field(default_factory=list)
    limits: list[int] = field(default_factory=list)
    open_stage: str | None = None
    open_overdue: bool = False  # the open visit's deadline lies before today


@dataclass
class DataSet:
    applications: list[ApplicationFacts]
    expected: dict[int, Expected]
    surveys: list[SurveyFacts]


def _walk(day: date, count: int) -> date:
    for _ in range(count):
        day = next_workday(day)
    return day


def _finished_visit(
    rng: random.Random, stage: str, limit: int, start: datetime
) -> tuple[VisitFacts, int] | None:
    """A visit that ends, with the utility's working days it used; None if it would end
    after the data set's today (it is then still open)."""
    used = min(2 * limit + 3, max(0, round(rng.gauss(limit * 0.8, limit * 0.5 + 1))))
    start_day = start.astimezone(TZ).date()
    try:
        if used >= 2 and rng.random() < 0.4:
            before = rng.randint(0, used - 1)
            after = used - before  # at least 1: the day the pause ends counts
            held = rng.randint(1, 6)
            paused_on = next_workday(_walk(start_day, before))
            resumed_on = next_workday(_walk(paused_on, held - 1))
            pause = Pause(at(paused_on, 9), at(resumed_on, 11))
            visit = VisitFacts(stage, limit, start, at(_walk(resumed_on, after - 1), 16), (pause,))
        else:
            visit = VisitFacts(stage, limit, start, at(_walk(start_day, used), 16))
    except Beyond:
        return None
    assert visit.ended_at is not None
    return None if visit.ended_at > NOW else (visit, used)


def _overdue(start: datetime, limit: int) -> bool:
    """Whether the ``limit``-th working day after the start lies before today."""
    try:
        return _walk(start.astimezone(TZ).date(), limit) < NOW.date()
    except Beyond:
        return False


def generate(seed: int = 20261218, count: int = 320) -> DataSet:
    rng = random.Random(seed)
    applications: list[ApplicationFacts] = []
    expected: dict[int, Expected] = {}
    surveys: list[SurveyFacts] = []
    for app_id in range(1, count + 1):
        mode = "dual" if rng.random() < 0.3 else "single"
        submitted_day = workday_on_or_after(date(2026, 1, 5) + timedelta(days=rng.randint(0, 320)))
        start = at(submitted_day, rng.choice((9, 10, 14, 16)))
        outcome = rng.random()
        # Stages it means to finish (5: energized); a withdrawn one stops before the end.
        planned = 5 if outcome < 0.65 else rng.randint(0, 4)
        visits: list[VisitFacts] = []
        known = Expected()
        cursor = start
        for stage in STAGES[:planned]:
            made = _finished_visit(rng, stage, LIMITS[mode][stage], cursor)
            if made is None:
                break
            visit, used = made
            visits.append(visit)
            known.used.append(used)
            known.stages.append(stage)
            known.limits.append(LIMITS[mode][stage])
            assert visit.ended_at is not None
            cursor = visit.ended_at
        finished = len(known.stages)
        if finished == 5:
            status = "done"
        elif finished == planned and outcome > 0.95:
            status = "withdrawn"
        else:
            status = "active"
            stage = STAGES[finished]
            limit = LIMITS[mode][stage]
            known.open_stage = stage
            if rng.random() < 0.2:
                visits.append(VisitFacts(stage, limit, cursor, None, (Pause(cursor, None),)))
            else:
                visits.append(VisitFacts(stage, limit, cursor, None))
                known.open_overdue = _overdue(cursor, limit)
        applications.append(
            ApplicationFacts(
                id=app_id,
                number=f"HV-2026-{app_id:06d}",
                district=rng.choice(DISTRICTS),
                customer_manager_id=rng.choice((*MANAGERS, None)),
                supply_mode=mode,
                submitted_at=start,
                status=status,
                visits=tuple(visits),
            )
        )
        expected[app_id] = known
        if status == "done":
            surveys.append(_survey(rng, app_id, cursor))
    return DataSet(applications, expected, surveys)


def _survey(rng: random.Random, app_id: int, energized: datetime) -> SurveyFacts:
    invited = energized + timedelta(days=1)
    if rng.random() < 0.25:
        return SurveyFacts(app_id, invited, None, overall=rng.choice((None, 2)))
    return SurveyFacts(
        app_id,
        invited,
        invited + timedelta(hours=rng.randint(1, 200)),
        overall=rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 5, 6))[0],
        speed=rng.randint(1, 5),
        service=rng.randint(1, 5),
        informed=rng.randint(1, 5),
        recommend=rng.randint(0, 10),
    )
