"""The day pass: the first run of a working day tells every stage's point from its stored
dates without writing a row per point; what it told is still told once, across pauses,
reassignments, restarts and days the bot was down."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from process.roles import Role
from storage.reminders.points import DAY_KEY, told_marks
from storage.reminders.watch import meta_value
from storage.workflow import set_holder
from tests.notifications.sweep_rig import SHANGHAI, SweepRig, at, sweep_rig

MANAGER, OTHER_MANAGER, SUPERVISOR = 2001, 2002, 2003
CUSTOMER = 1001


async def _plan_stage(rig: SweepRig) -> tuple[int, int]:
    """An application accepted on Monday 30 Nov: its ten-day plan stage runs from then."""
    await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    await rig.staff(OTHER_MANAGER, Role.CUSTOMER_MANAGER, "李经理")
    await rig.staff(SUPERVISOR, Role.SUPERVISOR, "陈主管")
    app = await rig.submit(CUSTOMER, manager=MANAGER)
    rig.clock.set(at(2026, 11, 30, 10))
    await rig.act(app.id, "accept", MANAGER)
    visit = await rig.apps.current_visit(app.id)
    assert visit is not None
    return app.id, visit.id


async def _reminders(rig: SweepRig, user_id: int) -> list[tuple[date, str]]:
    return [(s.day, s.key) for s in await rig.sent(user_id, "remind.")]


async def test_the_first_run_of_a_working_day_tells_and_writes_only_the_day(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        _, visit = await _plan_stage(rig)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 6))
        before = await rig.db.fetchone(
            "SELECT check_on, reminded, dated_on FROM reminder_watch "
            "WHERE kind = 'stage' AND subject_id = ?",
            (visit,),
        )
        await rig.run(at(2026, 12, 7, 0, 5))  # Monday: half of ten days used
        after = await rig.db.fetchone(
            "SELECT check_on, reminded, dated_on FROM reminder_watch "
            "WHERE kind = 'stage' AND subject_id = ?",
            (visit,),
        )
        assert await _reminders(rig, MANAGER) == [(date(2026, 12, 7), f"remind:{visit}:half:5")]
        assert before is not None and after is not None and tuple(before) == tuple(after)
        async with rig.db.snapshot() as conn:
            assert await meta_value(conn, DAY_KEY) == "2026-12-07"


async def test_a_pause_after_the_day_pass_does_not_repeat_its_point(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        app_id, visit = await _plan_stage(rig)
        second = await rig.submit(1002, manager=MANAGER)
        await rig.act(second.id, "accept", MANAGER)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 7))
        (monday,) = await rig.sent(MANAGER, "remind.")
        assert monday.kind == "remind.list" and "时限过半 2 件" in monday.text
        # Tuesday: a short pause (the clock stops and runs on), so the stage is counted
        # again and its dates stored anew, still past half: nothing to tell.
        rig.clock.set(at(2026, 12, 8, 10))
        await rig.act(app_id, "propose_slots", MANAGER)
        rig.clock.set(at(2026, 12, 8, 11))
        await rig.act(app_id, "pick_slot", CUSTOMER, role="customer")
        await rig.run(at(2026, 12, 8, 11, 5))
        assert await rig.sent(MANAGER, "remind.") == [monday]
        async with rig.db.snapshot() as conn:
            assert (await told_marks(conn))[visit] == "half:5"
        await rig.run_days(date(2026, 12, 9), date(2026, 12, 16))
        texts = [s.text for s in await rig.sent(MANAGER, "remind.")]
        assert not any("时限过半" in text for text in texts[1:])
        assert any("还剩 1 个工作日" in text for text in texts)
        async with rig.db.snapshot() as conn:
            assert (await told_marks(conn))[visit] == "overdue:2026-12-16"


async def test_a_reassigned_stage_is_told_to_its_new_manager_from_the_next_point(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        app_id, visit = await _plan_stage(rig)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 7))
        rig.clock.set(at(2026, 12, 8, 10))
        app = await rig.get(app_id)
        async with rig.db.transaction() as conn:
            await set_holder(
                conn,
                application_id=app_id,
                expected_version=app.version,
                role="customer_manager",
                user_id=OTHER_MANAGER,
                now=rig.clock.now(),
            )
        row = await rig.db.fetchone(
            "SELECT check_on, state FROM reminder_watch WHERE kind = 'stage' AND subject_id = ?",
            (visit,),
        )
        assert row is not None and tuple(row) == ("", "new")  # to be looked at again
        await rig.run_days(date(2026, 12, 8), date(2026, 12, 14))
        assert await _reminders(rig, MANAGER) == [(date(2026, 12, 7), f"remind:{visit}:half:5")]
        # The new manager hears from the next point on; half is not told twice.
        assert await _reminders(rig, OTHER_MANAGER) == [
            (date(2026, 12, 11), f"remind:{visit}:day_before:9"),
            (date(2026, 12, 14), f"remind:{visit}:due:10"),
        ]


async def test_days_the_bot_was_down_are_not_told_late_but_today_is(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        _, visit = await _plan_stage(rig)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 8))
        # Down from Wednesday 9 to Monday 14 Dec: day-before (Fri) is not told on Monday;
        # Monday's due is, once, whatever runs and restarts follow.
        for hour in (0, 9, 9, 18):
            await rig.run(datetime.combine(date(2026, 12, 14), time(hour, 5), tzinfo=SHANGHAI))
            rig.scheduler = rig.fresh_scheduler()
        assert await _reminders(rig, MANAGER) == [
            (date(2026, 12, 7), f"remind:{visit}:half:5"),
            (date(2026, 12, 14), f"remind:{visit}:due:10"),
        ]


async def test_an_upgrade_from_points_written_per_row_repeats_nothing(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        _, visit = await _plan_stage(rig)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 6))
        await rig.run(at(2026, 12, 7, 0, 5))  # half told
        # As the previous version left it: the point written on the row, no day kept; the
        # upgrade has every stage row counted again (migration 0011).
        await rig.db.execute(
            "UPDATE reminder_watch SET reminded = 'half:5', check_on = '' WHERE kind = 'stage'"
        )
        await rig.db.execute("DELETE FROM reminder_meta WHERE name = ?", (DAY_KEY,))
        rig.scheduler = rig.fresh_scheduler()
        await rig.run_days(date(2026, 12, 7), date(2026, 12, 11))
        assert await _reminders(rig, MANAGER) == [
            (date(2026, 12, 7), f"remind:{visit}:half:5"),
            (date(2026, 12, 11), f"remind:{visit}:day_before:9"),
        ]
