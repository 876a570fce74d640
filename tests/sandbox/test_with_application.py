"""A python-telegram-bot Application polling the emulator, driven by simulated users.

This is how end-to-end tests use the sandbox: no sleeps, replies awaited, silence proven
with wait_idle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import BotApiEmulator, RateLimits
from tests.sandbox.helpers import TOKEN, local_request

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("开始申请", callback_data="apply")]])
    await update.effective_message.reply_html("<b>欢迎</b>", reply_markup=keyboard)  # type: ignore[union-attr]


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("好的")
    await query.edit_message_text("请上传材料")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    await message.reply_text(f"收到 {len(data)} 字节")


@pytest.fixture
async def running_bot(emulator: BotApiEmulator) -> AsyncIterator[AnyApplication]:
    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(emulator.api_url)
        .base_file_url(emulator.file_url)
        .request(local_request(connection_pool_size=64))
        .get_updates_request(local_request())
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    application.add_handler(MessageHandler(filters.Document.ALL, document))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_a_conversation_without_sleeps(
    running_bot: AnyApplication,
    emulator: BotApiEmulator,
) -> None:
    alice = emulator.user(1001, first_name="张伟")
    await alice.send_command("/start")
    welcome = await alice.next_reply()
    assert welcome.html == "<b>欢迎</b>" and welcome.buttons == ["开始申请"]

    press = await alice.press(welcome, "开始申请")
    assert (await alice.callback_answer(press)).text == "好的"
    edited = await alice.next_reply()
    assert edited.message_id == welcome.message_id and edited.text == "请上传材料"

    await alice.send_document("图纸.pdf", b"%PDF-1.4 drawing", "application/pdf")
    assert (await alice.next_reply()).text == "收到 16 字节"

    await alice.send_text("没有处理器的文字")
    await alice.wait_idle()
    assert alice.last_message().text == "收到 16 字节"  # type: ignore[union-attr]


async def test_many_users_at_once_under_flood_control(
    running_bot: AnyApplication,
    emulator: BotApiEmulator,
) -> None:
    emulator.set_limits(RateLimits())
    users = [emulator.user(2000 + n, first_name=f"用户{n}") for n in range(20)]
    for user in users:
        await user.send_command("/start")
    for user in users:
        assert (await user.next_reply()).text == "欢迎"
    assert emulator.stats.messages_sent == 20
    assert emulator.stats.too_many_requests == 0
