"""The satisfaction survey in the chat: a press per score, then a comment or Skip.

Which question comes next is read from the survey's row, never from the conversation, so
the customer can stop at any point and continue with /survey, also after a restart. The
conversation only remembers whether typed text is expected: ``survey:score`` while a score
question is on the screen (text gets a clear "use the buttons", and nothing is saved) and
``survey:comment`` at the last question. Another command lets the survey step aside: the
answers so far are kept and the command is handled as if the survey were not there.

Every press is checked on the server (see :mod:`services.survey`): a button of someone
else's survey, a stale or doubled one, or one from a closed or answered survey changes
nothing and says why.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from flows import keyboards
from flows import start as start_flow
from flows.common import ANSWER, answer_button, current_user, drop_buttons, say
from flows.conversations import conversation
from flows.deps import Services, services
from notifications.buttons import SurveyAnswer
from notifications.callback_data import decode_as, pattern
from notifications.survey_alert import needs_alert
from notifications.survey_questions import question_markup, question_params
from process.metrics import COMMENT
from process.validators import ValidationError
from process.workflow_inputs import parse_note
from services.survey import Outcome, answer_survey, submit_survey
from storage.models import User
from storage.survey import SurveyResponse, SurveyState
from storage.update_handling import hand_back

CONVERSATION_NAME = "survey"
SCORE = "survey:score"
COMMENT_STATE = "survey:comment"
MAX_COMMENT = 1000
_TOASTS = {
    Outcome.NOT_YOURS: "toast_not_yours",
    Outcome.INVALID: "toast_not_yours",
    Outcome.STALE: "toast_stale",
    Outcome.ANSWERED: "toast_answered",
    Outcome.CLOSED: "toast_closed",
}
Result = str | int | None
# What a customer types instead of pressing a score button: 0 to 10, nothing else.
BARE_SCORE = filters.TEXT & filters.Regex(r"^\s*(?:[1１][0０]|\d)\s*$")


async def survey_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Result:
    """/survey: the next question of the oldest unfinished survey, or why there is none."""
    svc = services(context)
    user = await current_user(update, context)
    surveys = await svc.surveys.for_customer(user.user_id)
    waiting = [s for s in surveys if s.state is SurveyState.OPEN]
    if waiting:
        return await _ask(update, context, svc, user, waiting[-1], mode="next")
    if not surveys:
        await say(update, context, "survey/none")
    else:
        await _say_finished(update, context, svc, surveys[0])
    return ConversationHandler.END


async def on_answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Result:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    user = await current_user(update, context)
    press = decode_as(query.data, SurveyAnswer)
    if press is None:
        await _toast(svc, user, query, "toast_not_yours")
        return None
    answered = await answer_survey(
        svc.context,
        customer_id=user.user_id,
        application_id=press.application_id,
        question=press.question,
        value=press.value,
        now=svc.clock.now(),
    )
    outcome, survey = answered.outcome, answered.survey
    if outcome is not Outcome.SAVED or survey is None:
        return await _refused(update, context, svc, user, outcome, survey)
    await answer_button(query, svc.texts.render(user.locale, "survey/label", key="toast_saved"))
    chosen = keyboards.pressed_label(query)
    if chosen:
        await keyboards.mark_chosen(query, svc.texts, user.locale, chosen)
    else:
        await drop_buttons(query)
    if survey.state is SurveyState.SUBMITTED:
        return await _thank(update, context, svc, user, survey)
    return await _ask(update, context, svc, user, survey, mode="next")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Result:
    """Typed text: the comment at the last question, a clear "use the buttons" before it."""
    svc = services(context)
    user = await current_user(update, context)
    survey = await _current(svc, user)
    if survey is None:
        return await _nothing_waiting(update, context, svc, user)
    message = update.effective_message
    text = message.text if message is not None else None
    if survey.next_question() != COMMENT:
        return await _ask(update, context, svc, user, survey, mode="again")
    if text is None:
        await say(update, context, "survey/expect_comment")
        return COMMENT_STATE
    try:
        comment = parse_note(text, max_len=MAX_COMMENT)
    except ValidationError as error:
        problem = svc.texts.label(user.locale, f"error.{error.code}", **error.params)
        await say(update, context, "survey/invalid_comment", error=problem)
        return COMMENT_STATE
    answered = await submit_survey(
        svc.context,
        customer_id=user.user_id,
        application_id=survey.application_id,
        comment=comment,
        now=svc.clock.now(),
    )
    if answered.outcome is not Outcome.SAVED or answered.survey is None:
        return await _refused(update, context, svc, user, answered.outcome, answered.survey)
    return await _thank(update, context, svc, user, answered.survey)


async def on_bare_score(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A number typed outside any conversation, e.g. "5" under the invitation: the survey
    wants a button, so say so and show the question again; anyone without a survey waiting
    gets the usual answer to unexpected text."""
    svc = services(context)
    user = await current_user(update, context)
    survey = await _current(svc, user)
    if survey is None or survey.next_question() == COMMENT:
        await start_flow.on_text(update, context)
        return
    await _ask(update, context, svc, user, survey, mode="again")


async def ask_current(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """The question the open survey waits for, asked again (its reply was cut off by a
    crash, flows.redelivered); False when no survey is open."""
    svc = services(context)
    user = await current_user(update, context)
    survey = await _current(svc, user)
    if survey is None:
        return False
    return await _ask(update, context, svc, user, survey, mode="again") != ConversationHandler.END


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await say(update, context, "survey/paused")
    return ConversationHandler.END


async def step_aside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Another command while the survey waits: end the survey's turn and hand the command
    back to the bot, which now routes it as if no survey were open."""
    await hand_back(context, update)
    return ConversationHandler.END


# -- the steps ----------------------------------------------------------------------------


async def _ask(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    survey: SurveyResponse,
    *,
    mode: str,
) -> Result:
    question = survey.next_question()
    application = await svc.applications.get(survey.application_id)
    if question is None or application is None:
        return ConversationHandler.END
    manager = await _manager_name(svc, application.customer_manager_id)
    await say(
        update,
        context,
        "survey/question",
        reply_markup=question_markup(svc.texts, user.locale, application.id, question),
        **question_params(application, question, mode=mode, manager=manager),
    )
    return COMMENT_STATE if question == COMMENT else SCORE


async def _thank(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    survey: SurveyResponse,
) -> int:
    application = await svc.applications.get(survey.application_id)
    others = [
        s for s in await svc.surveys.for_customer(user.user_id) if s.state is SurveyState.OPEN
    ]
    await say(
        update,
        context,
        "survey/thanks",
        number=application.number if application else "",
        low=needs_alert(survey),
        more=len(others),
    )
    return ConversationHandler.END


async def _refused(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    svc: Services,
    user: User,
    outcome: Outcome,
    survey: SurveyResponse | None,
) -> Result:
    """A press that changed nothing: say why, and show what is current instead."""
    query = update.callback_query
    if query is not None:
        await _toast(svc, user, query, _TOASTS[outcome])
    if survey is None or outcome in (Outcome.NOT_YOURS, Outcome.INVALID):
        return None
    if outcome is Outcome.STALE:
        return await _ask(update, context, svc, user, survey, mode="again")
    await _say_finished(update, context, svc, survey)
    return None


async def _say_finished(
    update: Update, context: ContextTypes.DEFAULT_TYPE, svc: Services, survey: SurveyResponse
) -> None:
    application = await svc.applications.get(survey.application_id)
    number = application.number if application else ""
    if survey.state is SurveyState.SUBMITTED:
        await say(update, context, "survey/already_answered", number=number)
    else:
        await say(update, context, "survey/closed", number=number, closed_at=survey.closed_at)


async def _nothing_waiting(
    update: Update, context: ContextTypes.DEFAULT_TYPE, svc: Services, user: User
) -> int:
    """Text while the conversation thought a survey was open, but none is (closed meanwhile)."""
    surveys = await svc.surveys.for_customer(user.user_id)
    if surveys:
        await _say_finished(update, context, svc, surveys[0])
    else:
        await say(update, context, "survey/none")
    return ConversationHandler.END


async def _current(svc: Services, user: User) -> SurveyResponse | None:
    """The open survey the customer last worked on."""
    waiting = [
        s for s in await svc.surveys.for_customer(user.user_id) if s.state is SurveyState.OPEN
    ]
    return max(waiting, key=lambda s: (s.updated_at, s.id)) if waiting else None


async def _manager_name(svc: Services, user_id: int | None) -> str | None:
    member = await svc.staff.get(user_id) if user_id is not None else None
    return None if member is None else member.name


async def _toast(svc: Services, user: User, query: Any, key: str) -> None:
    await answer_button(query, svc.texts.render(user.locale, "survey/label", key=key), alert=True)


# -- wiring -------------------------------------------------------------------------------


def build_survey_conversation() -> ConversationHandler[Any]:
    press: BaseHandler[Update, Any, Any] = CallbackQueryHandler(
        on_answer_button, pattern=pattern(SurveyAnswer)
    )
    cancel: BaseHandler[Update, Any, Any] = CommandHandler("cancel", pause)
    # Every other command: /survey itself is an entry point, checked before the states.
    other_command = MessageHandler(filters.COMMAND, step_aside)
    entry: list[BaseHandler[Update, Any, Any]] = [
        CommandHandler("survey", survey_command, filters=filters.ChatType.PRIVATE),
        press,
    ]
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        SCORE: [press, cancel, other_command, MessageHandler(ANSWER, on_text)],
        COMMENT_STATE: [press, cancel, other_command, MessageHandler(ANSWER, on_text)],
    }
    return conversation(CONVERSATION_NAME, entry_points=entry, states=states, fallbacks=[cancel])
