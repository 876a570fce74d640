"""When the database cannot take a write: locked by another program, or the disk is full.

Neither is the user's fault nor a bug, and neither loses anything: the transaction was
rolled back whole, everything committed before is intact, and the conversation did not
move on. So the user hears "please try again shortly" (not "something went wrong"), and
the admins are told at once, directly (the outbox is in the same database, so it cannot
carry this alert), at most once per problem every :data:`ALERT_EVERY`.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from flows.deps import Services

log = logging.getLogger("hvconnect.errors")
ALERT_EVERY = timedelta(minutes=15)
LAST_ALERTS_KEY = "hvconnect.storage_alerts"


def storage_problem(error: BaseException | None) -> str | None:
    """``"locked"`` or ``"full"`` for SQLite's answers that mean "not now", else None."""
    if not isinstance(error, sqlite3.OperationalError):
        return None
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "full" in text:
        return "full"
    return None


async def alert_admins(
    bot: Bot, svc: Services, problem: str, bot_data: dict[Any, Any], now: datetime
) -> int:
    """Tell every admin about ``problem`` unless they were told within :data:`ALERT_EVERY`;
    returns how many were told."""
    last: dict[str, datetime] = bot_data.setdefault(LAST_ALERTS_KEY, {})
    previous = last.get(problem)
    if previous is not None and now - previous < ALERT_EVERY:
        return 0
    last[problem] = now
    recipients = await _admins(svc)
    told = 0
    for chat_id, locale in recipients.items():
        try:
            await bot.send_message(
                chat_id,
                svc.texts.render(locale, "common/storage_alert", problem=problem),
                parse_mode=ParseMode.HTML,
            )
            told += 1
        except TelegramError:
            log.warning("could not alert admin %d about the database", chat_id)
    log.error("database %s: %d admin(s) alerted", problem, told)
    return told


async def _admins(svc: Services) -> dict[int, str | None]:
    """Admins' chats and languages; the configured admins at least, even when the database
    cannot be read (a full disk still reads, a lock held by a writer still reads in WAL)."""
    found: dict[int, str | None] = {user_id: None for user_id in svc.settings.admins}
    try:
        for member in await svc.staff.list_all():
            if member.active and member.role == "admin":
                found[member.user_id] = None
        for user_id in list(found):
            user = await svc.users.get(user_id)
            if user is not None:
                found[user_id] = user.locale
    except sqlite3.Error:
        log.warning("could not read the admins from the database; alerting the configured ones")
    return found
