"""An application's life through the real bot and the emulator, day by day across the end of
2026 into 2027 (provisional calendar): exactly which reminders each person receives, and
when; and a restart in the middle that neither loses nor repeats anything."""

from __future__ import annotations

from datetime import date

import pytest

from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.reminder_timeline import Heard, Timeline
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import act

DIGEST = "☀️ 每日简报"


@pytest.fixture
def clock() -> ManualClock:
    # Monday 21 Dec 2026, before the morning digest: nothing is due for anyone yet.
    return ManualClock(shanghai(2026, 12, 21, 8, 0))


def _first_lines(heard: list[Heard]) -> list[tuple[str, str]]:
    return [(h.moment.strftime("%m-%d %H:%M"), h.first_line) for h in heard]


async def test_one_life_across_the_year_end_each_person_hears_exactly_this(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)  # the site proof is promised for later
    bot.clock.set(shanghai(2026, 12, 21, 8, 10))
    await act(manager, number, "受理")  # the supply-plan stage starts: 10 working days
    await emulator.wait_idle()
    timeline = Timeline(
        bot, {"customer": alice.user, "manager": manager.user, "supervisor": supervisor.user}
    )
    timeline.forget_so_far()

    await timeline.days(date(2026, 12, 22), date(2026, 12, 27))
    # Half the limit is reached on Monday 28 Dec: run the sweep twice, restart the bot in
    # the middle of the day, run it again.
    moment = shanghai(2026, 12, 28, 0, 5)
    await timeline.step(moment, runs=2)
    await bot.restart()
    await timeline.step(moment)
    await timeline.step(shanghai(2026, 12, 28, 9, 0))
    await timeline.days(date(2026, 12, 29), date(2027, 1, 6))

    # Decided by the first run of the day, heard when the staff's hours begin (the first
    # step after 08:00 is 09:00): never at night.
    assert _first_lines(timeline.of("manager")) == [
        ("12-28 09:00", f"🕐 环节时限已过半 · {number}"),
        ("01-04 09:00", f"⏳ 还剩 1 个工作日 · {number}"),  # 1 Jan a holiday, 2–3 a weekend
        ("01-05 09:00", f"⏰ 今天到期 · {number}"),
        ("01-06 09:00", f"🔴 已超期 1 个工作日 · {number}"),
    ]
    for heard in timeline.of("manager"):
        assert "期限 2027年1月5日（周二）（暂定）" in heard.text  # past the official calendar

    supervisor_heard = timeline.of("supervisor")
    assert [h.moment.date() for h in supervisor_heard if h.first_line.startswith(DIGEST)] == [
        date(2026, 12, d) for d in (22, 23, 24, 25, 28, 29, 30, 31)
    ] + [date(2027, 1, d) for d in (4, 5, 6)]
    assert all(h.moment.hour == 9 for h in supervisor_heard if h.first_line.startswith(DIGEST))
    escalations = [h for h in supervisor_heard if not h.first_line.startswith(DIGEST)]
    assert _first_lines(escalations) == [("01-06 09:00", "🚨 超期督办 2027年1月6日（周三）")]
    assert number in escalations[0].text and "超期 1 个工作日 · 王经理" in escalations[0].text

    # The customer: nothing at night; one follow-up after three quiet working days; the
    # promised site proof every three working days (Saturday's decision waits for Monday).
    assert _first_lines(timeline.of("customer")) == [
        ("12-24 09:00", f"📋 办理进度 · {number} 二期厂房新建工程"),
        ("12-24 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
        ("12-29 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
        ("01-04 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
    ]
    follow_up, owed, *_ = timeline.of("customer")
    assert "我是您的客户经理王经理" in follow_up.text
    assert "正在安排现场勘查" in follow_up.text
    assert "预计 2027年1月5日（周二） 前完成本环节（暂定）" in follow_up.text
    assert "补交用电地址产权证明或租赁合同" in owed.text
    reminder = alice.user.messages()[-1]
    assert "✉️ 联系客户经理" in reminder.buttons  # the customer's next actions come along

    # Everything queued was sent exactly once, and the restart added nothing.
    rows = await bot.query("SELECT key, status FROM outbox WHERE kind LIKE 'remind.%'")
    assert {row["status"] for row in rows} == {"sent"}
    assert len(rows) == len({row["key"] for row in rows}) == len(timeline.heard)
