"""The user side: what simulated users send, press and read."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest

from sandbox import BotApiEmulator, ButtonNotFound, FakeUser, WaitTimeout
from tests.sandbox.helpers import FakeMonotonic

CHOICES = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("确认", callback_data="confirm:7")],
        [InlineKeyboardButton("官网", url="https://example.com")],
    ]
)


async def test_commands_carry_a_bot_command_entity(bot: Bot, alice: FakeUser) -> None:
    await alice.send_command("/apply 10kV")
    await alice.send_text("请看 /help")
    first, second = await bot.get_updates()
    assert first.message.text == "/apply 10kV"  # type: ignore[union-attr]
    assert first.message.entities[0].type == "bot_command"  # type: ignore[union-attr]
    assert (first.message.entities[0].offset, first.message.entities[0].length) == (0, 6)  # type: ignore[union-attr]
    assert second.message.entities[0].offset == 3  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        await alice.send_command("apply")


async def test_a_shared_own_contact_carries_the_users_id(bot: Bot, alice: FakeUser) -> None:
    await alice.send_contact("+8613800138000")
    await alice.send_contact("+8613900139000", own=False, first_name="王五")
    own, other = await bot.get_updates()
    assert own.message.contact.user_id == alice.id  # type: ignore[union-attr]
    assert own.message.contact.first_name == "张伟"  # type: ignore[union-attr]
    assert other.message.contact.user_id is None  # type: ignore[union-attr]
    assert other.message.contact.first_name == "王五"  # type: ignore[union-attr]


async def test_stickers_locations_and_other_content(bot: Bot, alice: FakeUser) -> None:
    await alice.send_sticker("🙂")
    await alice.send_location(39.9, 116.4)
    await alice.send_content({"voice": {"file_id": "v1", "file_unique_id": "u1", "duration": 3}})
    sticker, location, voice = await bot.get_updates()
    assert sticker.message.sticker.emoji == "🙂"  # type: ignore[union-attr]
    assert location.message.location.latitude == pytest.approx(39.9)  # type: ignore[union-attr]
    assert voice.message.voice.file_id == "v1"  # type: ignore[union-attr]


async def test_a_user_can_edit_their_message(bot: Bot, alice: FakeUser) -> None:
    sent = await alice.send_text("旧")
    await alice.edit_text(sent.message_id, "新")
    _, edited = await bot.get_updates()
    assert edited.edited_message.text == "新"  # type: ignore[union-attr]
    assert edited.edited_message.message_id == sent.message_id  # type: ignore[union-attr]


async def test_next_reply_waits_for_what_the_bot_sends_after_the_users_message(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_text("first")
    await bot.send_message(alice.id, "old reply")
    await alice.send_text("second")

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(alice.id, "reply one")
        await bot.send_message(alice.id, "reply two")

    task = asyncio.create_task(reply_later())
    assert (await alice.next_reply()).text == "reply one"
    assert (await alice.next_reply()).text == "reply two"
    await task
    with pytest.raises(WaitTimeout, match="last bot messages"):
        await alice.next_reply(timeout=0.1)


async def test_wait_for_sees_edits_and_skips_what_does_not_match(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("go")
    sent = await bot.send_message(alice.id, "处理中")
    await bot.edit_message_text("已完成", alice.id, sent.message_id)
    done = await alice.wait_for(lambda m: m.text == "已完成")
    assert done.message_id == sent.message_id
    alice.mark()
    await bot.edit_message_text("again", alice.id, sent.message_id)
    with pytest.raises(WaitTimeout):
        await alice.wait_for(new_only=True, timeout=0.1)


async def test_pressing_a_button_reaches_the_bot_and_gets_an_answer(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "确认吗？", reply_markup=CHOICES)
    message = await alice.next_reply()
    press = await alice.press(message, "确认")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert query.data == "confirm:7"
    assert query.message.message_id == sent.message_id  # type: ignore[union-attr]
    assert query.from_user.id == alice.id
    await query.answer("已确认", show_alert=True)
    answer = await alice.callback_answer(press)
    assert (answer.text, answer.show_alert) == ("已确认", True)
    assert alice.callback_answers == [answer]
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")


async def test_pressing_by_callback_data_or_message_id_works(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "?", reply_markup=CHOICES)
    press = await alice.press(sent.message_id, "confirm:7")
    assert press.data == "confirm:7"


async def test_buttons_that_are_not_there_cannot_be_pressed(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "?", reply_markup=CHOICES)
    with pytest.raises(ButtonNotFound, match="'取消'"):
        await alice.press(sent.message_id, "取消")
    with pytest.raises(ButtonNotFound):
        await alice.press(sent.message_id, "官网")  # a URL button sends no callback
    with pytest.raises(ButtonNotFound):
        await alice.press(999, "确认")


async def test_forged_presses_reach_the_bot_unchecked(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    await alice.press_raw(999, "admin:delete_all")
    update = (await bot.get_updates())[-1]
    assert update.callback_query is not None
    assert update.callback_query.data == "admin:delete_all"
    assert update.callback_query.message.message_id == 999  # type: ignore[union-attr]


async def test_an_old_callback_query_can_no_longer_be_answered(
    bot: Bot, alice: FakeUser, monotonic: FakeMonotonic
) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "?", reply_markup=CHOICES)
    press = await alice.press(sent.message_id, "确认")
    monotonic.advance(16.0)
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        await bot.answer_callback_query(press.query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")


async def test_tapping_a_reply_keyboard_button(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True), "取消"]])
    await bot.send_message(alice.id, "请分享", reply_markup=keyboard)
    await alice.tap("取消")
    await alice.tap("分享手机号")
    _, cancel, contact = await bot.get_updates()
    assert cancel.message.text == "取消"  # type: ignore[union-attr]
    assert contact.message.contact.user_id == alice.id  # type: ignore[union-attr]
    with pytest.raises(ButtonNotFound):
        await alice.tap("不存在")


async def test_blocking_the_bot_sends_my_chat_member(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    await alice.block_bot()
    await alice.unblock_bot()
    _, blocked, unblocked = await bot.get_updates()
    assert blocked.my_chat_member.new_chat_member.status == "kicked"  # type: ignore[union-attr]
    assert unblocked.my_chat_member.new_chat_member.status == "member"  # type: ignore[union-attr]


async def test_the_same_user_object_is_returned_for_an_id(emulator: BotApiEmulator) -> None:
    assert emulator.user(5) is emulator.user(5)
    with pytest.raises(ValueError, match="unknown"):
        await emulator.user(5).send_text("x", chat_id=-42)
    with pytest.raises(ValueError):
        emulator.group(42, title="not a group")
