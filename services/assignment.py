"""Who takes a new application (客户经理制, 项目经理制), decided in the submission's own
transaction so that an application is never left submitted but unassigned and unannounced.

The customer manager is the active one with the fewest open applications in the district,
then in any district; ties go to whoever was assigned least recently (the query lives in
storage). A project manager joins when the customer expects supporting grid works. If nobody
can take it, supervisors and admins are alerted instead.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from flows.deps import Services
from notifications.buttons import open_card_markup
from process.roles import Role
from storage.applications import AfterSubmit
from storage.db import fetch_one, run
from storage.events import append_event
from storage.models import Application, User
from storage.rows import APPLICATION_COLUMNS, application_from_row
from storage.staff.assign import overseers_of, pick
from storage.users import user_in


def assign_on_submit(svc: Services, now: datetime) -> AfterSubmit:
    async def then(conn: aiosqlite.Connection, application_id: int) -> None:
        row = await fetch_one(
            conn,
            f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?",
            (application_id,),
        )
        assert row is not None
        app = application_from_row(row)
        manager = await pick(conn, Role.CUSTOMER_MANAGER, district=app.district, now=now)
        project = (
            await pick(conn, Role.PROJECT_MANAGER, district=app.district, now=now)
            if app.grid_works == "yes"
            else None
        )
        await run(
            conn,
            "UPDATE applications SET customer_manager_id = ?, project_manager_id = ? WHERE id = ?",
            (
                manager.user_id if manager else None,
                project.user_id if project else None,
                application_id,
            ),
        )
        await append_event(
            conn,
            application_id=application_id,
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
        holders = [m for m in (manager, project) if m]
        recipients = holders or await overseers_of(conn, app.district)
        template = "staff/new_application" if holders else "staff/unassigned_application"
        for member in recipients:
            user = await user_in(conn, member.user_id)
            if user is None:
                continue
            await _alert(svc, conn, user, app, template, now, member.role)

    return then


async def _alert(
    svc: Services,
    conn: aiosqlite.Connection,
    user: User,
    app: Application,
    template: str,
    now: datetime,
    role: Role,
) -> None:
    await svc.outbox.message(
        conn,
        key=f"new:{app.number}:{user.user_id}",
        recipient=user,
        template=template,
        now=now,
        application_id=app.id,
        reply_markup=open_card_markup(svc.texts, user.locale, app),
        # Not urgent at night: the first stage's clock counts working days anyway.
        not_before=svc.staff_send_at(now),
        params={
            "app": app,
            "role": role.value,
        },
    )
