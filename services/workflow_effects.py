"""What each workflow action writes besides the step change, and whom it tells.

Kept apart from the handlers so that one table answers "what happens when a manager
presses X": the owed items it opens or settles, the documents it stores, the message the
other party receives (through the outbox, in the same transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import aiosqlite

from storage import workflow as wf_storage
from storage.models import Application, DocumentInput

# Owed items the customer sees on the status card until the step that settles them.
OWED_OPENED: dict[str, str] = {
    "return_missing": "supply:missing",
    "propose_slots": "pick:slot",
    "send_plan": "confirm:plan",
    "confirm_plan": "submit:design",
    "return_design": "submit:design",
    "approve_design": "request:inspection",
    "inspection_fail": "rectify",
    "inspection_pass": "sign:contract",
}
OWED_SETTLED: dict[str, str] = {
    "supply_missing": "supply:missing",
    "pick_slot": "pick:slot",
    "other_slots": "pick:slot",
    "confirm_plan": "confirm:plan",
    "submit_design": "submit:design",
    "request_inspection": "request:inspection",
    "rectified": "rectify",
    "sign_contract": "sign:contract",
}
DOCUMENT_KIND: dict[str, str] = {
    "supply_missing": "supplement",
    "send_plan": "supply_plan",
    "submit_design": "design",
    "inspection_pass": "contract",
}
# Who hears about an action: the customer when staff act, the managers when the customer does.
TELLS_CUSTOMER = frozenset(
    {
        "accept",
        "return_missing",
        "propose_slots",
        "survey_done",
        "send_plan",
        "approve_design",
        "return_design",
        "inspection_pass",
        "inspection_fail",
        "schedule_energization",
        "energized",
    }
)


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
    action: str,
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
    if action == "propose_slots":
        facts["round"] = await wf_storage.add_slots(conn, application.id, given.slots, now)
        facts["slots"] = [s.isoformat() for s in given.slots]
    if action == "pick_slot" and given.slot_id is not None:
        await wf_storage.choose_slot(conn, given.slot_id)
        facts["slot_id"] = given.slot_id
    if action == "schedule_energization" and given.day is not None:
        await wf_storage.set_energize_date(conn, application.id, given.day)
        facts["day"] = given.day.isoformat()
    if action == "energized" and given.day is not None and given.day != application.energize_date:
        # Switched on earlier than scheduled (confirmed by the one who pressed): the record
        # says when the power really came on, and what had been planned.
        await wf_storage.set_energize_date(conn, application.id, given.day)
        facts["day"] = given.day.isoformat()
        if application.energize_date is not None:
            facts["scheduled"] = application.energize_date.isoformat()
    return facts
