"""``hvconnect outbox``: counts and the messages to look at, never their texts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.main import main
from storage.db import Database
from storage.migrate import migrate
from storage.outbox import OutboxRepo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 9, 48, tzinfo=SHANGHAI)
SECRET = "联系人 王工 13800138000"


async def _fill(path: Path) -> None:
    db = await Database.open(path)
    await migrate(db, NOW)
    repo = OutboxRepo(db)
    for chat_id, key in enumerate(("sent", "waiting", "retrying", "dead"), start=1001):
        await repo.enqueue_now(
            key=f"stage:HV-2026-000001:{key}",
            chat_id=chat_id,
            user_id=chat_id,
            kind="customer.stage_changed",
            text=SECRET,
            now=NOW,
        )
    sent, _, retrying, dead = await repo.due(NOW)
    for row in (sent, retrying, dead):
        await repo.claim(row.id, NOW)
    await repo.mark_sent(sent.id, telegram_message_id=9, now=NOW)
    await repo.mark_failed(
        retrying.id,
        attempts=2,
        next_attempt_at=NOW + timedelta(minutes=5),
        error="NetworkError: Bad Gateway",
        now=NOW,
    )
    await repo.mark_dead(dead.id, attempts=1, error="BadRequest: message is too long", now=NOW)
    await db.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hv.db"
    for name in ("HVCONNECT_CONFIG", "HVCONNECT_TZ", "HVCONNECT_TOKEN", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HVCONNECT_DB", str(path))
    return path


def test_counts_and_the_messages_to_look_at_without_their_texts(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(env))

    assert main(["outbox"]) == 0

    out = capsys.readouterr().out
    assert "pending 1 · sending 0 · sent 1 · failed 1 · dead 1 · unreachable 0" in out
    assert "stage:HV-2026-000001:waiting" in out
    retrying = next(line for line in out.splitlines() if ":retrying" in line)
    assert "2026-11-27 09:53:00" in retrying  # next attempt, in Shanghai time
    assert "NetworkError: Bad Gateway" in retrying and " 2 " in retrying
    assert "BadRequest: message is too long" in out
    assert ":sent" not in out  # sent messages are counted, not listed
    assert "13800138000" not in out and "王工" not in out


def test_the_listing_can_be_shortened(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_fill(env))
    assert main(["outbox", "--limit", "1"]) == 0
    assert main(["outbox", "--limit", "0"]) == 2
    assert "--limit must be at least 1" in capsys.readouterr().err


def test_a_missing_database_is_reported_not_created(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox"]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not env.exists()


def test_a_database_from_before_the_outbox_asks_for_migrate(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def old_database() -> None:
        db = await Database.open(env)
        await db.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY)")
        await db.close()

    asyncio.run(old_database())
    assert main(["outbox"]) == 1
    assert "hvconnect migrate" in capsys.readouterr().err
