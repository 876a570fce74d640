"""Helpers for the staff storage tests: people, enrolled members and applications."""

from __future__ import annotations

from datetime import date, datetime

from process.roles import Role
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.models import Application
from storage.staff.members import Staff, StaffRepo
from storage.users import UsersRepo
from tests.storage.samples import NOW, new_application
from tests.storage_steps import file_draft_in, redeem_in


async def add_user(db: Database, user_id: int, first_name: str | None = None) -> int:
    await UsersRepo(db).touch(
        user_id=user_id,
        chat_id=user_id,
        first_name=first_name,
        username=None,
        default_locale="zh_CN",
        now=NOW,
    )
    return user_id


async def enrol(
    db: Database,
    user_id: int,
    role: Role,
    *,
    name: str | None = None,
    district: str | None = None,
    now: datetime = NOW,
) -> Staff:
    """A member enrolled the way the bot does it: an invite, then /join."""
    repo = StaffRepo(db)
    await add_user(db, user_id)
    code = await repo.create_invite(
        role=role, name=name or f"staff {user_id}", district=district, created_by=None, now=now
    )
    return await redeem_in(db, code, user_id=user_id, now=now)


async def submit(
    db: Database,
    customer_id: int,
    *,
    district: str = "汉台区",
    manager: int | None = None,
    project_manager: int | None = None,
    now: datetime = NOW,
    **fields: object,
) -> Application:
    """A submitted application, optionally already held by ``manager``."""
    await add_user(db, customer_id)
    await DraftsRepo(db).start(customer_id, now)
    application = await file_draft_in(
        db,
        customer_id=customer_id,
        year=2026,
        application=new_application(district=district, **fields),
        now=now,
        accept_limit_days=1,
        plan_due=date(2026, 12, 14),
        plan_due_provisional=False,
    )
    if manager is not None or project_manager is not None:
        await db.execute(
            "UPDATE applications SET customer_manager_id = ?, project_manager_id = ? WHERE id = ?",
            (manager, project_manager, application.id),
        )
    found = await ApplicationsRepo(db).get(application.id)
    assert found is not None
    return found
