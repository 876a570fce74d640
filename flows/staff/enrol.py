"""Becoming staff: ``/join CODE`` with an invite, and the bootstrap of configured admins.

Codes are guessable only by brute force, so wrong ones are counted: after
:data:`~storage.staff.models.MAX_WRONG_CODES` within an hour the next attempt is refused
without looking at the code, and the answer says when to try again. The first admins come
from the configuration (HVCONNECT_ADMINS): they are made admins when the bot starts, if it
already knows them, or else the first time they write.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import current_user, say
from flows.deps import Services, services
from flows.staff.access import STAFF_COMMANDS, publish_staff_menu
from storage.staff.members import InviteError, InviteExpired, InviteUsed
from storage.staff.models import MAX_WRONG_CODES

ADMIN_CHECKED_KEY = "hvconnect.admin_checked"


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    user = await current_user(update, context)
    code = " ".join(context.args or []).strip()
    if not code:
        await say(update, context, "staff/join_usage")
        return
    now = svc.clock.now()
    retry_at = await svc.staff.blocked_until(user.user_id, now)
    if retry_at is not None:
        await say(update, context, "staff/join_limited", retry_at=retry_at)
        return
    try:
        member = await svc.staff.redeem(code, user_id=user.user_id, now=now)
    except InviteError as error:
        await svc.staff.record_failure(user.user_id, now)
        failures = await svc.staff.count_recent_failures(user.user_id, now)
        await say(
            update,
            context,
            "staff/join_failed",
            reason=_reason(error),
            attempts_left=max(0, MAX_WRONG_CODES - failures),
        )
        return
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


def _reason(error: InviteError) -> str:
    if isinstance(error, InviteExpired):
        return "expired"
    if isinstance(error, InviteUsed):
        return "used"
    return "invalid"


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
    member = await svc.staff.ensure_admin(
        user.user_id, name=user.first_name or str(user.user_id), now=svc.clock.now()
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
            await svc.staff.ensure_admin(
                user_id, name=user.first_name or str(user_id), now=svc.clock.now()
            )
