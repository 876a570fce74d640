"""Finished applications and their surveys, written the way the bot writes them."""

from __future__ import annotations

from datetime import datetime

from process.workflow import Step
from storage.db import Database
from storage.models import Application
from storage.survey import invite
from storage.workflow import transition
from tests.storage.staff_samples import submit


async def energize(db: Database, application: Application, now: datetime) -> Application:
    """Take ``application`` straight to energized, as the last step of the workflow does."""
    async with db.transaction() as conn:
        return await transition(
            conn,
            application_id=application.id,
            expected_version=application.version,
            action="energized",
            target=Step.DONE,
            actor_id=2001,
            actor_role="customer_manager",
            now=now,
            next_limit_days=0,
        )


async def invited(
    db: Database,
    customer_id: int,
    now: datetime,
    *,
    submitted_at: datetime | None = None,
    **fields: object,
) -> Application:
    """A finished application of ``customer_id`` whose survey invitation went out ``now``."""
    application = await submit(db, customer_id, now=submitted_at or now, **fields)
    application = await energize(db, application, now)
    async with db.transaction() as conn:
        assert await invite(
            conn,
            application_id=application.id,
            customer_id=customer_id,
            invited_at=now,
            now=now,
        )
    return application
