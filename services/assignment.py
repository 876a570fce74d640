"""Who takes a new application (客户经理制, 项目经理制), decided in the submission's own
transaction so that an application is never left submitted but unassigned and unannounced.

The customer manager is the active one with the fewest open applications in the district,
then in any district; ties go to whoever was assigned least recently (the query lives in
storage). A project manager joins when the customer expects supporting grid works. Whoever
hears about the application (:func:`process.audience.audience`) is told: the new holders,
and the district's overseers when no customer manager could take it.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from notifications.buttons import open_card_markup
from process.roles import Role
from services.context import ServiceContext
from storage.applications import application_in
from storage.db import run
from storage.events import append_event
from storage.models import Application
from storage.staff.assign import pick
from storage.staff.audience import audience_of
from storage.users import user_in

NEW_TEMPLATE = "staff/new_application"
UNASSIGNED_TEMPLATE = "staff/unassigned_application"


async def assign_new(
    ctx: ServiceContext, conn: aiosqlite.Connection, app: Application, now: datetime
) -> Application:
    """Inside the submission's transaction: give ``app`` its holders, write the event and
    queue the alerts; returns the application as assigned."""
    manager = await pick(conn, Role.CUSTOMER_MANAGER, district=app.district, now=now)
    project = (
        await pick(conn, Role.PROJECT_MANAGER, district=app.district, now=now)
        if app.grid_works == "yes"
        else None
    )
    await run(
        conn,
        "UPDATE applications SET customer_manager_id = ?, project_manager_id = ? WHERE id = ?",
        (manager.user_id if manager else None, project.user_id if project else None, app.id),
    )
    await append_event(
        conn,
        application_id=app.id,
        actor_id=None,
        actor_role="system",
        kind="assigned" if manager else "unassigned",
        now=now,
        note=" / ".join(m.name for m in (manager, project) if m) or None,
        data={
            "customer_manager": manager.user_id if manager else None,
            "project_manager": project.user_id if project else None,
        },
    )
    assigned = await application_in(conn, app.id)
    assert assigned is not None  # filed in this transaction
    holders = {m.user_id for m in (manager, project) if m}
    for member in await audience_of(
        conn,
        assigned,
        project_manager_too=True,
    ):
        user = await user_in(conn, member.user_id)
        if user is None:
            continue
        await ctx.outbox.message(
            conn,
            key=f"new:{assigned.number}:{user.user_id}",
            recipient=user,
            template=NEW_TEMPLATE if member.user_id in holders else UNASSIGNED_TEMPLATE,
            now=now,
            application_id=assigned.id,
            reply_markup=open_card_markup(ctx.texts, user.locale, assigned),
            # Not urgent at night: the first stage's clock counts working days anyway.
            not_before=ctx.staff_send_at(now),
            params={"app": assigned, "role": member.role.value},
        )
    return assigned
