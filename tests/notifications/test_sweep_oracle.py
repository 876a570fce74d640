"""The sweep looks at a stage only on the days its rows name; this checks it never misses one.

Random application lives (the clock paused and resumed at random moments, stages moving on)
are run day by day. Before each run an oracle works out, from the stage clock alone, which
reminder is due for the current stage right then; the reminders the sweep queued must be
exactly those, however the rows' dates were computed and reset along the way.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from notifications.reminders.stage_tell import reminder_key
from process.deadlines import Pause, stage_clock, stage_point
from process.roles import Role
from process.workflow import ACTIONS, Actor, Step, available
from tests.notifications.sweep_rig import SHANGHAI, SweepRig, at, sweep_rig

MANAGER, CUSTOMER = 2001, 1001
DAYS = 35


async def _expected_now(rig: SweepRig, app_id: int, now: datetime) -> str | None:
    """The reminder key the current stage is due for at ``now``, if any."""
    app = await rig.get(app_id)
    visit = await rig.apps.current_visit(app_id)
    today = now.astimezone(SHANGHAI).date()
    if visit is None or app.status != "active" or not rig.calendar.is_workday(today):
        return None
    if any(p.ended_at is None for p in visit.pauses):
        return None
    pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
    clock = stage_clock(rig.calendar, visit.started_at, visit.limit_days, pauses, now, SHANGHAI)
    point = stage_point(clock, today)
    return None if point is None else reminder_key(visit.id, point)


async def _random_step(rig: SweepRig, rng: random.Random, app_id: int) -> None:
    app = await rig.get(app_id)
    step = Step(app.step)
    actors = frozenset({Actor.MANAGER, Actor.CUSTOMER})
    choices = [a for a in available(step, actors) if a.name != "return_missing"]
    if not choices:
        return
    action = rng.choice(choices)
    actor = CUSTOMER if Actor.CUSTOMER in ACTIONS[action.name].actors else MANAGER
    await rig.act(
        app_id, action.name, actor, role="customer" if actor == CUSTOMER else "customer_manager"
    )


@pytest.mark.parametrize("seed", range(8))
async def test_the_sweep_queues_exactly_the_reminders_the_stage_clock_calls_for(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    start = at(2026, 12, 1 + seed, 9)
    async with sweep_rig(tmp_path, start) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(CUSTOMER, manager=MANAGER)
        expected: set[str] = set()
        for day in range(DAYS):
            date_ = (start + timedelta(days=day)).date()
            # Something happens on about one day in three, at a random time of day.
            if rng.random() < 0.35:
                rig.clock.set(datetime.combine(date_, time(rng.randint(8, 19)), tzinfo=SHANGHAI))
                await _random_step(rig, rng, app.id)
            for hour in (0, 12) if rng.random() < 0.5 else (6,):
                moment = datetime.combine(date_ + timedelta(days=1), time(hour, 5), tzinfo=SHANGHAI)
                key = await _expected_now(rig, app.id, moment)
                if key is not None:
                    expected.add(key)
                await rig.run(moment)
                if rng.random() < 0.1:  # now and then a restarted process
                    rig.scheduler = rig.fresh_scheduler()

        sent = {k for k in await rig.keys(MANAGER) if k.startswith("remind:")}
        assert sent == expected
