"""Outbox.message: rendered in the recipient's language, queued in the caller's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.outbox import Outbox
from notifications.render import Texts
from storage.db import Database
from storage.migrate import migrate
from storage.models import User
from storage.outbox import OutboxRepo
from storage.users import UsersRepo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 9, 48, tzinfo=SHANGHAI)


class Nudges:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def db(database_location: str | Path) -> AsyncIterator[Database]:
    database = await Database.open(database_location)
    await migrate(database, NOW)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def nudges() -> Nudges:
    return Nudges()


@pytest.fixture
def outbox(db: Database, nudges: Nudges) -> Outbox:
    return Outbox(OutboxRepo(db), Texts("zh_CN"), tz=SHANGHAI, wake=nudges)


async def user(db: Database, user_id: int, locale: str) -> User:
    users = UsersRepo(db)
    await users.touch(
        user_id=user_id,
        chat_id=user_id + 10,
        first_name="Li",
        username=None,
        default_locale=locale,
        now=NOW,
    )
    await users.set_locale(user_id, locale, NOW)
    found = await users.get(user_id)
    assert found is not None
    return found


async def test_each_recipient_reads_the_message_in_their_own_language(
    db: Database, outbox: Outbox
) -> None:
    chinese, english = await user(db, 1, "zh_CN"), await user(db, 2, "en")
    async with db.transaction() as conn:
        for recipient in (chinese, english):
            await outbox.message(
                conn,
                key=f"cancelled:{recipient.user_id}",
                recipient=recipient,
                template="common/cancelled",
                now=NOW,
                params={"has_draft": True},
            )
    rows = {r["chat_id"]: r for r in await db.fetchall("SELECT * FROM outbox")}
    assert rows[11]["text"] == "已退出当前操作。您填写的申请内容已保存，随时发送 /apply 继续。"
    assert rows[12]["text"].startswith("You left the current step. Your application so far")
    assert rows[11]["user_id"] == 1 and rows[11]["kind"] == "common.cancelled"


async def test_markup_kind_time_and_attachment_are_kept(db: Database, outbox: Outbox) -> None:
    recipient = await user(db, 1, "en")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data="card:7")]])
    async with db.transaction() as conn:
        await outbox.message(
            conn,
            key="k",
            recipient=recipient,
            template="lang/changed",
            now=NOW,
            reply_markup=markup,
            not_before=NOW + timedelta(hours=1),
            document_file_id="BQAC",
            kind="reminder.half",
        )
    row = await OutboxRepo(db).by_key("k")
    assert row is not None
    assert row.text == "The bot now speaks English to you."
    assert row.kind == "reminder.half"
    assert row.reply_markup == {"inline_keyboard": [[{"text": "Open", "callback_data": "card:7"}]]}
    assert (row.document_file_id, row.not_before) == ("BQAC", NOW + timedelta(hours=1))


async def test_the_sender_is_nudged_for_a_new_message_only(
    db: Database, outbox: Outbox, nudges: Nudges
) -> None:
    recipient = await user(db, 1, "zh_CN")
    for _ in range(2):
        async with db.transaction() as conn:
            await outbox.message(
                conn, key="once", recipient=recipient, template="lang/changed", now=NOW
            )
    assert nudges.count == 1
    outbox.wake()
    assert nudges.count == 2


async def test_a_rolled_back_change_leaves_no_message(db: Database, outbox: Outbox) -> None:
    recipient = await user(db, 1, "zh_CN")
    with pytest.raises(LookupError):
        async with db.transaction() as conn:
            queued = await outbox.message(
                conn, key="k", recipient=recipient, template="lang/changed", now=NOW
            )
            assert queued
            raise LookupError("the stage change was refused")
    assert await OutboxRepo(db).summary() == dict.fromkeys(
        ("pending", "sending", "sent", "failed", "dead", "unreachable"), 0
    )


async def test_a_missing_template_parameter_fails_before_anything_is_queued(
    db: Database, outbox: Outbox
) -> None:
    recipient = await user(db, 1, "zh_CN")
    with pytest.raises(Exception, match="has_draft"):
        async with db.transaction() as conn:
            await outbox.message(
                conn, key="k", recipient=recipient, template="common/cancelled", now=NOW
            )
    assert await OutboxRepo(db).by_key("k") is None


async def test_without_a_sender_wake_does_nothing(db: Database) -> None:
    quiet = Outbox(OutboxRepo(db), Texts("zh_CN"), tz=SHANGHAI)
    quiet.wake()
    nudges = Nudges()
    quiet.connect(nudges)
    quiet.wake()
    assert nudges.count == 1
