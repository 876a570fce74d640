"""Erasing a customer's personal data on request, keeping the anonymous history.

The Personal Information Protection Law (art. 47) gives a person the right to have their
personal data deleted. The utility must still count its applications, stage times and
survey scores, and the event log is append-only evidence of the process. So erasure empties
every field that says who the customer is or what they (or staff about them) wrote, and
keeps the rows that say what happened when:

* the ``users`` row: first name, username and phone emptied (the Telegram id stays, as the
  key the history hangs on; it names nobody by itself);
* the draft and its documents, and any action half-typed about them: deleted;
* each application: the contact's name and mobile emptied; for a person as applicant (sole
  trader, residential: storage/sealing/personal.py) also the applicant's name, credit code, project
  name and site address; district, usage, voltage, capacity and dates stay for statistics;
* documents: deleted, file names, captions and Telegram file ids with them (the file itself
  is the customer's identity card or licence; without its id the bot can no longer fetch
  it); the submission event still counts them;
* relayed messages in both directions, notes, survey comments and the texts of messages
  the bot keeps in its outbox for these applications and this customer; messages still
  waiting to be sent are given up;
* events, stage visits, clock pauses, survey scores: kept as they are.

The erasure itself is an event per application (or one without an application), saying who
ran it and when, not what was erased. Values are emptied as sealed empty strings where a
column needs a text, so the records keep their types; ``secure_delete`` overwrites the old
bytes, and the caller empties the WAL (storage/sealing/rotate.py ``checkpoint``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.codec import time_to_db
from storage.db import Database, fetch_all, fetch_one, run
from storage.events import append_event
from storage.notes import erase_notes

ERASED_EVENT = "personal_data_erased"
OPERATOR_ROLE = "operator"
# What an erased message that must keep a text says (outbox texts cannot be empty).
ERASED_TEXT = "—"


class UnknownCustomer(LookupError):
    """No user with this id ever wrote to the bot."""


@dataclass(frozen=True)
class Erasure:
    """What one erasure touched, counted for the operator's summary line."""

    user_id: int
    applications: int
    documents: int
    messages: int
    notes: int
    outbox: int
    surveys: int
    drafts: int


async def erase_customer(db: Database, user_id: int, *, by: str, now: datetime) -> Erasure:
    """Erase ``user_id``'s personal data in one transaction (see the module's docstring).

    ``by`` names who ran it (the operator's login), for the event that records it.
    """
    async with db.transaction() as conn:
        user = await fetch_one(conn, "SELECT user_id FROM users WHERE user_id = ?", (user_id,))
        if user is None:
            raise UnknownCustomer(user_id)
        apps = [
            int(r["id"])
            for r in await fetch_all(
                conn, "SELECT id FROM applications WHERE customer_id = ? ORDER BY id", (user_id,)
            )
        ]
        marks = ", ".join("?" * len(apps)) or "NULL"
        stamp = time_to_db(now)
        await run(
            conn,
            "UPDATE users SET first_name = NULL, username = NULL, phone = NULL, "
            "phone_verified = 0, erased_at = ?, updated_at = ? WHERE user_id = ?",
            (stamp, stamp, user_id),
        )
        drafts = await run(conn, "DELETE FROM draft_documents WHERE user_id = ?", (user_id,))
        drafts += await run(conn, "DELETE FROM drafts WHERE user_id = ?", (user_id,))
        await run(
            conn,
            f"DELETE FROM pending_inputs WHERE user_id = ? OR application_id IN ({marks})",
            (user_id, *apps),
        )
        await _erase_applications(conn, marks, apps)
        documents = await run(
            conn, f"DELETE FROM documents WHERE application_id IN ({marks})", apps
        )
        messages = await run(
            conn,
            "UPDATE thread_messages SET text = NULL, file_id = NULL, file_kind = NULL "
            f"WHERE application_id IN ({marks})",
            apps,
        )
        surveys = await run(
            conn,
            "UPDATE survey_responses SET comment = NULL "
            "WHERE customer_id = ? AND comment IS NOT NULL",
            (user_id,),
        )
        notes = await erase_notes(conn, apps, now)
        outbox = await _erase_outbox(conn, marks, apps, user_id, stamp)
        targets: list[int | None] = [*apps] or [None]
        for application_id in targets:
            await append_event(
                conn,
                application_id=application_id,
                actor_id=None,
                actor_role=OPERATOR_ROLE,
                kind=ERASED_EVENT,
                now=now,
                data={"by": by} if application_id else {"by": by, "customer": user_id},
            )
    return Erasure(user_id, len(apps), documents, messages, notes, outbox, surveys, drafts)


async def _erase_applications(conn: aiosqlite.Connection, marks: str, apps: list[int]) -> None:
    empty = "hv_seal('')"
    await run(
        conn,
        f"""
        UPDATE applications SET
            contact_name = {empty}, contact_mobile = {empty}, contact_mobile_hash = NULL,
            uscc = CASE WHEN personal_applicant = 1 THEN {empty} ELSE uscc END,
            uscc_hash = CASE WHEN personal_applicant = 1 THEN NULL ELSE uscc_hash END,
            applicant_name = CASE WHEN personal_applicant = 1 THEN {empty}
                                  ELSE applicant_name END,
            applicant_name_hash = NULL,
            project_name = CASE WHEN personal_applicant = 1 THEN '' ELSE project_name END,
            site_address = CASE WHEN personal_applicant = 1 THEN {empty} ELSE site_address END
        WHERE id IN ({marks})
        """,
        apps,
    )


async def _erase_outbox(
    conn: aiosqlite.Connection, marks: str, apps: list[int], user_id: int, stamp: str
) -> int:
    """Empty the kept texts; a message not yet sent is given up rather than sent empty."""
    where = f"(user_id = ? OR chat_id = ? OR application_id IN ({marks}))"
    params = (user_id, user_id, *apps)
    await run(
        conn,
        "UPDATE outbox SET status = 'dead', last_error = 'erased on request', updated_at = ? "
        f"WHERE {where} AND status IN ('pending', 'failed')",
        (stamp, *params),
    )
    return await run(
        conn,
        "UPDATE outbox SET text = hv_seal(?), document_file_id = NULL, photo_file_id = NULL, "
        f"reply_markup = NULL WHERE {where}",
        (ERASED_TEXT, *params),
    )
