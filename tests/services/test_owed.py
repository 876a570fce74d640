"""Settling a document promised under the commitment rule (告知承诺), without the chat: the
promise kept, the files filed, the manager told, all at once and only once."""

from __future__ import annotations

from datetime import timedelta

from process.form import OwedDocument
from process.roles import Role
from services.context import ServiceContext
from services.owed import OwedRefusal, Settled, settle_owed_document
from storage.db import Database
from storage.models import Application, DocumentInput
from storage.workflow import add_owed
from tests.storage.samples import NOW
from tests.storage.staff_samples import enrol, submit

ALICE, BOB, MANAGER = 1001, 1002, 2001
LATER = NOW + timedelta(days=2)
LEASE = DocumentInput(
    kind="site_proof", file_id="f-1", file_unique_id="u-1", file_name="lease.pdf", file_size=10
)
SCAN = DocumentInput(kind="site_proof", file_id="f-2", file_name="page2.jpg", sent_as="photo")


async def _owing(db: Database, *, manager: int | None = MANAGER) -> Application:
    if manager is not None:
        await enrol(db, manager, Role.CUSTOMER_MANAGER, name="王经理", district="汉台区")
    app = await submit(db, ALICE, manager=manager)
    async with db.transaction() as conn:
        await add_owed(conn, app.id, OwedDocument.SITE_PROOF.owed_kind, None, NOW)
    return app


async def _settle(
    context: ServiceContext, app: Application, *, customer: int = ALICE, files: int = 2
) -> Settled | OwedRefusal:
    return await settle_owed_document(
        context,
        customer_id=customer,
        application_id=app.id,
        document=OwedDocument.SITE_PROOF,
        files=[LEASE, SCAN][:files],
        now=LATER,
    )


async def _written(db: Database) -> tuple[int, int, int, int]:
    """Open owed items, documents, supply events and queued messages."""
    [row] = await db.fetchall(
        "SELECT (SELECT COUNT(*) FROM owed_items WHERE resolved_at IS NULL),"
        " (SELECT COUNT(*) FROM documents WHERE kind = 'site_proof'),"
        " (SELECT COUNT(*) FROM events WHERE kind = 'owed_document_supplied'),"
        " (SELECT COUNT(*) FROM outbox WHERE kind = 'owed.to_staff')"
    )
    return (row[0], row[1], row[2], row[3])


async def test_settling_files_the_documents_keeps_the_promise_and_tells_the_manager(
    db: Database, context: ServiceContext
) -> None:
    app = await _owing(db)
    settled = await _settle(context, app)

    assert isinstance(settled, Settled)
    assert (settled.application.id, settled.document, settled.files, settled.manager_told) == (
        app.id,
        OwedDocument.SITE_PROOF,
        2,
        True,
    )
    assert await _written(db) == (0, 2, 1, 1)
    docs = await db.fetchall(
        "SELECT file_id, sent_as, uploaded_by FROM documents WHERE kind = 'site_proof' ORDER BY id"
    )
    assert [tuple(d) for d in docs] == [("f-1", "document", ALICE), ("f-2", "photo", ALICE)]
    [told] = await db.fetchall("SELECT user_id, text, reply_markup FROM outbox")
    assert told["user_id"] == MANAGER and "2 个文件" in told["text"]
    assert f"card:{app.id}" in told["reply_markup"]


async def test_a_second_settle_of_the_same_item_changes_nothing(
    db: Database, context: ServiceContext
) -> None:
    app = await _owing(db)
    assert isinstance(await _settle(context, app), Settled)
    before = await _written(db)
    assert await _settle(context, app, files=1) is OwedRefusal.NOT_OWED
    assert await _written(db) == before == (0, 2, 1, 1)


async def test_only_the_customer_settles_and_only_with_files(
    db: Database, context: ServiceContext
) -> None:
    app = await _owing(db)
    assert await _settle(context, app, customer=BOB) is OwedRefusal.NOT_YOURS
    assert await _settle(context, app, files=0) is OwedRefusal.NO_FILES
    assert (
        await settle_owed_document(
            context,
            customer_id=ALICE,
            application_id=app.id,
            document=OwedDocument.EQUIPMENT_LIST,  # never promised
            files=[LEASE],
            now=LATER,
        )
        is OwedRefusal.NOT_OWED
    )
    assert await _written(db) == (1, 0, 0, 0)


async def test_without_a_manager_the_promise_is_kept_and_nobody_is_told(
    db: Database, context: ServiceContext
) -> None:
    app = await _owing(db, manager=None)
    settled = await _settle(context, app, files=1)
    assert isinstance(settled, Settled) and not settled.manager_told
    assert await _written(db) == (0, 1, 1, 0)
