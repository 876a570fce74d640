"""What each workflow action writes besides the step change, and whom it tells.

One table answers "what happens when a manager presses X": the owed items it opens or
settles, the documents it stores, whether the customer or the staff hear of it. It is
data about the actions, read by :mod:`services.workflow` (the operation: check, write,
tell, in one transaction) and by the seeders of tests and benchmarks, which write the same
effects without going through a press; kept apart so that the table reads as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import aiosqlite

from process.workflow import Act
from storage import workflow as wf_storage
from storage.models import Application, DocumentInput

# Owed items the customer sees on the status card until the step that settles them.
OWED_OPENED: dict[Act, str] = {
    Act.RETURN_MISSING: "supply:missing",
    Act.PROPOSE_SLOTS: "pick:slot",
    Act.SEND_PLAN: "confirm:plan",
    Act.CONFIRM_PLAN: "submit:design",
    Act.RETURN_DESIGN: "submit:design",
    Act.APPROVE_DESIGN: "request:inspection",
    Act.INSPECTION_FAIL: "rectify",
    Act.INSPECTION_PASS: "sign:contract",
}
OWED_SETTLED: dict[Act, str] = {
    Act.SUPPLY_MISSING: "supply:missing",
    Act.PICK_SLOT: "pick:slot",
    Act.OTHER_SLOTS: "pick:slot",
    Act.CONFIRM_PLAN: "confirm:plan",
    Act.SUBMIT_DESIGN: "submit:design",
    Act.REQUEST_INSPECTION: "request:inspection",
    Act.RECTIFIED: "rectify",
    Act.SIGN_CONTRACT: "sign:contract",
}
DOCUMENT_KIND: dict[Act, str] = {
    Act.SUPPLY_MISSING: "supplement",
    Act.SEND_PLAN: "supply_plan",
    Act.SUBMIT_DESIGN: "design",
    Act.INSPECTION_PASS: "contract",
}
# Who hears about an action: the customer when staff act, the managers when the customer does.
TELLS_CUSTOMER: frozenset[Act] = frozenset(
    {
        Act.ACCEPT,
        Act.RETURN_MISSING,
        Act.PROPOSE_SLOTS,
        Act.SURVEY_DONE,
        Act.SEND_PLAN,
        Act.APPROVE_DESIGN,
        Act.RETURN_DESIGN,
        Act.INSPECTION_PASS,
        Act.INSPECTION_FAIL,
        Act.SCHEDULE_ENERGIZATION,
        Act.ENERGIZED,
    }
)

# The plan and the contract go with the customer's notice.
ATTACHED: frozenset[Act] = frozenset({Act.SEND_PLAN, Act.INSPECTION_PASS})


@dataclass(frozen=True)
class Given:
    """What the person acting supplied with the press."""

    note: str | None = None
    slots: Sequence[datetime] = ()
    slot_id: int | None = None
    documents: Sequence[DocumentInput] = field(default_factory=tuple)
    day: date | None = None


async def write_effects(
    conn: aiosqlite.Connection,
    *,
    action: Act,
    application: Application,
    given: Given,
    actor_id: int,
    now: datetime,
) -> dict[str, object]:
    """Store what the action brings; returns facts for the event row and the messages."""
    facts: dict[str, object] = {}
    if action in OWED_SETTLED:
        await wf_storage.resolve_owed(conn, application.id, OWED_SETTLED[action], now)
    if action in OWED_OPENED:
        await wf_storage.add_owed(conn, application.id, OWED_OPENED[action], given.note, now)
    if action in DOCUMENT_KIND:
        for doc in given.documents:
            await wf_storage.add_document(
                conn,
                application_id=application.id,
                kind=DOCUMENT_KIND[action],
                file_id=doc.file_id,
                file_unique_id=doc.file_unique_id,
                file_name=doc.file_name,
                mime_type=doc.mime_type,
                file_size=doc.file_size,
                caption=None,
                uploaded_by=actor_id,
                now=now,
                sent_as=doc.sent_as,
            )
        facts["documents"] = len(given.documents)
    if action == Act.PROPOSE_SLOTS:
        facts["round"] = await wf_storage.add_slots(conn, application.id, given.slots, now)
        facts["slots"] = [s.isoformat() for s in given.slots]
    if action == Act.PICK_SLOT and given.slot_id is not None:
        await wf_storage.choose_slot(conn, given.slot_id)
        facts["slot_id"] = given.slot_id
    if action == Act.SCHEDULE_ENERGIZATION and given.day is not None:
        await wf_storage.set_energize_date(conn, application.id, given.day)
        facts["day"] = given.day.isoformat()
    if action == Act.ENERGIZED and given.day is not None and given.day != application.energize_date:
        # Switched on earlier than scheduled (confirmed by the one who pressed): the record
        # says when the power really came on, and what had been planned.
        await wf_storage.set_energize_date(conn, application.id, given.day)
        facts["day"] = given.day.isoformat()
        if application.energize_date is not None:
            facts["scheduled"] = application.energize_date.isoformat()
    return facts
