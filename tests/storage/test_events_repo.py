"""Events: written with the change they describe, read back in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.drafts import DraftsRepo
from storage.events import EventsRepo, append_event
from tests.storage.samples import NOW, new_application
from tests.storage_steps import file_draft_in


async def _submitted(db: Database, customer: int) -> int:
    await DraftsRepo(db).start(customer, NOW)
    application = await file_draft_in(
        db,
        customer_id=customer,
        year=2026,
        application=new_application(),
        now=NOW,
        accept_limit_days=1,
        plan_due=NOW.date(),
        plan_due_provisional=True,
    )
    return application.id


async def test_events_come_back_in_order_with_their_data(db: Database, customer: int) -> None:
    application_id = await _submitted(db, customer)
    events = EventsRepo(db)
    await events.record(
        application_id=application_id,
        actor_id=55,
        actor_role="staff",
        kind="note",
        now=NOW + timedelta(hours=1),
        note="客户来电",
        data={"channel": "phone", "minutes": 3},
    )
    history = await events.for_application(application_id)
    assert [event.kind for event in history] == ["submitted", "note"]
    note = history[1]
    assert (note.actor_id, note.actor_role, note.note) == (55, "staff", "客户来电")
    assert note.data == {"channel": "phone", "minutes": 3}
    assert note.created_at == datetime(2026, 11, 27, 2, 48, tzinfo=UTC)


async def test_an_event_rolls_back_with_its_transaction(db: Database, customer: int) -> None:
    application_id = await _submitted(db, customer)
    events = EventsRepo(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as connection:
            await append_event(
                connection,
                application_id=application_id,
                actor_id=None,
                actor_role="system",
                kind="reminder_sent",
                now=NOW,
            )
            raise RuntimeError("the change this event describes failed")
    assert [event.kind for event in await events.for_application(application_id)] == ["submitted"]


async def test_data_that_is_not_json_is_refused(db: Database) -> None:
    with pytest.raises(TypeError):
        await EventsRepo(db).record(
            application_id=None,
            actor_id=None,
            actor_role="system",
            kind="odd",
            now=NOW,
            data={"when": NOW},
        )
    assert await db.fetchall("SELECT * FROM events") == []
