"""An action stored before a crash cut off its reply, answered when Telegram delivers it again.

An update commits before the bot replies (storage.units): a reply must never tell of a
change a crash then undoes. A process killed between the two leaves the action stored and
the user unanswered, and Telegram, which never got the webhook's answer, delivers the update
again. It is not handled again (the answer would be stored twice, a stage moved twice);
:func:`storage.update_handling.begin_update_handler` calls :func:`answer_redelivery` instead,
which answers it from what the database now holds:

* **the application form**: the question the form stands at is asked again (or its document
  step, or the summary), as the lost reply would have asked it, and nothing else is said:
  the customer answers it as they would have. Only where the draft leads to the state on
  disk (``flows.apply.conversation.ask_again``);
* **elsewhere**: a short notice that the action was received and saved, then what the
  conversation that takes the user's next message waits for, where its state on disk says
  it waits: the survey's question, the input a stage action waits for (the files counted so
  far, the key figures, the note), the owed document's files;
* **a member of staff's press on an application** (a stage moved, a holder changed, a
  customer called back) with nothing awaited: the notice, then the application's card as it
  stands now, which shows what the press changed and offers what comes next. The press is
  not obeyed again, now or later: the old button carries the old version, and pressed once
  more it is refused as any outdated button is. A press that asked for an input (a note, a
  day, files) left the input recorded but not the conversation's state, which is written
  after the reply: the card comes then too, and its button asks for the input again;
* otherwise the notice points to ``/status`` (customers) or ``/queue`` (staff).

Which conversation is meant is found as python-telegram-bot routes: the first of the bot's
handlers that takes the update now, in the states on disk (on a fleet, read afresh).

Only a message or a press in a private chat is answered: the bot does not start talking in
a group, and a membership change (a user blocking the bot) is nobody's action to answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ContextTypes, ConversationHandler

from flows.apply.conversation import ask_again as ask_form_question
from flows.apply.steps import CONVERSATION_NAME as APPLY
from flows.common import answer_button, current_user, say
from flows.deps import services
from flows.owed import CONVERSATION_NAME as OWED
from flows.owed import FILES_COLLECTOR as OWED_FILES
from flows.survey import CONVERSATION_NAME as SURVEY
from flows.survey import ask_current
from flows.workflow.buttons import EarlyEnergizedPress
from flows.workflow.card import show_card
from flows.workflow.handlers import CONVERSATION_NAME as WORKFLOW
from flows.workflow.handlers import ask_again as ask_workflow_input
from notifications.buttons import (
    CalledBack,
    HandOverPress,
    ManagePress,
    StageActionPress,
)
from notifications.callback_data import decode
from storage.persistence import conversation_state

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# A member's presses that change an application: the card shows what they changed.
APPLICATION_PRESSES = (
    StageActionPress,
    EarlyEnergizedPress,
    ManagePress,
    HandOverPress,
    CalledBack,
)
Prompt = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[bool]]
# What a conversation waits for, said again; each says nothing (False) when nothing waits.
PROMPTS: dict[str, Prompt] = {
    SURVEY: ask_current,
    WORKFLOW: ask_workflow_input,
    OWED: OWED_FILES.say_awaited,
}


async def answer_redelivery(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer ``update``, handled before and never answered, from what is stored."""
    chat, query = update.effective_chat, update.callback_query
    if chat is None or chat.type != ChatType.PRIVATE or update.effective_user is None:
        return
    if update.message is None and query is None:
        return
    if query is not None:
        # Most likely answered before the crash, and then refused: harmless either way.
        await answer_button(query)
    taken_by = _conversation_taking(context.application, update)
    if taken_by == APPLY and await ask_form_question(update, context):
        return
    prompt: Prompt | None = None
    if taken_by is not None and conversation_state(context.application, update, taken_by):
        prompt = PROMPTS.get(taken_by)
    user = await current_user(update, context)
    member = await services(context).staff.get(user.user_id)
    staff = member is not None and member.active
    pressed = decode(query.data) if query is not None else None
    card = (
        pressed.application_id
        if prompt is None and staff and isinstance(pressed, APPLICATION_PRESSES)
        else None
    )
    hint = "" if prompt is not None or card is not None else "queue" if staff else "status"
    await say(update, context, "common/redelivered", hint=hint)
    if prompt is not None:
        await prompt(update, context)
    elif card is not None:
        await show_card(update, context, card)


def _conversation_taking(application: AnyApplication, update: Update) -> str | None:
    """The name of the conversation that would take ``update`` now, or None when another
    handler would: the first handler of the bot's main group that takes it, as PTB routes
    (the states read from the database, on a fleet afresh)."""
    for handler in application.handlers.get(0, []):
        if handler.check_update(update):
            return handler.name if isinstance(handler, ConversationHandler) else None
    return None
