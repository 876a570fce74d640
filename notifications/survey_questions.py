"""How a survey question looks: its text's parameters and its buttons.

The same question is shown by the invitation and the reminders (queued by the sweep) and by
the conversation (answering a press or /survey), so it is built in one place. Every button
carries the application and the question it answers, ``sv:<application id>:<question>:<value>``;
the server checks both against the stored survey before saving anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifications.render import Texts
from process.metrics import COMMENT, QUESTIONS, RECOMMEND, allowed_values
from storage.models import Application

SKIP = "skip"
TOTAL = len(QUESTIONS) + 1  # the scores, then the comment
BUTTON = re.compile(r"sv:(?P<app>\d{1,12}):(?P<question>[a-z]{1,12}):(?P<value>\d{1,2}|skip)")


@dataclass(frozen=True)
class Press:
    application_id: int
    question: str
    value: int | None  # None: the comment was skipped


def parse_press(data: str | None) -> Press | None:
    """The press a button's data describes, or None for anything else (forged, garbled)."""
    match = BUTTON.fullmatch(data or "")
    if match is None:
        return None
    raw = match["value"]
    if (raw == SKIP) != (match["question"] == COMMENT):
        return None
    return Press(int(match["app"]), match["question"], None if raw == SKIP else int(raw))


def position(question: str) -> int:
    """1-based place of ``question`` in the survey; the comment comes last."""
    return TOTAL if question == COMMENT else QUESTIONS.index(question) + 1


def question_markup(
    texts: Texts, locale: str, application_id: int, question: str
) -> InlineKeyboardMarkup:
    """The answer buttons: 1–5 in a row, 0–10 in two rows, or Skip for the comment."""
    prefix = f"sv:{application_id}:{question}:"
    if question == COMMENT:
        label = texts.render(locale, "survey/label", key="skip")
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=prefix + SKIP)]])
    buttons = [
        InlineKeyboardButton(str(value), callback_data=f"{prefix}{value}")
        for value in allowed_values(question)
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
