"""Starting and stopping the sender, and the failures that are not Telegram's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

from notifications.sender import OutboxSender
from storage.outbox import OutboxRow, OutboxStatus
from tests.notifications.test_sender_rig import WAIT_CEILING, rig


async def test_nonsense_settings_and_a_second_start_are_refused(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        for bad in ({"max_attempts": 0}, {"base_backoff": 0}, {"poll_interval": 0}):
            with pytest.raises(ValueError):
                OutboxSender(r.db, r.bot, r.clock, **bad)  # type: ignore[arg-type]
        sender = r.sender()
        await sender.start()
        with pytest.raises(RuntimeError, match="already running"):
            await sender.start()
        await sender.stop()
        await sender.stop()  # stopping twice is harmless
        assert not sender.running


async def test_a_call_that_never_returns_is_abandoned_at_stop_and_sent_by_the_next_start(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "hung", "卡住的消息")
        entered = asyncio.Event()

        async def hang(call: int) -> None:
            entered.set()
            await asyncio.sleep(60)

        r.bot.hook(before=hang)
        first = r.sender()
        await first.start()
        await asyncio.wait_for(entered.wait(), WAIT_CEILING)

        await first.stop(timeout=0.1)

        row = await r.repo.by_key("hung")
        assert row is not None and row.status == OutboxStatus.SENDING
        r.bot.hook()
        r.restarted_after_a_crash()
        await r.sender().start()
        await r.settled()
        assert r.received(user.id) == ["卡住的消息"]


@pytest.mark.sqlite_only("a SQLite trigger stages the failing write")
async def test_an_outcome_the_database_cannot_record_is_treated_like_a_crash(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "m1")
        await r.enqueue(user.id, "m2")
        await r.db.execute(
            """
            CREATE TRIGGER disk_full BEFORE UPDATE OF status ON outbox
            WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END
            """
        )
        first = r.sender(per_chat_interval=0)
        await first.start()
        await r.until(lambda c: c["sending"] == 1)
        await asyncio.sleep(0.3)  # several polls: the message is not repeated meanwhile
        assert r.received(user.id) == ["m1"]
        await first.stop()

        await r.db.execute("DROP TRIGGER disk_full")
        await r.sender(per_chat_interval=0).start()
        await r.settled()
        assert r.received(user.id) == ["m1", "m1", "m2"]


async def test_a_stored_keyboard_that_is_no_keyboard_is_dead_at_once(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        await r.enqueue(user.id, "odd", reply_markup={"buttons": ["是"]})

        async def failing_hook(row: OutboxRow) -> None:
            raise RuntimeError("the admin alert could not be written")

        await r.sender(on_dead=failing_hook).start()

        counts = await r.settled()
        assert counts["dead"] == 1  # a failing hook does not keep the row from its end
        row = await r.repo.by_key("odd")
        assert row is not None and row.attempts == 1
        assert row.last_error == "ValueError: not a reply markup: ['buttons']"
        assert r.emulator.stats.requests["sendMessage"] == 0


async def test_reply_keyboards_are_shown_and_removed(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        (user,) = await r.users(1)
        keyboard = ReplyKeyboardMarkup([[KeyboardButton("同意"), KeyboardButton("不同意")]])
        await r.enqueue(user.id, "ask", "是否同意？", reply_markup=keyboard.to_dict())
        await r.sender(per_chat_interval=0).start()
        await r.settled()
        assert user.reply_keyboard == [["同意", "不同意"]]

        await r.enqueue(user.id, "done", "已记录", reply_markup=ReplyKeyboardRemove().to_dict())
        r.senders[0].wake()
        await r.settled()
        assert user.reply_keyboard is None
