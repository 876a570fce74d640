"""Claiming an application typed in for a customer: the one-time code links it to the
Telegram user who opens the link, once and in time; from then on they hear of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from process.form import OwedDocument
from process.roles import Role
from process.workflow import Act
from services.claims import Claimed, ClaimRefusal, claim
from services.context import ServiceContext
from services.owed import Settled, settle_owed_document
from services.workflow import Done, Pressed, Supplied, press, supply
from services.workflow_effects import Given
from storage.db import Database
from storage.models import DocumentInput
from tests.services.intake_samples import DISTRICT, districted, file_one
from tests.storage.samples import NOW
from tests.storage.staff_samples import add_user, enrol

CUSTOMER, STRANGER, MANAGER = 1001, 1002, 2001


@pytest.fixture
async def ctx(db: Database, context: ServiceContext) -> ServiceContext:
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, name="王经理", district=DISTRICT)
    await add_user(db, CUSTOMER)
    await add_user(db, STRANGER)
    return districted(context)


async def _outbox_to(db: Database, user_id: int) -> list[str]:
    rows = await db.fetchall("SELECT key FROM outbox WHERE user_id = ? ORDER BY id", (user_id,))
    return [r["key"] for r in rows]


async def test_the_code_links_the_application_to_the_user(
    db: Database, ctx: ServiceContext
) -> None:
    filed = await file_one(ctx)
    outcome = await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=NOW + timedelta(days=1))
    assert isinstance(outcome, Claimed) and not outcome.again
    assert outcome.application.customer_id == CUSTOMER
    assert outcome.application.number == filed.application.number
    assert set(outcome.owed) == set(OwedDocument)
    event = await db.fetchone(
        "SELECT actor_id, actor_role FROM events WHERE kind = 'claimed' AND application_id = ?",
        (filed.application.id,),
    )
    assert event is not None and (event["actor_id"], event["actor_role"]) == (CUSTOMER, "customer")
    # The manager hears the customer can be reached in the chat now.
    told = await _outbox_to(db, MANAGER)
    assert told[-1] == f"claimed:{filed.application.id}:{MANAGER}"


async def test_a_code_works_once(db: Database, ctx: ServiceContext) -> None:
    filed = await file_one(ctx)
    assert isinstance(await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=NOW), Claimed)
    # The one who claimed it sees it again; anyone else is refused.
    again = await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=NOW)
    assert isinstance(again, Claimed) and again.again
    assert await claim(ctx, user_id=STRANGER, code=filed.claim_code, now=NOW) is ClaimRefusal.USED
    app = await db.fetchone("SELECT customer_id FROM applications")
    assert app is not None and app["customer_id"] == CUSTOMER


async def test_a_code_expires(db: Database, ctx: ServiceContext) -> None:
    filed = await file_one(ctx)
    late = filed.claim_expires_at
    assert (
        await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=late) is ClaimRefusal.EXPIRED
    )
    just_in_time = late - timedelta(seconds=1)
    assert isinstance(
        await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=just_in_time), Claimed
    )


async def test_the_expiry_follows_the_setting(db: Database, ctx: ServiceContext) -> None:
    import dataclasses

    short = dataclasses.replace(ctx, claim_days=2)
    filed = await file_one(short)
    assert filed.claim_expires_at == NOW + timedelta(days=2)
    outcome = await claim(
        short, user_id=CUSTOMER, code=filed.claim_code, now=NOW + timedelta(days=3)
    )
    assert outcome is ClaimRefusal.EXPIRED


async def test_an_unknown_code_is_refused(db: Database, ctx: ServiceContext) -> None:
    filed = await file_one(ctx)
    for code in ("nonsense", filed.claim_code[:-1], ""):
        assert await claim(ctx, user_id=CUSTOMER, code=code, now=NOW) is ClaimRefusal.UNKNOWN


async def test_staff_cannot_claim(db: Database, ctx: ServiceContext) -> None:
    filed = await file_one(ctx)
    assert await claim(ctx, user_id=MANAGER, code=filed.claim_code, now=NOW) is ClaimRefusal.STAFF
    # The code is not spent: the customer can still claim it.
    assert isinstance(await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=NOW), Claimed)


async def test_after_the_claim_the_customer_hears_of_the_application(
    db: Database, ctx: ServiceContext
) -> None:
    filed = await file_one(ctx)
    app = filed.application
    # Accepted before anyone claimed it: the notice to the placeholder is not written.
    accepted = await press(ctx, Pressed(MANAGER, app.id, Act.ACCEPT, app.version, NOW))
    assert isinstance(accepted, Done)
    assert await _outbox_to(db, app.customer_id) == []
    claimed = await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=NOW)
    assert isinstance(claimed, Claimed)
    # The next step reaches the customer, with the buttons to answer it.
    slots = [NOW + timedelta(days=d) for d in (2, 3)]
    proposed = await supply(
        ctx,
        Supplied(
            MANAGER,
            app.id,
            Act.PROPOSE_SLOTS,
            accepted.application.version,
            Given(slots=slots),
            NOW,
        ),
    )
    assert isinstance(proposed, Done)
    assert await _outbox_to(db, CUSTOMER) == [
        f"wf:{app.id}:{proposed.application.version}:{CUSTOMER}"
    ]
    # And the customer sends an owed document, which their manager hears of.
    sent = await settle_owed_document(
        ctx,
        customer_id=CUSTOMER,
        application_id=app.id,
        document=OwedDocument.BUSINESS_LICENCE,
        files=[DocumentInput(kind="business_licence", file_id="f1")],
        now=NOW,
    )
    assert isinstance(sent, Settled) and sent.manager_told
