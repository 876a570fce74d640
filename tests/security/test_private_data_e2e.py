"""A real conversation full of personal data: nothing of it readable on disk, in a plain
backup or in the logs; and a customer erased on request leaves none of it behind."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from bot.cli.main import main
from sandbox.emulator import BotApiEmulator
from storage.backup.snapshot import take_backup
from tests.e2e.harness import BotRunner
from tests.keys import TEST_SECRET_KEY
from tests.security.private_flow import (
    APPLICANT,
    CONTACT_MOBILE,
    CONTACT_NAME,
    DOC_NAME,
    FIRST_NAME,
    HOME_ADDRESS,
    NOTE,
    OWN_PHONE,
    QUESTION,
    USCC,
    USERNAME,
    walk_with_personal_data,
)
from tests.security.sample_data import found_on_disk

CUSTOMER = 1001


async def test_a_whole_conversation_leaves_nothing_readable_on_disk_or_in_the_logs(
    emulator: BotApiEmulator, bot: BotRunner, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    walked = await walk_with_personal_data(emulator, bot)
    # The bot itself, and an auditor with the key, read it all back.
    [app] = await bot.query(
        "SELECT applicant_name, uscc, site_address, contact_name, contact_mobile "
        "FROM applications WHERE number = ?",
        (walked.number,),
    )
    assert tuple(app) == (APPLICANT, USCC, HOME_ADDRESS, CONTACT_NAME, CONTACT_MOBILE)
    [user] = await bot.query(
        f"SELECT phone, first_name, username FROM users WHERE user_id = {CUSTOMER}"
    )
    assert tuple(user) == (OWN_PHONE, FIRST_NAME, USERNAME)
    texts = [r["text"] for r in await bot.query("SELECT text FROM thread_messages ORDER BY id")]
    assert texts[0] == QUESTION
    names = [r["file_name"] for r in await bot.query("SELECT file_name FROM documents")]
    assert DOC_NAME in names
    notes = [r["note"] for r in await bot.query("SELECT note FROM notes")]
    assert notes.count(NOTE) == 1  # once, for the event and the owed item alike
    # ... while the bytes on disk, main file and WAL, hold none of it,
    assert found_on_disk(bot.config.db_path, walked.plain_values) == {}
    # ... nor a plain (not --encrypt) backup taken while the bot runs,
    backup = tmp_path / "plain.db"
    await take_backup(bot.config.db_path, backup, bot.clock.now())
    assert found_on_disk(backup, walked.plain_values) == {}
    await bot.stop()  # (a clean stop checkpoints the WAL into the file)
    assert found_on_disk(bot.config.db_path, walked.plain_values) == {}
    # ... and neither do the logs, at DEBUG, library lines included, nor the token.
    assert len(caplog.records) > 100
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "Calling Bot API endpoint `sendMessage`" in logged  # shape kept, payload gone
    leaked = [value for value in (*walked.plain_values, emulator.token) if value in logged]
    assert leaked == []


async def test_an_erased_customer_leaves_no_personal_value_and_still_counts(
    emulator: BotApiEmulator,
    bot: BotRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    walked = await walk_with_personal_data(emulator, bot)
    await bot.stop()
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(bot.config.db_path))
    monkeypatch.setenv("HVCONNECT_SECRET_KEY", TEST_SECRET_KEY)
    period = ["--from", "2026-11-01", "--to", "2026-11-30"]
    assert await asyncio.to_thread(main, ["stats", "--json", *period]) == 0
    before = json.loads(capsys.readouterr().out)["summary"]
    assert before["applications"] == 1

    assert await asyncio.to_thread(main, ["erase-customer", str(CUSTOMER), "--by", "李审计"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and f"erased customer {CUSTOMER}" in summary[0]
    assert "1 application(s)" in summary[0] and "2 note(s)" in summary[0]  # + assignment

    # Not a byte of it left, in the file or its WAL.
    assert found_on_disk(bot.config.db_path, walked.plain_values) == {}
    # The statistics still count the application, at the stage it stands.
    assert await asyncio.to_thread(main, ["stats", "--json", *period]) == 0
    after = json.loads(capsys.readouterr().out)["summary"]
    assert after == before
    # The process history stays whole; the erasure is in it, with who ran it, not what.
    kinds = [
        (r["kind"], r["note"], r["data"])
        for r in await bot.query(
            "SELECT e.kind, n.note, e.data FROM events e LEFT JOIN notes n ON n.id = e.note_id "
            "JOIN applications a ON a.id = e.application_id WHERE a.number = ? ORDER BY e.id",
            (walked.number,),
        )
    ]
    assert {"submitted", "return_missing"} <= {kind for kind, _, _ in kinds}
    assert all(note is None for _, note, _ in kinds)
    assert kinds[-1][0] == "personal_data_erased"
    assert json.loads(kinds[-1][2]) == {"by": "李审计"}
    [user] = await bot.query(
        f"SELECT phone, first_name, username FROM users WHERE user_id = {CUSTOMER}"
    )
    assert tuple(user) == (None, None, None)
