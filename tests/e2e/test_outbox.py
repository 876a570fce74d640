"""The outbox inside the real bot: what a transaction queues reaches the user, or nothing does."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import services_of
from flows.deps import Services
from sandbox.emulator import BotApiEmulator
from sandbox.users import FakeUser
from storage.db import Database
from storage.events import append_event
from storage.models import User
from storage.outbox import OutboxRepo
from tests.e2e.harness import BotRunner


async def _started(emulator: BotApiEmulator, user_id: int) -> FakeUser:
    user = emulator.user(user_id, first_name="张伟")
    await user.send_command("/start")
    await emulator.wait_idle()  # the welcome and the request for a phone number
    user.mark()
    return user


def _svc(bot: BotRunner) -> Services:
    assert bot.app is not None
    return services_of(bot.app)


async def _recipient(svc: Services, user_id: int) -> User:
    found = await svc.users.get(user_id)
    assert found is not None
    return found


async def test_a_message_queued_with_a_committed_change_reaches_the_user(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = await _started(emulator, 1001)
    svc = _svc(bot)
    recipient = await _recipient(svc, alice.id)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("查看", callback_data="card:1")]])

    async with svc.db.transaction() as conn:
        await append_event(
            conn,
            application_id=None,
            actor_id=None,
            actor_role="system",
            kind="test",
            now=bot.clock.now(),
        )
        await svc.outbox.message(
            conn,
            key="e2e:committed",
            recipient=recipient,
            template="common/cancelled",
            now=bot.clock.now(),
            reply_markup=markup,
            params={"has_draft": True},
        )

    notice = await alice.wait_for()
    assert notice.text == "已退出当前操作。您填写的申请内容已保存，随时发送 /apply 继续。"
    assert notice.buttons == ["查看"]
    await _until(bot, "SELECT 1 FROM outbox WHERE status = 'sent'")
    rows = await bot.query("SELECT key, telegram_message_id FROM outbox")
    assert [tuple(row) for row in rows] == [("e2e:committed", notice.message_id)]


async def test_a_rolled_back_change_sends_nothing(emulator: BotApiEmulator, bot: BotRunner) -> None:
    alice = await _started(emulator, 1001)
    svc = _svc(bot)
    recipient = await _recipient(svc, alice.id)

    with pytest.raises(RuntimeError):
        async with svc.db.transaction() as conn:
            await svc.outbox.message(
                conn,
                key="e2e:rolled-back",
                recipient=recipient,
                template="lang/changed",
                now=bot.clock.now(),
            )
            raise RuntimeError("the change was refused")
    svc.outbox.wake()

    await emulator.wait_idle(quiet=0.5)
    assert alice.messages()[-1].text != "已切换为中文。"
    assert await bot.query("SELECT * FROM outbox") == []


async def test_a_message_due_while_the_bot_was_down_goes_out_after_the_restart(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = await _started(emulator, 1001)
    recipient = await _recipient(_svc(bot), alice.id)
    await bot.stop()
    # Another process (a sweep run from the shell, say) queues it for the next morning.
    db = await Database.open(bot.config.database)
    await OutboxRepo(db).enqueue_now(
        key="e2e:morning",
        chat_id=recipient.chat_id,
        user_id=recipient.user_id,
        kind="reminder.half",
        text="<b>提醒</b>：供电方案答复期限已过半",
        now=bot.clock.now(),
        not_before=bot.clock.now() + timedelta(hours=22),
    )
    await db.close()
    bot.clock.advance(timedelta(days=1))

    await bot.start()

    reminder = await alice.wait_for()
    assert reminder.html == "<b>提醒</b>：供电方案答复期限已过半"


async def test_a_blocked_user_is_marked_and_reached_again_once_they_return(
    emulator: BotApiEmulator, bot: BotRunner
) -> None:
    alice = await _started(emulator, 1001)
    svc = _svc(bot)
    await alice.block_bot()
    await emulator.wait_idle()

    await _queue(svc, "e2e:while-blocked", alice.id, bot)

    await _until(bot, "SELECT 1 FROM outbox WHERE status = 'unreachable'")
    user = await svc.users.get(alice.id)
    assert user is not None and user.unreachable_at is not None

    # Writing to the bot again proves the chat works, and messages flow again.
    await alice.unblock_bot()
    await alice.send_command("/help")
    await alice.next_reply()
    await _queue(svc, "e2e:after-return", alice.id, bot)
    back = await alice.wait_for(lambda m: m.text == "已切换为中文。")
    assert back.text == "已切换为中文。"
    await _until(bot, "SELECT 1 FROM outbox WHERE status = 'sent'")
    rows = await bot.query("SELECT key, status FROM outbox ORDER BY id")
    assert [tuple(row) for row in rows] == [
        ("e2e:while-blocked", "unreachable"),
        ("e2e:after-return", "sent"),
    ]


async def _queue(svc: Services, key: str, user_id: int, bot: BotRunner) -> None:
    recipient = await _recipient(svc, user_id)
    async with svc.db.transaction() as conn:
        await svc.outbox.message(
            conn, key=key, recipient=recipient, template="lang/changed", now=bot.clock.now()
        )


async def _until(bot: BotRunner, sql: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not await bot.query(sql):
        assert asyncio.get_running_loop().time() < deadline, f"never true: {sql}"
        await asyncio.sleep(0.05)
