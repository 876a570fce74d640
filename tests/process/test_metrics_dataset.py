"""Every figure over 320 generated applications, against sums worked out here by hand.

The expected values below use nothing but the generator's record of how many working days
each visit used (known by construction, see :mod:`tests.process.metrics_dataset`) and
plain arithmetic; the code under test counts the days itself from the timestamps.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from process.metrics_summary import Summary, monthly_satisfaction, summarize, summarize_by
from tests.process.metrics_dataset import NOW, STAGES, TZ, DataSet, generate

DATA = generate()
LEGACY = {"single": 15 + 10 + 5 + 5 + 5, "dual": 30 + 10 + 5 + 5 + 5}  # the nine steps
COMMITMENT = {"single": 22, "dual": 32}


def _summary(data: DataSet = DATA) -> Summary:
    return summarize(
        data.applications,
        data.surveys,
        calendar=WorkingCalendar(),
        limits=TimeLimits.default(),
        now=NOW,
        tz=TZ,
    )


def _sorted_middle(values: list[int]) -> float:
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[half])
    return (ordered[half - 1] + ordered[half]) / 2


def _p90(values: list[int]) -> float:
    ordered = sorted(values)
    rank = -(-9 * len(ordered) // 10)  # ceil(0.9 n) without floats
    return float(ordered[rank - 1])


def test_the_data_set_covers_what_the_figures_depend_on() -> None:
    statuses = {a.status for a in DATA.applications}
    assert statuses == {"done", "active", "withdrawn"}
    assert len(DATA.applications) == 320
    assert sum(bool(v.pauses) for a in DATA.applications for v in a.visits) > 100
    assert any(e.open_overdue for e in DATA.expected.values())
    # Visits across the Spring Festival holiday and its make-up Saturdays.
    assert any(
        v.started_at.month == 2 and v.ended_at is not None and v.ended_at.month == 3
        for a in DATA.applications
        for v in a.visits
    )


def test_counts_of_applications() -> None:
    summary = _summary()
    done = [a for a in DATA.applications if a.status == "done"]
    assert summary.applications == 320
    assert summary.completed == len(done)
    assert summary.active == sum(a.status == "active" for a in DATA.applications)


def test_stage_figures_match_the_days_each_visit_was_built_with() -> None:
    per_stage: dict[str, list[tuple[int, int]]] = defaultdict(list)
    overdue: dict[str, int] = defaultdict(int)
    for known in DATA.expected.values():
        for stage, used, limit in zip(known.stages, known.used, known.limits, strict=True):
            per_stage[stage].append((used, limit))
        if known.open_stage is not None and known.open_overdue:
            overdue[known.open_stage] += 1
    summary = _summary()
    assert [s.stage for s in summary.stages] == list(STAGES)
    for figures in summary.stages:
        visits = per_stage[figures.stage]
        days = [used for used, _ in visits]
        assert figures.finished == len(visits)
        assert figures.mean_days == pytest.approx(sum(days) / len(days))
        assert figures.median_days == _sorted_middle(days)
        assert figures.p90_days == _p90(days)
        on_time = sum(used <= limit for used, limit in visits)
        assert figures.on_time_rate == pytest.approx(100 * on_time / len(visits))
        assert figures.overdue_now == overdue[figures.stage]


def test_time_saving_per_supply_mode() -> None:
    totals: dict[str, list[int]] = {"single": [], "dual": []}
    for application in DATA.applications:
        if application.status == "done":
            totals[application.supply_mode].append(sum(DATA.expected[application.id].used))
    summary = _summary()
    for saving in summary.time_saving:
        days = totals[saving.mode]
        t_after = sum(days) / len(days)
        assert saving.completed == len(days)
        assert saving.t_before == LEGACY[saving.mode]
        assert saving.t_after == pytest.approx(t_after)
        assert saving.rate == pytest.approx(
            (LEGACY[saving.mode] - t_after) / LEGACY[saving.mode] * 100
        )
    within = sum(
        sum(DATA.expected[a.id].used) <= COMMITMENT[a.supply_mode]
        for a in DATA.applications
        if a.status == "done"
    )
    assert summary.within_commitment == within
    assert summary.within_commitment_rate == pytest.approx(100 * within / summary.completed)


def test_survey_figures() -> None:
    answered = [s for s in DATA.surveys if s.submitted_at is not None]
    overall = [s.overall for s in answered]
    recommend = [s.recommend for s in answered]
    survey = _summary().survey
    assert (survey.invited, survey.answered) == (len(DATA.surveys), len(answered))
    assert survey.response_rate == pytest.approx(100 * len(answered) / len(DATA.surveys))
    satisfied = sum(1 for score in overall if score in (4, 5))
    assert survey.satisfaction_rate == pytest.approx(100 * satisfied / len(answered))
    promoters = sum(1 for r in recommend if r is not None and r >= 9)
    detractors = sum(1 for r in recommend if r is not None and r <= 6)
    assert survey.nps == pytest.approx(100 * (promoters - detractors) / len(answered))
    for question in ("overall", "speed", "service", "informed", "recommend"):
        values = [getattr(s, question) for s in answered]
        assert survey.means[question] == pytest.approx(sum(values) / len(values))


def test_figures_per_district_and_per_customer_manager() -> None:
    calendar, limits = WorkingCalendar(), TimeLimits.default()
    surveys_by_app = {s.application_id: s for s in DATA.surveys}
    for key in ("district", "customer_manager_id"):
        groups = summarize_by(
            lambda a, key=key: getattr(a, key),  # type: ignore[misc]
            DATA.applications,
            DATA.surveys,
            calendar=calendar,
            limits=limits,
            now=NOW,
            tz=TZ,
        )
        members: dict[object, list[int]] = defaultdict(list)
        for application in DATA.applications:
            if getattr(application, key) is not None:
                members[getattr(application, key)].append(application.id)
        assert set(groups) == set(members)
        for group, ids in members.items():
            summary = groups[group]
            assert summary.applications == len(ids)
            answered = [
                surveys_by_app[i]
                for i in ids
                if i in surveys_by_app and surveys_by_app[i].submitted_at is not None
            ]
            assert summary.survey.answered == len(answered)
            if answered:
                satisfied = sum(1 for s in answered if s.overall in (4, 5))
                assert summary.survey.satisfaction_rate == pytest.approx(
                    100 * satisfied / len(answered)
                )
            done = [i for i in ids if DATA.applications[i - 1].status == "done"]
            assert summary.completed == len(done)


def test_monthly_satisfaction_of_the_data_set() -> None:
    by_month: dict[str, list[int]] = defaultdict(list)
    for survey in DATA.surveys:
        if survey.submitted_at is not None and survey.overall is not None:
            by_month[survey.submitted_at.astimezone(TZ).strftime("%Y-%m")].append(survey.overall)
    rows = monthly_satisfaction(DATA.surveys, TZ)
    assert [r.month for r in rows] == sorted(by_month)
    for row in rows:
        scores = by_month[row.month]
        assert row.answered == len(scores)
        assert row.rate == pytest.approx(100 * sum(s >= 4 for s in scores) / len(scores))
