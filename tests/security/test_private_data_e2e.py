"""A real conversation full of personal data: nothing of it readable on disk or in the logs."""

from __future__ import annotations

import logging

import pytest

from sandbox.emulator import BotApiEmulator
from tests.e2e.harness import BotRunner
from tests.security.private_flow import (
    CONTACT_MOBILE,
    CONTACT_NAME,
    OWN_PHONE,
    QUESTION,
    USCC,
    walk_with_personal_data,
)
from tests.security.sample_data import found_on_disk


async def test_a_whole_conversation_leaves_nothing_readable_on_disk_or_in_the_logs(
    emulator: BotApiEmulator, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    walked = await walk_with_personal_data(emulator, bot)
    # The bot itself, and an auditor with the key, read it all back.
    [app] = await bot.query(
        "SELECT contact_name, contact_mobile, uscc FROM applications WHERE number = ?",
        (walked.number,),
    )
    assert (app["contact_name"], app["contact_mobile"], app["uscc"]) == (
        CONTACT_NAME,
        CONTACT_MOBILE,
        USCC,
    )
    [user] = await bot.query("SELECT phone FROM users WHERE user_id = 1001")
    assert user["phone"] == OWN_PHONE
    texts = [r["text"] for r in await bot.query("SELECT text FROM thread_messages ORDER BY id")]
    assert texts[0] == QUESTION
    # ... while the bytes on disk, main file and WAL, hold none of it,
    assert found_on_disk(bot.config.db_path, walked.plain_values) == {}
    await bot.stop()  # (a clean stop checkpoints the WAL into the file)
    assert found_on_disk(bot.config.db_path, walked.plain_values) == {}
    # ... and neither do the logs, at DEBUG, library lines included, nor the token.
    assert len(caplog.records) > 100
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "Calling Bot API endpoint `sendMessage`" in logged  # shape kept, payload gone
    leaked = [value for value in (*walked.plain_values, emulator.token) if value in logged]
    assert leaked == []
