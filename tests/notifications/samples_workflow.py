"""Sample contexts for the workflow, card and assignment templates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from process.calendar import WorkingCalendar
from process.workflow_inputs import examples
from tests.notifications.samples import SampleApp, SampleClock, SampleItem


@dataclass
class SampleFullApp(SampleApp):
    id: int = 7
    version: int = 3
    uscc: str = "91350100M000100Y43"
    district: str = "汉台区"
    site_address: str = "北一环路88号 <A>"
    usage_category: str = "large_industry"
    important_load: bool = True
    grid_works: str = "unknown"
    wanted_date: date = date(2027, 6, 30)
    contact_name: str = "张伟"
    contact_mobile: str = "13800138000"
    step: str = "survey_pick"


@dataclass
class SampleSlot:
    id: int
    starts_at: datetime
    chosen: bool = False


@dataclass
class SampleThread:
    sender_role: str
    text: str | None
    file_id: str | None = "f1"
    created_at: datetime = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


APP = SampleFullApp()
SLOTS = [
    SampleSlot(1, datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
    SampleSlot(2, datetime(2026, 12, 2, 6, 30, tzinfo=UTC), chosen=True),
]
NOTICE: dict[str, Any] = {
    "app": APP,
    "action": "x",
    "note": "缺少 <营业执照> 副本\n第二行",
    "slots": SLOTS,
    "day": date(2026, 12, 21),
    "manager": "王经理",
}

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLES = examples(datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI), SHANGHAI, WorkingCalendar())

WORKFLOW_SAMPLES: dict[str, dict[str, Any]] = {
    **{
        f"wf/ask/{k}": {"action": a, "app": APP, "examples": EXAMPLES}
        for k, a in (
            ("note", "return_missing"),
            ("slots", "propose_slots"),
            ("risks", "approve_design"),
            ("date", "schedule_energization"),
            ("documents", "submit_design"),
            ("plan", "send_plan"),
            ("contract", "inspection_pass"),
        )
    },
    "wf/ask/figures": {},
    "wf/file_received": {"count": 2},
    "wf/invalid": {"error": "x < y", "action": "propose_slots"},
    "wf/expect": {"action": "submit_design", "needs": "documents"},
    "wf/done": {"action": "accept", "app": replace(APP, stage="plan", step="survey_propose")},
    "wf/refused": {"reason": "wrong_step"},
    "wf/confirm_early": {"app": APP, "scheduled": date(2026, 12, 7), "today": date(2026, 12, 3)},
    "wf/early_kept": {"app": APP, "scheduled": date(2026, 12, 7)},
    "wf/notice_staff": {**NOTICE, "action": "pick_slot"},
    **{
        f"wf/notice/{a}": {**NOTICE, "action": a}
        for a in (
            "accept",
            "return_missing",
            "propose_slots",
            "survey_done",
            "send_plan",
            "approve_design",
            "return_design",
            "inspection_pass",
            "inspection_fail",
            "schedule_energization",
            "energized",
        )
    },
    "card/not_found": {"number": "HV-2026-000404"},
    "card/document_caption": {"number": "HV-2026-000001", "kind": "supply_plan"},
    "card/staff": {
        "app": APP,
        "step": "survey_pick",
        "manager": "王经理",
        "project": None,
        "staff_view": True,
        "is_overseer": False,
        "stages": [{"stage": "accept", "done": True, "current": False}],
        "clock": SampleClock(paused=True),
        "owed": [SampleItem("pick:slot")],
        "documents": [object()],
        "history": [SampleItem("accept"), SampleItem("submitted")],
        "history_hidden": 0,
        "thread": [SampleThread("customer", "请问进度？"), SampleThread("customer_manager", None)],
    },
    "staff/new_application": {"app": APP, "role": "customer_manager"},
    "manage/nobody": {"role": "project_manager"},
    "manage/choose": {"app": APP},
    "manage/taken_away": {"app": APP, "role": "customer_manager", "new": "李经理"},
    "manage/customer_told": {"app": APP, "role": "customer_manager", "new": "李经理"},
    "manage/attached": {"app": APP, "role": "project_manager", "by": "王<经理>"},
    "owed/ask": {"kind": "site_proof", "number": "HV-2026-000001"},
    "owed/received": {"kind": "site_proof", "number": "HV-2026-000001", "manager_told": True},
    "card/documents_failed": {"number": "HV-2026-000001", "kinds": ["identity"], "total": 3},
    "owed/expect": {"kind": "site_proof", "count": 1},
    "owed/interrupted": {"kind": "site_proof", "count": 2},
    "owed/to_staff": {"app": APP, "kind": "equipment_list", "count": 2},
    "relay/no_application": {},
    "relay/choose": {},
    "relay/compose": {
        "number": "HV-2026-000001",
        "to_customer": False,
        "manager": "王经理",
        "unclaimed": False,
    },
    "relay/sent": {"number": "HV-2026-000001", "to_customer": True},
    "relay/held": {"number": "HV-2026-000001"},
    "relay/invalid": {"error": "too <long>"},
    "relay/expect": {},
    "relay/to_staff": {
        "app": APP,
        "text": "什么时候来勘查？<b>",
        "sender": "张伟",
        "manager": "王经理",
    },
    "relay/to_customer": {"app": APP, "text": "明天上午", "sender": "王经理", "manager": None},
    "staff/unassigned_application": {"app": APP, "role": "supervisor"},
}
