"""Staff are written to in their working hours (08:00–18:00 on working days by default).

Through the real bot and the emulator, moving the bot's clock: a reminder decided just after
midnight, a new application submitted late in the evening and an escalation all reach the
staff when their hours begin; a day without sweeps does not bring the "morning" digest in
the evening, and the next morning's digest counts what was submitted since the last one.
"""

from __future__ import annotations

import pytest

from bot.app import services_of
from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.reminder_timeline import Heard, Timeline
from tests.e2e.staff_seed import seed_application, walk_workflow
from tests.e2e.staffing import enrol

DIGEST = "☀️ 每日简报"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 12, 1, 9, 0))  # Tuesday morning


def _at(heard: list[Heard]) -> list[tuple[str, str, str]]:
    return [(h.moment.strftime("%m-%d %H:%M:%S"), h.person, h.first_line) for h in heard]


async def _customers_with_a_chat(emulator: BotApiEmulator, *ids: int) -> None:
    """Seeded applications' customers, as people who once wrote to the bot."""
    for customer_id in ids:
        await Customer(emulator, emulator.user(customer_id)).say("/start")


async def test_nothing_reaches_staff_at_night_it_waits_for_their_morning(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    assert bot.app is not None
    svc = services_of(bot.app)
    await _customers_with_a_chat(emulator, 1001)
    # Acceptance takes one working day: due on Wednesday, overdue from Thursday.
    alice = await seed_application(svc, customer_id=1001, manager=2001)
    timeline = Timeline(bot, {"manager": manager.user, "supervisor": supervisor.user})
    timeline.forget_so_far()
    await timeline.step(shanghai(2026, 12, 1, 9, 0))

    # Tuesday 22:00: a customer submits; the manager is not woken for it.
    bot.clock.set(shanghai(2026, 12, 1, 22, 0))
    bob = Customer(emulator, emulator.user(1002, first_name="李娜"))
    number = await submit_application(bob)
    await timeline.step(shanghai(2026, 12, 1, 22, 0))
    # Wednesday just after midnight: the day's reminders are decided, not sent.
    await timeline.step(shanghai(2026, 12, 2, 0, 0, 2))
    await timeline.step(shanghai(2026, 12, 2, 7, 59))
    assert [h for h in _at(timeline.heard) if not "08:00" <= h[0][6:] < "18:00"] == []

    morning = await timeline.step(shanghai(2026, 12, 2, 8, 0))
    told = [h.text for h in morning if h.person == "manager"]
    assert any("新申请" in text and number in text for text in told)
    assert any(alice.number in text and "今天到期" in text for text in told)

    # Thursday's escalation of the overdue acceptance: decided at midnight, read at 08:00.
    await timeline.step(shanghai(2026, 12, 3, 0, 5))
    await timeline.step(shanghai(2026, 12, 3, 8, 0))
    escalations = [h for h in timeline.of("supervisor") if "超期督办" in h.first_line]
    assert [h.moment for h in escalations] == [shanghai(2026, 12, 3, 8, 0)]
    assert all("08:00" <= h[0][6:] < "18:00" for h in _at(timeline.heard))


async def test_a_missed_digest_waits_for_the_next_morning_and_counts_the_gap(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    assert bot.app is not None
    svc = services_of(bot.app)
    await _customers_with_a_chat(emulator, 1003)
    timeline = Timeline(bot, {"supervisor": supervisor.user})
    timeline.forget_so_far()
    # Joined after the bot's start-up run, past 08:30: Tuesday's digest comes with the next run.
    tuesday = await timeline.step(shanghai(2026, 12, 1, 9, 0))
    assert [h.first_line for h in tuesday] == [f"{DIGEST} 2026年12月1日（周二） · 汉台区"]
    await timeline.step(shanghai(2026, 12, 2, 8, 30))  # Wednesday's

    # Thursday: the sweeps do not run all day (the bot was down); a customer submits in the
    # gap; the bot is back at 21:30.
    bot.clock.set(shanghai(2026, 12, 3, 10, 0))
    carol = await seed_application(svc, customer_id=1003, manager=2001)
    evening = await timeline.step(shanghai(2026, 12, 3, 21, 30))
    assert [h.first_line for h in evening] == []

    friday = await timeline.step(shanghai(2026, 12, 4, 8, 30))
    [digest] = [h for h in friday if h.first_line.startswith(DIGEST)]
    assert "新申请（上次简报 2026-12-02 08:30 以来）：1 件" in digest.text
    assert carol.number in digest.text
    digests = [h.moment for h in timeline.heard if h.first_line.startswith(DIGEST)]
    assert digests == [
        shanghai(2026, 12, 1, 9, 0),
        shanghai(2026, 12, 2, 8, 30),
        shanghai(2026, 12, 4, 8, 30),
    ]
    rows = await bot.query("SELECT key FROM outbox WHERE key LIKE 'digest:%' ORDER BY id")
    assert [r["key"].rsplit(":", 1)[1] for r in rows] == ["2026-12-01", "2026-12-02", "2026-12-04"]


async def test_a_customers_step_at_night_reaches_the_manager_in_the_morning(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    assert bot.app is not None
    svc = services_of(bot.app)
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    await alice.say("/start")
    app = await seed_application(svc, customer_id=1001, manager=2001)
    await walk_workflow(
        svc,
        app.id,
        [
            ("accept", 2001),
            ("propose_slots", 2001),
            ("pick_slot", 1001),
            ("survey_done", 2001),
            ("send_plan", 2001),
        ],
    )
    timeline = Timeline(bot, {"manager": manager.user})
    timeline.forget_so_far()

    bot.clock.set(shanghai(2026, 12, 1, 22, 30))
    card = await alice.say(f"/status {app.number}")
    done = await alice.press(card, "确认供电方案")
    assert "确认供电方案" in (done.text or "")
    assert await timeline.step(shanghai(2026, 12, 1, 22, 30)) == []
    morning = await timeline.step(shanghai(2026, 12, 2, 8, 0))
    assert [h.person for h in morning] == ["manager"] and app.number in morning[0].text


async def test_a_customers_message_at_night_reaches_the_manager_in_the_morning(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    """Written to the manager at 22:30: the customer is answered at once, the manager hears
    of it when their hours begin, once."""
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    assert bot.app is not None
    svc = services_of(bot.app)
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    await alice.say("/start")
    app = await seed_application(svc, customer_id=1001, manager=2001)
    await walk_workflow(svc, app.id, [("accept", 2001)])
    timeline = Timeline(bot, {"manager": manager.user})
    timeline.forget_so_far()

    bot.clock.set(shanghai(2026, 12, 1, 22, 30))
    await alice.say("/contact")
    sent = await alice.say("请问勘查时间能否改到周五？")
    assert "请问勘查时间能否改到周五" not in (sent.text or "")  # the bot's receipt, not an echo
    assert await timeline.step(shanghai(2026, 12, 1, 22, 30)) == []
    morning = await timeline.step(shanghai(2026, 12, 2, 8, 0))
    assert [h.person for h in morning] == ["manager"]
    assert "请问勘查时间能否改到周五" in morning[0].text
    assert await timeline.step(shanghai(2026, 12, 2, 9, 0)) == []
