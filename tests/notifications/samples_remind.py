"""Sample contexts for the reminder, escalation, follow-up, digest and unreachable messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from storage.models import OwedItem
from storage.reminders.points import ToldLine
from tests.notifications.samples import SampleClock
from tests.notifications.samples_workflow import APP, SampleFullApp

RUNNING = SampleClock(
    limit_days=10,
    used_days=12,
    due=date(2027, 1, 5),
    remaining_days=-2,
    paused=False,
    provisional=True,
    overdue=True,
)
PLAN_APP = replace(APP, stage="plan", step="plan_draft", applicant_name="汉中 <某某> 机械")
LATE_LINE = {
    "app": PLAN_APP,
    "due": date(2026, 12, 1),
    "late_days": 3,
    "holders": [{"name": "王<经理>", "role": "customer_manager"}],
}
LIST_LINE = ToldLine(
    user_id=9,
    role="customer_manager",
    visit_id=4,
    application_id=PLAN_APP.id,
    stage="plan",
    number=PLAN_APP.number,
    applicant_name=PLAN_APP.applicant_name,
    due_on=date(2026, 12, 1),
    point="overdue",
    mark="overdue:2026-12-04",
)
OPENED = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def owed(kind: str, detail: str | None = None) -> OwedItem:
    return OwedItem(1, APP.id, kind, detail, OPENED, None)


def section(count: int, *apps: SampleFullApp) -> dict[str, Any]:
    return {"apps": list(apps), "count": count}


REMIND_SAMPLES: dict[str, dict[str, Any]] = {
    "remind/stage": {
        "app": PLAN_APP,
        "clock": RUNNING,
        "point": "overdue",
        "role": "customer_manager",
        "late_days": 2,
    },
    "remind/stage_list": {
        "lines": [
            {"line": LIST_LINE, "late_days": 2},
            {"line": replace(LIST_LINE, point="half", due_on=None), "late_days": 0},
        ],
        "counts": {"overdue": 1, "half": 39},
        "total": 40,
        "hidden": 38,
        "today": date(2026, 12, 4),
    },
    "remind/escalation": {
        "lines": [LATE_LINE, {**LATE_LINE, "holders": [], "late_days": 1}],
        "total": 40,
        "hidden": 38,
        "today": date(2026, 12, 4),
    },
    "remind/followup": {
        "app": PLAN_APP,
        "clock": RUNNING,
        "manager": "王<经理>",
        "owed": [owed("document:site_proof")],
    },
    "remind/owed": {
        "app": APP,
        "item": owed("supply:missing", "缺少 <营业执照> 副本"),
        "others": [owed("document:site_proof"), owed("pick:slot")],
        "waited_days": 3,
    },
    "remind/digest": {
        "today": date(2026, 12, 4),
        "since": datetime(2026, 12, 3, 0, 30, tzinfo=UTC),
        "district": "汉台区",
        "sections": {
            "new": section(1, PLAN_APP),
            "due_today": section(0),
            "overdue": section(12, PLAN_APP, APP),
            "paused": section(2, APP),
        },
        "order": ("new", "due_today", "overdue", "paused"),
    },
    "remind/unreachable": {
        "app": APP,
        "customer_name": "<script>",
        "customer_phone": "+8613900139000",
    },
}
