"""The outbox sender: the one task that turns outbox rows into Telegram messages.

It claims the head of each chat's queue in id order, marks it 'sending', calls Telegram and
records the outcome. One message is in flight at a time, which bounds the duplicate window
of a crash to that one message (see "Delivery guarantee" in the README). Throughput is
bounded by Telegram's limits long before it is by one call at a time: 30 a second overall,
one a second per private chat.

On SQLite one process sends: at start-up it takes any row left in 'sending' to be its own,
interrupted by a crash. On PostgreSQL every instance of the fleet runs a sender: each claims
a batch of heads in one statement (``FOR UPDATE SKIP LOCKED``, storage/outbox.py) with a
lease, sends them one at a time and hands back those it could not send; a row left
'sending' by an instance that died is claimed again once its lease is over (the duplicate
window this leaves is stated at :meth:`~storage.outbox.OutboxRepo.claim_due`). The flood
budget is then the fleet's, in the database (notifications/pacing.py, :class:`SharedPacer`).

Two clocks are used on purpose. Whether a row is due (``not_before``, ``next_attempt_at``)
is domain time from the injected :class:`~process.clock.Clock`, so tests and the sandbox
can move it; pacing is network I/O and runs on the event loop's monotonic time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import RetryAfter, TelegramError

from notifications.delivery import Outcome, classify, deliver, describe, retry_after_seconds
from notifications.pacing import (
    GLOBAL_PER_SECOND,
    GROUP_INTERVAL,
    PRIVATE_CHAT_INTERVAL,
    FloodBudget,
    Grant,
    Pacer,
    SharedPacer,
    Wait,
)
from process.clock import Clock
from storage.db import Database
from storage.errors import UnknownUser
from storage.outbox import OutboxRepo, OutboxRow, OutboxStatus
from storage.users import UsersRepo

log = logging.getLogger("hvconnect.outbox")

UnreachableHook = Callable[[int], Awaitable[None]]
DeadHook = Callable[[OutboxRow], Awaitable[None]]
# How many chats' heads one look at the queue considers.
BATCH = 100
# How long stop() lets the message in flight finish before it gives up on it.
STOP_TIMEOUT = 30.0
# PostgreSQL: how long a claimed row is this instance's (domain time). A batch is sent well
# within it; rows still unsent at half of it are handed back and claimed afresh, so the
# lease never runs out on a row about to be sent. A dead instance's rows wait this long.
CLAIM_LEASE = timedelta(seconds=60)


class OutboxSender:
    """Sends due outbox rows, paced to Telegram's limits, until stopped."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock,
        *,
        global_per_second: int = GLOBAL_PER_SECOND,
        per_chat_interval: float = PRIVATE_CHAT_INTERVAL,
        per_group_interval: float = GROUP_INTERVAL,
        max_attempts: int = 8,
        base_backoff: float = 1.0,
        max_backoff: float = 300.0,
        poll_interval: float = 1.0,
        on_unreachable: UnreachableHook | None = None,
        on_dead: DeadHook | None = None,
        rng: random.Random | None = None,
        pacer: FloodBudget | None = None,
        name: str | None = None,
        lease: timedelta = CLAIM_LEASE,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if base_backoff <= 0 or max_backoff < base_backoff:
            raise ValueError("back-off must be positive and max_backoff >= base_backoff")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self._repo = OutboxRepo(db)
        self._users = UsersRepo(db)
        # PostgreSQL: other instances send from the same outbox.
        self._fleet = db.dialect == "postgresql"
        self._db_location = db.path
        self._name = name or f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"
        self._lease = lease
        self._bot = bot
        self._clock = clock
        self._global_per_second = global_per_second
        self._per_chat_interval = per_chat_interval
        self._per_group_interval = per_group_interval
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._poll_interval = poll_interval
        self._on_unreachable = on_unreachable
        self._on_dead = on_dead
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # The process's budget when the chat's replies share it (bot.app); else one of its own.
        self._shared_pacer = pacer
        self._pacer: FloodBudget | None = None

    @property
    def bot(self) -> Bot:
        return self._bot

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def name(self) -> str:
        """This sender's name in the rows it claims (PostgreSQL)."""
        return self._name

    async def start(self) -> None:
        """Requeue what a previous process left in flight (SQLite; on PostgreSQL the leases
        bring such rows back), then start sending."""
        if self._task is not None:
            raise RuntimeError("the outbox sender is already running")
        if not self._fleet:
            requeued = await self._repo.requeue_interrupted(self._clock.now())
            if requeued:
                log.warning(
                    "%d outbox message(s) were in flight at the last stop; sending again",
                    requeued,
                )
        self._pacer = self._shared_pacer or self._own_budget()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109 - a grace period
        """Finish the message in flight (recording its outcome) and stop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self._wake.set()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            log.error("outbox sender did not stop within %.0f s; cancelling it", timeout)
            task.cancel()
            await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox sender had stopped on an error", exc_info=task.exception())
        if self._shared_pacer is None and self._pacer is not None:
            await self._pacer.close()

    def _own_budget(self) -> FloodBudget:
        if self._fleet:
            return SharedPacer(
                self._db_location,
                global_per_second=self._global_per_second,
                per_chat_interval=self._per_chat_interval,
                per_group_interval=self._per_group_interval,
            )
        return Pacer(
            global_per_second=self._global_per_second,
            per_chat_interval=self._per_chat_interval,
            per_group_interval=self._per_group_interval,
            clock=asyncio.get_running_loop().time,
        )

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll (e.g. after a commit)."""
        self._wake.set()

    # -- the loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping.is_set():
            # Cleared before looking, so a wake() during the look is not lost.
            self._wake.clear()
            try:
                idle_for = await self._send_due()
            except Exception:
                # E.g. the database refused to record an outcome. That row stays 'sending' and
                # holds its chat until the next start (SQLite) or the end of its lease
                # (PostgreSQL) sends it again, as after a crash: sending it again now, while
                # its outcome cannot be recorded, could repeat it forever.
                log.exception("outbox sender failed; trying again in %.1f s", self._poll_interval)
                idle_for = self._poll_interval
            if idle_for > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle_for)

    async def _send_due(self) -> float:
        """Send what may go now; returns how long to wait before looking again."""
        pacer = self._pacing()
        claimed_at = self._clock.now()
        if self._fleet:
            heads = await self._repo.claim_due(
                claimed_at,
                claimer=self._name,
                lease=self._lease,
                limit=min(BATCH, self._global_per_second),
            )
        else:
            heads = await self._repo.due(claimed_at, BATCH)
        if not heads:
            if not self._fleet:
                return self._poll_interval
            # The claim leaves out chats the budget holds: look again when the first is free
            # (it may have a message due), not a whole poll later.
            soonest = await pacer.soonest()
            return self._poll_interval if soonest is None else min(self._poll_interval, soonest)
        waits: list[float] = []
        sent_any = False
        for index, row in enumerate(heads):
            if self._stopping.is_set() or self._lease_half_gone(claimed_at):
                await self._hand_back(heads[index:])
                return 0.0
            try:
                slot = await self._slot(row, pacer, claimed_at)
            except BaseException:
                await self._hand_back_quietly(heads[index:])
                raise
            if slot is None:  # stopping, or the claim grew old while the bot was held
                await self._hand_back(heads[index:])
                return 0.0
            if isinstance(slot, Wait):
                waits.append(slot.seconds)
                await self._hand_back([row])
                continue
            try:
                await self._send(row, slot, pacer)
            except BaseException:
                # The row at hand keeps its claim: Telegram may have it (see _run).
                await self._hand_back_quietly(heads[index + 1 :])
                raise
            sent_any = True
        # Something was sent: the chats it went to may have more waiting right away.
        return 0.0 if sent_any else min([self._poll_interval, *waits])

    async def _slot(
        self, row: OutboxRow, pacer: FloodBudget, claimed_at: datetime
    ) -> Grant | Wait | None:
        """A slot for ``row``, after sleeping out the overall rate; the chat's own wait when
        it must wait; None if stopping meanwhile, or if the batch's lease is half gone (a 429
        for the whole bot may hold everything longer than the lease)."""
        while isinstance(got := await pacer.reserve(row.chat_id, paced=True), Wait):
            if got.chat:
                return got
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), got.seconds)
            if self._stopping.is_set() or self._lease_half_gone(claimed_at):
                return None
        return got

    def _lease_half_gone(self, claimed_at: datetime) -> bool:
        return self._fleet and self._clock.now() - claimed_at >= self._lease / 2

    async def _hand_back(self, rows: Sequence[OutboxRow]) -> None:
        """Claimed rows this instance will not send now go back to the fleet's queue."""
        if self._fleet and rows:
            await self._repo.release(
                [row.id for row in rows], claimer=self._name, now=self._clock.now()
            )

    async def _hand_back_quietly(self, rows: Sequence[OutboxRow]) -> None:
        """:meth:`_hand_back` on the way out of a failure: if the database fails this too,
        the rows' lease brings them back instead."""
        try:
            await asyncio.shield(self._hand_back(rows))
        except Exception:
            log.warning("could not hand %d claimed outbox row(s) back", len(rows), exc_info=True)

    def _pacing(self) -> FloodBudget:
        if self._pacer is None:
            raise RuntimeError("the outbox sender was not started")
        return self._pacer

    # -- one message ----------------------------------------------------------------------

    async def _send(self, row: OutboxRow, grant: Grant, pacer: FloodBudget) -> None:
        # The slot is taken before the claim's await: the chat's replies share the pacer, and
        # one sent meanwhile would otherwise take the slot this message was found to have.
        # (On PostgreSQL the row was claimed with its batch.)
        if not self._fleet and not await self._repo.claim(row.id, self._clock.now()):
            await pacer.cancel(grant)
            return
        try:
            message_id = await deliver(self._bot, row)
        except Exception as error:  # every failure is recorded on the row; none stops the loop
            await asyncio.shield(self._answered(grant, pacer, self._failed(row, error, pacer)))
            return
        # Shielded: once Telegram has the message, a stop must not lose the record of it.
        await asyncio.shield(
            self._answered(
                grant,
                pacer,
                self._repo.mark_sent(row.id, telegram_message_id=message_id, now=self._clock.now()),
            )
        )

    @staticmethod
    async def _answered(grant: Grant, pacer: FloodBudget, record: Awaitable[None]) -> None:
        """The budget counts the call from its answer, then the row records the outcome
        (whether or not the budget could count it: a row not recorded is sent again)."""
        try:
            await pacer.answered(grant)
        except Exception:
            log.exception("the flood budget could not count an answered message")
        await record

    async def _failed(self, row: OutboxRow, error: Exception, pacer: FloodBudget) -> None:
        outcome = classify(error)
        now = self._clock.now()
        if outcome is Outcome.FLOOD:
            assert isinstance(error, RetryAfter)
            seconds = retry_after_seconds(error)
            await pacer.flooded(row.chat_id, seconds)
            log.info("outbox %d: flood control, chat %d waits %.0f s", row.id, row.chat_id, seconds)
            await self._repo.postpone(row.id, error=describe(error), now=now)
        elif outcome is Outcome.UNREACHABLE:
            await self._unreachable(row, error)
        elif outcome is Outcome.REFUSED:
            if not isinstance(error, TelegramError):  # not Telegram's doing: worth a traceback
                log.error("outbox %d could not be sent", row.id, exc_info=error)
            await self._dead(row, row.attempts + 1, describe(error))
        else:
            attempts = row.attempts + 1
            log.warning("outbox %d attempt %d failed: %s", row.id, attempts, describe(error))
            if attempts >= self._max_attempts:
                await self._dead(row, attempts, describe(error))
            else:
                retry_at = now + timedelta(seconds=self._backoff(attempts))
                await self._repo.mark_failed(
                    row.id,
                    attempts=attempts,
                    next_attempt_at=retry_at,
                    error=describe(error),
                    now=now,
                )

    def _backoff(self, attempts: int) -> float:
        """Exponential in the number of failures, capped, with jitter so retries spread out."""
        ceiling = min(self._max_backoff, self._base_backoff * 2.0 ** min(attempts - 1, 32))
        return ceiling * (0.5 + self._rng.random() / 2)

    async def _dead(self, row: OutboxRow, attempts: int, error: str) -> None:
        log.error("outbox %d (%s to chat %d) is dead: %s", row.id, row.kind, row.chat_id, error)
        dead = dataclasses.replace(
            row, status=OutboxStatus.DEAD.value, attempts=attempts, last_error=error
        )
        # The hook runs before the row is marked: a crash in between calls it again at the
        # next start rather than never (hooks should enqueue with a key derived from row.id).
        if self._on_dead is not None:
            await self._call_hook("on_dead", self._on_dead(dead))
        await self._repo.mark_dead(row.id, attempts=attempts, error=error, now=self._clock.now())

    async def _unreachable(self, row: OutboxRow, error: Exception) -> None:
        now = self._clock.now()
        log.info("outbox %d: chat %d refuses the bot (%s)", row.id, row.chat_id, describe(error))
        if row.user_id is not None:
            user = await self._users.get(row.user_id)
            # Once per blocking: a user already marked was reported when it happened. (A later
            # message to them is still tried once, since only a try tells if they are back.)
            if (user is None or user.unreachable_at is None) and self._on_unreachable is not None:
                await self._call_hook("on_unreachable", self._on_unreachable(row.user_id))
            with contextlib.suppress(UnknownUser):
                await self._users.mark_unreachable(row.user_id, now)
        retired = await self._repo.mark_unreachable(row.chat_id, error=describe(error), now=now)
        log.info("outbox: %d message(s) to chat %d retired as unreachable", retired, row.chat_id)

    async def _call_hook(self, name: str, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception:
            log.exception("outbox %s hook failed", name)
