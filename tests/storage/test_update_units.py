"""One update, one transaction: the production application fed updates directly.

What an answer changed, the update's id and the conversation's next state commit together
(storage.units); an update delivered twice is handled once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from storage.codec import time_to_db
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.migrate import migrate
from storage.units import (
    KEEP_HANDLED,
    HandledUpdate,
    begin_unit,
    end_unit,
    forget_old_updates,
)
from storage.users import UsersRepo
from tests.e2e.customer import ANSWERS
from tests.security.offline import OfflineBot, offline_bot
from tests.storage.samples import NOW

CUSTOMER = 5_100_001


def _sent_texts(bot: OfflineBot) -> list[str]:
    return [call.text for call in bot.request.calls if call.method == "sendMessage"]


async def _registered_and_applying(bot: OfflineBot) -> None:
    await bot.feed(bot.message(CUSTOMER, "/start"))
    contact = {"phone_number": "13800138000", "user_id": CUSTOMER, "first_name": "张"}
    await bot.feed(bot.message(CUSTOMER, contact=contact))
    await bot.feed(bot.message(CUSTOMER, "/apply"))


async def _state(db: Database) -> str | None:
    row = await db.fetchone("SELECT state FROM conversations WHERE name = 'apply'")
    return None if row is None else str(row["state"])


def _durable_writes(statements: list[str]) -> list[int]:
    """Where the write transactions that wait for the disk begin (those of ``settle`` wait
    for no disk: synchronous=NORMAL around them)."""
    relaxed = False
    found = []
    for at, statement in enumerate(statements):
        if statement.startswith("PRAGMA SYNCHRONOUS"):
            relaxed = statement.endswith("NORMAL")
        elif statement.startswith("BEGIN IMMEDIATE") and not relaxed:
            found.append(at)
    return found


async def _traced(db: Database, work: Any) -> list[str]:
    """The statements run on ``db``'s connection while ``work`` is awaited."""
    traced: list[str] = []
    async with db.snapshot() as connection:
        await connection.set_trace_callback(traced.append)
    try:
        await work
    finally:
        async with db.snapshot() as connection:
            await connection.set_trace_callback(None)  # type: ignore[arg-type]
    return [s.strip().upper() for s in traced[1:-1]]


async def test_an_answer_its_update_id_and_the_next_question_commit_together(
    tmp_path: Path,
) -> None:
    async with offline_bot(tmp_path / "bot.db") as bot:
        await _registered_and_applying(bot)
        db = bot.svc.db
        assert await _state(db) == "field:applicant_name"
        update = bot.message(CUSTOMER, ANSWERS["applicant_name"])
        statements = await _traced(db, bot.feed(update))
        assert len(_durable_writes(statements)) == 1, statements  # one commit to wait for
        # Then, the reply sent, the mark that it was: a commit that does not wait for the disk.
        assert statements[-5:] == [
            "PRAGMA SYNCHRONOUS = NORMAL",
            "BEGIN IMMEDIATE",
            "UPDATE PROCESSED_UPDATES SET ANSWERED_AT = "
            f"'{time_to_db(bot.clock.now())}' WHERE UPDATE_ID = {update['update_id']}",
            "COMMIT",
            "PRAGMA SYNCHRONOUS = FULL",
        ], statements
        assert await _state(db) == "field:uscc"
        draft = await bot.svc.drafts.get(CUSTOMER)
        assert draft is not None and draft.fields["applicant_name"] == ANSWERS["applicant_name"]
        handled = await db.fetchone(
            "SELECT 1 FROM processed_updates WHERE update_id = ?", (update["update_id"],)
        )
        assert handled is not None
        assert bot.errors == []


async def test_an_update_delivered_twice_is_answered_once(tmp_path: Path) -> None:
    async with offline_bot(tmp_path / "bot.db") as bot:
        await _registered_and_applying(bot)
        update = {"update_id": 900_000_001, **bot.message(CUSTOMER, ANSWERS["applicant_name"])}
        await bot.feed(dict(update))
        sent = len(_sent_texts(bot))
        await bot.feed(dict(update))  # Telegram retrying a webhook it got no answer from
        assert len(_sent_texts(bot)) == sent
        assert await _state(bot.svc.db) == "field:uscc"


async def test_a_redelivery_after_a_restart_is_not_handled_again(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with offline_bot(path) as bot:
        await _registered_and_applying(bot)
        update = {"update_id": 900_000_002, **bot.message(CUSTOMER, ANSWERS["applicant_name"])}
        await bot.feed(dict(update))
    async with offline_bot(path) as again:
        # Long polling hands out again what a crash left unconfirmed.
        await again.feed(dict(update))
        assert _sent_texts(again) == []
        await again.feed(again.message(CUSTOMER, ANSWERS["uscc"]))
        assert await _state(again.svc.db) == "field:project_name"


async def test_a_rejected_answer_leaves_the_question_where_it_was(tmp_path: Path) -> None:
    async with offline_bot(tmp_path / "bot.db") as bot:
        await _registered_and_applying(bot)
        for field_answer in (ANSWERS["applicant_name"], ANSWERS["uscc"]):
            await bot.feed(bot.message(CUSTOMER, field_answer))
        await bot.feed(bot.message(CUSTOMER, "x" * 5000))  # the project's name, far too long
        assert "project_name" not in ((await bot.svc.drafts.answers(CUSTOMER)) or {})
        assert await _state(bot.svc.db) == "field:project_name"


async def test_a_look_at_status_leaves_its_id_without_waiting_for_the_disk(
    tmp_path: Path,
) -> None:
    async with offline_bot(tmp_path / "bot.db") as bot:
        await _registered_and_applying(bot)
        update = bot.message(CUSTOMER, "/status")
        statements = await _traced(bot.svc.db, bot.feed(update))
        assert "PRAGMA SYNCHRONOUS = NORMAL" in statements
        assert statements[-1] == "PRAGMA SYNCHRONOUS = FULL"  # back for every later commit
        row = await bot.svc.db.fetchone(
            "SELECT 1 FROM processed_updates WHERE update_id = ?", (update["update_id"],)
        )
        assert row is not None


async def test_old_update_ids_are_forgotten_once_an_hour(tmp_path: Path) -> None:
    async with offline_bot(tmp_path / "bot.db") as bot:
        db, now = bot.svc.db, bot.clock.now()
        await db.execute(
            "INSERT INTO processed_updates (update_id, handled_at) VALUES (1, ?), (2, ?)",
            (time_to_db(now - KEEP_HANDLED - timedelta(minutes=1)), time_to_db(now)),
        )
        sweep = forget_old_updates(db)
        assert await sweep(now) == 0
        assert await _ids(db) == [2]
        await db.execute(
            "INSERT INTO processed_updates (update_id, handled_at) VALUES (3, ?)",
            (time_to_db(now - KEEP_HANDLED - timedelta(days=1)),),
        )
        assert await sweep(now + timedelta(minutes=30)) == 0
        assert await _ids(db) == [2, 3]  # the sweep ran half an hour ago
        assert await sweep(now + timedelta(minutes=61)) == 0
        assert await _ids(db) == [2]


async def _ids(db: Database) -> list[int]:
    rows = await db.fetchall("SELECT update_id FROM processed_updates ORDER BY update_id")
    return [int(r["update_id"]) for r in rows]


async def test_a_task_started_during_an_update_does_not_commit_its_bookkeeping(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "units.db")
    try:
        await db.execute(
            "CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, handled_at TEXT)"
        )
        await db.execute("CREATE TABLE other (x INTEGER)")
        unit = begin_unit(42)
        unit.keep(HandledUpdate(42, "2026-12-03T10:00:00+08:00"))
        # A background task (the outbox sender woken by the update) inherits the context.
        await asyncio.create_task(db.execute("INSERT INTO other (x) VALUES (1)"))
        assert await db.fetchall("SELECT * FROM processed_updates") == []
        await db.execute("INSERT INTO other (x) VALUES (2)")  # the update's own write
        assert len(await db.fetchall("SELECT * FROM processed_updates")) == 1
        end_unit()
    finally:
        await db.close()


async def test_recording_who_spoke_leaves_the_update_to_commit_with_its_answer(
    tmp_path: Path,
) -> None:
    """A crash after the speaker's row is written and before the answer must leave the
    update to be delivered again, not recorded as handled."""
    db = await Database.open(tmp_path / "units.db")
    try:
        await migrate(db, NOW)
        unit = begin_unit(43)
        unit.keep(HandledUpdate(43, time_to_db(NOW)))
        user = await UsersRepo(db).touch(
            user_id=CUSTOMER, chat_id=CUSTOMER, first_name="张", username=None,
            default_locale="zh_CN", now=NOW,
        )  # fmt: skip
        assert user.user_id == CUSTOMER
        assert await _ids(db) == []
        await DraftsRepo(db).start(CUSTOMER, NOW)  # the update's own change
        assert await _ids(db) == [43]
        end_unit()
    finally:
        await db.close()
