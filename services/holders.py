"""Who holds an application, changed by staff: attaching a project manager, reassignment.

Both are kept to the actor's reach (:func:`process.roles.in_reach`): a supervisor of one district
attaches and reassigns only that district's applications, and only to managers who work
there (or in every district). Both check the role and the application's version, write the
holder and an event, and tell everyone concerned through the outbox (the new holder, the
one who lost it, the customer), in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from notifications.buttons import open_card_markup
from process.roles import OVERSEERS, Role, in_reach, may_take_over
from services.context import ServiceContext
from storage.applications import application_in
from storage.events import append_event
from storage.models import Application
from storage.staff.assign import pick
from storage.staff.members import member_in
from storage.users import user_in
from storage.workflow import StaleVersion, set_holder

# Who may attach a project manager to an application in their reach.
ATTACHERS = frozenset({*OVERSEERS, Role.CUSTOMER_MANAGER})
ASSIGNABLE = frozenset({Role.CUSTOMER_MANAGER, Role.PROJECT_MANAGER})


class HolderRefusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # no such application, out of reach, wrong role or target
    STALE = "stale"  # the application changed since the button was made
    NOBODY = "nobody"  # no active project manager to attach


@dataclass(frozen=True)
class Changed:
    application: Application


async def attach_project_manager(
    ctx: ServiceContext, *, actor_id: int, application_id: int, version: int, now: datetime
) -> Changed | HolderRefusal:
    """The least loaded project manager joins an application that has none."""
    try:
        async with ctx.db.transaction() as conn:
            app = await application_in(conn, application_id)
            actor = await member_in(conn, actor_id)
            if (
                app is None
                or actor is None
                or actor.role not in ATTACHERS
                or not in_reach(actor, app)
                or app.project_manager_id is not None
            ):
                return HolderRefusal.NOT_ALLOWED
            if app.version != version:
                return HolderRefusal.STALE
            member = await pick(conn, Role.PROJECT_MANAGER, district=app.district, now=now)
            if member is None:
                raise _Nobody
            updated = await set_holder(
                conn,
                application_id=app.id,
                expected_version=version,
                role=Role.PROJECT_MANAGER.value,
                user_id=member.user_id,
                now=now,
            )
            await append_event(
                conn,
                application_id=app.id,
                actor_id=actor_id,
                actor_role=actor.role.value,
                kind="project_attached",
                now=now,
                note=member.name,
                data={"to": member.user_id},
            )
            await _tell(
                ctx,
                conn,
                member.user_id,
                updated,
                "manage/attached",
                now,
                role=Role.PROJECT_MANAGER.value,
                by=actor.name,
            )
    except _Nobody:
        # Nothing is written, not even the mark of who was picked last.
        return HolderRefusal.NOBODY
    except StaleVersion:
        return HolderRefusal.STALE
    ctx.outbox.wake()
    return Changed(updated)


async def reassign(
    ctx: ServiceContext,
    *,
    actor_id: int,
    application_id: int,
    version: int,
    target_id: int,
    role: Role,
    now: datetime,
) -> Changed | HolderRefusal:
    """An overseer hands the application's ``role`` (customer or project manager) to
    ``target_id``; the previous holder and the customer are told."""
    try:
        async with ctx.db.transaction() as conn:
            app = await application_in(conn, application_id)
            actor = await member_in(conn, actor_id)
            target = await member_in(conn, target_id)
            if (
                app is None
                or actor is None
                or not actor.active
                or actor.role not in OVERSEERS
                or target is None
                or role not in ASSIGNABLE
                or target.role is not role
                or not may_take_over(actor, target, app)
            ):
                return HolderRefusal.NOT_ALLOWED
            previous = (
                app.customer_manager_id if role is Role.CUSTOMER_MANAGER else app.project_manager_id
            )
            updated = await set_holder(
                conn,
                application_id=app.id,
                expected_version=version,
                role=role.value,
                user_id=target.user_id,
                now=now,
            )
            await append_event(
                conn,
                application_id=app.id,
                actor_id=actor_id,
                actor_role=actor.role.value,
                kind="reassigned",
                now=now,
                note=target.name,
                data={"role": role.value, "from": previous, "to": target.user_id},
            )
            await _tell(
                ctx,
                conn,
                target.user_id,
                updated,
                "manage/attached",
                now,
                role=role.value,
                by=actor.name,
            )
            if previous:
                await _tell(
                    ctx,
                    conn,
                    previous,
                    updated,
                    "manage/taken_away",
                    now,
                    role=role.value,
                    new=target.name,
                )
            await _tell(
                ctx,
                conn,
                app.customer_id,
                updated,
                "manage/customer_told",
                now,
                role=role.value,
                new=target.name,
            )
    except StaleVersion:
        return HolderRefusal.STALE
    ctx.outbox.wake()
    return Changed(updated)


class _Nobody(Exception):
    """Leaves the transaction (rolled back) when nobody can be attached."""


async def _tell(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    user_id: int,
    app: Application,
    template: str,
    now: datetime,
    **params: Any,
) -> None:
    recipient = await user_in(conn, user_id)
    if recipient is None:
        return
    to_customer = recipient.user_id == app.customer_id
    await ctx.outbox.message(
        conn,
        key=f"holder:{app.id}:{app.version}:{recipient.user_id}:{template}",
        recipient=recipient,
        template=template,
        now=now,
        not_before=None if to_customer else ctx.staff_send_at(now),
        application_id=app.id,
        reply_markup=None if to_customer else open_card_markup(ctx.texts, recipient.locale, app),
        params={"app": app, **params},
    )
