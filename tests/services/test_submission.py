"""Submitting: the draft becomes an application and gets its holders in one transaction."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiosqlite
import pytest

from notifications.outbox import Outbox
from process.form import DOCUMENTS
from process.roles import Role
from services.context import ServiceContext
from services.submission import SubmitRefusal, Submitted, submit
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.outbox import OutboxRepo
from storage.staff.members import StaffRepo
from tests.storage.samples import NOW, SHANGHAI, new_application
from tests.storage.staff_samples import add_user, enrol

CUSTOMER, MANAGER, SUPERVISOR = 1001, 2001, 3001
DISTRICT = "汉台区"


async def _keys(db: Database) -> list[tuple[str, int]]:
    rows = await db.fetchall("SELECT key, user_id FROM outbox ORDER BY id")
    return [(row["key"], row["user_id"]) for row in rows]


async def _ready(db: Database) -> None:
    """A customer with a complete draft (every document promised), and the supervisor."""
    await add_user(db, CUSTOMER)
    drafts = DraftsRepo(db)
    await drafts.start(CUSTOMER, NOW)
    for name, value in dataclasses.asdict(new_application(district=DISTRICT)).items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        await drafts.set_field(CUSTOMER, name, str(value), NOW)
    for spec in DOCUMENTS:
        await drafts.set_deferred(CUSTOMER, spec.kind, True, NOW)
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)


async def test_the_new_application_is_assigned_and_announced(
    db: Database, context: ServiceContext
) -> None:
    await _ready(db)
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, name="王经理", district=DISTRICT)
    outcome = await submit(
        context,
        customer_id=CUSTOMER,
        now=NOW,
    )
    assert isinstance(outcome, Submitted)
    app = outcome.application
    assert (app.customer_manager_id, outcome.manager_name) == (MANAGER, "王经理")
    kinds = [r["kind"] for r in await db.fetchall("SELECT kind FROM events ORDER BY id")]
    assert kinds[-2:] == ["submitted", "assigned"]
    # The manager hears of it; the supervisor is not bothered with a held application.
    assert await _keys(db) == [(f"new:{app.number}:{MANAGER}", MANAGER)]
    assert await DraftsRepo(db).get(CUSTOMER) is None


async def test_with_nobody_to_take_it_the_overseers_are_told(
    db: Database, context: ServiceContext
) -> None:
    await _ready(db)
    outcome = await submit(
        context,
        customer_id=CUSTOMER,
        now=NOW,
    )
    assert isinstance(outcome, Submitted)
    assert outcome.application.customer_manager_id is None and outcome.manager_name is None
    assert await _keys(db) == [(f"new:{outcome.application.number}:{SUPERVISOR}", SUPERVISOR)]
    row = await db.fetchone("SELECT text FROM outbox")
    assert row is not None and "HV-2026-" in row["text"]


class _BrokenOutbox(Outbox):
    async def message(self, conn: aiosqlite.Connection, **fields: Any) -> bool:
        raise RuntimeError("disk full")


async def test_nothing_is_filed_unless_everything_is(db: Database, context: ServiceContext) -> None:
    """The alert fails to queue: no application, no assignment, the draft still there."""
    await _ready(db)
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, district=DISTRICT)
    broken = dataclasses.replace(
        context, outbox=_BrokenOutbox(OutboxRepo(db), context.texts, tz=SHANGHAI)
    )
    with pytest.raises(RuntimeError):
        await submit(
            broken,
            customer_id=CUSTOMER,
            now=NOW,
        )
    assert await db.fetchall("SELECT id FROM applications") == []
    assert await db.fetchall("SELECT id FROM events WHERE application_id IS NOT NULL") == []
    assert await _keys(db) == []
    assert await DraftsRepo(db).get(CUSTOMER) is not None
    member = await StaffRepo(db).get(MANAGER)
    assert member is not None and member.last_assigned_at is None  # not counted as assigned
    # And once the trouble is over, the same draft goes through.
    assert isinstance(
        await submit(
            context,
            customer_id=CUSTOMER,
            now=NOW,
        ),
        Submitted,
    )


async def test_a_second_press_files_nothing(db: Database, context: ServiceContext) -> None:
    await _ready(db)
    first = await submit(
        context,
        customer_id=CUSTOMER,
        now=NOW,
    )
    again = await submit(
        context,
        customer_id=CUSTOMER,
        now=NOW,
    )
    assert isinstance(first, Submitted) and again is SubmitRefusal.NO_DRAFT
    assert len(await db.fetchall("SELECT id FROM applications")) == 1


async def test_a_draft_the_form_would_not_let_go_is_refused(
    db: Database, context: ServiceContext
) -> None:
    """Something unanswered, or a wanted date gone by while the draft waited: nothing filed."""
    await _ready(db)
    drafts = DraftsRepo(db)
    await drafts.set_field(CUSTOMER, "wanted_date", "2026-11-26", NOW)
    assert await submit(context, customer_id=CUSTOMER, now=NOW) is SubmitRefusal.WANTED_DATE_PAST
    await drafts.set_deferred(CUSTOMER, DOCUMENTS[0].kind, False, NOW)
    assert await submit(context, customer_id=CUSTOMER, now=NOW) is SubmitRefusal.INCOMPLETE
    assert await db.fetchall("SELECT id FROM applications") == []
    assert await drafts.get(CUSTOMER) is not None
