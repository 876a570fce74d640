"""A card's reads in one trip return what each repository returns on its own."""

from __future__ import annotations

from datetime import timedelta

from process.workflow import Step
from storage.applications import ApplicationsRepo
from storage.card import read_card
from storage.db import Database
from storage.events import EventsRepo
from storage.threads import ThreadsRepo
from storage.workflow import WorkflowRepo, add_document, add_owed, add_slots, resolve_owed
from tests.storage.samples import CUSTOMER_ID, NOW
from tests.storage.test_workflow_storage import move, submitted
from tests.storage_steps import customer_writes_in


async def test_the_card_of_a_busy_application_in_one_trip(db: Database, customer: int) -> None:
    app = await submitted(db)
    app = await move(db, app, "return_missing", Step.ACCEPT_MISSING, app.version, 1)
    async with db.transaction() as conn:
        await add_owed(conn, app.id, "document:license", "营业执照过期", NOW)
        await add_owed(conn, app.id, "document:id_card", None, NOW)
        await resolve_owed(conn, app.id, "document:id_card", NOW + timedelta(minutes=2))
        await add_slots(conn, app.id, [NOW + timedelta(days=3)], NOW)
        await add_slots(conn, app.id, [NOW + timedelta(days=5), NOW + timedelta(days=4)], NOW)
        await add_document(
            conn,
            application_id=app.id,
            kind="license",
            file_id="F1",
            file_unique_id="U1",
            file_name="执照.pdf",
            mime_type="application/pdf",
            file_size=1234,
            caption="新执照",
            uploaded_by=CUSTOMER_ID,
            now=NOW,
        )
    await customer_writes_in(db, app.id, CUSTOMER_ID, [f"留言{i}" for i in range(7)], NOW)

    card = await read_card(db, app.id)

    # What a customer would see on the card...
    assert [item.kind for item in card.owed] == ["document:license"]
    assert card.owed[0].detail == "营业执照过期"
    assert [slot.round for slot in card.slots] == [2, 2]
    assert card.slots[0].starts_at < card.slots[1].starts_at
    assert card.visit is not None and card.visit.stage == "accept"
    assert [pause.ended_at for pause in card.visit.pauses] == [None]  # the clock is paused
    assert [d.file_name for d in card.documents] == ["执照.pdf"]
    assert [m.text for m in card.thread] == [f"留言{i}" for i in range(2, 7)]
    assert [e.kind for e in card.history][-1] == "return_missing"
    # ...and exactly what the repositories return one read at a time.
    applications = ApplicationsRepo(db)
    assert card.owed == await applications.owed_items(app.id)
    assert card.slots == await WorkflowRepo(db).slots(app.id)
    assert card.visit == await applications.current_visit(app.id)
    assert card.documents == await applications.documents(app.id)
    assert card.history == await EventsRepo(db).for_application(app.id)
    assert card.thread == await ThreadsRepo(db).recent(app.id)


async def test_the_card_of_a_finished_application_has_no_clock(db: Database, customer: int) -> None:
    app = await submitted(db)
    app = await move(db, app, "energized", Step.DONE, app.version, 1)
    card = await read_card(db, app.id)
    assert card.visit is None
    assert (card.owed, card.slots, card.documents, card.thread) == ([], [], [], [])
    assert [e.kind for e in card.history][-1] == "energized"
