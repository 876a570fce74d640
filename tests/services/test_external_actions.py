"""A stage action done in another system, recorded through the same rule, transition and
messages as the button, with the application's version for optimistic concurrency."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, time, timedelta

import pytest

from process.roles import Role
from process.workflow import Act, Refusal
from services.claims import Claimed, claim
from services.context import ServiceContext
from services.external_actions import ActionRefusal, ExternalAction, Refused, Stale, record
from services.intake import Filed
from services.workflow import Done, Pressed, press
from services.workflow import Refused as PressRefused
from storage.db import Database
from tests.services.intake_samples import DISTRICT, districted, file_one
from tests.storage.samples import NOW, SHANGHAI
from tests.storage.staff_samples import add_user, enrol

CUSTOMER, MANAGER = 1001, 2001


@pytest.fixture
async def ctx(db: Database, context: ServiceContext) -> ServiceContext:
    await add_user(db, CUSTOMER)
    return districted(context)


async def _claimed(db: Database, ctx: ServiceContext, *, manager: bool = True) -> Filed:
    if manager:
        await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, name="王经理", district=DISTRICT)
    filed = await file_one(ctx)
    assert isinstance(await claim(ctx, user_id=CUSTOMER, code=filed.claim_code, now=NOW), Claimed)
    await db.execute("DELETE FROM outbox")  # the announcements of the filing
    return filed


def _action(filed: Filed, action: str, version: int = 1, **given: object) -> ExternalAction:
    return ExternalAction(
        client="marketing",
        number=filed.application.number,
        action=action,
        version=version,
        now=NOW,
        **given,  # type: ignore[arg-type]
    )


async def _outbox(db: Database) -> list[tuple[int, str, str]]:
    rows = await db.fetchall("SELECT user_id, kind, key FROM outbox ORDER BY id")
    return [(r["user_id"], r["kind"], r["key"]) for r in rows]


async def test_a_staff_action_is_recorded_for_the_holder_and_told_as_the_button(
    db: Database, ctx: ServiceContext
) -> None:
    filed = await _claimed(db, ctx)
    outcome = await record(ctx, _action(filed, "accept"))
    assert isinstance(outcome, Done) and outcome.action is Act.ACCEPT
    app = outcome.application
    assert app.version == 2 and app.step == "survey_propose"
    # The customer gets the button's notice, with the button's key.
    assert await _outbox(db) == [(CUSTOMER, "wf.notice.accept", f"wf:{app.id}:2:{CUSTOMER}")]
    event = await db.fetchone("SELECT actor_id, actor_role, data FROM events WHERE kind = 'accept'")
    assert event is not None
    assert (event["actor_id"], event["actor_role"]) == (MANAGER, "customer_manager")
    assert json.loads(event["data"])["via"] == "marketing"


async def test_the_same_notice_as_a_press(db: Database, ctx: ServiceContext) -> None:
    filed = await _claimed(db, ctx)
    recorded = await record(ctx, _action(filed, "accept"))
    assert isinstance(recorded, Done)
    (via_api,) = await db.fetchall("SELECT text, reply_markup FROM outbox")
    # The same application accepted by the button instead, from the same state.
    other = await file_one(ctx, key="k-2")
    assert isinstance(await claim(ctx, user_id=CUSTOMER, code=other.claim_code, now=NOW), Claimed)
    await db.execute("DELETE FROM outbox")
    pressed = await press(ctx, Pressed(MANAGER, other.application.id, Act.ACCEPT, 1, NOW))
    assert isinstance(pressed, Done)
    (via_button,) = await db.fetchall("SELECT text, reply_markup FROM outbox")
    number_a, number_b = filed.application.number, other.application.number
    assert via_api["text"].replace(number_a, "N") == via_button["text"].replace(number_b, "N")


async def test_typed_input_and_a_customers_action_reach_staff(
    db: Database, ctx: ServiceContext
) -> None:
    filed = await _claimed(db, ctx)
    assert isinstance(await record(ctx, _action(filed, "accept")), Done)
    day = NOW.date() + timedelta(days=4)  # Tuesday 1 December
    slots = [
        datetime.combine(day, time(9, 0), SHANGHAI),
        datetime.combine(day, time(14, 0), SHANGHAI),
    ]
    proposed = await record(ctx, _action(filed, "propose_slots", 2, slots=slots))
    assert isinstance(proposed, Done)
    await db.execute("DELETE FROM outbox")
    # The customer picked the afternoon on the phone with 95598.
    picked = await record(ctx, _action(filed, "pick_slot", 3, slot_id=proposed.slots[1].id))
    assert isinstance(picked, Done) and picked.application.step == "survey"
    event = await db.fetchone("SELECT actor_id FROM events WHERE kind = 'pick_slot'")
    assert event is not None and event["actor_id"] == CUSTOMER
    assert await _outbox(db) == [
        (MANAGER, "wf.notice_staff", f"wf:{filed.application.id}:4:{MANAGER}")
    ]


async def test_a_stale_version_changes_nothing(db: Database, ctx: ServiceContext) -> None:
    filed = await _claimed(db, ctx)
    assert isinstance(await record(ctx, _action(filed, "accept")), Done)
    await db.execute("DELETE FROM outbox")
    assert await record(ctx, _action(filed, "return_missing", 1, note="缺营业执照")) == Stale(2)
    assert await _outbox(db) == []


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("send_plan", ActionRefusal.NOT_RECORDABLE),  # a plan document: the chat only
        ("supply_missing", ActionRefusal.NOT_RECORDABLE),
        ("inspection_pass", ActionRefusal.NOT_RECORDABLE),
        ("launch", ActionRefusal.UNKNOWN_ACTION),
        ("energized", ActionRefusal.WRONG_STEP),  # not this step's
    ],
)
async def test_actions_not_recordable_here(
    db: Database, ctx: ServiceContext, action: str, reason: ActionRefusal
) -> None:
    filed = await _claimed(db, ctx)
    assert await record(ctx, _action(filed, action)) == Refused(reason)
    app = await db.fetchone("SELECT version FROM applications")
    assert app is not None and app["version"] == 1


async def test_an_unknown_number_and_a_missing_holder(db: Database, ctx: ServiceContext) -> None:
    filed = await _claimed(db, ctx, manager=False)
    gone = ExternalAction("marketing", "HV-2026-999999", "accept", 1, NOW)
    assert await record(ctx, gone) == Refused(ActionRefusal.NOT_FOUND)
    assert await record(ctx, _action(filed, "accept")) == Refused(ActionRefusal.NO_HOLDER)


async def test_a_disabled_holder_lends_no_authority(db: Database, ctx: ServiceContext) -> None:
    filed = await _claimed(db, ctx)
    await db.execute("UPDATE staff SET active = 0 WHERE user_id = ?", (MANAGER,))
    assert await record(ctx, _action(filed, "accept")) == Refused(ActionRefusal.NOT_YOURS)


async def test_bad_input_is_refused_naming_it(db: Database, ctx: ServiceContext) -> None:
    filed = await _claimed(db, ctx)
    no_note = await record(ctx, _action(filed, "return_missing", note="  "))
    assert no_note == Refused(ActionRefusal.INVALID_INPUT, "note", "text.empty")
    assert isinstance(await record(ctx, _action(filed, "accept")), Done)
    one_slot = await record(
        ctx, _action(filed, "propose_slots", 2, slots=[NOW + timedelta(days=4)])
    )
    assert isinstance(one_slot, Refused)
    assert (one_slot.field, one_slot.code) == ("slots", "slots.count")
    wrong_pick = ExternalAction(
        "marketing", filed.application.number, "pick_slot", 2, NOW, slot_id=1
    )
    assert await record(ctx, wrong_pick) == Refused(ActionRefusal.WRONG_STEP)


async def test_a_record_and_a_press_race_and_exactly_one_wins(
    db: Database, ctx: ServiceContext
) -> None:
    filed = await _claimed(db, ctx)
    app_id = filed.application.id
    recorded, pressed = await asyncio.gather(
        record(ctx, _action(filed, "accept")),
        press(ctx, Pressed(MANAGER, app_id, Act.ACCEPT, 1, NOW)),
    )
    winners = [o for o in (recorded, pressed) if isinstance(o, Done)]
    assert len(winners) == 1
    assert recorded == Stale(2) or pressed == PressRefused(Refusal.WRONG_STEP)
    row = await db.fetchone("SELECT version FROM applications WHERE id = ?", (app_id,))
    assert row is not None and row["version"] == 2
    accepted = await db.fetchall("SELECT id FROM events WHERE kind = 'accept'")
    assert len(accepted) == 1
    assert len(await _outbox(db)) == 1  # one notice to the customer
