"""The stage clock as every user sees it, through the real bot: one count of working days on
the card, /status, /queue, /overdue and /stats; the day a stage starts or its clock resumes
never counts; "overdue" from the first working day after the due date; one deadline on
/status."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.app import services_of
from flows.deps import Services
from process.clock import ManualClock
from process.roles import Role
from process.stages import Stage, SupplyMode
from process.workflow import ACTIONS, STEP_STAGE
from sandbox.emulator import BotApiEmulator
from storage.models import Application
from storage.workflow import transition
from tests.e2e.apply_walk import submit_application
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner, shanghai
from tests.e2e.staff_seed import seed_application
from tests.e2e.staffing import enrol
from tests.e2e.test_five_stages import latest_with_button, open_card

TO_DESIGN = ["accept", "propose_slots", "pick_slot", "survey_done", "send_plan", "confirm_plan"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 4, 20, 10, 0))  # a Monday


async def walk(
    svc: Services, application: Application, actions: list[str], now: datetime
) -> Application:
    """Earlier steps written as the workflow writes them, so a test starts where it matters."""
    for name in actions:
        action = ACTIONS[name]
        stage = STEP_STAGE[action.target]
        mode = SupplyMode(application.supply_mode)
        limit = 0 if stage is Stage.DONE else svc.settings.limits.for_stage(stage, mode)
        async with svc.db.transaction() as conn:
            application = await transition(
                conn,
                application_id=application.id,
                expected_version=application.version,
                action=name,
                target=action.target,
                actor_id=2001,
                actor_role=Role.CUSTOMER_MANAGER.value,
                now=now,
                next_limit_days=limit,
            )
    return application


def clock_line(card_text: str) -> str:
    """The card's line with the stage clock."""
    return next(line for line in card_text.splitlines() if "个工作日" in line)


def queue_line(text: str, number: str) -> str:
    return next(line for line in text.splitlines() if number in line)


async def test_design_review_clock_is_one_count_from_submission_to_statistics(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    assert bot.app is not None
    svc = services_of(bot.app)
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    seeded = await seed_application(svc, customer_id=1001, manager=2001)
    number = seeded.number
    await walk(svc, seeded, TO_DESIGN, shanghai(2026, 4, 27, 10, 0))

    # Thu 30 Apr 2026: the design is sent. That day does not count, and 1-5 May are the
    # Labour Day break: Wed 6, Thu 7, Fri 8, Sat 9 (a make-up working day), Mon 11 May.
    bot.clock.set(shanghai(2026, 4, 30, 10, 0))
    status = await alice.say(f"/status {number}")
    await alice.press(status, "提交设计文件")
    await alice.upload_pdf("design.pdf")
    await alice.press(await latest_with_button(alice, "✅ 文件已发完"), "✅ 文件已发完")
    card = await open_card(manager, number)
    assert clock_line(card.text or "") == "用时 0/5 个工作日 · 期限 2026年5月11日（周一）"
    status = await alice.say(f"/status {number}")
    assert "当前环节用时</b>：0/5 个工作日" in (status.html or "")
    assert "期限：2026年5月11日（周一）" in (status.text or "")

    # Tue 12 May: six working days used, one past the limit.
    bot.clock.set(shanghai(2026, 5, 12, 10, 0))
    card = await open_card(manager, number)
    assert clock_line(card.text or "") == (
        "用时 6/5 个工作日 · 期限 2026年5月11日（周一） ⚠️ 已超期"
    )
    assert queue_line((await manager.say("/queue")).text or "", number).startswith("⚠️")

    # Approved the same day: the customer builds, the clock stops, and the day stays counted.
    await manager.press(card, "设计审查通过")
    await manager.say("高压开关柜需五防闭锁")
    risks = await alice.user.wait_for(lambda m: "一次性告知" in (m.text or ""))
    card = await open_card(manager, number)
    assert clock_line(card.text or "") == "用时 6/5 个工作日 · ⏸ 计时暂停（客户办理中）"
    status = await alice.say(f"/status {number}")
    assert "当前环节用时</b>：6/5 个工作日" in (status.html or "")
    line = queue_line((await manager.say("/queue")).text or "", number)
    assert line.startswith("⏸") and line.endswith("6/5")

    # Built; the inspection is requested a day later. The design stage used six days.
    bot.clock.set(shanghai(2026, 5, 13, 10, 0))
    await alice.press(risks, "申请竣工检验")
    await manager.user.wait_for(lambda m: "申请竣工检验" in (m.text or ""))
    supervisor.user.mark()
    await supervisor.user.send_text("/stats 2026")
    summary = await supervisor.user.wait_for(lambda m: "业扩报装统计" in (m.text or ""))
    assert "3. 设计检查：6.0 / 6.0 / 6.0 · 时限 5 · 0.0%" in (summary.text or "")
    await supervisor.user.wait_for(lambda m: bool(m.photo))


async def test_every_stage_starts_counting_the_working_day_after_it_starts(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    """Each of the five stages, and a clock resumed within a stage: on the day it starts
    (or resumes) nothing is used, and the deadline is the limit-th working day after it."""
    assert bot.app is not None
    svc = services_of(bot.app)
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    # Fri 6 Mar 2026, in the evening: acceptance (1 day) is due Monday.
    bot.clock.set(shanghai(2026, 3, 6, 18, 0))
    app = await seed_application(svc, customer_id=1001, manager=2001)
    number = app.number
    expected = [
        # (moment, actions then, the card's clock line that day)
        (shanghai(2026, 3, 6, 18, 0), [], "用时 0/1 个工作日 · 期限 2026年3月9日（周一）"),
        # Returned for a missing document on Monday, supplied on Wednesday: Monday counted
        # (the clock ran as it began), Tuesday and Wednesday did not. The one day is used,
        # so the stage is due that Wednesday: Thursday would be a second day.
        (shanghai(2026, 3, 9, 11, 0), ["return_missing"], None),
        (
            shanghai(2026, 3, 11, 15, 0),
            ["supply_missing"],
            "用时 1/1 个工作日 · 期限 2026年3月11日（周三）",
        ),
        (
            shanghai(2026, 3, 12, 9, 0),
            ["accept"],
            "用时 0/10 个工作日 · 期限 2026年3月26日（周四）",
        ),
        (shanghai(2026, 3, 13, 9, 0), TO_DESIGN[1:], None),
        (
            shanghai(2026, 3, 20, 16, 0),
            ["submit_design"],
            "用时 0/5 个工作日 · 期限 2026年3月27日（周五）",
        ),
        (shanghai(2026, 3, 23, 9, 0), ["approve_design"], None),
        (
            shanghai(2026, 4, 1, 9, 0),
            ["request_inspection"],
            "用时 0/3 个工作日 · 期限 2026年4月7日（周二）",
        ),
        # 2-3 April count; Qingming (4-6 April) does not; rectified Tue 7 April, which does
        # not count either.
        (shanghai(2026, 4, 3, 17, 0), ["inspection_fail"], None),
        (
            shanghai(2026, 4, 7, 10, 0),
            ["rectified"],
            "用时 2/3 个工作日 · 期限 2026年4月8日（周三）",
        ),
        (shanghai(2026, 4, 8, 10, 0), ["inspection_pass"], None),
        (
            shanghai(2026, 4, 10, 10, 0),
            ["sign_contract"],
            "用时 0/3 个工作日 · 期限 2026年4月15日（周三）",
        ),
    ]
    for moment, actions, line in expected:
        bot.clock.set(moment)
        app = await walk(svc, app, actions, moment)
        if line is not None:
            card = await open_card(manager, number)
            assert clock_line(card.text or "") == line, moment


async def test_a_stage_due_on_friday_is_overdue_from_monday_everywhere(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    """One meaning of overdue: from the first working day after the due date. The weekend
    after a Friday deadline is not late yet, on the card, /queue or /overdue."""
    assert bot.app is not None
    svc = services_of(bot.app)
    manager = await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    supervisor = await enrol(emulator, bot, 2003, Role.SUPERVISOR, "陈主管")
    thursday = shanghai(2026, 11, 26, 10, 0)
    app = await seed_application(svc, customer_id=1001, manager=2001, now=thursday)

    for moment in (shanghai(2026, 11, 28, 10, 0), shanghai(2026, 11, 29, 10, 0)):
        bot.clock.set(moment)  # Saturday, Sunday: due Friday 27 Nov, not late yet
        queue = (await manager.say("/queue")).text or ""
        assert queue_line(queue, app.number).startswith("▫️") and "，⚠️ 超期" not in queue
        card = await open_card(manager, app.number)
        assert clock_line(card.text or "") == "用时 1/1 个工作日 · 期限 2026年11月27日（周五）"
        assert "没有超期" in ((await supervisor.say("/overdue")).text or "")
        assert "⚠️" not in await accept_stats_line(supervisor)

    bot.clock.set(shanghai(2026, 11, 30, 10, 0))  # Monday
    queue = (await manager.say("/queue")).text or ""
    assert queue_line(queue, app.number).startswith("⚠️") and "超期 1 件" in queue
    card = await open_card(manager, app.number)
    assert clock_line(card.text or "").endswith("⚠️ 已超期")
    overdue = (await supervisor.say("/overdue")).text or ""
    assert app.number in overdue and "超 1 个工作日" in overdue
    assert (await accept_stats_line(supervisor)).endswith("⚠️ 1")


async def accept_stats_line(supervisor: Customer) -> str:
    """/stats's line for the acceptance stage (its last mark: overdue now)."""
    supervisor.user.mark()
    await supervisor.user.send_text("/stats 2026")
    summary = await supervisor.user.wait_for(lambda m: "业扩报装统计" in (m.text or ""))
    await supervisor.user.wait_for(lambda m: bool(m.photo))
    return next(line for line in (summary.text or "").splitlines() if "1. 业务受理" in line)


async def test_status_shows_one_deadline_the_live_one(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    """Accepted two days late, the supply plan is due two days later than estimated at
    submission; the customer sees the live date only."""
    assert bot.app is not None
    svc = services_of(bot.app)
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    monday = shanghai(2026, 3, 2, 10, 0)
    app = await seed_application(svc, customer_id=1001, manager=2001, now=monday)
    bot.clock.set(shanghai(2026, 3, 2, 11, 0))
    text = (await alice.say(f"/status {app.number}")).text or ""
    assert text.count("期限") == 1 and "期限：2026年3月3日（周二）" in text
    await walk(svc, app, ["accept"], shanghai(2026, 3, 4, 10, 0))
    bot.clock.set(shanghai(2026, 3, 4, 11, 0))
    text = (await alice.say(f"/status {app.number}")).text or ""
    assert "供电方案答复期限" not in text
    assert text.count("期限") == 1 and "期限：2026年3月18日（周三）" in text


async def test_provisional_deadlines_across_labour_day_2027_skip_its_substitute_days(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    """Past the official data: 1-2 May 2027 fall on a weekend and are made up on Mon 3 and
    Tue 4 May, so an application sent on Fri 30 April is due for acceptance on Wed 5 May and
    its supply plan on Wed 19 May, both provisional, with the reason given once."""
    await enrol(emulator, bot, 2001, Role.CUSTOMER_MANAGER, "王经理")
    alice = Customer(emulator, emulator.user(1001, first_name="张伟"))
    bot.clock.set(shanghai(2027, 4, 30, 10, 0))
    number = await submit_application(alice)
    done = next(m for m in alice.user.messages() if "供电方案答复期限" in (m.text or ""))
    assert "供电方案答复期限：2027年5月19日（周三）（暂定：" in (done.text or "")
    assert "国务院放假安排公布后，日期仍可能调整" in (done.text or "")
    status = (await alice.say(f"/status {number}")).text or ""
    assert "期限：2027年5月5日（周三）（暂定）" in status
