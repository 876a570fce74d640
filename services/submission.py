"""Submitting: the customer's draft becomes an application and gets its holders, at once.

One transaction checks the draft against the form's rules (everything answered, every
document sent or promised, a wanted date still ahead), draws the number, moves the draft
over, starts the first stage's clock, assigns the managers and queues their alerts
(:mod:`services.assignment`), so an application is never filed without someone told of
it. A second press of Submit finds no draft and files nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from process.deadlines import plan_due_on_submit
from process.form import FormGap, submission_gap
from process.stages import Stage, SupplyMode
from services.assignment import assign_new
from services.context import ServiceContext
from storage.applications import file_draft
from storage.drafts import load_draft
from storage.errors import DraftMissing
from storage.models import Application, NewApplication
from storage.staff.members import member_in


class SubmitRefusal(StrEnum):
    NO_DRAFT = "no_draft"  # submitted already (another press), or never started
    INCOMPLETE = FormGap.INCOMPLETE.value  # something is still to answer or to send
    WANTED_DATE_PAST = FormGap.WANTED_DATE_PAST.value  # the wanted date is to be asked again


@dataclass(frozen=True)
class Submitted:
    application: Application
    manager_name: str | None  # the customer manager assigned, if any could be


async def submit(
    ctx: ServiceContext, *, customer_id: int, now: datetime
) -> Submitted | SubmitRefusal:
    """File ``customer_id``'s draft, if the form's rules let it go
    (:func:`process.form.submission_gap`)."""
    try:
        async with ctx.db.transaction() as conn:
            draft = await load_draft(conn, customer_id)
            if draft is None:
                raise DraftMissing(customer_id)
            provided = frozenset(d.kind for d in draft.documents)
            today = now.astimezone(ctx.tz).date()
            gap = submission_gap(draft.fields, provided, draft.deferred, today)
            if gap is not None:
                return SubmitRefusal(gap.value)
            filed = await file_answers(
                ctx, conn, customer_id=customer_id, answers=draft.fields, now=now
            )
    except DraftMissing:
        return SubmitRefusal.NO_DRAFT
    ctx.outbox.wake()
    return filed


async def file_answers(
    ctx: ServiceContext,
    conn: aiosqlite.Connection,
    *,
    customer_id: int,
    answers: Mapping[str, Any],
    now: datetime,
) -> Submitted:
    """Inside the caller's transaction: file ``customer_id``'s draft as the application
    ``answers`` describe (checked already), start the first stage's clock, assign it and
    queue its announcements. The chat's Submit and an application typed in for a customer
    (:mod:`services.intake`) are filed by this one sequence."""
    application = application_of(answers)
    mode = SupplyMode(application.supply_mode)
    due = plan_due_on_submit(ctx.calendar, now, ctx.limits, mode, ctx.tz)
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
    return Submitted(assigned, manager.name if manager else None)


def application_of(answers: Mapping[str, Any]) -> NewApplication:
    """The application a complete draft's answers (as the form stores them) describe."""
    return NewApplication(
        applicant_name=answers["applicant_name"],
        uscc=answers["uscc"],
        project_name=answers["project_name"],
        site_address=answers["site_address"],
        district=answers["district"],
        usage_category=answers["usage_category"],
        voltage_kv=int(answers["voltage_kv"]),
        capacity_kva=int(answers["capacity_kva"]),
        supply_mode=answers["supply_mode"],
        important_load=answers["important_load"] == "yes",
        grid_works=answers["grid_works"],
        wanted_date=date.fromisoformat(answers["wanted_date"]),
        contact_name=answers["contact_name"],
        contact_mobile=answers["contact_mobile"],
    )
