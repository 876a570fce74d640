"""The daily escalation names whoever holds each overdue stage: the customer manager, and
the project manager in the stages where they act, through the real sweep."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from process.roles import Role
from tests.notifications.sweep_rig import at, sweep_rig

MANAGER, PROJECT, SUPERVISOR = 2001, 2002, 2003
CUSTOMER = 1001


async def test_an_overdue_design_review_names_the_project_manager_beside_the_manager(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        await rig.staff(PROJECT, Role.PROJECT_MANAGER, "赵工")
        await rig.staff(SUPERVISOR, Role.SUPERVISOR, "陈主管")
        held = await rig.submit(CUSTOMER, manager=MANAGER, project=PROJECT)
        await rig.walk(
            held.id,
            [
                ("accept", MANAGER),
                ("propose_slots", MANAGER),
                ("pick_slot", CUSTOMER),
                ("survey_done", MANAGER),
                ("send_plan", MANAGER),
                ("confirm_plan", CUSTOMER),
                ("submit_design", CUSTOMER),
            ],
        )
        # Design review: five working days from Tuesday 1 Dec, overdue from Wednesday 9 Dec.
        await rig.run_days(date(2026, 12, 1), date(2026, 12, 10), hours=(time(9, 0),))

        escalation, *_ = await rig.sent(SUPERVISOR, "remind.escalation")
        assert held.number in escalation.text
        assert "王经理（客户经理）、赵工（项目经理）" in escalation.text


async def test_an_overdue_plan_names_only_the_customer_manager(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        await rig.staff(PROJECT, Role.PROJECT_MANAGER, "赵工")
        await rig.staff(SUPERVISOR, Role.SUPERVISOR, "陈主管")
        await rig.submit(CUSTOMER, manager=MANAGER, project=PROJECT)
        await rig.run_days(date(2026, 12, 1), date(2026, 12, 3), hours=(time(9, 0),))

        escalation, *_ = await rig.sent(SUPERVISOR, "remind.escalation")
        assert "王经理（客户经理）" in escalation.text and "赵工" not in escalation.text
