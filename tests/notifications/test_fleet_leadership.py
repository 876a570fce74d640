"""Sweeps on exactly one instance: two schedulers on one PostgreSQL database, each with its
own leadership connection (storage/leadership.py), as two processes would have.

Time is not waited for: the tests call the steps the repeating jobs would call
(``run_once`` for a sweep tick, ``try_lead`` for the leadership try). Skipped where
PostgreSQL is not installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from notifications.reminders.scheduler import Scheduler
from process.clock import ManualClock
from storage.leadership import AdvisoryLeadership, SoleProcess
from tests.notifications.sweep_rig import at
from tests.notifications.test_sweep_scheduler import Recorder

NOW = at(2026, 12, 1, 9)


@dataclass
class Instance:
    scheduler: Scheduler
    leadership: AdvisoryLeadership
    sweep: Recorder
    followed: list[str] = field(default_factory=list)


def _instance(url: str) -> Instance:
    leadership = AdvisoryLeadership(url)
    scheduler = Scheduler(ManualClock(NOW), leadership=leadership)
    sweep = Recorder()
    scheduler.register("reminders", sweep)
    instance = Instance(scheduler, leadership, sweep)

    async def start() -> None:
        instance.followed.append("start")

    async def stop() -> None:
        instance.followed.append("stop")

    scheduler.while_leading(start, stop)
    return instance


@pytest.fixture
async def pair(postgres_url: str) -> AsyncIterator[tuple[Instance, Instance]]:
    first, second = _instance(postgres_url), _instance(postgres_url)
    try:
        yield first, second
    finally:
        for instance in (first, second):
            await instance.scheduler.stop()


def _terminate(url: str, backend_pid: int | None) -> None:
    """The leader's connection dies, as when its process is killed."""
    import psycopg  # PostgreSQL's own tests only: psycopg may be missing on a SQLite install

    assert backend_pid is not None
    with psycopg.connect(url, autocommit=True) as admin:
        # With a timeout it returns once the backend is gone (and its locks with it).
        admin.execute("SELECT pg_terminate_backend(%s, 60000)", (backend_pid,))


async def test_only_one_instance_runs_the_sweeps(pair: tuple[Instance, Instance]) -> None:
    first, second = pair

    assert await first.scheduler.run_once() == {"reminders": 1}
    assert await second.scheduler.run_once() == {}
    assert await first.scheduler.run_once() == {"reminders": 1}
    assert await second.scheduler.try_lead() is False

    assert len(first.sweep.runs) == 2 and second.sweep.runs == []
    assert first.scheduler.leading and not second.scheduler.leading


async def test_the_leaders_lost_connection_hands_the_lead_over_at_the_next_try(
    postgres_url: str, pair: tuple[Instance, Instance]
) -> None:
    first, second = pair
    assert await first.scheduler.run_once() == {"reminders": 1}
    assert await second.scheduler.try_lead() is False

    _terminate(postgres_url, first.leadership.backend_pid)

    # The next try takes the lead, and runs the sweeps at once to catch up.
    assert await second.scheduler.try_lead() is True
    assert len(second.sweep.runs) == 1
    # The old leader finds out at its own next look, and does not run them beside it.
    assert await first.scheduler.run_once() == {}
    assert await first.scheduler.try_lead() is False
    assert len(first.sweep.runs) == 1
    assert await second.scheduler.run_once() == {"reminders": 1}


async def test_a_stopping_leader_steps_down_for_the_next(pair: tuple[Instance, Instance]) -> None:
    first, second = pair
    assert await first.scheduler.run_once() == {"reminders": 1}

    await first.scheduler.stop()

    assert await second.scheduler.try_lead() is True


async def test_tasks_that_follow_the_lead_start_and_stop_with_it(
    postgres_url: str, pair: tuple[Instance, Instance]
) -> None:
    first, second = pair
    await first.scheduler.start()
    await second.scheduler.start()
    assert first.followed == ["start"] and second.followed == []

    _terminate(postgres_url, first.leadership.backend_pid)
    assert await second.scheduler.try_lead() is True
    assert await first.scheduler.try_lead() is False

    assert first.followed == ["start", "stop"]
    assert second.followed == ["start"]
    await second.scheduler.stop()
    assert second.followed == ["start", "stop"]


async def test_sqlites_one_process_always_leads() -> None:
    scheduler = Scheduler(ManualClock(NOW))
    sweep = Recorder()
    scheduler.register("reminders", sweep)
    assert not SoleProcess().contested
    assert await scheduler.run_once() == {"reminders": 1}
    assert await scheduler.try_lead() is True
