"""A message that a conversation waited for, after the input it waited for was given up.

The workflow's inputs, the message to the manager and the promised documents keep one
pending input per user. Finishing or cancelling one of those flows (another button of the
same card, say) clears that row while another conversation may still be holding the user's
next message. That conversation ends, and the message is answered as it would be outside
any flow: never swallowed in silence, never taken for the other flow's input.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from flows import start as start_flow


async def answer_outside_flows(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    if message is not None and message.text is not None:
        await start_flow.on_text(update, context)
    else:
        await start_flow.unexpected_message(update, context)
    return ConversationHandler.END
