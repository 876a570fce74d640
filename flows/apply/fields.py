"""Handlers for the form's questions: typed answers, choice buttons and the mobile number.

One set of handlers is built per field and per mode (asking in order, or editing from the
summary), bound to that field, so a button from another step is recognised as stale.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from flows.apply.buttons import ChoicePress, UsePhonePress
from flows.apply.steps import (
    SUMMARY,
    advance,
    ask_field,
    choices_for,
    field_state,
    saving,
    show_summary,
    then_summary,
    then_where_next,
)
from flows.common import ANSWER, answer_button, current_user, say
from flows.deps import services
from flows.keyboards import choice_label, mark_chosen
from notifications.callback_data import decode_as, pattern
from process.clock import today
from process.form import FieldKind, FormField, next_missing_field
from process.validators import ValidationError, parse_date, validate_mobile

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, str | None]]


def field_handlers(field: FormField, *, editing: bool) -> list[BaseHandler[Update, Any, Any]]:
    """The handlers active while ``field`` is the question on the screen."""

    async def save(update: Update, context: ContextTypes.DEFAULT_TYPE, value: Any) -> str:
        svc = services(context)
        user = await current_user(update, context)
        with saving(update, context, then_summary if editing else then_where_next):
            draft = await svc.drafts.set_field(user.user_id, field.name, value, svc.clock.now())
        if editing:
            await show_summary(update, context, draft)
            return SUMMARY
        return await advance(update, context, draft)

    async def reject(
        update: Update, context: ContextTypes.DEFAULT_TYPE, template: str, **params: Any
    ) -> None:
        await say(update, context, template, field=field.name, **params)
        await ask_field(update, context, field, editing=editing)

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        svc = services(context)
        text = update.effective_message.text if update.effective_message else None
        if text is None:
            return None
        if field.kind is FieldKind.CHOICE:
            value = _choice_by_label(context, await _locale(update, context), field, text)
            if value is None:
                await reject(update, context, "apply/expect_button")
                return None
            return await save(update, context, value)
        try:
            value = _parse_typed(field, text, today(svc.clock))
        except ValidationError as error:
            locale = await _locale(update, context)
            message = svc.texts.label(locale, f"error.{error.code}", **error.params)
            await reject(update, context, "apply/invalid", error=message)
            return None
        return await save(update, context, value)

    async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        query = update.callback_query
        assert query is not None
        pressed = decode_as(query.data, ChoicePress)
        choices = choices_for(field, services(context))
        if pressed is None or pressed.field != field.name or not 0 <= pressed.index < len(choices):
            await _stale(update, context)
            return None
        await answer_button(query)
        value = choices[pressed.index]
        svc = services(context)
        locale = await _locale(update, context)
        shown = choice_label(svc.texts, locale, field.name, value)
        await mark_chosen(query, svc.texts, locale, shown)
        return await save(update, context, value)

    async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        contact = update.effective_message.contact if update.effective_message else None
        assert contact is not None
        try:
            value = validate_mobile(contact.phone_number)
        except ValidationError as error:
            svc = services(context)
            message = svc.texts.label(await _locale(update, context), f"error.{error.code}")
            await reject(update, context, "apply/invalid", error=message)
            return None
        return await save(update, context, value)

    async def on_use_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        query = update.callback_query
        assert query is not None
        user = await current_user(update, context)
        if not user.phone:
            await _stale(update, context)
            return None
        await answer_button(query)
        await mark_chosen(query, services(context).texts, user.locale, user.phone)
        return await save(update, context, user.phone)

    async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        expected = "apply/expect_button" if field.kind is FieldKind.CHOICE else "apply/expect_text"
        await reject(update, context, expected)

    def answer(handle: Handler) -> Handler:
        return handle if editing else _on_the_question_shown(field, handle)

    handlers: list[BaseHandler[Update, Any, Any]] = []
    if field.kind is FieldKind.CHOICE:
        handlers.append(CallbackQueryHandler(answer(on_choice), pattern=pattern(ChoicePress)))
    if field.kind is FieldKind.MOBILE:
        handlers.append(CallbackQueryHandler(answer(on_use_phone), pattern=pattern(UsePhonePress)))
        handlers.append(MessageHandler(ANSWER & filters.CONTACT, answer(on_contact)))
    handlers.append(MessageHandler(ANSWER & filters.TEXT, answer(on_text)))
    handlers.append(MessageHandler(ANSWER, answer(on_other)))
    handlers.append(CallbackQueryHandler(answer(_stale)))
    return handlers


def _on_the_question_shown(field: FormField, handle: Handler) -> Handler:
    """An answer goes to the question the customer sees, never to one already answered.

    In the ordered form the question on the screen is the draft's first unanswered one. The
    conversation's state names it too, but is saved just after the draft and the next
    question: a crash in between leaves the state one question behind, and the next answer
    would overwrite the previous one (the credit code typed into the applicant's name). When
    the draft already holds ``field``, the update goes to the handlers of the question shown.
    """

    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        svc = services(context)
        user = await current_user(update, context)
        # Only the answers: this runs before every answer of the form, a hot path.
        answers = await svc.drafts.answers(user.user_id)
        if answers is None or field.name not in answers:
            return await handle(update, context)
        shown = next_missing_field(answers)
        if shown is not None:
            for handler in field_handlers(shown, editing=False):
                if handler.check_update(update):
                    moved = await handler.callback(update, context)
                    return moved if isinstance(moved, str) else field_state(shown.name, False)
        # Past the questions (the documents or the summary), or nothing to answer: asked again.
        draft = await svc.drafts.get(user.user_id)
        if draft is None:  # submitted in between: the handler answers as for any draft gone
            return await handle(update, context)
        return await advance(update, context, draft)

    return guarded


def _parse_typed(field: FormField, text: str, today_: Any) -> Any:
    if field.kind is FieldKind.DATE:
        return parse_date(text, today=today_).isoformat()
    assert field.parse is not None
    return field.parse(text)


def _choice_by_label(
    context: ContextTypes.DEFAULT_TYPE, locale: str, field: FormField, text: str
) -> str | None:
    """A choice typed instead of pressed: accept it when it is exactly a button's label."""
    svc = services(context)
    wanted = text.strip().casefold()
    for value in choices_for(field, svc):
        if wanted in (
            value.casefold(),
            choice_label(svc.texts, locale, field.name, value).casefold(),
        ):
            return value
    return None


async def _stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button from another step or an older message: answered, and nothing changes."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    await answer_button(query, svc.texts.label(await _locale(update, context), "toast.stale"))


stale_button = _stale


async def _locale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    return (await current_user(update, context)).locale
