"""The stage-action service called directly, as an HTTP endpoint would call it: no Telegram
update, no conversation, only the typed input and the typed outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from notifications.buttons import StageActionPress
from notifications.callback_data import decode_as
from notifications.outbox import Outbox
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from process.roles import Role
from process.workflow import Act, Input, Refusal
from services.context import ServiceContext
from services.workflow import (
    AskEarly,
    AskInput,
    Done,
    KeptSchedule,
    Pressed,
    Refused,
    Supplied,
    press,
    staff_card,
    supply,
)
from services.workflow_effects import Given
from storage.db import Database
from storage.migrate import migrate
from storage.models import Application
from storage.outbox import OutboxRepo
from tests.keys import make_test_cipher
from tests.storage.samples import CUSTOMER_ID, NOW, SHANGHAI
from tests.storage.staff_samples import enrol, submit

MANAGER, OTHER_DISTRICT, PROJECT, SUPERVISOR = 2001, 2004, 2002, 2003


@pytest.fixture
async def ctx(database_location: str | Path) -> AsyncIterator[ServiceContext]:
    db = await Database.open(database_location, cipher=make_test_cipher())
    await migrate(db, NOW)
    texts = Texts("zh_CN")
    try:
        yield ServiceContext(
            db=db,
            outbox=Outbox(OutboxRepo(db), texts, tz=SHANGHAI),
            texts=texts,
            tz=SHANGHAI,
            calendar=WorkingCalendar(),
            limits=TimeLimits.default(),
        )
    finally:
        await db.close()


@pytest.fixture
async def app(ctx: ServiceContext) -> Application:
    await enrol(ctx.db, MANAGER, Role.CUSTOMER_MANAGER, district="汉台区")
    await enrol(ctx.db, OTHER_DISTRICT, Role.CUSTOMER_MANAGER, district="南郑区")
    await enrol(ctx.db, PROJECT, Role.PROJECT_MANAGER, district="汉台区")
    await enrol(ctx.db, SUPERVISOR, Role.SUPERVISOR, district="汉台区")
    return await submit(ctx.db, CUSTOMER_ID, manager=MANAGER)


async def _state(ctx: ServiceContext) -> tuple[object, ...]:
    """Everything an action could change: the application, its events, the outbox."""
    app = await ctx.db.fetchone("SELECT step, version FROM applications")
    events = await ctx.db.fetchall("SELECT kind FROM events ORDER BY id")
    outbox = await ctx.db.fetchone("SELECT COUNT(*) AS n FROM outbox")
    pending = await ctx.db.fetchone("SELECT COUNT(*) AS n FROM pending_inputs")
    assert app is not None and outbox is not None and pending is not None
    return (tuple(app), [e["kind"] for e in events], outbox["n"], pending["n"])


def _press(
    actor: int,
    app: Application,
    action: Act,
    *,
    version: int | None = None,
    slot_id: int | None = None,
    early: bool | None = None,
) -> Pressed:
    return Pressed(
        actor_id=actor,
        application_id=app.id,
        action=action,
        version=app.version if version is None else version,
        now=NOW,
        slot_id=slot_id,
        early=early,
    )


async def test_a_valid_press_moves_the_step_records_it_and_tells_the_customer(
    ctx: ServiceContext, app: Application
) -> None:
    outcome = await press(ctx, _press(MANAGER, app, Act.ACCEPT))

    assert isinstance(outcome, Done)
    assert outcome.action is Act.ACCEPT
    assert outcome.application.step == "survey_propose"
    assert outcome.application.version == app.version + 1
    [event] = await ctx.db.fetchall("SELECT kind, actor_role FROM events WHERE kind = 'accept'")
    assert event["actor_role"] == "customer_manager"
    [message] = await ctx.db.fetchall("SELECT chat_id, kind FROM outbox")
    assert (message["chat_id"], message["kind"]) == (CUSTOMER_ID, "wf.notice.accept")


async def test_a_stale_version_changes_nothing(ctx: ServiceContext, app: Application) -> None:
    before = await _state(ctx)
    for version in (app.version - 1, app.version + 1):
        outcome = await press(ctx, _press(MANAGER, app, Act.ACCEPT, version=version))
        assert outcome == Refused(Refusal.WRONG_STEP)
    assert await _state(ctx) == before


async def test_the_second_of_two_identical_presses_is_refused(
    ctx: ServiceContext, app: Application
) -> None:
    first = await press(ctx, _press(MANAGER, app, Act.ACCEPT))
    second = await press(ctx, _press(MANAGER, app, Act.ACCEPT))
    assert isinstance(first, Done)
    assert second == Refused(Refusal.WRONG_STEP)
    assert len(await ctx.db.fetchall("SELECT id FROM events WHERE kind = 'accept'")) == 1


@pytest.mark.parametrize(
    "actor",
    [
        CUSTOMER_ID,  # a customer's press on a staff action
        OTHER_DISTRICT,  # a manager of another district: out of reach
        PROJECT,  # a project manager: accepting is not theirs
        4242,  # nobody the bot knows
    ],
)
async def test_a_wrong_role_is_refused_and_changes_nothing(
    ctx: ServiceContext, app: Application, actor: int
) -> None:
    before = await _state(ctx)
    outcome = await press(ctx, _press(actor, app, Act.ACCEPT))
    assert outcome == Refused(Refusal.NOT_YOURS)
    assert await _state(ctx) == before


async def test_a_disabled_member_loses_the_action_at_once(
    ctx: ServiceContext, app: Application
) -> None:
    await ctx.db.execute("UPDATE staff SET active = 0 WHERE user_id = ?", (MANAGER,))
    outcome = await press(ctx, _press(MANAGER, app, Act.ACCEPT))
    assert outcome == Refused(Refusal.NOT_YOURS)
    assert await staff_card(ctx, actor_id=MANAGER, application_id=app.id) is None


async def test_an_action_that_needs_a_note_asks_then_the_note_completes_it(
    ctx: ServiceContext, app: Application
) -> None:
    asked = await press(ctx, _press(MANAGER, app, Act.RETURN_MISSING))
    assert isinstance(asked, AskInput) and asked.action.needs is Input.NOTE
    assert (await _state(ctx))[3] == 1  # remembered as the manager's pending input

    supplied = Supplied(
        actor_id=MANAGER,
        application_id=app.id,
        action=Act.RETURN_MISSING,
        version=app.version,
        given=Given(note="缺少用电设备清单"),
        now=NOW,
    )
    done = await supply(ctx, supplied)
    assert isinstance(done, Done) and done.application.step == "accept_missing"
    owed = await ctx.db.fetchall("SELECT kind FROM owed_items WHERE resolved_at IS NULL")
    assert [o["kind"] for o in owed] == ["supply:missing"]
    assert (await _state(ctx))[3] == 0  # the pending input is spent
    # The same input again (a second message, a replayed update) changes nothing more.
    assert await supply(ctx, supplied) == Refused(Refusal.WRONG_STEP)


async def test_the_customer_picks_only_a_slot_that_is_offered(
    ctx: ServiceContext, app: Application
) -> None:
    accepted = await press(ctx, _press(MANAGER, app, Act.ACCEPT))
    assert isinstance(accepted, Done)
    slots = (NOW + timedelta(days=5), NOW + timedelta(days=6))
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
    assert isinstance(proposed, Done) and len(proposed.slots) == 2
    current = proposed.application
    wrong = await press(ctx, _press(CUSTOMER_ID, current, Act.PICK_SLOT, slot_id=999999))
    assert not isinstance(wrong, Done)
    picked = await press(
        ctx, _press(CUSTOMER_ID, current, Act.PICK_SLOT, slot_id=proposed.slots[1].id)
    )
    assert isinstance(picked, Done) and picked.application.step == "survey"
    # The customer's notice of the proposal carried the slots as typed presses.
    rows = await ctx.db.fetchall(
        "SELECT reply_markup FROM outbox WHERE kind = 'wf.notice.propose_slots'"
    )
    customer_markup = rows[0]["reply_markup"]
    first = StageActionPress(Act.PICK_SLOT, current.id, current.version, proposed.slots[0].id)
    assert first.encode() in customer_markup


async def test_energized_before_the_scheduled_day_is_asked_first(
    ctx: ServiceContext, app: Application
) -> None:
    await ctx.db.execute(
        "UPDATE applications SET step = 'energize_day', stage = 'energize', "
        "energize_date = '2026-12-03' WHERE id = ?",
        (app.id,),
    )
    asked = await press(ctx, _press(MANAGER, app, Act.ENERGIZED))
    assert isinstance(asked, AskEarly) and asked.today.isoformat() == "2026-11-27"
    kept = await press(ctx, _press(MANAGER, app, Act.ENERGIZED, early=False))
    assert isinstance(kept, KeptSchedule)
    done = await press(ctx, _press(MANAGER, app, Act.ENERGIZED, early=True))
    assert isinstance(done, Done) and done.application.step == "done"
    assert str(done.application.energize_date) == "2026-11-27"


def test_press_data_names_a_typed_action() -> None:
    data = StageActionPress(Act.ACCEPT, 12, 3).encode()
    assert decode_as(data, StageActionPress) == StageActionPress(Act.ACCEPT, 12, 3)
    for forged in ("1:wf:nuke:12:3:", "wf:accept:12:3", "1:wf:accept:12:3:4:5", "1:wf:a:x:3:"):
        assert decode_as(forged, StageActionPress) is None, forged
