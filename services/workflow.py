"""The stage actions: a customer or a member of staff moves an application one step on.

Two operations, one transaction each:

- :func:`press`: someone pressed an action's button. Refused, or asked for what the action
  needs (a note, survey times, files, a day: remembered as the user's pending input), or
  asked whether the power really came on before the scheduled day, or performed at once.
- :func:`supply`: what was asked for has been typed or sent; the action is performed.

Nothing a button carries is trusted: the role, the reach, the holder, the step and the
version are read and checked inside the transaction that writes, so a stale card, a double
press, a forged button or two staff pressing at once change nothing but the first valid
press. What each action writes besides the step change, and who hears of it, is the table
in :mod:`services.workflow_effects`; this module is the order in which it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from notifications.buttons import customer_actions_markup, open_card_markup
from process.roles import OVERSEERS, Role, in_reach
from process.stages import Stage, SupplyMode
from process.workflow import (
    STEP_STAGE,
    Act,
    Action,
    Actor,
    Input,
    Refusal,
    Step,
    actors_for,
    available,
    check,
)
from services.context import ServiceContext
from services.workflow_effects import ATTACHED, TELLS_CUSTOMER, Given, write_effects
from storage.models import Application, Document, User
from storage.staff.audience import audience_of
from storage.staff.members import member_in
from storage.staff.models import Staff
from storage.users import user_in
from storage.workflow import (
    StaleVersion,
    SurveySlot,
    application_in,
    application_numbered,
    clear_pending,
    documents_in,
    latest_slots,
    set_pending,
    transition,
)

# -- what the caller hands in ---------------------------------------------------------------


@dataclass(frozen=True)
class Pressed:
    """A press on the button of ``action`` for the application as it stood at ``version``.

    ``slot_id`` is the survey time a customer picked. ``early`` answers "energized before
    the scheduled day?": None while not asked, True to record today, False to keep the plan.
    """

    actor_id: int
    application_id: int
    action: Act
    version: int
    now: datetime
    slot_id: int | None = None
    early: bool | None = None


@dataclass(frozen=True)
class Supplied:
    """What an action asked for, typed or sent, for the press remembered as pending."""

    actor_id: int
    application_id: int
    action: Act
    version: int
    given: Given
    now: datetime


# -- what comes back ------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """Nothing changed, and why."""

    reason: Refusal


@dataclass(frozen=True)
class SlotGone:
    """The survey time pressed is not among those proposed now (an older round's)."""


@dataclass(frozen=True)
class AskInput:
    """The action needs more; the press is remembered until it comes or ``/cancel``."""

    action: Action
    application: Application


@dataclass(frozen=True)
class AskEarly:
    """ "Energized" pressed before the scheduled day: a slip of the finger or a real early
    switch-on. Asked, so that the date recorded is the day the power really came on."""

    application: Application
    version: int
    today: date


@dataclass(frozen=True)
class KeptSchedule:
    """The answer was "not yet": nothing changed, the scheduled day stands."""

    application: Application


@dataclass(frozen=True)
class Done:
    """The action was taken; ``application`` as it stands now, ``slots`` the survey times
    of the latest round (the customer's next buttons when picking)."""

    action: Act
    application: Application
    slots: tuple[SurveySlot, ...]


PressOutcome = Refused | SlotGone | AskInput | AskEarly | KeptSchedule | Done
SupplyOutcome = Refused | Done


# -- the operations -------------------------------------------------------------------------


async def press(ctx: ServiceContext, pressed: Pressed) -> PressOutcome:
    """A press on an action's button, in one transaction: see the module's docstring."""
    async with ctx.db.transaction() as conn:
        application = await application_in(conn, pressed.application_id)
        if application is None:
            return Refused(Refusal.NOT_YOURS)
        verdict = await authorize(conn, pressed.actor_id, application, pressed.action)
        if isinstance(verdict, Refusal):
            return Refused(verdict)
        if pressed.version != application.version:
            return Refused(Refusal.WRONG_STEP)
        today = pressed.now.astimezone(ctx.tz).date()
        given = Given(slot_id=pressed.slot_id)
        if verdict.name is Act.ENERGIZED:
            if pressed.early is False:
                return KeptSchedule(application)
            if pressed.early:
                given = Given(day=today)
            elif _before_schedule(application, today):
                return AskEarly(application, pressed.version, today)
        if verdict.needs is Input.SLOT and not any(
            s.id == pressed.slot_id for s in await latest_slots(conn, application.id)
        ):
            return SlotGone()
        if verdict.needs not in (Input.NONE, Input.SLOT):
            await set_pending(
                conn,
                user_id=pressed.actor_id,
                application_id=application.id,
                action=verdict.name,
                version=pressed.version,
                now=pressed.now,
            )
            return AskInput(verdict, application)
        return await perform(ctx, conn, pressed.actor_id, application, verdict, given, pressed.now)


async def supply(ctx: ServiceContext, supplied: Supplied) -> SupplyOutcome:
    """Perform a pending action with what was supplied; the pending input is spent either
    way (a refusal here means the application moved on while it was being typed)."""
    async with ctx.db.transaction() as conn:
        await clear_pending(conn, supplied.actor_id)
        application = await application_in(conn, supplied.application_id)
        if application is None:
            return Refused(Refusal.NOT_YOURS)
        verdict = await authorize(conn, supplied.actor_id, application, supplied.action)
        if isinstance(verdict, Refusal):
            return Refused(verdict)
        if supplied.version != application.version:
            return Refused(Refusal.WRONG_STEP)
        return await perform(
            ctx, conn, supplied.actor_id, application, verdict, supplied.given, supplied.now
        )


def _before_schedule(application: Application, today: date) -> bool:
    scheduled = application.energize_date
    return scheduled is not None and today < scheduled


async def authorize(
    conn: aiosqlite.Connection, actor_id: int, application: Application, action: Act
) -> Action | Refusal:
    member = await member_in(conn, actor_id)
    # Out of the member's reach (another district, another manager's) the staff role counts
    # for nothing here; whoever is the customer still acts as the customer.
    role = member.role if member is not None and in_reach(member, application) else None
    actors = actors_for(
        user_id=actor_id,
        role=role,
        customer_id=application.customer_id,
        customer_manager_id=application.customer_manager_id,
        project_manager_id=application.project_manager_id,
    )
    if not actors:
        return Refusal.NOT_YOURS
    return check(action, Step(application.step), actors)


async def perform(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    actor_id: int,
    application: Application,
    action: Action,
    given: Given,
    now: datetime,
    *,
    via: str | None = None,
) -> Done | Refused:
    """The step change, what the action writes and the messages to the other party.

    ``via`` names the outside system that recorded the action for ``actor_id``
    (:mod:`services.external_actions`); the event says so, and the actor's own half-typed
    input, if any, is left alone: it was not they who pressed."""
    target_stage = STEP_STAGE[action.target]
    mode = SupplyMode(application.supply_mode)
    limit = 0 if target_stage is Stage.DONE else ctx.limits.for_stage(target_stage, mode)
    member = await member_in(conn, actor_id)
    role = member.role if member is not None and member.active else None
    if via is None:
        await clear_pending(conn, actor_id)
    facts = await write_effects(
        conn, action=action.name, application=application, given=given, actor_id=actor_id, now=now
    )
    if via is not None:
        facts["via"] = via
    try:
        updated = await transition(
            conn,
            application_id=application.id,
            expected_version=application.version,
            action=action.name,
            target=action.target,
            actor_id=actor_id,
            actor_role=role.value if role else "customer",
            now=now,
            next_limit_days=limit,
            note=given.note,
            data=facts,
        )
    except StaleVersion:  # pragma: no cover - the version was read in this transaction
        return Refused(Refusal.WRONG_STEP)
    slots = tuple(await latest_slots(conn, application.id))
    manager = (
        await member_in(conn, application.customer_manager_id)
        if application.customer_manager_id
        else None
    )
    told = slots if action.name in (Act.PROPOSE_SLOTS, Act.PICK_SLOT) else ()
    for recipient in await _recipients(conn, application, action.name):
        await _tell(ctx, conn, recipient, updated, action.name, given, now, told, manager)
    ctx.outbox.wake()
    return Done(action.name, updated, slots)


async def _recipients(
    conn: aiosqlite.Connection, application: Application, action: Act
) -> list[User]:
    """The customer when staff act; when the customer does, whoever hears about the
    application (:func:`process.audience.audience`: its holders, the overseers if no one)."""
    if action in TELLS_CUSTOMER:
        ids = [application.customer_id]
    else:
        members = await audience_of(
            conn,
            application,
            project_manager_too=True,
        )
        ids = [m.user_id for m in members]
    users = [await user_in(conn, i) for i in dict.fromkeys(ids)]
    return [u for u in users if u is not None]


async def _tell(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    recipient: User,
    app: Application,
    action: Act,
    given: Given,
    now: datetime,
    slots: tuple[SurveySlot, ...],
    manager: Staff | None,
) -> None:
    if recipient.user_id == app.customer_id:
        markup = customer_actions_markup(ctx.texts, recipient.locale, app, slots, ctx.tz)
        template = f"wf/notice/{action}"
        not_before = None
    else:
        markup = open_card_markup(ctx.texts, recipient.locale, app)
        template = "wf/notice_staff"
        # A customer's step at night is for the staff's next working hours.
        not_before = ctx.staff_send_at(now)
    # The plan or contract goes with the notice, by the method of its type: Telegram
    # refuses a photo's file id in sendDocument.
    attached = given.documents[0] if action in ATTACHED and given.documents else None
    await ctx.outbox.message(
        conn,
        key=f"wf:{app.id}:{app.version}:{recipient.user_id}",
        recipient=recipient,
        template=template,
        now=now,
        application_id=app.id,
        reply_markup=markup,
        not_before=not_before,
        document_file_id=attached.file_id if attached and attached.sent_as != "photo" else None,
        photo_file_id=attached.file_id if attached and attached.sent_as == "photo" else None,
        params={
            "app": app,
            "action": action,
            "note": given.note,
            "slots": list(slots),
            "day": given.day,
            "manager": manager.name if manager else None,
        },
    )


# -- the staff card -------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffCard:
    """One application as a member of staff sees it, with what they may do from it now."""

    application: Application
    role: Role
    actions: tuple[Action, ...]
    documents: tuple[Document, ...]
    manager: str | None  # the customer manager's name
    project: str | None  # the project manager's name
    can_attach_project: bool
    can_reassign: bool


async def active_role(conn: aiosqlite.Connection, user_id: int) -> Role | None:
    """The user's staff role, read fresh: a disabled member has none at once."""
    member = await member_in(conn, user_id)
    return member.role if member is not None and member.active else None


async def staff_role(ctx: ServiceContext, user_id: int) -> Role | None:
    """:func:`active_role` in a read of its own."""
    async with ctx.db.snapshot() as conn:
        return await active_role(conn, user_id)


async def staff_card(
    ctx: ServiceContext,
    *,
    actor_id: int,
    application_id: int | None = None,
    number: str | None = None,
) -> StaffCard | None:
    """The card of the application (by id or number), or None if there is none the actor
    may see: out of reach and not existing read the same."""
    async with ctx.db.snapshot() as conn:
        member = await member_in(conn, actor_id)
        application = (
            await application_in(conn, application_id)
            if application_id is not None
            else await application_numbered(conn, number or "")
        )
        if member is None or application is None or not in_reach(member, application):
            return None
        actors = actors_for(
            user_id=actor_id,
            role=member.role,
            customer_id=application.customer_id,
            customer_manager_id=application.customer_manager_id,
            project_manager_id=application.project_manager_id,
        )
        names: dict[int, str] = {}
        for holder in (application.customer_manager_id, application.project_manager_id):
            found = await member_in(conn, holder) if holder else None
            if found is not None:
                names[found.user_id] = found.name
        return StaffCard(
            application=application,
            role=member.role,
            actions=tuple(
                available(Step(application.step), actors - {Actor.CUSTOMER}),
            ),
            documents=tuple(await documents_in(conn, application.id)),
            manager=names.get(application.customer_manager_id or 0),
            project=names.get(application.project_manager_id or 0),
            can_attach_project=application.project_manager_id is None
            and (member.role in OVERSEERS or actor_id == application.customer_manager_id),
            can_reassign=member.role in OVERSEERS,
        )
