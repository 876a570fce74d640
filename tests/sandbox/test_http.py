"""Telegram's URL scheme and reply shapes, commands, and the sandbox's JSON user API."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, EndPointNotFound, InvalidToken

from sandbox import BotApiEmulator, FakeUser
from tests.sandbox.helpers import TOKEN, raw_call


async def test_a_wrong_token_is_unauthorized_and_a_malformed_one_not_found(
    emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    assert await raw_call(http, emulator, "getMe", token="654321:OTHER") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    status, body = await raw_call(http, emulator, "getMe", token="garbage")
    assert (status, body["description"]) == (404, "Not Found")
    with pytest.raises(InvalidToken):
        await Bot("654321:OTHER", **emulator.bot_kwargs()).get_me()


async def test_an_unknown_method_is_not_found(
    bot: Bot, emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await raw_call(http, emulator, "sendTelepathy")
    assert (status, body["description"]) == (404, "Not Found")
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_method_names_ignore_case_and_get_with_a_query_works(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    async with http.get(
        f"{emulator.api_url}{TOKEN}/SENDMESSAGE", params={"chat_id": str(alice.id), "text": "q"}
    ) as response:
        body = await response.json()
    assert body["ok"] is True and body["result"]["text"] == "q"
    assert emulator.stats.requests["sendMessage"] == 1


async def test_form_encoded_json_values_are_decoded(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    form = {
        "chat_id": str(alice.id),
        "text": "form",
        "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}',
    }
    async with http.post(f"{emulator.api_url}{TOKEN}/sendMessage", data=form) as response:
        assert response.status == 200
    assert alice.last_message().button_data == ["b"]  # type: ignore[union-attr]
    form["reply_markup"] = "{not json"
    async with http.post(f"{emulator.api_url}{TOKEN}/sendMessage", data=form) as response:
        body = await response.json()
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"


async def test_bad_parameter_types_are_bad_requests(
    emulator: BotApiEmulator, http: aiohttp.ClientSession, alice: FakeUser
) -> None:
    await alice.send_text("hi")
    status, body = await raw_call(http, emulator, "sendMessage", {"text": "no chat"})
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    status, body = await raw_call(
        http, emulator, "sendMessage", {"chat_id": alice.id, "text": "x", "parse_mode": "BBCode"}
    )
    assert body["description"] == "Bad Request: unsupported parse_mode"
    status, body = await raw_call(
        http, emulator, "editMessageText", {"chat_id": alice.id, "message_id": "two", "text": "x"}
    )
    assert body["description"] == 'Bad Request: field "message_id" must be of type Integer'


async def test_commands_are_stored_per_scope_and_language(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    await bot.set_my_commands([BotCommand("apply", "申请报装"), BotCommand("status", "查询进度")])
    await bot.set_my_commands(
        [BotCommand("apply", "Apply")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="en",
    )
    assert [c.command for c in await bot.get_my_commands()] == ["apply", "status"]
    english = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert [c.description for c in english] == ["Apply"]
    assert emulator.commands() == [
        {"command": "apply", "description": "申请报装"},
        {"command": "status", "description": "查询进度"},
    ]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_the_user_api_plays_a_user_over_http(
    bot: Bot, emulator: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    api = f"{emulator.base_url}/sandbox/api/users/3003"
    async with http.post(f"{api}/messages", json={"text": "/start", "first_name": "赵六"}) as sent:
        assert (await sent.json())["ok"] is True
    (update,) = await bot.get_updates()
    assert update.message.from_user.first_name == "赵六"  # type: ignore[union-attr]
    assert update.message.entities[0].type == "bot_command"  # type: ignore[union-attr]
    reply = await bot.send_message(
        3003,
        "选择",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="y")]]),
    )
    async with http.get(f"{api}/messages", params={"after": "0", "timeout": "1"}) as listed:
        result = (await listed.json())["result"]
    assert [e["message"]["text"] for e in result["events"]] == ["选择"]
    assert result["events"][0]["message"]["buttons"][0]["callback_data"] == "y"
    async with http.post(
        f"{api}/press", json={"message_id": reply.message_id, "button": "是"}
    ) as p:
        assert (await p.json())["ok"] is True
    async with http.post(
        f"{api}/press", json={"message_id": reply.message_id, "button": "否"}
    ) as p:
        assert p.status == 400
    async with http.get(f"{api}/messages", params={"after": str(result["mark"])}) as later:
        assert (await later.json())["result"]["events"] == []
    async with http.post(f"{api}/contact", json={"phone_number": "+8613700137000"}) as contact:
        assert (await contact.json())["ok"] is True
    async with http.post(f"{api}/block") as block:
        assert (await block.json())["result"] is True
    contact_update, blocked = (await bot.get_updates(offset=update.update_id + 1))[-2:]
    assert contact_update.message.contact.user_id == 3003  # type: ignore[union-attr]
    assert blocked.my_chat_member.new_chat_member.status == "kicked"  # type: ignore[union-attr]
    async with http.post(f"{api}/unknown") as unknown:
        assert unknown.status == 404
    async with http.post(f"{api}/messages", data="not json") as bad:
        assert bad.status == 400
    async with http.get(f"{emulator.base_url}/sandbox/api/stats") as stats:
        assert (await stats.json())["result"]["messages_sent"] == 1
    async with http.post(f"{emulator.base_url}/sandbox/api/users/x/messages", json={}) as bad:
        assert bad.status == 404


async def test_the_emulator_runs_on_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from sandbox.__main__ import _arguments, serve

    server = asyncio.create_task(serve(_arguments(["--port", "0", "--no-limits"])))
    deadline = asyncio.get_running_loop().time() + 60  # a ceiling for a loaded machine
    while "Bot API emulator on" not in capsys.readouterr().out:
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("the emulator did not announce itself")
        await asyncio.sleep(0.01)
    server.cancel()
    with pytest.raises(asyncio.CancelledError):
        await server
