"""Recording a stage action done in another system: the supply plan confirmed at the service
hall, the contract signed in the marketing system (营销系统), the meter installed and the power
switched on per the distribution system. The integration API calls :func:`record`.

It is the button's action, not an imitation of it: the same rule (:func:`process.workflow.
check`), the same step change, effects and messages to the customer and staff
(:func:`services.workflow.perform`), so the people concerned are told exactly as if the
button had been pressed. The event names the client (``via``) beside the actor.

Whose authority. An outside system acts for the person whose action it is on this
application: a staff action for the application's customer manager (its holder; with no
holder it is refused, since nobody's authority could be borrowed, and a holder out of reach
or disabled is refused as their own press would be), a customer's action for its customer
(who signed or confirmed at the counter, whether or not they have claimed the application in
Telegram yet). The client's own right to drive applications at all is its API scope, checked
by the HTTP layer before this is called.

Which actions. Every action but those whose input is files (the missing documents, the
design, the supply plan, the contract): files live in Telegram, which the outside system
cannot hand over, and an action without its document would tell the customer of a plan they
cannot read. What other actions need is typed input, checked by the chat's own validators:
a note (returning for missing items, a failed inspection, other survey times), the hazard
and risk points, two or three survey times, the survey time the customer picked (its id
among the latest proposed), the energization day. "Energized" before the scheduled day
records today, as the button's "yes, it came on early" does.

Optimistic concurrency: the caller sends the application's version as it last read it. The
version is checked in the transaction that writes, so between this and a button pressed on
the same application exactly one wins; the other finds the version moved on (here
:class:`Stale` with the current version, in the chat the stale button's answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from enum import StrEnum

from process.validators import ValidationError
from process.workflow import ACTIONS, Act, Action, Actor, Input, Refusal
from process.workflow_inputs import MAX_RISKS, parse_energize_day, parse_note, parse_slots
from services.context import ServiceContext
from services.workflow import Done, authorize, perform
from services.workflow_effects import Given
from storage.models import Application
from storage.workflow import application_numbered, latest_slots

# Actions whose input is files, which only the chat can carry.
NEEDS_FILES = frozenset({Input.DOCUMENTS, Input.PLAN, Input.CONTRACT})
RECORDABLE: frozenset[Act] = frozenset(
    a.name for a in ACTIONS.values() if a.needs not in NEEDS_FILES
)


class ActionRefusal(StrEnum):
    """Why nothing was recorded."""

    NOT_FOUND = "not_found"  # no application by that number
    UNKNOWN_ACTION = "unknown_action"  # not an action's name
    NOT_RECORDABLE = "not_recordable"  # an action with files: done in the chat only
    NO_HOLDER = "no_holder"  # a staff action, and nobody holds the application yet
    NOT_YOURS = Refusal.NOT_YOURS.value  # the holder could not take it (out of reach, disabled)
    WRONG_STEP = Refusal.WRONG_STEP.value  # not an action of the application's current step
    FINISHED = Refusal.FINISHED.value  # the application is done
    INVALID_INPUT = "invalid_input"  # ``field`` holds a bad value (``code`` says why)


@dataclass(frozen=True)
class ExternalAction:
    """``action`` (an :class:`~process.workflow.Act` value) on application ``number`` as
    ``client`` last read it, at ``version``; with what the action needs."""

    client: str
    number: str
    action: str
    version: int
    now: datetime
    note: str | None = None  # a note, or the hazard and risk points
    slots: Sequence[datetime] = ()  # two or three survey times
    slot_id: int | None = None  # the survey time picked
    day: date | None = None  # the energization day (scheduled, or when it came on)


@dataclass(frozen=True)
class Stale:
    """Nothing recorded: the application changed since ``version`` was read."""

    current_version: int


@dataclass(frozen=True)
class Refused:
    reason: ActionRefusal
    field: str | None = None  # with INVALID_INPUT: the input at fault
    code: str | None = None  # and the validator's code (e.g. ``slots.count``)
    params: dict[str, object] = dataclass_field(default_factory=dict)


RecordOutcome = Done | Stale | Refused


async def record(ctx: ServiceContext, done: ExternalAction) -> RecordOutcome:
    """Record ``done`` for the application's holder or customer, in one transaction."""
    if done.action not in set(Act):
        return Refused(ActionRefusal.UNKNOWN_ACTION)
    act = Act(done.action)
    if act not in RECORDABLE:
        return Refused(ActionRefusal.NOT_RECORDABLE)
    async with ctx.db.transaction() as conn:
        application = await application_numbered(conn, done.number)
        if application is None:
            return Refused(ActionRefusal.NOT_FOUND)
        if done.version != application.version:
            return Stale(application.version)
        actor_id = _authority(application, ACTIONS[act])
        if actor_id is None:
            return Refused(ActionRefusal.NO_HOLDER)
        verdict = await authorize(conn, actor_id, application, act)
        if isinstance(verdict, Refusal):
            return Refused(ActionRefusal(verdict.value))
        try:
            given = _given(ctx, verdict, done, application)
        except _BadInput as bad:
            return bad.refused
        if verdict.needs is Input.SLOT and not any(
            s.id == done.slot_id for s in await latest_slots(conn, application.id)
        ):
            return Refused(ActionRefusal.INVALID_INPUT, "slot_id", "slot.unknown")
        outcome = await perform(
            ctx, conn, actor_id, application, verdict, given, done.now, via=done.client
        )
    if isinstance(outcome, Done):
        return outcome
    return Stale(application.version)  # pragma: no cover - the version was read above


def _authority(application: Application, action: Action) -> int | None:
    """Whose action it is: the customer's own, or the holder's for a staff action."""
    if action.actors == frozenset({Actor.CUSTOMER}):
        return application.customer_id
    return application.customer_manager_id


class _BadInput(Exception):
    def __init__(self, refused: Refused) -> None:
        self.refused = refused


def _given(
    ctx: ServiceContext, action: Action, done: ExternalAction, application: Application
) -> Given:
    """What the action needs, checked as the chat checks it when typed."""
    today = done.now.astimezone(ctx.tz).date()
    name = {Input.NOTE: "note", Input.RISKS: "note", Input.SLOTS: "slots", Input.DATE: "day"}
    try:
        if action.needs is Input.NOTE:
            return Given(note=parse_note(done.note or ""))
        if action.needs is Input.RISKS:
            return Given(note=parse_note(done.note or "", max_len=MAX_RISKS))
        if action.needs is Input.SLOTS:
            local = [s.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M") for s in done.slots]
            return Given(
                slots=parse_slots("\n".join(local), now=done.now, tz=ctx.tz, calendar=ctx.calendar)
            )
        if action.needs is Input.DATE:
            if done.day is None:
                raise ValidationError("text.empty")
            day = parse_energize_day(done.day.isoformat(), today=today, calendar=ctx.calendar)
            return Given(day=day)
    except ValidationError as error:
        field_name = name.get(action.needs, "input")
        raise _BadInput(
            Refused(ActionRefusal.INVALID_INPUT, field_name, error.code, dict(error.params))
        ) from None
    if action.needs is Input.SLOT:
        return Given(slot_id=done.slot_id)
    if action.name is Act.ENERGIZED:
        # The power came on today, whatever day was scheduled: a day other than today is
        # refused rather than written into the history as the switch-on's.
        if done.day is not None and done.day != today:
            raise _BadInput(Refused(ActionRefusal.INVALID_INPUT, "day", "date.not_today"))
        scheduled = application.energize_date
        return Given(day=today) if scheduled is not None and today < scheduled else Given()
    return Given()
