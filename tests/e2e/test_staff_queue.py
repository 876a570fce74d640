"""/queue and /find through the real bot, with deadlines moving as the clock does."""

from __future__ import annotations

import re

from bot.app import services_of
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staff_seed import seed_application

NUMBER = re.compile(r"HV-\d{4}-\d{6}")


async def _member(
    emulator: BotApiEmulator, bot: BotRunner, user_id: int, role: Role, name: str
) -> Customer:
    assert bot.app is not None
    code = await services_of(bot.app).staff.create_invite(
        role=role, name=name, district="汉台区", created_by=None, now=bot.clock.now()
    )
    member = Customer(emulator, emulator.user(user_id, first_name=name))
    await member.say(f"/join {code}")
    return member


def _queue_lines(text: str) -> list[tuple[str, str]]:
    """(mark, number) per application line, in the order shown."""
    return [
        (line.split(" ", 1)[0], NUMBER.findall(line)[0])
        for line in text.splitlines()
        if NUMBER.search(line)
    ]


async def test_queue_is_sorted_by_deadline_and_marks_overdue_as_time_passes(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    assert bot.app is not None
    svc = services_of(bot.app)
    lina = await _member(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "李娜")
    empty = await lina.say("/queue")
    assert "您目前没有待办的申请" in (empty.text or "")

    monday, wednesday = shanghai(2026, 11, 23, 10, 0), shanghai(2026, 11, 25, 10, 0)
    first = await seed_application(svc, customer_id=1001, manager=2001, now=monday)
    await svc.db.execute(  # five working days: due Monday 30 November
        "UPDATE stage_visits SET limit_days = 5 WHERE application_id = ?", (first.id,)
    )
    second = await seed_application(svc, customer_id=1002, manager=2001, now=monday)  # due 24th
    paused = await seed_application(svc, customer_id=1003, manager=2001, now=wednesday)
    await svc.db.execute(
        "INSERT INTO clock_pauses (stage_visit_id, reason, started_at) "
        "SELECT id, 'customer', ? FROM stage_visits WHERE application_id = ?",
        ("2026-11-25T03:00:00+00:00", paused.id),
    )
    bot.clock.set(shanghai(2026, 11, 27, 10, 0))
    fourth = await seed_application(svc, customer_id=1004, manager=2001)  # due Monday 30th
    await seed_application(svc, customer_id=1005, manager=None)  # nobody's: not in her queue

    text = (await lina.say("/queue")).text or ""
    assert "我的待办" in text and "4 件" in text and "超期 1 件" in text
    assert _queue_lines(text) == [
        ("⚠️", second.number),
        ("▫️", first.number),
        ("▫️", fourth.number),  # same deadline as the first: the number decides
        ("⏸", paused.number),
    ]
    assert "2026年11月24日（周二） · 4/1" in text  # second: due Tuesday, Tue to Fri used
    assert "2026年11月30日（周一） · 4/5" in text  # first: four of its five days used

    bot.clock.set(shanghai(2026, 12, 1, 10, 0))
    text = (await lina.say("/queue")).text or ""
    assert [mark for mark, _ in _queue_lines(text)] == ["⚠️", "⚠️", "⚠️", "⏸"]
    assert "超期 3 件" in text

    supervisor = await _member(emulator, bot, 3001, Role.SUPERVISOR, "王主管")
    text = (await supervisor.say("/queue")).text or ""
    assert "在办申请 · 汉台区" in text and len(_queue_lines(text)) == 5


async def test_find_by_number_name_and_mobile(emulator: BotApiEmulator, bot: BotRunner) -> None:
    assert bot.app is not None
    svc = services_of(bot.app)
    lina = await _member(emulator, bot, 2001, Role.PROJECT_MANAGER, "李娜")
    held = await seed_application(
        svc,
        customer_id=1001,
        manager=2001,
        applicant_name="汉中市天汉机械制造有限公司",
        contact_mobile="13912345678",
    )
    other = await seed_application(svc, customer_id=1002, applicant_name="南郑食品厂")

    usage = await lina.say("/find")
    assert "/find 天汉" in (usage.text or "")
    by_number = (await lina.say(f"/find {held.number.lower()}")).text or ""
    assert held.number in by_number
    # What she does not hold is not found; the district's supervisor finds it.
    refused = (await lina.say(f"/find {other.number}")).text or ""
    assert refused.startswith("没有找到与")
    supervisor = await _member(emulator, bot, 3001, Role.SUPERVISOR, "王主管")
    by_number = (await supervisor.say(f"/find {other.number.lower()}")).text or ""
    assert other.number in by_number and "南郑食品厂 · 业务受理 · 未指派" in by_number
    by_name = (await lina.say("/find 天汉机械")).text or ""
    assert f"{held.number} 汉中市天汉机械制造有限公司 · 业务受理 · 李娜" in by_name
    assert other.number not in by_name
    by_mobile = (await lina.say("/find 139-1234-5678")).text or ""
    assert held.number in by_mobile and other.number not in by_mobile
    nothing = (await lina.say("/find 不存在的公司")).text or ""
    assert "没有找到与“不存在的公司”相符的申请" in nothing
