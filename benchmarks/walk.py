"""The conversation the benchmarks walk: a new customer from ``/start`` to a submitted
application, then a look at ``/status``.

Each move is one thing the customer does and waits for an answer to, the unit of
"conversation steps per second". The echo bot walks the same moves, kind for kind; where
the customer presses one of hvconnect's buttons, they press the echo bot's only button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benchmarks.echo_bot import ECHO_BUTTON
from tests.e2e.customer import ANSWERS, CHOICE_FIELDS, PDF, PNG

MoveKind = Literal["text", "contact", "document", "photo", "press"]
NEXT = "下一步 ▶"
LATER = "后补（告知承诺）"
SUBMIT = "✅ 提交申请"
# Attachments the walk sends: the same tiny files the end-to-end tests use.
FILES = {"pdf": PDF, "png": PNG}


@dataclass(frozen=True)
class Move:
    kind: MoveKind
    value: str = ""  # the text, the button's label, or the document's file name


def application_walk(*, echo: bool = False) -> tuple[Move, ...]:
    """The whole conversation, 26 moves: register, fill the form, attach, submit, look."""
    moves = [Move("text", "/start"), Move("contact"), Move("text", "/apply")]
    for field, answer in ANSWERS.items():
        moves.append(Move("press", answer) if field in CHOICE_FIELDS else Move("text", answer))
    moves += [
        Move("document", "licence.pdf"),
        Move("press", NEXT),
        Move("photo"),
        Move("press", NEXT),
        Move("press", LATER),
        Move("document", "equipment.pdf"),
        Move("press", NEXT),
        Move("press", SUBMIT),
        Move("text", "/status"),
    ]
    if echo:
        moves = [Move("press", ECHO_BUTTON) if m.kind == "press" else m for m in moves]
    return tuple(moves)
