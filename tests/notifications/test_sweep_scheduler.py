"""The one repeating job: registration, running every sweep, failures, start and stop."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from notifications.reminders.scheduler import JOB_ID, Scheduler
from process.clock import ManualClock
from tests.notifications.sweep_rig import at

NOW = at(2026, 12, 1, 9)
WAIT_CEILING = 60.0  # waits end when the runs get there; a loaded machine is slow, not wrong


class Recorder:
    """A sweep that notes when it ran and says it queued ``queued`` messages."""

    def __init__(self, queued: int = 1, pause: float = 0.0) -> None:
        self.queued = queued
        self.pause = pause
        self.runs: list[datetime] = []
        self.finished = 0
        self.overlapped = False  # a run began before the one before it had finished

    async def __call__(self, now: datetime) -> int:
        self.overlapped |= self.finished < len(self.runs)
        self.runs.append(now)
        if self.pause:
            await asyncio.sleep(self.pause)
        self.finished += 1
        return self.queued

    async def ran(self, times: int) -> None:
        """Until ``times`` runs have begun."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_CEILING
        while len(self.runs) < times:
            assert loop.time() < deadline, f"{len(self.runs)} of {times} runs began"
            await asyncio.sleep(0.01)


async def test_run_once_runs_every_sweep_in_order_at_the_given_moment() -> None:
    scheduler = Scheduler(ManualClock(NOW))
    order: list[str] = []

    def named(name: str, queued: int) -> Recorder:
        class Named(Recorder):
            async def __call__(self, now: datetime) -> int:
                order.append(name)
                return await super().__call__(now)

        return Named(queued)

    first, second = named("stage", 3), named("survey", 0)
    scheduler.register("stage", first)
    scheduler.register("survey", second)

    assert await scheduler.run_once(at(2026, 12, 2, 0, 5)) == {"stage": 3, "survey": 0}
    assert await scheduler.run_once() == {"stage": 3, "survey": 0}
    assert order == ["stage", "survey", "stage", "survey"]
    assert first.runs == [at(2026, 12, 2, 0, 5), NOW]
    assert scheduler.names == ("stage", "survey")


async def test_a_failing_sweep_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scheduler = Scheduler(ManualClock(NOW))

    async def broken(now: datetime) -> int:
        raise RuntimeError("database is locked")

    after = Recorder(2)
    scheduler.register("broken", broken)
    scheduler.register("after", after)

    assert await scheduler.run_once() == {"after": 2}
    assert scheduler.failures == 1
    assert "sweep 'broken' failed" in caplog.text


def test_names_are_unique_and_not_empty() -> None:
    scheduler = Scheduler(ManualClock(NOW))
    scheduler.register("stage", Recorder())
    with pytest.raises(ValueError, match="already registered"):
        scheduler.register("stage", Recorder())
    with pytest.raises(ValueError, match="needs a name"):
        scheduler.register("  ", Recorder())
    with pytest.raises(ValueError, match="positive"):
        Scheduler(ManualClock(NOW), interval_seconds=0)


async def test_started_it_runs_at_once_then_every_interval_and_never_overlaps() -> None:
    scheduler = Scheduler(ManualClock(NOW), interval_seconds=0.2)
    slow = Recorder(pause=0.5)  # longer than the interval
    scheduler.register("slow", slow)
    await scheduler.start()
    try:
        job = scheduler._scheduler.get_job(JOB_ID)  # type: ignore[union-attr]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 1)
        await slow.ran(3)
    finally:
        await scheduler.stop()
    # One at start, then as the lock allows: runs are strictly one after another.
    assert not slow.overlapped
    assert slow.finished == len(slow.runs)
    assert not scheduler.running


async def test_stop_lets_the_run_in_progress_finish_and_starts_no_other() -> None:
    scheduler = Scheduler(ManualClock(NOW), interval_seconds=0.05)
    slow = Recorder(pause=0.3)
    scheduler.register("slow", slow)
    await scheduler.start()
    await slow.ran(1)  # the first run is under way

    await scheduler.stop()

    assert slow.finished == len(slow.runs) == 1
    await asyncio.sleep(0.2)
    assert len(slow.runs) == 1
    await scheduler.stop()  # a second stop is harmless


async def test_a_run_that_will_not_finish_is_cancelled_at_the_stop_timeout() -> None:
    scheduler = Scheduler(ManualClock(NOW), interval_seconds=60)
    stuck = Recorder(pause=30)
    scheduler.register("stuck", stuck)
    await scheduler.start()
    await stuck.ran(1)

    await scheduler.stop(timeout=0.1)

    assert stuck.runs and stuck.finished == 0


async def test_caught_up_returns_once_the_run_at_start_has_ended() -> None:
    scheduler = Scheduler(ManualClock(NOW), interval_seconds=60)
    await scheduler.caught_up()  # never started: nothing to wait for
    begun, go_on = asyncio.Event(), asyncio.Event()

    async def held(now: datetime) -> int:
        begun.set()
        await go_on.wait()
        return 1

    scheduler.register("held", held)
    await scheduler.start()
    try:
        waiting = asyncio.create_task(scheduler.caught_up())
        await begun.wait()
        await asyncio.sleep(0)  # a turn of the loop for the waiter, were it not waiting
        assert not waiting.done()
        go_on.set()
        await waiting
        assert scheduler.last_results == {"held": 1}
    finally:
        await scheduler.stop()


async def test_starting_twice_is_refused() -> None:
    scheduler = Scheduler(ManualClock(NOW), interval_seconds=60)
    await scheduler.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            await scheduler.start()
    finally:
        await scheduler.stop()
