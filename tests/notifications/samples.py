"""A sample context for every template, so that each one is rendered in every language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from process.form import DOCUMENTS
from tests.notifications.samples_staff import STAFF_SAMPLES


@dataclass
class SampleApp:
    number: str = "HV-2026-000123"
    project_name: str = "二期厂房 <新建>"
    applicant_name: str = "汉中某某机械有限公司 & Co"
    voltage_kv: int = 10
    capacity_kva: int = 2000
    supply_mode: str = "single"
    stage: str = "accept"
    status: str = "active"
    plan_due_date: date | None = date(2026, 12, 14)
    plan_due_provisional: bool = False


@dataclass
class SampleClock:
    limit_days: int = 1
    used_days: int = 0
    due: date | None = date(2026, 11, 30)
    remaining_days: int = 1
    paused: bool = False
    provisional: bool = True
    overdue: bool = True


@dataclass
class SampleItem:
    kind: str
    note: str | None = None
    created_at: datetime = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


SAMPLES: dict[str, dict[str, Any]] = {
    "start/welcome": {"name": "<script>"},
    "start/ask_phone": {},
    "start/phone_saved": {"phone": "13800138000"},
    "start/phone_not_own": {},
    "start/phone_invalid": {"error": "bad <number>"},
    "lang/choose": {"unknown": "Deutsch <b>"},
    "lang/changed": {},
    "help/customer": {},
    "common/unknown": {"has_phone": False},
    "common/unknown_command": {},
    "common/error": {"draft_kept": True},
    "common/chosen": {"choice": "汉台区 <A&B>"},
    "common/cancelled": {"has_draft": True},
    "common/nothing_to_cancel": {},
    "common/edit_ignored": {},
    "common/redelivered": {"hint": "status"},
    "common/private_only": {},
    "apply/intro": {"documents": DOCUMENTS, "total": 14},
    "apply/resume_prompt": {"answered": 3, "total": 14, "documents": 1},
    "apply/ask_field": {
        "field": "uscc",
        "kind": "text",
        "position": 2,
        "total": 14,
        "editing": False,
        "max_mb": 20,
        "example": None,
    },
    "apply/invalid": {"error": "x < y", "field": "uscc"},
    "apply/expect_button": {"field": "district"},
    "apply/expect_text": {"field": "uscc"},
    "apply/ask_document": {
        "kind": "site_proof",
        "count": 1,
        "essential": False,
        "editing": True,
        "max_mb": 20,
    },
    "apply/document_received": {"kind": "identity", "count": 2},
    "apply/document_rejected": {"reason": "too_large", "max_mb": 20},
    "apply/expect_document": {"kind": "equipment_list", "essential": False, "count": 0},
    "apply/deferred_noted": {"kind": "equipment_list"},
    "apply/summary": {
        "fields": [("applicant_name", "A & B <Ltd>"), ("district", "汉台区")],
        "documents": [
            {"kind": "identity", "count": 1, "later": False, "essential": True},
            {"kind": "site_proof", "count": 0, "later": True, "essential": False},
        ],
    },
    "apply/use_buttons": {},
    "apply/submitted": {
        "number": "HV-2026-000123",
        "stage": "accept",
        "plan_due": date(2027, 1, 6),
        "provisional": True,
        "owed": ["site_proof"],
        "manager": "王经理",
    },
    "apply/already_submitted": {},
    "status/none": {},
    "status/not_found": {"number": "HV-2026-999999"},
    "start/claimed": {"number": "HV-2026-000001", "again": False, "owed": True},
    "start/claim_refused": {"reason": "expired"},
    "staff/customer_claimed": {"app": SampleApp()},
    "status/list": {"applications": [SampleApp(), SampleApp(stage="plan")]},
    "status/card": {
        "app": SampleApp(),
        "step": "accept_review",
        "stages": [
            {"stage": "accept", "done": False, "current": True},
            {"stage": "plan", "done": False, "current": False},
        ],
        "clock": SampleClock(),
        "owed": [SampleItem("document:site_proof")],
        "documents": [object(), object()],
        "history": [SampleItem("submitted", note="<b>x</b>")],
        "history_hidden": 2,
    },
}

# Kept in their own modules so that each part of the bot brings its own samples.
from tests.notifications.samples_remind import REMIND_SAMPLES  # noqa: E402
from tests.notifications.samples_security import SECURITY_SAMPLES  # noqa: E402
from tests.notifications.samples_survey import SURVEY_SAMPLES  # noqa: E402
from tests.notifications.samples_workflow import WORKFLOW_SAMPLES  # noqa: E402

SAMPLES.update(WORKFLOW_SAMPLES)
SAMPLES.update(STAFF_SAMPLES)
SAMPLES.update(SURVEY_SAMPLES)
SAMPLES.update(REMIND_SAMPLES)
SAMPLES.update(SECURITY_SAMPLES)
