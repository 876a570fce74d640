"""Moving the running bot through days: set its clock, run the sweeps, let the outbox deliver,
and record who received which message at which moment. It holds no tests itself.

A step is a moment of the bot's (manual) clock. After the sweeps ran, every message that is
due by then is delivered through the emulator before the step ends, so "heard at step T"
means: the person had it in their chat at T, and not before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.app import services_of
from flows.deps import Services
from sandbox.users import FakeUser
from storage.codec import time_to_db
from tests.e2e.harness import SHANGHAI, BotRunner

# Messages the sender should be sending now: due, or in flight, and not queued behind a
# message of the same chat that waits for its retry.
_WAITING = """
    SELECT COUNT(*) AS n FROM outbox o
     WHERE (o.status = 'sending'
            OR (o.status IN ('pending', 'failed') AND o.not_before <= :now
                AND o.next_attempt_at <= :now))
       AND NOT EXISTS (SELECT 1 FROM outbox h
                        WHERE h.chat_id = o.chat_id AND h.id < o.id AND h.status = 'failed'
                          AND h.not_before <= :now AND h.next_attempt_at > :now)
"""
_RETRYING = """
    SELECT MIN(next_attempt_at) AS at FROM outbox
     WHERE status = 'failed' AND not_before <= :now AND next_attempt_at > :now
"""


@dataclass(frozen=True)
class Heard:
    moment: datetime
    person: str
    text: str

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0]


class Timeline:
    def __init__(self, bot: BotRunner, people: Mapping[str, FakeUser]) -> None:
        self.bot = bot
        self.people = dict(people)
        self.heard: list[Heard] = []
        self._seen = {name: len(user.messages()) for name, user in self.people.items()}

    @property
    def svc(self) -> Services:
        assert self.bot.app is not None
        return services_of(self.bot.app)

    def forget_so_far(self) -> None:
        """Start recording from now: what everyone has in their chat so far is not counted."""
        self._seen = {name: len(user.messages()) for name, user in self.people.items()}

    async def step(self, moment: datetime, *, runs: int = 1) -> list[Heard]:
        self.bot.clock.set(moment)
        for _ in range(runs):
            await self.svc.scheduler.run_once(moment)
        await self.deliver()
        return self.collect(moment)

    async def days(
        self, first: date, last: date, hours: Iterable[time] = (time(0, 5), time(9, 0))
    ) -> None:
        day = first
        while day <= last:
            for hour in hours:
                await self.step(datetime.combine(day, hour, tzinfo=SHANGHAI))
            day += timedelta(days=1)

    async def deliver(self, *, timeout: float = 60.0, nudge: bool = False) -> None:  # noqa: ASYNC109
        """Until nothing due is left unsent. With ``nudge``, the clock moves on to retries
        the sender scheduled after a failure (its back-off is in domain time)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.svc.sender.wake()
            now = time_to_db(self.bot.clock.now())
            row = await self.svc.db.fetchone(_WAITING, {"now": now})
            if row is not None and row["n"] == 0:
                retry = await self.svc.db.fetchone(_RETRYING, {"now": now})
                if not nudge or retry is None or retry["at"] is None:
                    break
                self.bot.clock.set(datetime.fromisoformat(retry["at"]) + timedelta(seconds=1))
                continue
            assert loop.time() < deadline, "the outbox did not deliver in time"
            await asyncio.sleep(0.02)
        await self.bot.emulator.wait_idle(quiet=0.05)

    def collect(self, moment: datetime) -> list[Heard]:
        new: list[Heard] = []
        for name, user in self.people.items():
            messages = user.messages()
            for message in messages[self._seen[name] :]:
                new.append(Heard(moment, name, message.text or message.caption or ""))
            self._seen[name] = len(messages)
        self.heard.extend(new)
        return new

    def of(self, person: str) -> list[Heard]:
        return [h for h in self.heard if h.person == person]
