"""A staff member who holds several applications due the same day gets one list, not a
message per application; each point is still told once, across runs and restarts, and the
lists tell exactly what the stage clocks call for."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from process.roles import Role
from storage.reminders.points import told_marks
from tests.notifications.sweep_rig import SHANGHAI, SweepRig, at, sweep_rig
from tests.notifications.test_sweep_oracle import _expected_now, _random_step

MANAGER, SUPERVISOR = 2001, 2003
CUSTOMERS = (1001, 1002, 1003)


async def _accepted(rig: SweepRig, when: list[datetime]) -> list[int]:
    """Applications held by MANAGER, accepted at the given moments."""
    ids = []
    for customer, moment in zip(CUSTOMERS, when, strict=False):
        rig.clock.set(moment)
        app = await rig.submit(customer, manager=MANAGER)
        await rig.act(app.id, "accept", MANAGER)
        ids.append(app.id)
    return ids


async def _told(rig: SweepRig) -> dict[int, str | None]:
    async with rig.db.snapshot() as conn:
        return await told_marks(conn)


async def test_points_reached_the_same_day_come_as_one_list_most_urgent_first(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:  # a Monday
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        await rig.staff(SUPERVISOR, Role.SUPERVISOR, "陈主管")
        # Two accepted on Monday, one on Tuesday: their plan stages are a day apart.
        ids = await _accepted(rig, [at(2026, 11, 30, 10), at(2026, 11, 30, 11)])
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 1))
        rig.clock.set(at(2026, 12, 1, 10))
        third = await rig.submit(CUSTOMERS[2], manager=MANAGER)
        await rig.act(third.id, "accept", MANAGER)
        ids.append(third.id)
        numbers = [(await rig.get(app_id)).number for app_id in ids]

        await rig.run_days(date(2026, 12, 2), date(2026, 12, 7))
        # Monday 7 Dec: the first two are half-way (5 of 10 days), the third not yet.
        monday = [s for s in await rig.sent(MANAGER, "remind.") if s.day == date(2026, 12, 7)]
        assert [s.kind for s in monday] == ["remind.list"]
        text = monday[0].text
        assert "期限提醒" in text and "共 2 件" in text and "时限过半 2 件" in text
        assert numbers[0] in text and numbers[1] in text and numbers[2] not in text
        # Tuesday the third is half-way alone: the single reminder, with its own key.
        await rig.run_days(date(2026, 12, 8), date(2026, 12, 8))
        tuesday = [s for s in await rig.sent(MANAGER, "remind.") if s.day == date(2026, 12, 8)]
        assert [s.kind for s in tuesday] == ["remind.half"]
        assert numbers[2] in tuesday[0].text and "环节时限已过半" in tuesday[0].text

        # Tuesday 15 Dec: two overdue by one day, the third due today; overdue listed first.
        await rig.run_days(date(2026, 12, 9), date(2026, 12, 15))
        day = [s for s in await rig.sent(MANAGER, "remind.") if s.day == date(2026, 12, 15)]
        assert [s.kind for s in day] == ["remind.list"]
        text = day[0].text
        assert "已超期 2 件" in text and "今天到期 1 件" in text
        lines = [line for line in text.splitlines() if "HV-" in line]
        assert [n for line in lines for n in numbers if n in line] == numbers
        assert lines[0].startswith("🔴") and "超期 1 个工作日" in lines[0]
        assert lines[2].startswith("⏰")

        # The supervisor's escalation is unchanged: one message naming both overdue.
        escalations = await rig.sent(SUPERVISOR, "remind.escalation")
        assert [s.day for s in escalations] == [date(2026, 12, 15)]
        assert numbers[0] in escalations[0].text and numbers[1] in escalations[0].text


async def test_a_list_is_told_once_however_often_the_sweep_runs_or_restarts(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        await _accepted(rig, [at(2026, 11, 30, h) for h in (10, 11, 12)])
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 6))
        before = len(await rig.sent(MANAGER, "remind."))
        for hour in (0, 0, 9, 12, 18):
            await rig.run(datetime.combine(date(2026, 12, 7), time(hour, 5), tzinfo=SHANGHAI))
            rig.scheduler = rig.fresh_scheduler()  # a restarted process each time
        told = await rig.sent(MANAGER, "remind.")
        assert len(told) == before + 1 and told[-1].kind == "remind.list"
        assert set((await _told(rig)).values()) == {"half:5"}


async def test_a_list_names_the_first_thirty_and_counts_the_rest(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        for customer in range(5001, 5036):
            app = await rig.submit(customer, manager=MANAGER)
            await rig.act(app.id, "accept", MANAGER)
        await rig.run_days(date(2026, 11, 30), date(2026, 12, 7))
        (told,) = [s for s in await rig.sent(MANAGER, "remind.") if s.day == date(2026, 12, 7)]
        assert "共 35 件" in told.text and "另有 5 件" in told.text
        assert sum("HV-" in line for line in told.text.splitlines()) == 30
        assert len(told.text) < 4096  # one Telegram message


@pytest.mark.parametrize("seed", range(4))
async def test_several_random_lives_under_one_manager_are_told_exactly_their_points(
    tmp_path: Path, seed: int
) -> None:
    """The oracle of test_sweep_oracle, for four applications held by one manager: every
    point the stage clocks call for is recorded as told, and nothing else; at most one
    message per run reaches the manager."""
    rng = random.Random(seed)
    start = at(2026, 12, 1 + seed, 9)
    async with sweep_rig(tmp_path, start) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        apps = [await rig.submit(customer, manager=MANAGER) for customer in range(1001, 1005)]
        expected: set[tuple[int, str]] = set()
        told: set[tuple[int, str]] = set()
        for day in range(30):
            date_ = (start + timedelta(days=day)).date()
            for app in apps:
                if rng.random() < 0.3:
                    hour = rng.randint(8, 19)
                    rig.clock.set(datetime.combine(date_, time(hour), tzinfo=SHANGHAI))
                    await _random_step(rig, rng, app.id)
            moment = datetime.combine(date_ + timedelta(days=1), time(0, 5), tzinfo=SHANGHAI)
            for app in apps:
                key = await _expected_now(rig, app.id, moment)
                if key is not None:
                    _, visit, mark = key.split(":", 2)
                    expected.add((int(visit), mark))
            before = len(await rig.sent(MANAGER, "remind."))
            await rig.run(moment)
            assert len(await rig.sent(MANAGER, "remind.")) - before <= 1
            told |= {(v, m) for v, m in (await _told(rig)).items() if m is not None}
            if rng.random() < 0.1:
                rig.scheduler = rig.fresh_scheduler()
        assert told == expected
        assert expected  # the lives did reach points
