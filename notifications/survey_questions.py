"""How a survey question looks: its text's parameters and its buttons.

The same question is shown by the invitation and the reminders (queued by the sweep) and by
the conversation (answering a press or /survey), so it is built in one place. Every button
carries the application and the question it answers (:class:`SurveyAnswer`); the server
checks both against the stored survey before saving anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.buttons import SurveyAnswer
from notifications.render import Texts
from process.metrics import COMMENT, QUESTIONS, RECOMMEND, Question, allowed_values
from storage.models import Application, User

if TYPE_CHECKING:
    from notifications.outbox import Outbox

TOTAL = len(QUESTIONS) + 1  # the scores, then the comment


def position(question: str) -> int:
    """1-based place of ``question`` in the survey; the comment comes last."""
    return TOTAL if question == COMMENT else QUESTIONS.index(question) + 1


def question_markup(
    texts: Texts, locale: str, application_id: int, question: str
) -> InlineKeyboardMarkup:
    """The answer buttons: 1–5 in a row, 0–10 in two rows, or Skip for the comment."""
    asked = Question(question)
    if asked is COMMENT:
        label = texts.render(locale, "survey/label", key="skip")
        skip = SurveyAnswer(application_id, asked, None).encode()
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=skip)]])
    buttons = [
        InlineKeyboardButton(
            str(value), callback_data=SurveyAnswer(application_id, asked, value).encode()
        )
        for value in allowed_values(asked)
    ]
    if question == RECOMMEND:
        return InlineKeyboardMarkup([buttons[:6], buttons[6:]])
    return InlineKeyboardMarkup([buttons])


def question_params(
    application: Application, question: str, *, mode: str, manager: str | None, **extra: Any
) -> dict[str, Any]:
    """What the ``survey/question`` template needs; ``mode`` is invite, reminder, next or
    again."""
    return {
        "number": application.number,
        "project": application.project_name,
        "question": question,
        "position": position(question),
        "total": TOTAL,
        "mode": mode,
        "manager": manager,
        "closes_on": None,
        **extra,
    }


async def queue_invitation(
    conn: aiosqlite.Connection,
    outbox: Outbox,
    texts: Texts,
    *,
    application: Application,
    recipient: User,
    manager: str | None,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue the survey's first question for ``recipient`` inside the caller's transaction,
    under the one key an invitation has (``survey:invite:<application>``), so that whoever
    invites (the sweep, or a claim of a completed application) it is sent once. False when
    it was queued before."""
    first = QUESTIONS[0]
    return await outbox.message(
        conn,
        key=f"survey:invite:{application.id}",
        recipient=recipient,
        template="survey/question",
        now=now,
        application_id=application.id,
        reply_markup=question_markup(texts, recipient.locale, application.id, first),
        not_before=not_before,
        kind="survey.invite",
        params=question_params(application, first, mode="invite", manager=manager),
    )
