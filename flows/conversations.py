"""How every conversation is built and left: the same persistence, the same /cancel.

Each conversation (the form, owed documents, a stage's input, a relayed message, staff
invitations, the survey) is a persistent ``ConversationHandler`` that a fresh entry point
may restart. Their buttons are checked against the database (a press from an earlier step
is answered as stale or expired rather than obeyed), so PTB's advice to track callback
queries per message does not apply, and its warning is silenced here once for all of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, ConversationHandler
from telegram.warnings import PTBUserWarning

from flows.common import current_user, say
from flows.deps import Services, services
from services.pending import stop_waiting
from storage.models import User

Handlers = Sequence[BaseHandler[Update, Any, Any]]
#: What /cancel drops for one conversation, returning the ``common/cancelled`` parameters
#: that say what was dropped and what is kept.
Forget = Callable[[ContextTypes.DEFAULT_TYPE, Services, User], Awaitable[Mapping[str, Any]]]


def conversation(
    name: str,
    *,
    entry_points: Handlers,
    states: Mapping[object, Handlers],
    fallbacks: Handlers,
) -> ConversationHandler[Any]:
    """A persistent conversation called ``name`` that any entry point may start again."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=list(fallbacks),
            name=name,
            persistent=True,
            allow_reentry=True,
        )


def cancel_command(forget: Forget) -> CommandHandler[Any, Any]:
    """/cancel: ``forget`` drops what the conversation holds, the user is told, it ends."""

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        svc = services(context)
        user = await current_user(update, context)
        params = await forget(context, svc, user)
        await say(update, context, "common/cancelled", **params)
        return ConversationHandler.END

    return CommandHandler("cancel", cancel)


async def forget_pending(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User
) -> Mapping[str, Any]:
    """The input the bot was waiting for is no longer waited for; nothing else is kept."""
    await stop_waiting(svc.context, user.user_id)
    return {"has_draft": False}
