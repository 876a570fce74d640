"""Updates taken off the application's queue as the running bot takes them: on SQLite
different chats are handled side by side, and one chat's updates one after another, in the
order they arrived (bot/webhook.py ``UpdatesSettled``).

The bot here is ``build_application()``'s, started so that its own update fetcher and
processor run; updates are put on its queue as the poller or the webhook puts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.webhook import CHATS_AT_ONCE, UpdatesSettled
from tests.e2e.customer import ANSWERS
from tests.security.offline import OfflineBot, offline_bot

# Between the update's unit being opened and the bot's own handlers.
HOOK_GROUP = -10_000
CEILING_S = 60.0  # generous: a loaded machine
TYPED = ("applicant_name", "uscc", "project_name", "site_address")

pytestmark = pytest.mark.sqlite_only("PostgreSQL handles one update at a time per instance")


@asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[OfflineBot]:
    async with offline_bot(tmp_path / "bot.db") as bot:
        await bot.app.start()
        try:
            yield bot
        finally:
            await bot.app.stop()


def _settled(bot: OfflineBot) -> UpdatesSettled:
    processor = bot.app.update_processor
    assert isinstance(processor, UpdatesSettled)
    return processor


async def _queue(bot: OfflineBot, raw: dict[str, Any]) -> asyncio.Future[None]:
    """Put ``raw`` on the bot's queue; the future is done once it is handled."""
    raw.setdefault("update_id", next(bot._update_ids))
    update = Update.de_json(raw, bot.app.bot)
    assert update is not None
    handled = _settled(bot).expect(update.update_id)
    await bot.app.update_queue.put(update)
    return handled


async def _handled(*futures: asyncio.Future[None]) -> None:
    await asyncio.wait_for(asyncio.gather(*futures), CEILING_S)


def _said_to(bot: OfflineBot, chat_id: int) -> list[str]:
    return [c.text for c in bot.request.to_chat(chat_id) if c.method == "sendMessage"]


async def _registered_and_applying(bot: OfflineBot, user_id: int) -> None:
    contact = {"phone_number": "13800138000", "user_id": user_id, "first_name": "张"}
    for raw in (
        bot.message(user_id, "/start"),
        bot.message(user_id, contact=contact),
        bot.message(user_id, "/apply"),
    ):
        await _handled(await _queue(bot, raw))


async def _state(bot: OfflineBot, user_id: int) -> str | None:
    row = await bot.svc.db.fetchone(
        "SELECT state FROM conversations WHERE name = 'apply' AND key LIKE ?", (f"%{user_id}%",)
    )
    return None if row is None else str(row["state"])


async def test_a_chat_is_answered_while_another_chat_waits_on_its_update(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        held_chat, other_chat = 6_100_001, 6_100_002
        inside, may_go = asyncio.Event(), asyncio.Event()

        async def hold(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.effective_chat is not None and update.effective_chat.id == held_chat:
                inside.set()
                await may_go.wait()

        bot.app.add_handler(TypeHandler(Update, hold), group=HOOK_GROUP)
        held = await _queue(bot, bot.message(held_chat, "/start"))
        await asyncio.wait_for(inside.wait(), CEILING_S)
        other = await _queue(bot, bot.message(other_chat, "/start"))
        await _handled(other)  # not behind the held chat
        assert _said_to(bot, other_chat), "the other chat got no answer"
        assert not held.done() and _said_to(bot, held_chat) == []
        may_go.set()
        await _handled(held)
        assert _said_to(bot, held_chat), "the held chat got no answer once let go"
        assert bot.errors == []


async def test_a_chats_next_update_waits_for_the_one_before_it(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        customer = 6_100_011
        await _registered_and_applying(bot, customer)
        inside, may_go = asyncio.Event(), asyncio.Event()
        seen: list[str] = []

        async def hold_first(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            text = update.effective_message.text if update.effective_message else None
            seen.append(text or "")
            if text == ANSWERS["applicant_name"]:
                inside.set()
                await may_go.wait()

        bot.app.add_handler(TypeHandler(Update, hold_first), group=HOOK_GROUP)
        first = await _queue(bot, bot.message(customer, ANSWERS["applicant_name"]))
        await asyncio.wait_for(inside.wait(), CEILING_S)
        second = await _queue(bot, bot.message(customer, ANSWERS["uscc"]))
        # A third chat's update, queued after, is handled: the queue is moving...
        await _handled(await _queue(bot, bot.message(6_100_012, "/start")))
        # ...yet the customer's second answer has not begun: it waits for the first.
        assert seen == [ANSWERS["applicant_name"], "/start"]
        assert not second.done()
        may_go.set()
        await _handled(first, second)
        draft = await bot.svc.drafts.get(customer)
        assert draft is not None
        assert draft.fields["applicant_name"] == ANSWERS["applicant_name"]
        assert draft.fields["uscc"] == ANSWERS["uscc"]
        assert await _state(bot, customer) == "field:project_name"
        assert bot.errors == []


async def test_a_burst_of_many_customers_answers_fills_every_field_in_its_place(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as bot:
        customers = [6_200_000 + i for i in range(3 * CHATS_AT_ONCE)]
        for customer in customers:
            await _registered_and_applying(bot, customer)
        # Every customer's four typed answers, queued at once and interleaved, as a poller's
        # batch would bring them: each chat's must be taken in its own order.
        handled = [
            await _queue(bot, bot.message(customer, ANSWERS[name]))
            for name in TYPED
            for customer in customers
        ]
        await _handled(*handled)
        for customer in customers:
            draft = await bot.svc.drafts.get(customer)
            assert draft is not None
            assert {name: draft.fields.get(name) for name in TYPED} == {
                name: ANSWERS[name] for name in TYPED
            }, customer
            assert await _state(bot, customer) == "field:district"
            # The form's next question after each answer, and no complaint about a format.
            assert len(_said_to(bot, customer)) >= 3 + len(TYPED)
        assert bot.errors == []
