"""An emulator given a chats file starts where the last one on the same file stopped."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from sandbox import BotApiEmulator, RateLimits
from tests.sandbox.helpers import TOKEN, raw_call

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x68\x00\x00\x00\xe4\x08\x02\x00\x00\x00"
    b"\x00\x00\x00\x00"
)


def emulator_on(path: Path) -> BotApiEmulator:
    return BotApiEmulator(token=TOKEN, limits=RateLimits(enabled=False), chats_file=path)


async def test_chats_files_and_users_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.chats.db"
    first = emulator_on(path)
    await first.start()
    try:
        user = first.user(10_001, first_name="张伟", language_code="zh-hans")
        await user.send_text("/start")
        await user.send_document("清单.pdf", b"%PDF-1.4 list", "application/pdf")
        await user.send_photo(PNG)
        async with aiohttp.ClientSession() as http:
            _, shown = await raw_call(
                http,
                first,
                "sendMessage",
                {
                    "chat_id": 10_001,
                    "text": "<b>请</b>选择",
                    "parse_mode": "HTML",
                    "reply_markup": {"inline_keyboard": [[{"text": "是", "callback_data": "y"}]]},
                },
            )
            message_id = shown["result"]["message_id"]
            await raw_call(
                http,
                first,
                "editMessageText",
                {"chat_id": 10_001, "message_id": message_id, "text": "已选择"},
            )
            await raw_call(
                http,
                first,
                "sendMessage",
                {
                    "chat_id": 10_001,
                    "text": "分享手机号",
                    "reply_markup": {
                        "keyboard": [[{"text": "分享", "request_contact": True}]],
                        "one_time_keyboard": True,
                    },
                },
            )
        before = sorted(first.state.chats[10_001].messages.values(), key=lambda m: m.message_id)
        seq_before = first.state.seq
        document_id = str(before[1].document["file_id"]) if before[1].document else ""
    finally:
        await first.stop()

    second = emulator_on(path)
    try:
        chat = second.state.chats[10_001]
        after = sorted(chat.messages.values(), key=lambda m: m.message_id)
        assert [m.to_api() for m in after] == [m.to_api() for m in before]
        assert [m.content for m in after] == ["/start", "", "", "已选择", "分享手机号"]
        edited = after[3]
        assert [v.text for v in edited.versions] == ["请选择", "已选择"]
        assert edited.edit_date is not None
        assert second.file_content(document_id) == b"%PDF-1.4 list"
        assert second.state.users[10_001]["first_name"] == "张伟"
        assert second.state.seq == seq_before
        # The reply keyboard is still the one the last message showed, and is still offered.
        assert chat.reply_keyboard is after[4].reply_markup
        # New messages and files are numbered on, never over, what was kept.
        user = second.user(10_001, first_name="张伟", language_code="zh-hans")
        sent = await user.send_document("二.pdf", b"%PDF-1.4 two", "application/pdf")
        assert sent.message_id == after[-1].message_id + 1
        assert second.state.seq > seq_before
        new_file = chat.messages[sent.message_id].document
        assert new_file is not None and new_file["file_id"] != document_id
        assert second.file_content(document_id) == b"%PDF-1.4 list"
    finally:
        await second.stop()

    third = emulator_on(path)
    try:
        assert len(third.state.chats[10_001].messages) == 6
    finally:
        await third.stop()
