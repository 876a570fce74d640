"""A locked database or a full disk: "try again shortly", an admin alert, nothing lost."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from storage.models import Application
from tests.security.offline import OfflineBot, offline_bot
from tests.storage.samples import new_application
from tests.storage_steps import file_draft_in

CUSTOMER, ADMIN = 1001, 9001
BUSY = "系统正忙"
ALERT = "数据库告警"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[OfflineBot]:
    async with offline_bot(tmp_path / "hv.db", admins=frozenset({ADMIN})) as running:
        # Waiting 5 s for the lock would make the test slow, not different.
        await running.svc.db.execute("PRAGMA busy_timeout = 50")
        yield running


def _texts(bot: OfflineBot, chat_id: int) -> list[str]:
    return [c.text for c in bot.request.to_chat(chat_id) if c.method == "sendMessage"]


def _integrity(path: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


async def test_a_locked_database_asks_to_try_again_and_alerts_the_admins(
    bot: OfflineBot,
) -> None:
    await bot.feed(bot.message(ADMIN, "/start"))
    await bot.feed(bot.message(CUSTOMER, "/start"))
    other = sqlite3.connect(bot.svc.db.path, timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        await bot.feed(bot.message(CUSTOMER, "13800138000"))
        await bot.feed(bot.message(CUSTOMER, "13800138000"))
    finally:
        other.rollback()
        other.close()
    replies = _texts(bot, CUSTOMER)
    assert [BUSY in r for r in replies[-2:]] == [True, True]  # once per message, not per step
    alerts = [t for t in _texts(bot, ADMIN) if ALERT in t]
    assert len(alerts) == 1 and "锁定" in alerts[0]  # one alert for the episode
    user = await bot.svc.users.get(CUSTOMER)
    assert user is not None and user.phone is None  # nothing half-saved

    await bot.feed(bot.message(CUSTOMER, "13800138000"))  # the lock is gone: it works
    user = await bot.svc.users.get(CUSTOMER)
    assert user is not None and user.phone == "13800138000"
    assert "已保存您的手机号" in _texts(bot, CUSTOMER)[-1]
    assert _integrity(bot.svc.db.path) == ["ok"]
    assert all(isinstance(e, sqlite3.OperationalError) for e in bot.errors)


async def _application(bot: OfflineBot) -> Application:
    svc, now = bot.svc, bot.clock.now()
    await bot.feed(bot.message(CUSTOMER, "/start"))
    await svc.drafts.start(CUSTOMER, now)
    return await file_draft_in(
        svc.db,
        customer_id=CUSTOMER,
        year=2026,
        application=new_application(district="汉台区"),
        now=now,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )


async def test_a_full_disk_keeps_the_message_to_send_again(bot: OfflineBot) -> None:
    await bot.feed(bot.message(ADMIN, "/start", language="en"))
    application = await _application(bot)
    await bot.feed(bot.message(CUSTOMER, "/contact"))
    long_message = "请尽快安排现场勘察，" * 150  # needs new pages in the file
    await bot.svc.db.execute("PRAGMA max_page_count = 1")  # the disk is full from now on
    await bot.feed(bot.message(CUSTOMER, long_message))
    assert BUSY in _texts(bot, CUSTOMER)[-1]
    [alert] = [t for t in _texts(bot, ADMIN) if "Database alert" in t]
    assert "disk is full" in alert  # in the admin's own language
    assert await bot.svc.threads.count(application.id) == 0
    pending = await bot.svc.workflow.pending(CUSTOMER)
    assert pending is not None and pending.action == "contact"  # still composing

    await bot.svc.db.execute("PRAGMA max_page_count = 1073741823")  # space again
    await bot.feed(bot.message(CUSTOMER, long_message))
    [message] = await bot.svc.threads.recent(application.id)
    assert message.text == long_message
    assert BUSY not in _texts(bot, CUSTOMER)[-1]
    assert _integrity(bot.svc.db.path) == ["ok"]
