"""Follow-ups and reminders of what customers owe: once per silence, every few working days
per item, one a day per customer, and never at night or on a day off."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from notifications.reminders.context import ReminderPolicy
from notifications.reminders.customers import CustomerReminders
from process.roles import Role
from storage.reminders.watch import count_by_kind
from tests.notifications.sweep_rig import SweepRig, at, sweep_rig

MANAGER, CUSTOMER, OTHER = 2001, 1001, 1002


async def _accepted(rig: SweepRig, customer: int = CUSTOMER, **kw: object) -> int:
    await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    app = await rig.submit(customer, manager=MANAGER, **kw)  # type: ignore[arg-type]
    rig.clock.set(rig.clock.now().replace(hour=10))
    await rig.act(app.id, "accept", MANAGER)
    return app.id


async def test_a_quiet_stage_brings_one_follow_up_from_the_manager(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:  # Monday
        app_id = await _accepted(rig)
        last_event = (await rig.db.fetchall("SELECT MAX(id) AS id FROM events"))[0]["id"]
        visit = await rig.apps.current_visit(app_id)
        assert visit is not None

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 16))

        (follow_up,) = await rig.sent(CUSTOMER, "remind.followup")
        # Three working days with nothing new (1, 2, 3 Dec); decided just after midnight,
        # delivered at the end of the quiet hours.
        assert follow_up.key == f"followup:{visit.id}:{last_event}"
        assert (follow_up.queued, follow_up.not_before) == (
            at(2026, 12, 3, 0, 5),
            at(2026, 12, 3, 8),
        )
        assert "我是您的客户经理王经理" in follow_up.text
        assert "正在办理：供电方案确定及答复 — 正在安排现场勘查" in follow_up.text
        assert "预计 2026年12月14日（周一） 前完成本环节" in follow_up.text


async def test_follow_up_due_at_the_weekend_waits_for_monday_morning(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 2, 9)) as rig:  # Wednesday
        await _accepted(rig)

        await rig.run_days(date(2026, 12, 2), date(2026, 12, 7), hours=(time(10, 0),))

        (follow_up,) = await rig.sent(CUSTOMER, "remind.followup")
        # Quiet on 3, 4 and (counting ahead to its delivery) Monday 7 Dec: it is decided on
        # Saturday and held back until Monday at 08:00.
        assert (follow_up.queued, follow_up.not_before) == (at(2026, 12, 5, 10), at(2026, 12, 7, 8))


async def test_at_night_the_follow_up_is_held_until_the_next_working_morning(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await _accepted(rig)

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 3), hours=(time(22, 0),))

        (follow_up,) = await rig.sent(CUSTOMER, "remind.followup")
        assert (follow_up.queued, follow_up.not_before) == (at(2026, 12, 2, 22), at(2026, 12, 3, 8))


async def test_what_the_customer_owes_is_reminded_until_done_and_activity_restarts_silence(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        app_id = await _accepted(rig)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 3))  # the first follow-up
        rig.clock.set(at(2026, 12, 4, 10))
        await rig.act(app_id, "propose_slots", MANAGER)  # the customer's turn: pick a time

        await rig.run_days(date(2026, 12, 4), date(2026, 12, 15))
        rig.clock.set(at(2026, 12, 15, 10))
        await rig.act(app_id, "pick_slot", CUSTOMER, role="customer")
        await rig.run_days(date(2026, 12, 16), date(2026, 12, 21))

        owed = await rig.sent(CUSTOMER, "remind.owed")
        assert [(s.queued, s.not_before, s.key) for s in owed] == [
            (at(2026, 12, 9, 0, 5), at(2026, 12, 9, 8), f"owed:{app_id}:pick:slot:2026-12-09"),
            # Decided on Saturday for Monday (three working days after the 9th), held back.
            (at(2026, 12, 12, 0, 5), at(2026, 12, 14, 8), f"owed:{app_id}:pick:slot:2026-12-14"),
        ]
        assert "选择现场勘查时间" in owed[0].text and "暂停计时" in owed[0].text
        # No follow-up while the customer held the ball; one three working days after
        # picking the time (16, 17, 18 Dec).
        follow_ups = await rig.sent(CUSTOMER, "remind.followup")
        assert [s.queued for s in follow_ups] == [at(2026, 12, 3, 0, 5), at(2026, 12, 18, 0, 5)]
        assert "待现场勘查" in follow_ups[1].text
        assert await count_by_kind(rig.db) == {"stage": 1, "followup": 1, "owed": 0}


async def test_two_promised_documents_are_reminded_one_a_day(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(CUSTOMER, manager=MANAGER, deferred=("site_proof", "equipment_list"))

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 10))

        owed = await rig.sent(CUSTOMER, "remind.owed")
        assert [(s.day, s.key) for s in owed] == [
            (date(2026, 12, 3), f"owed:{app.id}:document:equipment_list:2026-12-03"),
            (date(2026, 12, 4), f"owed:{app.id}:document:site_proof:2026-12-04"),
            (date(2026, 12, 8), f"owed:{app.id}:document:equipment_list:2026-12-08"),
            (date(2026, 12, 9), f"owed:{app.id}:document:site_proof:2026-12-09"),
        ]
        assert "补交用电设备清单" in owed[0].text and "补交用电地址产权证明" in owed[0].text
        assert "告知承诺" in owed[0].text


async def test_the_policy_sets_the_rhythm(tmp_path: Path) -> None:
    policy = ReminderPolicy(followup_after_days=5, owed_every_days=1)
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9), policy) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(CUSTOMER, manager=MANAGER, deferred=("site_proof",))

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 4), hours=(time(9, 0),))

        assert [s.day for s in await rig.sent(CUSTOMER, "remind.owed")] == [
            date(2026, 12, 1),
            date(2026, 12, 2),
            date(2026, 12, 3),
            date(2026, 12, 4),
        ]
        assert await rig.sent(CUSTOMER, "remind.followup") == []  # five days not yet over
        assert app.id


async def test_nothing_is_said_about_finished_or_withdrawn_applications(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(CUSTOMER, manager=MANAGER, deferred=("site_proof",))
        await rig.db.execute("UPDATE applications SET status = 'withdrawn' WHERE id = ?", (app.id,))

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 10))

        assert await rig.sent(CUSTOMER) == []
        assert await count_by_kind(rig.db) == {"stage": 0, "followup": 0, "owed": 0}


def test_a_reminder_policy_needs_whole_working_days() -> None:
    for bad in ({"followup_after_days": 0}, {"owed_every_days": -1}):
        try:
            ReminderPolicy(**bad)  # type: ignore[arg-type]
        except ValueError as error:
            assert "at least one working day" in str(error)
        else:
            raise AssertionError(f"{bad} was accepted")


async def test_at_night_the_morning_is_prepared_a_slice_a_run_and_all_of_it_once(
    tmp_path: Path,
) -> None:
    customers = range(3001, 3008)
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:  # Monday
        for customer in customers:
            rig.clock.set(at(2026, 11, 30, 9))
            await _accepted(rig, customer)
        await rig.run(at(2026, 11, 30, 10, 30))
        context = rig.context
        slices = CustomerReminders(context, ahead_per_run=3)
        # Wednesday night: seven follow-ups are for Thursday 08:00, three rows a run.
        counts = [await slices(at(2026, 12, 2, 21, minute)) for minute in (1, 2, 3, 4, 5)]
        assert counts == [3, 3, 1, 0, 0]
        sent = [s for s in await rig.sent(kind_prefix="remind.followup")]
        assert sorted(s.user_id for s in sent) == list(customers)
        assert {s.not_before for s in sent} == {at(2026, 12, 3, 8)}
        # In working hours everything due is done in the run, whatever the slice.
        assert await slices(at(2026, 12, 3, 9)) == 0
        with pytest.raises(ValueError):
            CustomerReminders(context, ahead_per_run=0)
