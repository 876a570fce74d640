"""The low-score alert: an overall score of 1 or 2 puts someone on the phone to the customer.

The supervisors of the application's district (with every admin, as for other escalations)
and its customer manager each get the answers and the comment at once, through the outbox,
in the transaction that submits the survey; the alert is an event on the application. A
customer who gives a low overall score and then leaves the survey is not waited for: the
sweep alerts with the answers so far once the survey has been left alone for a while.

The message carries a "called back" button; the press is recorded as a ``service_recovery``
event, so the history shows both the complaint and what was done about it.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.buttons import CalledBack
from notifications.outbox import Outbox
from notifications.render import Texts
from process.metrics import LOW_OVERALL
from storage.events import append_event
from storage.models import Application
from storage.staff.audience import audience_of
from storage.survey import ALERT_EVENT, SurveyResponse
from storage.users import user_in

ALERT_TEMPLATE = "survey/alert"


def needs_alert(response: SurveyResponse) -> bool:
    return response.overall is not None and response.overall in LOW_OVERALL


def called_back_markup(texts: Texts, locale: str, application_id: int) -> InlineKeyboardMarkup:
    label = texts.render(locale, "survey/label", key="called_back")
    data = CalledBack(application_id).encode()
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


async def queue_low_score_alert(
    outbox: Outbox,
    texts: Texts,
    conn: aiosqlite.Connection,
    *,
    application: Application,
    response: SurveyResponse,
    manager_name: str | None,
    now: datetime,
    finished: bool = True,
    not_before: datetime | None = None,
) -> int:
    """Inside the caller's transaction: alert everyone concerned, write the event.

    Returns how many people were alerted (0 when the score was not low). ``finished`` is
    False for a survey the customer left after a low overall score: the alert goes out
    anyway, and the submission, should it come, alerts again with the comment.
    """
    if not needs_alert(response):
        return 0
    # The district's overseers, and the customer manager while they can still call.
    heard = await audience_of(
        conn,
        application,
        project_manager_too=False,
        escalation=True,
    )
    alerted: list[int] = []
    for user_id in (m.user_id for m in heard):
        recipient = await user_in(conn, user_id)
        if recipient is None:
            continue
        await outbox.message(
            conn,
            key=f"survey:alert:{application.id}:{'done' if finished else 'left'}:{user_id}",
            recipient=recipient,
            template=ALERT_TEMPLATE,
            now=now,
            not_before=not_before,
            application_id=application.id,
            reply_markup=called_back_markup(texts, recipient.locale, application.id),
            params={
                "app": application,
                "response": response,
                "manager": manager_name,
                "finished": finished,
            },
        )
        alerted.append(user_id)
    await append_event(
        conn,
        application_id=application.id,
        actor_id=None,
        actor_role="system",
        kind=ALERT_EVENT,
        now=now,
        data={"overall": response.overall, "finished": finished, "alerted": alerted},
    )
    return len(alerted)
