"""An application's supply-plan stage across the Spring Festival 2026 (16–23 Feb off, with
Saturdays 14 and 28 Feb worked): the holiday stops every reminder and the clock, the make-up
Saturdays count like any working day, and each person hears exactly this, exactly then.

(The supervisors' side of the holiday, digests on the make-up Saturdays and escalations, is
in tests/notifications/test_sweep_digest.py and test_sweep_staff.py.)"""

from __future__ import annotations

from datetime import date

import pytest

from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.reminder_timeline import Timeline
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import act

HOLIDAY = {date(2026, 2, d) for d in range(15, 24)}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 2, 10, 8, 0))  # Tuesday, before the morning digest


async def test_the_spring_festival_holds_everything_and_make_up_saturdays_count(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    number = await submit_application(alice)
    bot.clock.set(shanghai(2026, 2, 10, 8, 10))
    await act(manager, number, "受理")
    await emulator.wait_idle()
    timeline = Timeline(bot, {"customer": alice.user, "manager": manager.user})
    timeline.forget_so_far()

    await timeline.days(date(2026, 2, 11), date(2026, 3, 4))

    def heard(person: str) -> list[tuple[str, str]]:
        return [(h.moment.strftime("%m-%d %H:%M"), h.first_line) for h in timeline.of(person)]

    # Decided at 00:05, heard when the staff's hours begin (by the 09:00 step).
    # Counted: 11, 12, 13, 14 (Sat), 24 → half; 25, 26, 27, 28 (Sat) → one day left;
    # Monday 2 Mar → due; then overdue every working day.
    assert heard("manager") == [
        ("02-24 09:00", f"🕐 环节时限已过半 · {number}"),
        ("02-28 09:00", f"⏳ 还剩 1 个工作日 · {number}"),
        ("03-02 09:00", f"⏰ 今天到期 · {number}"),
        ("03-03 09:00", f"🔴 已超期 1 个工作日 · {number}"),
        ("03-04 09:00", f"🔴 已超期 2 个工作日 · {number}"),
    ]
    assert all("期限 2026年3月2日（周一）" in h.text for h in timeline.of("manager"))
    assert heard("customer") == [
        ("02-13 09:00", f"📋 办理进度 · {number} 二期厂房新建工程"),
        ("02-13 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
        ("02-25 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
        ("02-28 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
        ("03-04 09:00", f"📌 待您办理 · {number} 二期厂房新建工程"),
    ]
    assert not [h for h in timeline.heard if h.moment.date() in HOLIDAY]
