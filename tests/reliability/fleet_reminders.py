"""Reminders a fleet test expects: applications seeded so that the next sweep owes a follow-up.

A customer whose application was accepted weeks ago, with nothing happening since, is owed a
progress follow-up ("from their customer manager") the first time the ``customers`` sweep
looks (notifications/reminders/customers.py), and no other until three more working days
of silence: in a test that lasts minutes, exactly one, keyed ``followup:<visit>:<event>``.
Seeded while the fleet runs, such an application is a reminder that falls due at that
moment, and only the instance leading then can queue it (the sweeps run on the leader).

:func:`seed_silent_customers` writes them the way the bot would have (the sweep tests' rig,
on a clock set back three weeks); :func:`count_reminders` says, for each seeded customer,
whether the outbox holds one follow-up key and the chat one follow-up message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.reminders.context import ReminderPolicy
from process.clock import ManualClock
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from storage.db import Database
from tests.keys import make_test_cipher
from tests.notifications.sweep_rig import SweepRig

# The customer manager who holds the seeded applications (not the one who enrols in the
# test): the sweeps' lists of overdue stages go to this chat.
REMINDED_MANAGER = 3001
SILENCE = timedelta(days=21)


async def seed_silent_customers(
    db_location: str, emulator: BotApiEmulator, customer_ids: list[int], now: datetime
) -> None:
    """For each customer, an application accepted ``SILENCE`` before ``now`` by
    :data:`REMINDED_MANAGER` (enrolled on the first call); both get an emulator chat."""
    db = await Database.open(db_location, cipher=make_test_cipher())
    try:
        clock = ManualClock(now - SILENCE)
        rig = SweepRig(db, clock, ReminderPolicy())
        if await db.fetchone("SELECT 1 FROM staff WHERE user_id = ?", (REMINDED_MANAGER,)) is None:
            await rig.staff(REMINDED_MANAGER, Role.CUSTOMER_MANAGER, "李经理")
            _chat_with_bot(emulator, REMINDED_MANAGER, "李经理")
        for customer_id in customer_ids:
            _chat_with_bot(emulator, customer_id, "张伟")
            app = await rig.submit(customer_id, manager=REMINDED_MANAGER)
            await rig.act(app.id, "accept", REMINDED_MANAGER)
    finally:
        await db.close()


def _chat_with_bot(emulator: BotApiEmulator, user_id: int, name: str) -> None:
    """The person's chat with the bot, as it is for someone who used the bot weeks ago
    (Telegram refuses a message to a chat that was never opened)."""
    user = emulator.user(user_id, first_name=name)
    emulator.state.private_chat(user.info)


@dataclass(frozen=True)
class ReminderCount:
    """The follow-ups of the seeded customers, counted in the outbox and in their chats."""

    expected: int  # seeded customers, one follow-up each
    queued_missing: int  # customers whose follow-up the outbox does not hold
    queued_repeated: int  # follow-up keys beyond one per customer
    delivered_missing: int  # customers whose chat has no follow-up
    delivered_repeated: int  # follow-up messages beyond one per chat
    unexpected: int  # other messages in these chats (none is expected)

    @property
    def all_delivered(self) -> bool:
        return self.queued_missing == 0 and self.delivered_missing == 0

    def lines(self) -> str:
        return "\n".join(f"reminders {name}: {value}" for name, value in vars(self).items())


async def count_reminders(
    db_location: str, emulator: BotApiEmulator, customer_ids: list[int]
) -> ReminderCount:
    """Follow-up keys per customer in the outbox; their texts in each customer's chat."""
    db = await Database.open(db_location, cipher=make_test_cipher())
    try:
        rows = await db.fetchall(
            "SELECT user_id, key, text FROM outbox WHERE kind = 'remind.followup'"
        )
    finally:
        await db.close()
    wanted = set(customer_ids)
    texts: dict[int, list[str]] = {}
    for row in rows:
        if int(row["user_id"]) in wanted:
            texts.setdefault(int(row["user_id"]), []).append(str(row["text"]))
    queued_missing = queued_repeated = delivered_missing = delivered_repeated = unexpected = 0
    for customer_id in customer_ids:
        queued = texts.get(customer_id, [])
        queued_missing += 0 if queued else 1
        queued_repeated += max(0, len(queued) - 1)
        # The seeded customer never spoke: every message in the chat is the bot's own.
        got = sum(
            1 for m in emulator.messages(customer_id) if queued and (m.html or m.text) in queued
        )
        delivered_missing += 0 if got else 1
        delivered_repeated += max(0, got - 1)
        unexpected += len(emulator.messages(customer_id)) - got
    return ReminderCount(
        expected=len(customer_ids),
        queued_missing=queued_missing,
        queued_repeated=queued_repeated,
        delivered_missing=delivered_missing,
        delivered_repeated=delivered_repeated,
        unexpected=unexpected,
    )
