"""Reminders to the staff holding an application, and the daily escalation to supervisors,
driven through whole stages on a manual clock: exactly who hears what, on which day."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

from process.deadlines import Point, StageClock, stage_point
from process.roles import Role
from process.stages import SupplyMode
from storage.reminders.watch import count_by_kind
from tests.notifications.sweep_rig import SweepRig, at, sweep_rig

MANAGER, PROJECT, SUPERVISOR, ADMIN, OTHER_SUPERVISOR = 2001, 2002, 2003, 2004, 2005
CUSTOMER = 1001


async def _staffed(rig: SweepRig) -> None:
    await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    await rig.staff(PROJECT, Role.PROJECT_MANAGER, "赵工")
    await rig.staff(SUPERVISOR, Role.SUPERVISOR, "陈主管")
    await rig.staff(ADMIN, Role.ADMIN, "管理员", district=None)
    await rig.staff(OTHER_SUPERVISOR, Role.SUPERVISOR, "李主管", district="南郑区")


async def _alerts(rig: SweepRig, user_id: int) -> list[str]:
    """Keys of the reminders and escalations ``user_id`` got (not the morning digest)."""
    return [k for k in await rig.keys(user_id) if k.startswith(("remind:", "escalate:"))]


async def _visit_id(rig: SweepRig, app_id: int) -> int:
    visit = await rig.apps.current_visit(app_id)
    assert visit is not None
    return visit.id


def _at(used: int, limit: int, today: date) -> Point | None:
    """The point of a running stage that has used ``used`` of ``limit`` working days: past
    its limit, a running stage is overdue (see the deadline properties)."""
    clock = StageClock(limit, used, today, limit - used, False, False, overdue=used > limit)
    return stage_point(clock, today)


def test_points_of_a_ten_day_stage() -> None:
    today = date(2026, 12, 7)
    assert [_at(used, 10, today) for used in (0, 4)] == [None, None]
    assert [_at(used, 10, today).name for used in (5, 8, 9, 10, 11)] == [  # type: ignore[union-attr]
        "half",
        "half",
        "day_before",
        "due",
        "overdue",
    ]
    assert _at(12, 10, today).threshold == "2026-12-07"  # type: ignore[union-attr]
    # A one-day stage is due on its first working day; a three-day stage skips "half".
    assert _at(1, 1, today).name == "due"  # type: ignore[union-attr]
    assert _at(2, 3, today).name == "day_before"  # type: ignore[union-attr]


async def test_plan_stage_reminds_its_manager_at_each_point_and_escalates_when_overdue(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:  # a Monday
        await _staffed(rig)
        app = await rig.submit(CUSTOMER, manager=MANAGER)
        rig.clock.set(at(2026, 11, 30, 10))
        await rig.act(app.id, "accept", MANAGER)
        visit = await _visit_id(rig, app.id)

        # Twice a day (just after midnight and mid-morning) for two and a half weeks.
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 16))

        reminders = [(s.queued, s.key) for s in await rig.sent(MANAGER, "remind.")]
        assert reminders == [
            (at(2026, 12, 7, 0, 5), f"remind:{visit}:half:5"),  # 5th working day
            (at(2026, 12, 11, 0, 5), f"remind:{visit}:day_before:9"),  # Friday
            (at(2026, 12, 14, 0, 5), f"remind:{visit}:due:10"),  # Monday
            (at(2026, 12, 15, 0, 5), f"remind:{visit}:overdue:2026-12-15"),
            (at(2026, 12, 16, 0, 5), f"remind:{visit}:overdue:2026-12-16"),
        ]
        half, day_before, due, late, later = await rig.sent(MANAGER, "remind.")
        assert "环节时限已过半" in half.text and "已用 5/10 个工作日" in half.text
        assert "期限 2026年12月14日（周一）" in half.text and "暂定" not in half.text
        assert "还剩 1 个工作日" in day_before.text and "今天到期" in due.text
        assert "已超期 1 个工作日" in late.text and "已超期 2 个工作日" in later.text
        assert app.number in late.text and "供电方案确定及答复" in late.text
        # Decided by the day's first run, delivered when the staff's hours begin.
        assert [s.not_before for s in (half, late)] == [at(2026, 12, 7, 8), at(2026, 12, 15, 8)]

        # One escalation per overseer per overdue working day; other districts hear nothing.
        for overseer in (SUPERVISOR, ADMIN):
            escalations = await rig.sent(overseer, "remind.escalation")
            assert [(s.queued, s.key) for s in escalations] == [
                (at(2026, 12, 15, 0, 5), f"escalate:{overseer}:2026-12-15"),
                (at(2026, 12, 16, 0, 5), f"escalate:{overseer}:2026-12-16"),
            ]
            assert app.number in escalations[0].text and "超期 1 个工作日" in escalations[0].text
            assert "王经理" in escalations[0].text
        assert await rig.sent(OTHER_SUPERVISOR, "remind.escalation") == []
        assert await rig.sent(PROJECT) == []


async def test_a_paused_stage_says_nothing_and_counts_on_from_where_it_stopped(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await _staffed(rig)
        app = await rig.submit(CUSTOMER, manager=MANAGER)
        rig.clock.set(at(2026, 11, 30, 10))
        await rig.act(app.id, "accept", MANAGER)
        visit = await _visit_id(rig, app.id)
        # Tuesday: survey times proposed; the customer takes a week to pick one.
        rig.clock.set(at(2026, 12, 1, 11))
        await rig.act(app.id, "propose_slots", MANAGER)
        await rig.run_days(date(2026, 12, 1), date(2026, 12, 8))
        assert await rig.keys(MANAGER) == []
        rig.clock.set(at(2026, 12, 8, 15))
        await rig.act(app.id, "pick_slot", CUSTOMER, role="customer")

        await rig.run_days(date(2026, 12, 8), date(2026, 12, 16))

        # The days from the one the pause began (1 Dec) to the one before it ended (7 Dec)
        # are the customer's: counting resumes on 8 Dec, and half (5 of 10) is reached on
        # Monday 14 Dec instead of Monday 7 Dec.
        assert [(s.day, s.key) for s in await rig.sent(MANAGER, "remind.")] == [
            (date(2026, 12, 14), f"remind:{visit}:half:5"),
        ]


async def test_project_manager_hears_in_design_review_and_overseers_when_nobody_holds_it(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await _staffed(rig)
        held = await rig.submit(CUSTOMER, manager=MANAGER, project=PROJECT)
        # Straight to design review: confirm the plan, submit the design on Tuesday.
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
        orphan = await rig.submit(1002)  # nobody assigned (accept stage, one day)
        design = await _visit_id(rig, held.id)
        accept = await _visit_id(rig, orphan.id)

        await rig.run_days(date(2026, 12, 1), date(2026, 12, 4), hours=(time(9, 0),))

        # Design review is 5 working days: half (3 of 5) on Friday 4 Dec.
        assert await rig.keys(MANAGER) == [f"remind:{design}:half:3"]
        assert await rig.keys(PROJECT) == [f"remind:{design}:half:3:{PROJECT}"]
        (to_project,) = await rig.sent(PROJECT, "remind.")
        assert "您是本申请的项目经理" in to_project.text
        # The unassigned application: due Wednesday, overdue Thursday; overseers are told.
        for overseer in (SUPERVISOR, ADMIN):
            assert await _alerts(rig, overseer) == [
                f"remind:{accept}:due:1:{overseer}",
                f"remind:{accept}:overdue:2026-12-03:{overseer}",
                f"escalate:{overseer}:2026-12-03",
                f"remind:{accept}:overdue:2026-12-04:{overseer}",
                f"escalate:{overseer}:2026-12-04",
            ]


async def test_running_twice_and_restarting_sends_nothing_twice(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await _staffed(rig)
        app = await rig.submit(CUSTOMER, manager=MANAGER)
        await rig.run(at(2026, 12, 3, 9))  # accept stage overdue by one day
        first = await rig.sent()
        assert await rig.run() == {"stage": 0, "customers": 0, "unreachable": 0, "digest": 0}
        rig.scheduler = rig.fresh_scheduler()  # a restarted process
        assert await rig.run() == {"stage": 0, "customers": 0, "unreachable": 0, "digest": 0}
        assert await rig.sent() == first
        assert {s.key for s in first} >= {
            f"remind:{await _visit_id(rig, app.id)}:overdue:2026-12-03",
            f"escalate:{SUPERVISOR}:2026-12-03",
            f"escalate:{ADMIN}:2026-12-03",
        }


async def test_spring_festival_2026_holds_the_clock_and_make_up_saturdays_count(
    tmp_path: Path,
) -> None:
    # 16–23 Feb 2026 are holidays; Saturday 14 and Saturday 28 Feb are make-up working days.
    async with sweep_rig(tmp_path, at(2026, 2, 11, 9)) as rig:  # Wednesday
        await _staffed(rig)
        app = await rig.submit(CUSTOMER, manager=MANAGER, mode=SupplyMode.SINGLE)
        rig.clock.set(at(2026, 2, 11, 10))
        await rig.act(app.id, "accept", MANAGER)
        visit = await _visit_id(rig, app.id)

        await rig.run_days(date(2026, 2, 11), date(2026, 3, 3))

        # Counted: 12, 13, 14 (Sat), 15? no (Sun), 24, 25 -> half (5) on Wed 25 Feb; 26, 27,
        # 28 (Sat), 2 Mar -> day before (9) on Mon 2 Mar; due (10) on Tue 3 Mar.
        assert [(s.day, s.key) for s in await rig.sent(MANAGER, "remind.")] == [
            (date(2026, 2, 25), f"remind:{visit}:half:5"),
            (date(2026, 3, 2), f"remind:{visit}:day_before:9"),
            (date(2026, 3, 3), f"remind:{visit}:due:10"),
        ]
        # Nothing at all in the holiday, nor on the Sundays around it.
        quiet = [date(2026, 2, 15) + timedelta(days=n) for n in range(9)]
        assert not [s for s in await rig.sent() if s.day in quiet]
        due = (await rig.sent(MANAGER, "remind.due"))[0]
        assert "2026年3月3日（周二）" in due.text and "暂定" not in due.text


async def test_a_deadline_in_2027_is_marked_provisional(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 21, 9)) as rig:  # Monday
        await _staffed(rig)
        app = await rig.submit(CUSTOMER, manager=MANAGER)
        rig.clock.set(at(2026, 12, 21, 10))
        await rig.act(app.id, "accept", MANAGER)
        visit = await _visit_id(rig, app.id)

        await rig.run_days(date(2026, 12, 21), date(2027, 1, 6))

        # 22–25, 28–31 Dec, then 1 Jan is New Year's Day: 4 Jan is the 9th, 5 Jan the 10th.
        assert [(s.day, s.key) for s in await rig.sent(MANAGER, "remind.")] == [
            (date(2026, 12, 28), f"remind:{visit}:half:5"),
            (date(2027, 1, 4), f"remind:{visit}:day_before:9"),
            (date(2027, 1, 5), f"remind:{visit}:due:10"),
            (date(2027, 1, 6), f"remind:{visit}:overdue:2027-01-06"),
        ]
        for sent in await rig.sent(MANAGER, "remind."):
            assert "期限 2027年1月5日（周二）（暂定）" in sent.text


async def test_a_finished_stage_leaves_nothing_behind(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        await _staffed(rig)
        app = await rig.submit(CUSTOMER, manager=MANAGER)
        await rig.run()
        assert await count_by_kind(rig.db) == {"stage": 1, "followup": 1, "owed": 0}
        await rig.act(app.id, "accept", MANAGER)
        await rig.db.execute("UPDATE applications SET status = 'withdrawn' WHERE id = ?", (app.id,))

        await rig.run(at(2026, 12, 28, 9))

        assert await count_by_kind(rig.db) == {"stage": 0, "followup": 0, "owed": 0}
        assert [k for k in await rig.keys() if not k.startswith("digest:")] == []
