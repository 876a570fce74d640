"""The outbox table through OutboxRepo: idempotent enqueue, the claim order, the marks."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage.db import Database
from storage.migrate import migrate
from storage.outbox import OutboxRepo, OutboxStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 9, 48, tzinfo=SHANGHAI)


@pytest.fixture
async def db(database_location: str | Path) -> AsyncIterator[Database]:
    database = await Database.open(database_location)
    await migrate(database, NOW)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def repo(db: Database) -> OutboxRepo:
    return OutboxRepo(db)


async def put(repo: OutboxRepo, key: str, chat_id: int = 1001, **extra: Any) -> bool:
    return await repo.enqueue_now(
        key=key,
        chat_id=chat_id,
        user_id=extra.pop("user_id", chat_id),
        kind=extra.pop("kind", "customer.stage_changed"),
        text=extra.pop("text", f"<b>{key}</b>"),
        now=extra.pop("now", NOW),
        **extra,
    )


async def keys_due(repo: OutboxRepo, now: datetime = NOW) -> list[str]:
    return [row.key for row in await repo.due(now)]


async def test_a_key_is_enqueued_once_however_often_it_is_written(
    repo: OutboxRepo, db: Database
) -> None:
    assert await put(repo, "stage:HV-2026-000001:plan") is True
    assert await put(repo, "stage:HV-2026-000001:plan", text="another text") is False
    rows = await db.fetchall("SELECT key, text FROM outbox")
    assert [(r["key"], r["text"]) for r in rows] == [
        ("stage:HV-2026-000001:plan", "<b>stage:HV-2026-000001:plan</b>")
    ]


async def test_a_row_holds_what_was_enqueued_with_times_in_utc(repo: OutboxRepo) -> None:
    markup = {"inline_keyboard": [[{"text": "查看", "callback_data": "card:1"}]]}
    await put(
        repo,
        "full",
        chat_id=-100200,
        user_id=None,
        kind="staff.new_application",
        reply_markup=markup,
        document_file_id="BQAC-plan",
        not_before=NOW + timedelta(hours=12),
    )
    row = await repo.by_key("full")
    assert row is not None
    assert (row.chat_id, row.user_id, row.kind) == (-100200, None, "staff.new_application")
    assert (row.reply_markup, row.document_file_id, row.photo_file_id) == (
        markup,
        "BQAC-plan",
        None,
    )
    assert row.not_before == datetime(2026, 11, 27, 13, 48, tzinfo=UTC)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NOW)
    assert row.created_at == NOW and row.sent_at is None


async def test_enqueue_joins_the_callers_transaction(repo: OutboxRepo, db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await repo.enqueue(
                conn, key="rolled", chat_id=1, user_id=1, kind="k", text="t", now=NOW
            )
            raise RuntimeError("the change that caused it failed")
    assert await repo.by_key("rolled") is None
    async with db.transaction() as conn:
        assert await repo.enqueue(
            conn, key="kept", chat_id=1, user_id=1, kind="k", text="t", now=NOW
        )
    assert await repo.by_key("kept") is not None


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"key": " "}, "key"),
        ({"kind": ""}, "kind"),
        ({"text": ""}, "text"),
        ({"document_file_id": "d", "photo_file_id": "p"}, "not both"),
    ],
)
async def test_bad_messages_are_refused(
    repo: OutboxRepo, changes: dict[str, Any], complaint: str
) -> None:
    values: dict[str, Any] = {"key": "k", "chat_id": 1, "user_id": 1, "kind": "k", "text": "t"}
    values.update(changes)
    with pytest.raises(ValueError, match=complaint):
        await repo.enqueue_now(now=NOW, **values)
    assert await repo.summary() == dict.fromkeys(OutboxStatus, 0)


async def test_markup_that_is_not_json_is_refused(repo: OutboxRepo) -> None:
    with pytest.raises(TypeError):
        await put(repo, "k", reply_markup={"inline_keyboard": object()})


async def test_naive_times_are_refused(repo: OutboxRepo) -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        await put(repo, "k", now=datetime(2026, 11, 27, 9, 0))


async def test_the_database_itself_refuses_a_bad_status(db: Database, repo: OutboxRepo) -> None:
    await put(repo, "k")
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("UPDATE outbox SET status = 'lost'")


async def test_due_gives_each_chats_oldest_message_in_id_order(repo: OutboxRepo) -> None:
    await put(repo, "a1", chat_id=1)
    await put(repo, "b1", chat_id=2)
    await put(repo, "a2", chat_id=1)
    await put(repo, "c1", chat_id=3)
    assert await keys_due(repo) == ["a1", "b1", "c1"]


async def test_a_message_is_not_due_before_its_time(repo: OutboxRepo) -> None:
    await put(repo, "morning", chat_id=1, not_before=NOW + timedelta(hours=1))
    await put(repo, "now", chat_id=1)
    assert await keys_due(repo) == ["now"]
    assert await keys_due(repo, NOW - timedelta(minutes=1)) == []
    await repo.mark_sent((await repo.due(NOW))[0].id, telegram_message_id=5, now=NOW)
    assert await keys_due(repo) == []
    assert await keys_due(repo, NOW + timedelta(hours=1)) == ["morning"]


async def test_a_message_waiting_for_a_retry_holds_back_its_chat_only(repo: OutboxRepo) -> None:
    await put(repo, "a1", chat_id=1)
    await put(repo, "a2", chat_id=1)
    await put(repo, "b1", chat_id=2)
    (a1, _) = await repo.due(NOW)
    await repo.claim(a1.id, NOW)
    assert await keys_due(repo) == ["b1"]  # a1 is in flight: a2 waits behind it
    retry_at = NOW + timedelta(seconds=30)
    await repo.mark_failed(a1.id, attempts=1, next_attempt_at=retry_at, error="x", now=NOW)
    assert await keys_due(repo) == ["b1"]
    assert await keys_due(repo, retry_at) == ["a1", "b1"]
    await repo.mark_dead(a1.id, attempts=1, error="refused", now=NOW)
    assert await keys_due(repo) == ["a2", "b1"]


async def test_claim_takes_a_waiting_row_once(repo: OutboxRepo) -> None:
    await put(repo, "k")
    row = (await repo.due(NOW))[0]
    assert await repo.claim(row.id, NOW) is True
    assert await repo.claim(row.id, NOW) is False
    claimed = await repo.get(row.id)
    assert claimed is not None and claimed.status == "sending"


async def test_the_marks_record_the_outcome(repo: OutboxRepo) -> None:
    for chat_id, key in enumerate(("sent", "failed", "dead", "flooded"), start=1):
        await put(repo, key, chat_id=chat_id)
    ids = {row.key: row.id for row in await repo.due(NOW)}
    later = NOW + timedelta(seconds=3)
    for row_id in ids.values():
        await repo.claim(row_id, NOW)
    await repo.mark_sent(ids["sent"], telegram_message_id=42, now=later)
    await repo.mark_failed(
        ids["failed"], attempts=2, next_attempt_at=later, error="NetworkError: Bad Gateway", now=NOW
    )
    await repo.mark_dead(ids["dead"], attempts=1, error="BadRequest: " + "x" * 900, now=NOW)
    await repo.postpone(ids["flooded"], error="RetryAfter: 1", now=NOW)

    sent, failed, dead, flooded = [await repo.get(ids[k]) for k in ids]
    assert sent is not None and (sent.status, sent.telegram_message_id) == ("sent", 42)
    assert sent.sent_at == later
    assert failed is not None and (failed.status, failed.attempts) == ("failed", 2)
    assert failed.next_attempt_at == later
    assert dead is not None and dead.status == "dead" and len(dead.last_error or "") == 500
    assert flooded is not None and (flooded.status, flooded.attempts) == ("pending", 0)


async def test_an_unreachable_chat_has_its_queue_retired_but_not_its_history(
    repo: OutboxRepo,
) -> None:
    await put(repo, "old", chat_id=1)
    old = (await repo.due(NOW))[0]
    await repo.claim(old.id, NOW)
    await repo.mark_sent(old.id, telegram_message_id=1, now=NOW)
    for key in ("n1", "n2"):
        await put(repo, key, chat_id=1)
    await put(repo, "tomorrow", chat_id=1, not_before=NOW + timedelta(days=1))
    await put(repo, "other", chat_id=2)

    retired = await repo.mark_unreachable(
        1, error="Forbidden: bot was blocked by the user", now=NOW
    )

    assert retired == 3
    counts = await repo.summary()
    assert (counts["sent"], counts["unreachable"], counts["pending"]) == (1, 3, 1)


async def test_rows_left_in_flight_are_queued_again(repo: OutboxRepo) -> None:
    await put(repo, "fresh", chat_id=1)
    await put(repo, "retried", chat_id=2)
    fresh, retried = await repo.due(NOW)
    await repo.claim(retried.id, NOW)
    await repo.mark_failed(retried.id, attempts=1, next_attempt_at=NOW, error="x", now=NOW)
    await repo.claim(fresh.id, NOW)
    await repo.claim(retried.id, NOW)

    assert await repo.requeue_interrupted(NOW) == 2

    statuses = {row.key: (row.status, row.attempts) for row in await repo.due(NOW)}
    assert statuses == {"fresh": ("pending", 0), "retried": ("failed", 1)}
    again = await repo.by_key("fresh")
    assert again is not None and again.last_error == "interrupted while sending; sent again"


async def test_summary_and_list_for_the_operator(repo: OutboxRepo) -> None:
    for n in range(3):
        await put(repo, f"p{n}", chat_id=n)
    first = (await repo.due(NOW))[0]
    await repo.claim(first.id, NOW)
    await repo.mark_dead(first.id, attempts=8, error="NetworkError", now=NOW)

    assert await repo.summary() == {
        "pending": 2,
        "sending": 0,
        "sent": 0,
        "failed": 0,
        "dead": 1,
        "unreachable": 0,
    }
    assert [row.key for row in await repo.list("pending", 1)] == ["p1"]
    assert [row.key for row in await repo.list("dead")] == ["p0"]
    with pytest.raises(ValueError, match="unknown outbox status"):
        await repo.list("lost")
