"""``/start <code>``: the customer opens the claim link of an application typed in for them
(95598, the service hall) and from then on follows it here like any other.

The link is ``https://t.me/<bot>?start=<code>``; Telegram sends ``/start <code>``. The claim
service (:mod:`services.claims`) decides; this shows what came of it: the application's
card, as ``/status NUMBER`` shows it (with the buttons of everything that waits for the
customer: documents still owed, site survey times, a plan or contract to confirm), then what
the customer could not be sent before the claim (:func:`services.claims.catch_up`), or why
the link did nothing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import current_user, say
from flows.deps import services
from flows.status import show_card
from services.claims import Claimed, catch_up, claim


async def open_claim_link(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    svc = services(context)
    user = await current_user(update, context)
    outcome = await claim(svc.context, user_id=user.user_id, code=code, now=svc.clock.now())
    if not isinstance(outcome, Claimed):
        await say(update, context, "start/claim_refused", reason=outcome.value)
        return
    await say(
        update,
        context,
        "start/claimed",
        number=outcome.application.number,
        again=outcome.again,
        owed=bool(outcome.owed),
    )
    await show_card(update, context, outcome.application)
    # After the card, so that staff's replies and the survey read below it in the chat.
    await catch_up(
        svc.context,
        application_id=outcome.application.id,
        customer_id=user.user_id,
        now=svc.clock.now(),
    )
