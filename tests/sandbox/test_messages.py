"""Sending, editing, copying and deleting messages through python-telegram-bot's own Bot."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from sandbox import BotApiEmulator, FakeUser
from tests.sandbox.helpers import raw_call

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("确认", callback_data="confirm:1")],
        [InlineKeyboardButton("取消", callback_data="cancel")],
    ]
)


async def test_a_sent_message_is_stored_as_the_user_sees_it(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("你好")
    sent = await bot.send_message(
        alice.id, "<b>申请</b>已受理 &amp; 编号", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert sent.text == "申请已受理 & 编号"
    assert sent.entities[0].type == "bold"
    assert sent.from_user is not None and sent.from_user.username == "hvconnect_bot"
    message = alice.last_message()
    assert message is not None
    assert message.message_id == sent.message_id
    assert message.html == "<b>申请</b>已受理 &amp; 编号"
    assert message.text == "申请已受理 & 编号"
    assert message.parse_mode == "HTML"
    assert message.buttons == ["确认", "取消"]
    assert message.button_data == ["confirm:1", "cancel"]


async def test_message_ids_increase_per_chat_and_dates_are_unix_seconds(
    bot: Bot, alice: FakeUser, bob: FakeUser
) -> None:
    await alice.send_text("a")
    await bob.send_text("b")
    first = await bot.send_message(alice.id, "1")
    second = await bot.send_message(alice.id, "2")
    other = await bot.send_message(bob.id, "x")
    assert (first.message_id, second.message_id) == (2, 3)  # 1 is alice's own message
    assert other.message_id == 2
    assert isinstance(alice.messages()[0].date, int)
    assert [m.text for m in alice.messages()] == ["1", "2"]


async def test_a_chat_that_never_talked_to_the_bot_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "hello")


async def test_a_user_who_blocked_the_bot_gives_forbidden(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    await alice.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "still there?")
    await alice.unblock_bot()
    assert (await bot.send_message(alice.id, "welcome back")).text == "welcome back"


async def test_text_over_4096_characters_is_too_long_but_4096_is_fine(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    await bot.send_message(alice.id, "字" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, "字" * 4097)
    # Markup does not count towards the limit: only what the user reads does.
    await bot.send_message(alice.id, "<b>" + "字" * 4096 + "</b>", parse_mode=ParseMode.HTML)


async def test_empty_text_is_refused(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_html_telegram_rejects_fails_with_its_exact_description(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    status, body = await raw_call(
        http, emulator, "sendMessage", {"chat_id": alice.id, "text": "a<br>b", "parse_mode": "HTML"}
    )
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": (
            'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1'
        ),
    }
    assert alice.messages() == []


async def test_strict_html_rejects_unknown_entities(http: aiohttp.ClientSession) -> None:
    async with BotApiEmulator(strict_html=True) as strict:
        user = strict.user(7)
        await user.send_text("hi")
        status, body = await raw_call(
            http, strict, "sendMessage", {"chat_id": 7, "text": "a&nbsp;b", "parse_mode": "HTML"}
        )
    assert status == 400
    assert "Unsupported HTML entity" in body["description"]


async def test_callback_data_over_64_bytes_is_button_data_invalid(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="数" * 22)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice.id, "pick", reply_markup=too_long)
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 64)]])
    await bot.send_message(alice.id, "pick", reply_markup=fits)


async def test_buttons_without_an_action_are_refused(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    markup = {"inline_keyboard": [[{"text": "nothing"}]]}
    status, body = await raw_call(
        http, emulator, "sendMessage", {"chat_id": alice.id, "text": "x", "reply_markup": markup}
    )
    assert status == 400
    assert "Text buttons are unallowed in the inline keyboard" in body["description"]


async def test_reply_keyboards_are_shown_and_removed(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("分享手机号", request_contact=True)], ["取消"]], resize_keyboard=True
    )
    await bot.send_message(alice.id, "请分享手机号", reply_markup=keyboard)
    assert alice.last_message().keyboard == [["分享手机号"], ["取消"]]  # type: ignore[union-attr]
    assert alice.reply_keyboard == [["分享手机号"], ["取消"]]
    await bot.send_message(alice.id, "好的", reply_markup=ReplyKeyboardRemove())
    assert alice.last_message().removes_keyboard  # type: ignore[union-attr]
    assert alice.reply_keyboard is None


async def test_replies_reference_the_original_message(bot: Bot, alice: FakeUser) -> None:
    sent = await alice.send_text("问题")
    reply = await bot.send_message(
        alice.id, "回答", reply_parameters=ReplyParameters(message_id=sent.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "问题"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(alice.id, "x", reply_to_message_id=999)


async def test_editing_text_keeps_a_history_and_drops_an_omitted_keyboard(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "第一版", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "<i>第二版</i>", alice.id, sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert edited.text == "第二版"
    assert edited.edit_date is not None
    message = alice.last_message()
    assert message is not None
    assert message.text == "第二版"
    assert message.buttons == []
    assert [v.text for v in message.versions] == ["第一版", "第二版"]
    assert message.edits[0].method == "editMessageText"


async def test_an_identical_edit_is_not_modified(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "<b>同</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text(
            "<strong>同</strong>",
            alice.id,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=KEYBOARD,
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=KEYBOARD)


async def test_editing_only_the_keyboard(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "选择", reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=None)
    message = alice.last_message()
    assert message is not None and message.buttons == [] and message.text == "选择"


async def test_edits_of_missing_or_foreign_messages_fail(bot: Bot, alice: FakeUser) -> None:
    own = await alice.send_text("mine")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", alice.id, 999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", alice.id, own.message_id)


async def test_edit_text_of_a_document_has_no_text(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    doc = await bot.send_document(alice.id, b"data", filename="a.txt", caption="旧说明")
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", alice.id, doc.message_id)
    edited = await bot.edit_message_caption(alice.id, doc.message_id, caption="新说明")
    assert isinstance(edited, object)
    assert alice.last_message().caption == "新说明"  # type: ignore[union-attr]


async def test_caption_over_1024_characters_is_too_long(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(alice.id, b"data", filename="a.txt", caption="x" * 1025)


async def test_deleted_messages_disappear_and_cannot_be_deleted_twice(
    bot: Bot, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    sent = await bot.send_message(alice.id, "temporary")
    assert await bot.delete_message(alice.id, sent.message_id) is True
    assert alice.messages() == []
    assert alice.messages(include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", alice.id, sent.message_id)


async def test_chat_actions_are_recorded_and_checked(bot: Bot, alice: FakeUser) -> None:
    await alice.send_text("hi")
    assert await bot.send_chat_action(alice.id, "typing") is True
    assert alice.chat_actions == ["typing"]
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(alice.id, "dancing")


async def test_copy_and_forward(bot: Bot, alice: FakeUser, bob: FakeUser) -> None:
    sent = await alice.send_text("请转交")
    await bob.send_text("hi")
    copied = await bot.copy_message(bob.id, alice.id, sent.message_id)
    forwarded = await bot.forward_message(bob.id, alice.id, sent.message_id)
    assert [m.text for m in bob.messages()] == ["请转交", "请转交"]
    assert bob.messages()[0].message_id == copied.message_id
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == alice.id  # type: ignore[attr-defined]
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(bob.id, alice.id, 999)


async def test_groups_and_raw_updates(bot: Bot, emulator: BotApiEmulator, alice: FakeUser) -> None:
    group = emulator.group(-1001234, title="客户经理群")
    await alice.send_text("/status@hvconnect_bot", chat_id=-1001234)
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].message.chat.title == "客户经理群"  # type: ignore[union-attr]
    assert updates[-1].message.entities[0].length == len("/status@hvconnect_bot")  # type: ignore[union-attr]
    await bot.send_message(-1001234, "通知")
    assert [m.text for m in group.messages()] == ["通知"]
    emulator.send_update(
        {"channel_post": {"chat": {"id": -1009, "type": "channel", "title": "公告"}, "text": "x"}}
    )
    await bot.send_message(-1009, "reply in channel")
    assert [m.text for m in emulator.messages(-1009)] == ["reply in channel"]
