"""Becoming staff: ``/join CODE`` with an invite, and the bootstrap of configured admins.

Wrong codes are counted and, past a few an hour, the next attempt is refused unchecked, and
the answer says when to try again (:func:`services.staff.join`). The first admins come
from the configuration (HVCONNECT_ADMINS): they are made admins when the bot starts, if it
already knows them, or else the first time they write.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import current_user, say
from flows.deps import Services, services
from flows.staff.access import STAFF_COMMANDS, publish_staff_menu
from services.staff import JoinFailed, JoinLimited, ensure_admin
from services.staff import join as join_staff

ADMIN_CHECKED_KEY = "hvconnect.admin_checked"


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    code = " ".join(context.args or []).strip()
    if not code:
        await say(update, context, "staff/join_usage")
        return
    outcome = await join_staff(svc.context, user_id=user.user_id, code=code, now=svc.clock.now())
    if isinstance(outcome, JoinLimited):
        await say(update, context, "staff/join_limited", retry_at=outcome.retry_at)
        return
    if isinstance(outcome, JoinFailed):
        await say(
            update,
            context,
            "staff/join_failed",
            reason=outcome.reason.value,
            attempts_left=outcome.attempts_left,
        )
        return
    member = outcome.member
    await publish_staff_menu(
        context.bot, svc.texts, chat_id=user.chat_id, locale=user.locale, role=member.role
    )
    await say(
        update,
        context,
        "staff/joined",
        member=member,
        role=member.role.value,
        commands=STAFF_COMMANDS[member.role],
    )


async def bootstrap_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before the handlers: a configured admin is an active admin, with the menu.

    Checked once per process per user (remembered in user_data), so it costs a set look-up
    on every other update.
    """
    tg_user = update.effective_user
    chat = update.effective_chat
    if tg_user is None or chat is None or chat.type != "private":
        return
    svc = services(context)
    if tg_user.id not in svc.settings.admins:
        return
    if context.user_data is None or context.user_data.get(ADMIN_CHECKED_KEY):
        return
    user = await current_user(update, context)
    member = await ensure_admin(
        svc.context,
        user_id=user.user_id,
        name=user.first_name or str(user.user_id),
        now=svc.clock.now(),
    )
    await publish_staff_menu(
        context.bot, svc.texts, chat_id=user.chat_id, locale=user.locale, role=member.role
    )
    context.user_data[ADMIN_CHECKED_KEY] = True


async def bootstrap_known_admins(svc: Services) -> None:
    """At start-up: configured admins the bot already knows are made admins now."""
    for user_id in sorted(svc.settings.admins):
        user = await svc.users.get(user_id)
        if user is not None:
            await ensure_admin(
                svc.context,
                user_id=user_id,
                name=user.first_name or str(user_id),
                now=svc.clock.now(),
            )
