"""Submitting: the customer's draft becomes an application and gets its holders, at once.

One transaction draws the number, moves the draft over, starts the first stage's clock,
assigns the managers and queues their alerts (:mod:`services.assignment`), so an
application is never filed without someone told of it. A second press of Submit finds no
draft and files nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from process.deadlines import plan_due_on_submit
from process.stages import Stage, SupplyMode
from services.assignment import assign_new
from services.context import ServiceContext
from storage.applications import file_draft
from storage.errors import DraftMissing
from storage.models import Application, NewApplication
from storage.staff.members import member_in


class SubmitRefusal(StrEnum):
    NO_DRAFT = "no_draft"  # submitted already (another press), or never started


@dataclass(frozen=True)
class Submitted:
    application: Application
    manager_name: str | None  # the customer manager assigned, if any could be


async def submit(
    ctx: ServiceContext,
    *,
    customer_id: int,
    application: NewApplication,
    now: datetime,
) -> Submitted | SubmitRefusal:
    """File ``customer_id``'s draft as ``application`` (its checked answers)."""
    mode = SupplyMode(application.supply_mode)
    due = plan_due_on_submit(ctx.calendar, now, ctx.limits, mode, ctx.tz)
    try:
        async with ctx.db.transaction() as conn:
            filed = await file_draft(
                conn,
                customer_id=customer_id,
                year=now.astimezone(ctx.tz).year,
                application=application,
                now=now,
                accept_limit_days=ctx.limits.for_stage(Stage.ACCEPT, mode),
                plan_due=due.day,
                plan_due_provisional=due.provisional,
            )
            assigned = await assign_new(ctx, conn, filed, now)
            manager = await member_in(conn, assigned.customer_manager_id)
    except DraftMissing:
        return SubmitRefusal.NO_DRAFT
    ctx.outbox.wake()
    return Submitted(assigned, manager.name if manager else None)
