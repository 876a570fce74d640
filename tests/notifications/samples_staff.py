"""Sample contexts for the staff templates: enrolment, /staff, /queue, /find and alerts.

The queue and list samples are as long as the flows ever make them, with the longest names
and labels, so the template test also proves they stay within Telegram's 4096 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flows.staff.access import STAFF_COMMANDS
from flows.staff.admin import STAFF_SHOWN
from flows.staff.queue import FIND_LIMIT, QUEUE_SHOWN, QueueLine
from process.roles import Role
from storage.staff.members import Staff

MOMENT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LONG_NAME = "汉中市天汉机械制造有限公司 & <Co>" * 3


def _member(user_id: int, role: Role, *, active: bool = True, district: str | None = None) -> Staff:
    return Staff(
        user_id=user_id,
        name="李娜 <b>",
        role=role,
        district=district,
        active=active,
        last_assigned_at=None,
        created_at=MOMENT,
        updated_at=MOMENT,
        disabled_at=None if active else MOMENT,
    )


@dataclass
class _App:
    number: str = "HV-2026-000123"
    applicant_name: str = LONG_NAME
    district: str = "汉台区"
    stage: str = "contract"
    status: str = "active"


def _line(i: int, **changes: Any) -> QueueLine:
    values: dict[str, Any] = {
        "number": f"HV-2026-{i:06d}",
        "applicant": LONG_NAME,
        "stage": "contract",
        "due": date(2026, 12, 23),
        "used_days": 12,
        "limit_days": 20,
        "overdue": i % 3 == 0,
        "paused": False,
        "provisional": True,
    }
    values.update(changes)
    return QueueLine(**values)


MEMBERS = [
    _member(2000 + i, role, active=i % 5 != 0, district=None if i % 2 else "城固县")
    for i, role in enumerate(list(Role) * 20)
]

STAFF_SAMPLES: dict[str, dict[str, Any]] = {
    "common/staff_only": {},
    "staff/help": {"role": "supervisor", "commands": STAFF_COMMANDS[Role.SUPERVISOR]},
    "staff/join_usage": {},
    "staff/welcome": {
        "member": _member(2003, Role.SUPERVISOR, district="汉台区"),
        "role": "supervisor",
        "commands": STAFF_COMMANDS[Role.SUPERVISOR],
    },
    "staff/free_text": {
        "role": "customer_manager",
        "commands": STAFF_COMMANDS[Role.CUSTOMER_MANAGER],
        "number": "HV-2026-000001",
    },
    "staff/role_only": {"command": "stats", "roles": ["supervisor", "admin"]},
    "staff/joined": {
        "member": _member(2001, Role.CUSTOMER_MANAGER, district="汉台区"),
        "role": "customer_manager",
        "commands": STAFF_COMMANDS[Role.CUSTOMER_MANAGER],
    },
    "staff/join_failed": {"reason": "expired", "attempts_left": 3},
    "staff/join_limited": {"retry_at": MOMENT},
    "staff/list": {
        "members": MEMBERS,
        "shown": MEMBERS[:STAFF_SHOWN],
        "hidden": len(MEMBERS) - STAFF_SHOWN,
        "counts": {2001: 12},
    },
    "staff/ask_name": {"role": "project_manager"},
    "staff/name_invalid": {"error": "a <b>name</b> should not contain digits"},
    "staff/ask_district": {"role": "supervisor", "name": "王 <i>"},
    "staff/invite_created": {
        "code": "ABCD-EFGH-JK",
        "role": "customer_manager",
        "name": "张三 & <Co>",
        "district": "汉台区",
        "expires_at": MOMENT,
    },
    "staff/confirm_disable": {
        "member": _member(2001, Role.CUSTOMER_MANAGER),
        "role": "customer_manager",
        "open_count": 4,
    },
    "staff/disabled": {"member": _member(2001, Role.CUSTOMER_MANAGER), "returned": 4},
    "staff/unassigned_alert": {
        "member_name": "张三 <script>",
        "member_role": "project_manager",
        "applications": [_App() for _ in range(45)],
    },
    "staff/queue": {
        "lines": [_line(i) for i in range(QUEUE_SHOWN - 1)] + [_line(99, due=None, paused=True)],
        "hidden": 12,
        "total": QUEUE_SHOWN + 12,
        "overdue": 13,
        "overseer": True,
        "district": None,
    },
    "staff/queue_empty": {"overseer": True, "district": "汉台区"},
    "staff/find_usage": {},
    "staff/find_none": {"text": "<script>"},
    "staff/find_results": {
        "text": "天汉 & <b>",
        "results": [{"app": _App(status="withdrawn"), "holder": None}]
        + [{"app": _App(), "holder": "李娜 <b>"} for _ in range(FIND_LIMIT - 1)],
        "limited": True,
    },
}
