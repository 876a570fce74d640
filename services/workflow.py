"""Performing a workflow action: permission, version, the step change, its effects and the
messages to the other party, all in one transaction.

Buttons carry ``wf:<action>:<application id>:<version>[:<slot id>]``. Nothing in them is
trusted: the role, the assignment, the step and the version are checked on the server, so
a stale card, a double press, a forged button or two staff pressing at once change nothing
but the first valid press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import aiosqlite
from telegram import InlineKeyboardMarkup

from flows.deps import Services
from flows.workflow.buttons import customer_actions_markup, open_card_markup
from process.roles import Role, in_reach
from process.stages import Stage, SupplyMode
from process.workflow import STEP_STAGE, Action, Refusal, Step, actors_for, check
from services.workflow_effects import TELLS_CUSTOMER, Given, write_effects
from storage.models import Application, User
from storage.workflow import StaleVersion, SurveySlot, latest_slots, transition

BUTTON = re.compile(
    r"wf:(?P<action>[a-z_]+):(?P<app>\d{1,12}):(?P<version>\d{1,9})(?::(?P<slot>\d{1,12}))?"
)


@dataclass(frozen=True)
class Press:
    action: str
    application_id: int
    version: int
    slot_id: int | None


def parse_press(data: str | None) -> Press | None:
    match = BUTTON.fullmatch(data or "")
    if match is None:
        return None
    slot = match["slot"]
    return Press(
        match["action"], int(match["app"]), int(match["version"]), int(slot) if slot else None
    )


async def role_of(svc: Services, user_id: int) -> Role | None:
    """The user's active staff role, read fresh: a disabled member has none at once."""
    member = await svc.staff.get(user_id)
    if member is None or not member.active:
        return None
    return Role(member.role)


async def authorize(
    svc: Services, user: User, application: Application, action_name: str, version: int
) -> Action | Refusal:
    member = await svc.staff.get(user.user_id)
    # Out of the member's reach (another district, another manager's) the staff role counts
    # for nothing here; whoever is the customer still acts as the customer.
    role = Role(member.role) if member is not None and in_reach(member, application) else None
    actors = actors_for(
        user_id=user.user_id,
        role=role,
        customer_id=application.customer_id,
        customer_manager_id=application.customer_manager_id,
        project_manager_id=application.project_manager_id,
    )
    if not actors:
        return Refusal.NOT_YOURS
    verdict = check(action_name, Step(application.step), actors)
    if isinstance(verdict, Action) and version != application.version:
        return Refusal.WRONG_STEP
    return verdict


async def perform(
    svc: Services,
    *,
    user: User,
    application: Application,
    action: Action,
    version: int,
    given: Given,
) -> Application | Refusal:
    """Apply ``action`` (already authorised) and queue what the other party is told."""
    now = svc.clock.now()
    target_stage = STEP_STAGE[action.target]
    mode = SupplyMode(application.supply_mode)
    limit = 0 if target_stage is Stage.DONE else svc.settings.limits.for_stage(target_stage, mode)
    role = await role_of(svc, user.user_id)
    recipients = await _recipients(svc, application, action.name)
    manager = (
        await svc.staff.get(application.customer_manager_id)
        if application.customer_manager_id
        else None
    )
    try:
        async with svc.db.transaction() as conn:
            facts = await write_effects(
                conn,
                action=action.name,
                application=application,
                given=given,
                actor_id=user.user_id,
                now=now,
            )
            updated = await transition(
                conn,
                application_id=application.id,
                expected_version=version,
                action=action.name,
                target=action.target,
                actor_id=user.user_id,
                actor_role=role.value if role else "customer",
                now=now,
                next_limit_days=limit,
                note=given.note,
                data=facts,
            )
            slots = await latest_slots(conn, application.id)
            for recipient in recipients:
                await _tell(
                    svc,
                    conn,
                    recipient,
                    updated,
                    action.name,
                    given,
                    now,
                    slots if action.name in ("propose_slots", "pick_slot") else [],
                    manager.name if manager else None,
                )
    except StaleVersion:
        return Refusal.WRONG_STEP
    svc.outbox.wake()
    return updated


async def _recipients(svc: Services, application: Application, action: str) -> list[User]:
    if action in TELLS_CUSTOMER:
        ids = [application.customer_id]
    else:
        ids = [i for i in (application.customer_manager_id, application.project_manager_id) if i]
        if not ids:
            ids = [m.user_id for m in await svc.staff.overseers(application.district)]
    users = [await svc.users.get(i) for i in dict.fromkeys(ids)]
    return [u for u in users if u is not None]


async def _tell(
    svc: Services,
    conn: aiosqlite.Connection,
    recipient: User,
    app: Application,
    action: str,
    given: Given,
    now: datetime,
    slots: list[SurveySlot],
    manager: str | None,
) -> None:
    markup: InlineKeyboardMarkup | None
    not_before = None
    if recipient.user_id == app.customer_id:
        markup = customer_actions_markup(svc.texts, recipient.locale, app, slots, svc.settings.tz)
        template = f"wf/notice/{action}"
    else:
        markup = open_card_markup(svc.texts, recipient.locale, app)
        template = "wf/notice_staff"
        # A customer's step at night is for the staff's next working hours.
        not_before = svc.staff_send_at(now)
    # The plan or contract goes with the notice, by the method of its type: Telegram
    # refuses a photo's file id in sendDocument.
    attached = (
        given.documents[0]
        if action in ("send_plan", "inspection_pass") and given.documents
        else None
    )
    await svc.outbox.message(
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
            "slots": slots,
            "day": given.day,
            "manager": manager,
        },
    )
