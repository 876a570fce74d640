"""What Telegram refuses and a bot could trip on, refused by the emulator word for word, so
that a bot mistake fails a test instead of a customer's chat: a file sent with the method of
the other type, a press answered twice, an edit that changes nothing, button data over 64
bytes, a caption over 1,024 characters, and albums of more than ten (or of nothing, or of
documents mixed with photos)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest

from sandbox import BotApiEmulator, FakeUser
from tests.sandbox.helpers import raw_call
from tests.sandbox.test_files import PNG_HEADER

Http = aiohttp.ClientSession


async def refused(
    http: Http, emulator: BotApiEmulator, method: str, payload: dict[str, Any]
) -> str:
    """Telegram's description of a 400 answer to ``method``."""
    status, body = await raw_call(http, emulator, method, payload)
    assert (status, body["ok"], body["error_code"]) == (400, False, 400), body
    return str(body["description"])


async def file_ids(bot: Bot, chat_id: int) -> tuple[str, str]:
    """A photo's file id and a document's, as the bot got them from Telegram."""
    photo = await bot.send_photo(chat_id, PNG_HEADER)
    document = await bot.send_document(chat_id, b"%PDF-1.4", filename="plan.pdf")
    assert document.document is not None
    return photo.photo[-1].file_id, document.document.file_id


async def test_a_file_goes_only_with_the_method_of_its_type(
    bot: Bot, emulator: BotApiEmulator, http: Http, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    photo_id, document_id = await file_ids(bot, alice.id)
    before = len(alice.messages())
    mismatch = "Bad Request: type of file mismatch"
    chat = alice.id
    assert (
        await refused(http, emulator, "sendDocument", {"chat_id": chat, "document": photo_id})
        == mismatch
    )
    assert (
        await refused(http, emulator, "sendPhoto", {"chat_id": chat, "photo": document_id})
        == mismatch
    )
    assert len(alice.messages()) == before
    # Each with its own method, both go.
    await bot.send_photo(chat, photo_id)
    await bot.send_document(chat, document_id)
    assert [m.photo is not None for m in alice.messages()[before:]] == [True, False]


async def test_a_press_answered_once_cannot_be_answered_again(
    bot: Bot, emulator: BotApiEmulator, http: Http, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok")]])
    sent = await bot.send_message(alice.id, "确认吗？", reply_markup=markup)
    press = await alice.press(sent.message_id, "确认")
    await bot.answer_callback_query(press.query_id, "已确认")
    description = await refused(
        http, emulator, "answerCallbackQuery", {"callback_query_id": press.query_id}
    )
    assert description == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert [a.text for a in alice.callback_answers] == ["已确认"]  # the first answer stands


async def test_an_edit_to_the_same_content_and_markup_is_not_modified(
    bot: Bot, emulator: BotApiEmulator, http: Http, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    markup = {"inline_keyboard": [[{"text": "刷新", "callback_data": "refresh"}]]}
    text = {"text": "<b>待受理</b>", "parse_mode": "HTML", "reply_markup": markup}
    status, body = await raw_call(http, emulator, "sendMessage", {"chat_id": alice.id, **text})
    assert status == 200
    message_id = body["result"]["message_id"]
    same = {"chat_id": alice.id, "message_id": message_id}
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message"
    )
    assert await refused(http, emulator, "editMessageText", {**same, **text}) == not_modified
    keyboard = {"reply_markup": markup}
    assert (
        await refused(http, emulator, "editMessageReplyMarkup", {**same, **keyboard})
        == not_modified
    )
    assert alice.last_message().edits == []  # type: ignore[union-attr]
    # Another text, or the same text without the keyboard, is a change.
    await bot.edit_message_text("<b>待受理</b>", alice.id, message_id, parse_mode="HTML")
    assert alice.last_message().buttons == []  # type: ignore[union-attr]


async def test_button_data_over_64_bytes_is_refused_counting_bytes_not_characters(
    emulator: BotApiEmulator, http: Http, alice: FakeUser
) -> None:
    await alice.send_text("hi")

    def keyboard(data: str) -> dict[str, Any]:
        return {
            "chat_id": alice.id,
            "text": "选择",
            "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": data}]]},
        }

    invalid = "Bad Request: BUTTON_DATA_INVALID"
    assert await refused(http, emulator, "sendMessage", keyboard("a" * 65)) == invalid
    # 22 characters, 66 bytes in UTF-8.
    assert await refused(http, emulator, "sendMessage", keyboard("受" * 22)) == invalid
    assert (await raw_call(http, emulator, "sendMessage", keyboard("受" * 21 + "a")))[0] == 200


async def test_a_caption_over_1024_characters_is_too_long_wherever_it_goes(
    bot: Bot, emulator: BotApiEmulator, http: Http, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    photo_id, document_id = await file_ids(bot, alice.id)
    too_long = "Bad Request: message caption is too long"
    caption = "说" * 1025
    chat = alice.id
    for method, payload in (
        ("sendPhoto", {"photo": photo_id}),
        ("sendDocument", {"document": document_id}),
        ("sendMediaGroup", {"media": [{"type": "photo", "media": photo_id, "caption": caption}]}),
    ):
        body = {"chat_id": chat, "caption": caption, **payload}
        assert await refused(http, emulator, method, body) == too_long, method
    sent = await bot.send_document(chat, document_id, caption="说" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.edit_message_caption(chat, sent.message_id, caption=caption)
    # Counted as the user reads it: markup does not count.
    await bot.send_photo(chat, photo_id, caption=f"<b>{'说' * 1024}</b>", parse_mode="HTML")


async def test_an_album_holds_two_to_ten_photos_or_documents_never_more_nor_mixed(
    bot: Bot, emulator: BotApiEmulator, http: Http, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    photo_id, document_id = await file_ids(bot, alice.id)
    before = len(alice.messages())
    chat = alice.id

    def album(*items: tuple[str, str]) -> dict[str, Any]:
        return {"chat_id": chat, "media": [{"type": t, "media": m} for t, m in items]}

    eleven = album(*[("photo", photo_id)] * 11)
    assert (
        await refused(http, emulator, "sendMediaGroup", eleven)
        == "Bad Request: too many messages to send as an album"
    )
    assert (
        await refused(http, emulator, "sendMediaGroup", album())
        == "Bad Request: there are no messages to send"
    )
    mixed = album(("photo", photo_id), ("document", document_id))
    assert (
        await refused(http, emulator, "sendMediaGroup", mixed)
        == "Bad Request: document can't be mixed with other media types"
    )
    wrong_type = album(("photo", photo_id), ("photo", document_id))
    assert (
        await refused(http, emulator, "sendMediaGroup", wrong_type)
        == "Bad Request: type of file mismatch"
    )
    assert len(alice.messages()) == before  # a refused album sends nothing

    ten = await bot.send_media_group(chat, [InputMediaPhoto(photo_id) for _ in range(10)])
    assert len(ten) == 10 and len({m.media_group_id for m in ten}) == 1
    assert ten[0].media_group_id is not None
    assert [m.photo is not None for m in alice.messages()[before:]] == [True] * 10
    documents = album(("document", document_id), ("document", document_id))
    status, body = await raw_call(http, emulator, "sendMediaGroup", documents)
    assert status == 200 and [m["document"]["file_name"] for m in body["result"]] == [
        "plan.pdf",
        "plan.pdf",
    ]
