""" "Energized" pressed before the scheduled energization day asks first, and records the day
the power really came on."""

from __future__ import annotations

import json
from datetime import date

from bot.app import services_of
from flows.workflow.buttons import Early, EarlyEnergizedPress
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner
from tests.e2e.staff_seed import seed_application, walk_workflow
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import open_card

CUSTOMER = 1001
MANAGER = 2001
TO_SCHEDULE = [
    ("accept", MANAGER),
    ("propose_slots", MANAGER),
    ("pick_slot", CUSTOMER),
    ("survey_done", MANAGER),
    ("send_plan", MANAGER),
    ("confirm_plan", CUSTOMER),
    ("submit_design", CUSTOMER),
    ("approve_design", MANAGER),
    ("request_inspection", CUSTOMER),
    ("inspection_pass", MANAGER),
    ("sign_contract", CUSTOMER),
    ("schedule_energization", MANAGER),
]


async def test_energized_before_the_scheduled_day_asks_and_records_the_real_day(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    # Friday 27 Nov 2026; energization scheduled for Thursday 3 Dec.
    manager = await enrol(emulator, bot, MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(CUSTOMER, first_name="张伟"))
    await alice.say("/start")
    assert bot.app is not None
    svc = services_of(bot.app)
    app = await seed_application(svc, customer_id=CUSTOMER, manager=MANAGER)
    await walk_workflow(svc, app.id, TO_SCHEDULE, day=date(2026, 12, 3))

    card = await open_card(manager, app.number)
    asked = await manager.press(card, "已送电")
    assert "2026年12月3日" in (asked.text or "") and "今天" in (asked.text or "")
    assert asked.buttons == ["⚡ 确认今天已送电（提前）", "↩️ 没有，按原计划"]
    [row] = await bot.query("SELECT step, energize_date FROM applications")
    assert (row["step"], row["energize_date"]) == ("energize_day", "2026-12-03")

    kept = await manager.press(asked, "↩️ 没有，按原计划")
    assert "仍按计划" in (kept.text or "")
    [row] = await bot.query("SELECT step FROM applications")
    assert row["step"] == "energize_day"

    card = await open_card(manager, app.number)
    asked = await manager.press(card, "已送电")
    done = await manager.press(asked, "⚡ 确认今天已送电（提前）")
    assert "已送电" in (done.text or "")
    [row] = await bot.query("SELECT step, status, energize_date FROM applications")
    assert (row["step"], row["status"], row["energize_date"]) == ("done", "done", "2026-11-27")
    [event] = await bot.query("SELECT data FROM events WHERE kind = 'energized'")
    facts = json.loads(event["data"])
    assert (facts["day"], facts["scheduled"]) == ("2026-11-27", "2026-12-03")
    await alice.user.wait_for(lambda m: "已送电" in (m.text or ""))
    # The question's buttons were taken away; an old copy of them changes nothing.
    answer = await manager.press_stale(
        asked.message_id, EarlyEnergizedPress(Early.YES, app.id, 1).encode()
    )
    assert answer.show_alert
