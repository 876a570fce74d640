"""Sample contexts for the survey and statistics templates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from process.metrics import ApplicationFacts, SurveyFacts, VisitFacts
from process.metrics_summary import summarize
from tests.notifications.samples_workflow import APP

QUESTION = {
    "number": "HV-2026-000123",
    "project": "二期厂房 <新建>",
    "question": "service",
    "position": 3,
    "total": 6,
    "mode": "reminder",
    "manager": "王经理 <b>",
    "closes_on": date(2026, 12, 18),
    "reminder": 2,
}


class SampleResponse:
    overall = 2
    speed = 1
    service = 3
    informed = 2
    recommend = 4
    comment = "装表拖了三天 <很慢> & 没人通知"


def _summary() -> Any:
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    visits = tuple(
        VisitFacts(stage, 3, start, now if stage == "energize" else start)
        for stage in ("accept", "plan", "design", "contract", "energize")
    )
    done = ApplicationFacts(1, "HV-2026-000001", "汉台区", 2001, "single", start, "done", visits)
    late = ApplicationFacts(
        2,
        "HV-2026-000002",
        "汉台区",
        None,
        "dual",
        start,
        "active",
        (VisitFacts("accept", 1, start, None),),
    )
    return summarize(
        [done, late],
        [SurveyFacts(1, now, now, 5, 4, 4, 5, 9)],
        calendar=WorkingCalendar(),
        limits=TimeLimits.default(),
        now=now,
        tz=UTC,
    )


class SampleOverdue:
    number = "HV-2026-000124"
    applicant = "汉中 <某某> 电子有限公司"
    stage = "design"
    due = date(2026, 11, 20)
    days_over = 4
    provisional = True
    manager = "王经理"
    project = None


SUMMARY = _summary()

SURVEY_SAMPLES: dict[str, dict[str, Any]] = {
    "survey/question": QUESTION,
    "survey/label": {"key": "toast_not_allowed"},
    "survey/expect_comment": {},
    "survey/invalid_comment": {"error": "内容太长 <1000>"},
    "survey/thanks": {"number": "HV-2026-000123", "low": True, "more": 2},
    "survey/already_answered": {"number": "HV-2026-000123"},
    "survey/closed": {
        "number": "HV-2026-000123",
        "closed_at": datetime(2026, 12, 18, 1, 0, tzinfo=UTC),
    },
    "survey/none": {},
    "survey/paused": {},
    "survey/alert": {"app": APP, "response": SampleResponse(), "manager": None, "finished": False},
    "survey/recovered": {"number": "HV-2026-000123", "at": datetime(2026, 12, 2, 3, 0, tzinfo=UTC)},
    "survey/recovered_already": {
        "number": "HV-2026-000123",
        "by": "陈主管 <x>",
        "at": datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
    },
    "stats/summary": {
        "period": "2026-11",
        "scope": None,
        "summary": SUMMARY,
        "districts": [{"name": "汉台区 <a>", "s": SUMMARY}],
        "hidden_districts": 3,
        "managers": [{"name": "王经理", "s": SUMMARY}],
        "hidden_managers": 1,
    },
    "stats/bad_period": {"code": "format", "text": "<november>", "command": "stats"},
    "stats/overdue": {"scope": "汉台区", "lines": [SampleOverdue()], "hidden": 2, "total": 3},
    "stats/overdue_none": {"scope": None},
    "stats/chart_caption": {"period": "2026"},
    "stats/chart_label": {"key": "stages_title"},
    "stats/export_caption": {
        "period": "2026",
        "scope": "汉台区",
        "applications": 12,
        "events": 240,
        "surveys": 9,
    },
}
