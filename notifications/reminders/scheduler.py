"""One repeating job that runs every sweep: reminders, escalations, follow-ups, the digest.

There is no job per reminder. A single APScheduler job (an ``AsyncIOScheduler`` on the
bot's event loop) runs every registered sweep once a minute; each sweep reads deadlines and
states from our own tables and queues what is due through the outbox, with idempotency keys
that make every reminder once-only, across restarts too. A restart therefore loses nothing
(the first run after it catches up) and repeats nothing (the keys are already there), and
no schedule has to be kept in step with the applications.

The job is ``coalesce=True`` and ``max_instances=1``: runs missed while the process was busy
collapse into one, and runs never overlap. Its ``misfire_grace_time`` is one interval,
because APScheduler's default of one second silently skips a run whenever the event loop is
late. :meth:`Scheduler.run_once` runs every sweep now, for tests and for the sandbox's clock
panel after it moved the bot's time; it shares a lock with the job, so the two never overlap
either. :meth:`Scheduler.caught_up` waits for the run at start, so that a test begins after it.

Other features add their sweeps with :meth:`Scheduler.register`.

Several instances (PostgreSQL): the sweeps run on one of them only, the leader
(storage/leadership.py, a session advisory lock). The others try for the lead every
``leadership_retry_seconds`` (15 s), so when the leader dies one of them takes over well
within a minute, and runs the sweeps at once to catch up. Tasks that must run on one
instance only (the outgoing-webhook worker) follow the lead with :meth:`Scheduler.while_leading`.
A brief overlap of two leaders (the old one cut off from the database but not yet aware of
it) repeats nothing: every message a sweep queues carries an idempotency key, and the outbox
takes each key once (storage/outbox.py), whichever instance enqueues it. On SQLite the one
process always leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from process.clock import Clock
from storage.leadership import Leadership, SoleProcess

log = logging.getLogger("hvconnect.scheduler")

Sweep = Callable[[datetime], Awaitable[int]]
Step = Callable[[], Awaitable[None]]
DEFAULT_INTERVAL_SECONDS = 60.0
# How often an instance that does not lead tries for the lead (and the leader checks it).
LEADERSHIP_RETRY_SECONDS = 15.0
JOB_ID = "hvconnect-sweeps"
LEADERSHIP_JOB_ID = "hvconnect-leadership"
# How long stop() lets a run in progress finish before cancelling it.
STOP_TIMEOUT = 30.0


class Scheduler:
    """Runs the registered sweeps every ``interval_seconds`` while started."""

    def __init__(
        self,
        clock: Clock,
        *,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        misfire_grace_seconds: float | None = None,
        leadership: Leadership | None = None,
        leadership_retry_seconds: float = LEADERSHIP_RETRY_SECONDS,
    ) -> None:
        if interval_seconds <= 0 or leadership_retry_seconds <= 0:
            raise ValueError("the sweep interval and the leadership retry must be positive")
        self._clock = clock
        self._interval = interval_seconds
        self._grace = (
            misfire_grace_seconds if misfire_grace_seconds is not None else interval_seconds
        )
        self._sweeps: dict[str, Sweep] = {}
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._first_run: asyncio.Task[None] | None = None
        self._stopping = False
        self._leadership = leadership or SoleProcess()
        self._leadership_retry = leadership_retry_seconds
        self._leading = False
        self._followers: list[tuple[Step, Step]] = []
        self._followers_on = False
        self.last_results: dict[str, int] = {}
        self.failures = 0

    @property
    def interval_seconds(self) -> float:
        return self._interval

    @property
    def names(self) -> tuple[str, ...]:
        """The registered sweeps, in the order they run."""
        return tuple(self._sweeps)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    @property
    def leading(self) -> bool:
        """Whether this instance led at its last look (the one that runs the sweeps)."""
        return self._leading

    def while_leading(self, start: Step, stop: Step) -> None:
        """Run a task only while this instance leads: ``start`` when it takes the lead,
        ``stop`` when it loses it or the scheduler stops."""
        self._followers.append((start, stop))

    def register(self, name: str, sweep: Sweep) -> None:
        """Add ``sweep`` (an async function of "now" returning how many messages it queued);
        it runs after the sweeps registered before it. Names are unique."""
        if not name or not name.strip():
            raise ValueError("a sweep needs a name")
        if name in self._sweeps:
            raise ValueError(f"a sweep named {name!r} is already registered")
        self._sweeps[name] = sweep

    async def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """Run every sweep once at ``now`` (the clock's time by default); returns how many
        messages each queued. A sweep that fails is logged and left out; the others run.
        Nothing runs (and ``{}`` comes back) on an instance that does not lead."""
        async with self._lock:
            if not await self._check_lead():
                return {}
            return await self._run(self._clock.now() if now is None else now)

    async def try_lead(self) -> bool:
        """Look at the lead now, as the repeating try does: an instance that takes it runs
        the sweeps at once (what fell due while nobody led); True if this one leads."""
        async with self._lock:
            if self._stopping:
                return False
            was_leading = self._leading
            leading = await self._check_lead()
            if leading and not was_leading:
                await self._run(self._clock.now())
            return leading

    async def _check_lead(self) -> bool:
        leading = await self._leadership.lead()
        if leading != self._leading and self._leadership.contested:
            if leading:
                log.warning("this instance leads now: it runs the sweeps")
            else:
                log.warning("this instance no longer leads: the sweeps run elsewhere")
        self._leading = leading
        await self._steer_followers()
        return leading

    async def _steer_followers(self) -> None:
        """Start the tasks that follow the lead while this instance leads and the scheduler
        runs (not for a test's run_once on a bot that was never started); stop them else."""
        wanted = self._leading and self._scheduler is not None and not self._stopping
        if wanted == self._followers_on:
            return
        self._followers_on = wanted
        if wanted:
            for start, _ in self._followers:
                await self._follow("start", start)
        else:
            for _, stop in reversed(self._followers):
                await self._follow("stop", stop)

    async def _follow(self, what: str, step: Step) -> None:
        try:
            await step()
        except Exception:
            log.exception("a task following the lead failed to %s", what)

    async def _run(self, now: datetime) -> dict[str, int]:
        results: dict[str, int] = {}
        for name, sweep in list(self._sweeps.items()):
            try:
                results[name] = await sweep(now)
            except Exception:
                self.failures += 1
                log.exception("sweep %r failed; the others ran, it runs again next time", name)
        self.last_results = results
        if any(results.values()):
            log.info("sweeps at %s queued %s", now.isoformat(timespec="minutes"), results)
        return results

    async def start(self) -> None:
        """Schedule the repeating job on the running event loop, and run once right away."""
        if self._scheduler is not None:
            raise RuntimeError("the scheduler is already running")
        self._stopping = False
        # APScheduler logs two INFO lines per run, 2,880 a day; our own line says what a run
        # queued, when it queued anything. Its warnings (a missed run) still show.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self._interval, timezone=UTC),
            id=JOB_ID,
            name="reminder sweeps",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, round(self._grace)),
        )
        if self._leadership.contested:
            scheduler.add_job(
                self.try_lead,
                IntervalTrigger(seconds=self._leadership_retry, timezone=UTC),
                id=LEADERSHIP_JOB_ID,
                name="leadership",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, round(self._leadership_retry)),
            )
        scheduler.start()
        self._scheduler = scheduler
        async with self._lock:
            # Now, not at the first run: the tasks that follow the lead start with the bot.
            await self._check_lead()
        # The first run catches up on whatever fell due while the bot was down.
        self._first_run = asyncio.create_task(self._tick(), name="sweeps-first-run")

    async def caught_up(self) -> None:
        """Wait until the run :meth:`start` began (the catch-up at the clock's time) has
        ended; at once if there is none. Whoever drives the clock by hand (the end-to-end
        tests) waits for it before acting: a supervisor who joins while it runs is in that
        run's digest or not, depending only on which of the two came first."""
        first = self._first_run
        if first is not None:
            await asyncio.wait({first})

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109 - a grace period
        """Stop scheduling, let a run in progress finish (so its transaction commits before
        the database closes), shut APScheduler down, stop what follows the lead and give the
        lead up."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            await self._leadership.step_down()  # held by run_once alone, if at all
            return
        self._stopping = True
        scheduler.pause()
        try:
            await asyncio.wait_for(self._idle(), timeout)
        except TimeoutError:
            log.error("a sweep did not finish within %.0f s; it is cancelled", timeout)
        scheduler.shutdown(wait=False)
        first, self._first_run = self._first_run, None
        if first is not None and not first.done():
            first.cancel()
            await asyncio.wait({first})
        # Not under the lock, which a sweep cut off by the timeout may still hold.
        self._leading = False
        await self._steer_followers()
        # At once, so that another instance takes the lead at its next try.
        await self._leadership.step_down()

    async def _idle(self) -> None:
        async with self._lock:
            return

    async def _tick(self) -> None:
        async with self._lock:
            # Checked under the lock: a tick that waited for a run to end must not start
            # another once stop() has begun.
            if not self._stopping and await self._check_lead():
                await self._run(self._clock.now())
