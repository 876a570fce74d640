"""The formulas one by one, on small inputs whose answers can be read off the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from process.calendar import WorkingCalendar
from process.deadlines import Pause
from process.limits import TimeLimits
from process.metrics import (
    ApplicationFacts,
    SurveyFacts,
    VisitFacts,
    allowed_values,
    mean,
    measure_visit,
    median,
    net_promoter_score,
    percent,
    percentile,
    satisfaction_rate,
    time_saving_rate,
)
from process.metrics_summary import (
    monthly_satisfaction,
    summarize,
    summarize_by,
    survey_figures,
)

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


def test_satisfaction_counts_four_and_five_as_satisfied() -> None:
    assert satisfaction_rate([5, 4, 3, 2, 1]) == 40.0
    assert satisfaction_rate([5, 5]) == 100.0
    assert satisfaction_rate([]) is None


def test_nps_is_promoters_minus_detractors() -> None:
    # 2 promoters (9, 10), 2 passives (7, 8), 4 detractors (0, 3, 6, 6): (2 - 4) / 8
    assert net_promoter_score([9, 10, 7, 8, 0, 3, 6, 6]) == -25.0
    assert net_promoter_score([10]) == 100.0
    assert net_promoter_score([7, 8]) == 0.0
    assert net_promoter_score([]) is None


def test_mean_median_and_nearest_rank_percentile() -> None:
    days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert mean(days) == 5.5
    assert median(days) == 5.5
    assert median([3, 1, 2]) == 2.0
    assert percentile(days, 90) == 9.0  # the 9th of 10 values
    assert percentile([4, 1, 3, 2], 90) == 4.0  # ceil(3.6) = 4th
    assert percentile([7], 90) == 7.0
    assert mean([]) is None and median([]) is None and percentile([], 90) is None


@pytest.mark.parametrize("p", [0, -5, 100.5])
def test_a_percentile_outside_the_scale_is_refused(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1, 2], p)


def test_percent_refuses_impossible_shares() -> None:
    assert percent(1, 4) == 25.0
    assert percent(0, 0) is None
    for part, whole in ((5, 4), (-1, 4), (1, -4)):
        with pytest.raises(ValueError):
            percent(part, whole)


def test_time_saving_rate() -> None:
    assert time_saving_rate(40, 10.0) == 75.0
    assert time_saving_rate(40, 50.0) == -25.0  # slower than the old process: shown as such
    assert time_saving_rate(40, None) is None
    assert time_saving_rate(0, 5.0) is None


def test_allowed_values_per_question() -> None:
    assert list(allowed_values("overall")) == [1, 2, 3, 4, 5]
    assert list(allowed_values("recommend")) == list(range(11))
    with pytest.raises(ValueError):
        allowed_values("comment")
    with pytest.raises(ValueError):
        SurveyFacts(1, at(3, 2), at(3, 2), overall=5).score("invited_at")


def test_survey_figures_ignore_unanswered_invitations() -> None:
    figures = survey_figures(
        [
            SurveyFacts(1, at(3, 2), at(3, 3), 5, 4, 5, 3, 10),
            SurveyFacts(2, at(3, 2), at(3, 4), 2, 1, 2, 2, 3),
            SurveyFacts(3, at(3, 2), None, 1, None, None, None, None),  # began, never sent
        ]
    )
    assert (figures.invited, figures.answered) == (3, 2)
    assert figures.response_rate == pytest.approx(200 / 3)
    assert figures.satisfaction_rate == 50.0
    assert figures.nps == 0.0
    assert figures.means == {
        "overall": 3.5,
        "speed": 2.5,
        "service": 3.5,
        "informed": 2.5,
        "recommend": 6.5,
    }


def test_a_finished_visit_counts_the_utilitys_days_without_pauses() -> None:
    # Mon 2 Mar to Fri 13 Mar 2026: ten working days after the start day; the customer held
    # the ball from Wed 4 to Mon 9 (covering Wed, Thu, Fri: three working days).
    visit = VisitFacts("plan", 10, at(3, 2), at(3, 13), (Pause(at(3, 4), at(3, 9)),))
    measure = measure_visit(CALENDAR, visit, at(3, 20), TZ)
    assert (measure.used_days, measure.finished, measure.on_time) == (6, True, True)


def test_an_open_visit_is_overdue_the_day_after_its_deadline() -> None:
    visit = VisitFacts("design", 5, at(3, 2), None)  # due Mon 9 March
    assert not measure_visit(CALENDAR, visit, at(3, 9, 20), TZ).overdue_now
    late = measure_visit(CALENDAR, visit, at(3, 10), TZ)
    assert (late.overdue_now, late.used_days, late.on_time) == (True, 6, False)
    paused = VisitFacts("design", 5, at(3, 2), None, (Pause(at(3, 3), None),))
    assert not measure_visit(CALENDAR, paused, at(3, 30), TZ).overdue_now


def _app(
    app_id: int,
    mode: str,
    status: str,
    *visits: VisitFacts,
    district: str = "A",
    manager: int | None = 1,
) -> ApplicationFacts:
    return ApplicationFacts(
        app_id, f"HV-2026-{app_id:06d}", district, manager, mode, at(3, 2), status, visits
    )


def test_summary_of_two_completed_applications() -> None:
    # Single supply: every stage takes two working days (10 in all) - within 22, and 75%
    # faster than the legacy 40. Dual: 35 days in the plan stage alone, beyond 32.
    mondays = [at(3, 2), at(3, 9), at(3, 16), at(3, 23), at(3, 30)]
    fast = _app(
        1,
        "single",
        "done",
        *(
            VisitFacts(stage, limit, monday, monday + timedelta(days=2))
            for monday, (stage, limit) in zip(
                mondays,
                [("accept", 1), ("plan", 10), ("design", 5), ("contract", 3), ("energize", 3)],
                strict=True,
            )
        ),
    )
    slow = _app(
        2, "dual", "done", VisitFacts("plan", 20, at(3, 2), at(4, 21)), district="B", manager=None
    )
    open_ = _app(3, "single", "active", VisitFacts("accept", 1, at(3, 2), None))
    summary = summarize(
        [fast, slow, open_],
        [SurveyFacts(1, at(4, 1), at(4, 2), 5, 5, 5, 5, 9)],
        calendar=CALENDAR,
        limits=TimeLimits.default(),
        now=at(3, 5),
        tz=TZ,
    )
    assert (summary.applications, summary.completed, summary.active) == (3, 2, 1)
    single, dual = summary.time_saving
    assert (single.mode, single.t_before, single.t_after, single.rate) == ("single", 40, 10.0, 75.0)
    # 2 Mar to 21 Apr 2026: 35 working days (Qingming on 6 April is a holiday).
    assert (dual.mode, dual.t_before, dual.t_after) == ("dual", 55, 35.0)
    assert dual.rate == pytest.approx(100 * 20 / 55)
    assert (summary.within_commitment, summary.within_commitment_rate) == (1, 50.0)
    accept, plan = summary.stages[0], summary.stages[1]
    assert (accept.finished, accept.on_time_rate, accept.overdue_now) == (1, 0.0, 1)
    assert (plan.finished, plan.mean_days, plan.on_time_rate) == (2, 18.5, 50.0)
    assert (plan.limit_single, plan.limit_dual) == (10, 20)
    assert summary.survey.satisfaction_rate == 100.0

    by_district = summarize_by(
        lambda a: a.district,
        [fast, slow, open_],
        [],
        calendar=CALENDAR,
        limits=TimeLimits.default(),
        now=at(3, 5),
        tz=TZ,
    )
    assert {d: s.applications for d, s in by_district.items()} == {"A": 2, "B": 1}
    by_manager = summarize_by(
        lambda a: a.customer_manager_id,
        [fast, slow, open_],
        [],
        calendar=CALENDAR,
        limits=TimeLimits.default(),
        now=at(3, 5),
        tz=TZ,
    )
    assert set(by_manager) == {1}  # the unassigned application belongs to no manager


def test_nothing_to_count_gives_no_figures_rather_than_zero() -> None:
    summary = summarize([], [], calendar=CALENDAR, limits=TimeLimits.default(), now=at(3, 5), tz=TZ)
    assert summary.applications == 0
    assert summary.within_commitment_rate is None
    assert summary.survey.satisfaction_rate is None and summary.survey.nps is None
    assert all(s.mean_days is None and s.on_time_rate is None for s in summary.stages)
    assert all(t.rate is None for t in summary.time_saving)


def test_monthly_satisfaction_goes_by_the_local_month_of_the_answer() -> None:
    # 31 March 23:30 in Shanghai is still March there, though April has begun nowhere.
    late_march = datetime(2026, 3, 31, 23, 30, tzinfo=TZ)
    rows = monthly_satisfaction(
        [
            SurveyFacts(1, at(3, 2), late_march, overall=5),
            SurveyFacts(2, at(3, 2), at(4, 1), overall=2),
            SurveyFacts(3, at(3, 2), at(4, 2), overall=4),
            SurveyFacts(4, at(3, 2), None, overall=1),
        ],
        TZ,
    )
    assert [(r.month, r.answered, r.rate) for r in rows] == [
        ("2026-03", 1, 100.0),
        ("2026-04", 2, 50.0),
    ]
