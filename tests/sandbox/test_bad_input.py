"""Malformed Bot API calls get Telegram's 400 replies instead of crashing the emulator."""

from __future__ import annotations

import struct
from typing import Any

import aiohttp
import pytest

from sandbox import BotApiEmulator, FakeUser
from sandbox.files import image_size
from tests.sandbox.helpers import TOKEN, raw_call


@pytest.fixture
async def chatting(alice: FakeUser) -> FakeUser:
    await alice.send_text("hi")
    return alice


@pytest.mark.parametrize(
    ("method", "payload", "description"),
    [
        ("sendMessage", {"text": "x", "reply_markup": [1]}, "can't parse reply keyboard markup"),
        ("sendMessage", {"text": "x", "reply_markup": {"x": 1}}, "can't parse reply keyboard"),
        (
            "sendMessage",
            {"text": "x", "reply_markup": {"inline_keyboard": [{}]}},
            "Array of Arrays",
        ),
        ("sendMessage", {"text": "x", "reply_markup": {"inline_keyboard": [[1]]}}, 'Field "text"'),
        (
            "sendMessage",
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "url": " "}]]}},
            "BUTTON_URL_INVALID",
        ),
        (
            "sendMessage",
            {
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            {"text": "x", "reply_markup": {"keyboard": [[{"t": 1}]]}},
            "keyboard button",
        ),
        ("sendMessage", {"text": "x", "entities": "oops"}, "can't parse entities JSON object"),
        ("sendMessage", {"text": "x", "entities": [1]}, "can't parse entities JSON object"),
        ("sendMessage", {"text": ["x"]}, 'field "text" must be of type String'),
        (
            "sendMessage",
            {"text": "x", "reply_to_message_id": 5, "allow_sending_without_reply": "maybe"},
            "type Boolean",
        ),
        ("sendMessage", {}, "message text is empty"),
        (
            "sendMessage",
            {"text": "x", "reply_to_message_id": 77},
            "message to be replied not found",
        ),
        ("editMessageText", {"text": "x"}, "message identifier is not specified"),
        (
            "editMessageReplyMarkup",
            {"message_id": 1, "reply_markup": {"remove_keyboard": True}},
            "inline keyboard expected",
        ),
        ("sendChatAction", {}, 'parameter "action" is required'),
        ("sendDocument", {}, "there is no document in the request"),
        ("sendPhoto", {"photo": "https://example.com/a.jpg"}, "failed to get HTTP URL content"),
        ("setMyCommands", {"commands": "nope"}, "can't parse commands JSON object"),
        ("setMyCommands", {"commands": [{"command": "ok", "description": ""}]}, "DESCRIPTION"),
        ("getMyCommands", {"scope": {"no": "type"}}, "BotCommandScope"),
        ("getUpdates", {"allowed_updates": "message"}, "can't parse allowed_updates"),
        ("getUpdates", {"timeout": "soon"}, 'field "timeout" must be of type Number'),
        ("setWebhook", {"url": "http://plain.example"}, "An HTTPS URL must be provided"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}, "MESSAGE_TOO_LONG"),
    ],
)
async def test_malformed_calls_are_bad_requests(
    emulator: BotApiEmulator,
    http: aiohttp.ClientSession,
    chatting: FakeUser,
    method: str,
    payload: dict[str, Any],
    description: str,
) -> None:
    payload = {"chat_id": chatting.id, **payload}
    status, body = await raw_call(http, emulator, method, payload)
    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert description in body["description"]
    assert chatting.messages() == []


async def test_a_json_body_must_be_an_object(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{emulator.api_url}{TOKEN}/sendMessage"
    for body in ("[1, 2]", "{broken"):
        headers = {"Content-Type": "application/json"}
        async with http.post(url, data=body, headers=headers) as response:
            assert response.status == 400


async def test_users_are_not_reachable_by_username_but_public_groups_are(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, bob: FakeUser
) -> None:
    await bob.send_text("hi")
    status, body = await raw_call(http, emulator, "sendMessage", {"chat_id": "@lina", "text": "x"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    emulator.send_update(
        {
            "message": {
                "chat": {"id": -1005, "type": "supergroup", "title": "群", "username": "hvgroup"},
                "from": bob.info,
                "text": "hello",
            }
        }
    )
    status, body = await raw_call(
        http, emulator, "sendMessage", {"chat_id": "@HVGroup", "text": "x"}
    )
    assert status == 200 and body["result"]["chat"]["id"] == -1005


def test_image_sizes_are_read_from_png_and_jpeg_headers() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 800, 600)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
    sof0 = b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 480, 640) + b"\x00" * 10
    assert image_size(png) == (800, 600)
    assert image_size(b"\xff\xd8" + app0 + sof0) == (640, 480)
    assert image_size(b"GIF89a") is None
    assert image_size(b"\xff\xd8\x00\x00garbage!!") is None
