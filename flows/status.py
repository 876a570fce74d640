"""``/status``: a customer's applications, and one application's card.

A customer sees only their own applications. Someone else's number gets exactly the same
answer as a number that does not exist, so nothing can be learnt by guessing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import current_user, say
from flows.deps import Services, services
from notifications.buttons import customer_actions_markup
from process.deadlines import Pause, stage_clock
from process.form import owed_documents
from process.numbers import parse_application_number
from process.stages import WORKING_STAGES, Stage
from storage.card import CardReads, read_card
from storage.models import Application

HISTORY_SHOWN = 15


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    args = context.args or []
    if args:
        number = parse_application_number(" ".join(args))
        application = await svc.applications.get_by_number(number) if number else None
        if application is None or application.customer_id != user.user_id:
            await say(update, context, "status/not_found", number=" ".join(args)[:40])
            return
        await show_card(update, context, application)
        return
    applications = await svc.applications.list_for_customer(user.user_id)
    if not applications:
        await say(update, context, "status/none")
        return
    await say(update, context, "status/list", applications=applications)


async def show_card(
    update: Update, context: ContextTypes.DEFAULT_TYPE, application: Application
) -> None:
    """The customer's card of ``application``, with the buttons of what they may do now
    (the step's actions, the documents still owed)."""
    svc = services(context)
    user = await current_user(update, context)
    reads = await read_card(svc.db, application.id)
    markup = customer_actions_markup(
        svc.texts, user.locale, application, reads.slots, svc.settings.tz,
        owed_documents=owed_documents(reads.owed),
    )  # fmt: skip
    await say(
        update,
        context,
        "status/card",
        reply_markup=markup,
        **await card_context(svc, application, reads=reads),
    )


async def card_context(
    svc: Services, application: Application, *, reads: CardReads | None = None
) -> dict[str, object]:
    """Everything the status card shows, computed from the tables and the stage clock.

    ``reads``: the card's reads of the application when the caller has already made them
    (for the buttons), so that nothing is read twice for one card."""
    if reads is None:
        reads = await read_card(svc.db, application.id)
    visit = reads.visit
    clock = None
    if visit is not None and application.stage != Stage.DONE:
        clock = stage_clock(
            svc.calendar,
            visit.started_at,
            visit.limit_days,
            [Pause(p.started_at, p.ended_at) for p in visit.pauses],
            svc.clock.now(),
            svc.settings.tz,
        )
    history = reads.history
    current = Stage(application.stage)
    return {
        "app": application,
        "step": application.step,
        "stages": [
            {
                "stage": stage.value,
                "done": current is Stage.DONE or stage.number < current.number,
                "current": stage is current,
            }
            for stage in WORKING_STAGES
        ],
        "clock": clock,
        "owed": reads.owed,
        "documents": reads.documents,
        "history": history[-HISTORY_SHOWN:],
        "thread": reads.thread,
        "history_hidden": max(0, len(history) - HISTORY_SHOWN),
    }
