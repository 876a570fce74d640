"""The "called back" button on a low-score alert: who called the customer, recorded once.

Only the people the alert is for may press it: the application's customer manager, the
supervisors of its district (or of every district) and the admins. The press is checked on
the server (:func:`services.survey.record_call_back`) and written as a ``service_recovery``
event; a second press, by anyone, is told who did it and when.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import services
from notifications.buttons import CalledBack
from notifications.callback_data import decode_as, pattern
from services.survey import Recovery, record_call_back

PATTERN = pattern(CalledBack)


async def on_called_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = decode_as(query.data, CalledBack)
    recovered = (
        None
        if press is None
        else await record_call_back(
            svc.context,
            actor_id=user.user_id,
            application_id=press.application_id,
            now=svc.clock.now(),
        )
    )
    if (
        recovered is None
        or recovered.outcome in (Recovery.NOT_ALLOWED, Recovery.NO_ALERT)
        or recovered.application is None
        or recovered.event is None
    ):
        label = svc.texts.render(user.locale, "survey/label", key="toast_not_allowed")
        await answer_button(query, label, alert=True)
        return
    application, event = recovered.application, recovered.event
    await drop_buttons(query)
    if recovered.outcome is Recovery.ALREADY:
        await answer_button(query)
        earlier = await svc.staff.get(event.actor_id) if event.actor_id is not None else None
        await say(
            update,
            context,
            "survey/recovered_already",
            number=application.number,
            by=earlier.name if earlier else None,
            at=event.created_at,
        )
        return
    await answer_button(query, svc.texts.render(user.locale, "survey/label", key="toast_recorded"))
    await say(update, context, "survey/recovered", number=application.number, at=event.created_at)
