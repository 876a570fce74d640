"""The buttons of the owed-document, survey and call-back messages carry presses the codec
reads back, within Telegram's 64 bytes for the largest ids."""

from __future__ import annotations

from notifications.buttons import CalledBack, SendOwed, SurveyAnswer
from notifications.callback_data import MAX_BYTES, decode, decode_as
from notifications.render import Texts
from notifications.survey_alert import called_back_markup
from notifications.survey_questions import question_markup
from process.form import OwedDocument
from process.metrics import QUESTIONS, Question, allowed_values

BIG = 999_999_999_999
TEXTS = Texts("zh_CN")


def test_every_press_reads_back_and_fits() -> None:
    presses = [
        *(SendOwed(BIG, d) for d in OwedDocument),
        *(SurveyAnswer(BIG, q, max(allowed_values(q))) for q in QUESTIONS),
        SurveyAnswer(BIG, Question.COMMENT, None),
        CalledBack(BIG),
    ]
    for sent in presses:
        data = sent.encode()
        assert len(data.encode()) <= MAX_BYTES and decode(data) == sent


def test_the_question_buttons_answer_their_question() -> None:
    for question in (*QUESTIONS, Question.COMMENT):
        markup = question_markup(TEXTS, "zh_CN", 7, question)
        pressed = [
            decode_as(b.callback_data, SurveyAnswer) for row in markup.inline_keyboard for b in row
        ]
        assert {p.question for p in pressed if p is not None} == {question}
        assert None not in pressed
    [[skip]] = question_markup(TEXTS, "zh_CN", 7, Question.COMMENT).inline_keyboard
    assert decode(skip.callback_data) == SurveyAnswer(7, Question.COMMENT, None)
    [[called]] = called_back_markup(TEXTS, "zh_CN", 7).inline_keyboard
    assert decode(called.callback_data) == CalledBack(7)


def test_data_of_another_kind_or_release_is_not_a_survey_answer() -> None:
    for data in ("sv:7:overall:5", "1:sv:7:overall", "1:sv:7:nonsense:5", CalledBack(7).encode()):
        assert decode_as(data, SurveyAnswer) is None
    assert decode_as("1:ow:7:supply_plan", SendOwed) is None  # never owed
