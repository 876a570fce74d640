"""The "called back" button on a low-score alert: who called the customer, recorded once.

Only the people the alert is for may press it: the application's customer manager, the
supervisors of its district (or of every district) and the admins. The press is checked on
the server and written as a ``service_recovery`` event; a second press, by anyone, is told
who did it and when.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import answer_button, current_user, drop_buttons, say
from flows.deps import services
from process.roles import Role, in_reach
from storage.models import Application
from storage.staff.members import Staff
from storage.survey import Recovery

PATTERN = r"^svcb:"
_DATA = re.compile(r"svcb:(?P<app>\d{1,12})")


def may_record(member: Staff, application: Application) -> bool:
    """The alert's recipients: admins, the district's supervisors, its customer manager."""
    return member.role is not Role.PROJECT_MANAGER and in_reach(member, application)


async def on_called_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    match = _DATA.fullmatch(query.data or "")
    application = await svc.applications.get(int(match["app"])) if match else None
    member = await svc.staff.get(user.user_id)
    if application is None or member is None or not may_record(member, application):
        label = svc.texts.render(user.locale, "survey/label", key="toast_not_allowed")
        await answer_button(query, label, alert=True)
        return
    outcome, event = await svc.surveys.record_recovery(
        application_id=application.id,
        actor_id=user.user_id,
        actor_role=member.role.value,
        now=svc.clock.now(),
    )
    if outcome is Recovery.NO_ALERT or event is None:
        label = svc.texts.render(user.locale, "survey/label", key="toast_not_allowed")
        await answer_button(query, label, alert=True)
        return
    await drop_buttons(query)
    if outcome is Recovery.ALREADY:
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
