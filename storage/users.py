"""Who talks to the bot: chat, display name, language and verified phone.

The display name (Telegram first name and username) and the phone are personal data and
are sealed at rest (storage/sealing/columns.py); the records hold them plain.

The row is refreshed from every incoming update (``touch``) so the bot always knows where
to send messages; the locale the customer chose explicitly is never overwritten by the
language Telegram reports.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from storage.codec import time_to_db
from storage.db import Database, fetch_one, run
from storage.errors import UnknownUser
from storage.models import User
from storage.rows import USER_COLUMNS, user_from_row
from storage.units import aside_from_update

USER_SQL = f"SELECT {USER_COLUMNS} FROM users WHERE user_id = ?"


def user_on_thread(db: sqlite3.Connection, user_id: int) -> User | None:
    """:func:`user_in` on the connection's thread, for a trip that reads more."""
    row = db.execute(USER_SQL, (user_id,)).fetchone()
    return None if row is None else user_from_row(row)


class UsersRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def touch(
        self,
        *,
        user_id: int,
        chat_id: int,
        first_name: str | None,
        username: str | None,
        default_locale: str,
        now: datetime,
    ) -> User:
        """Record the user on first contact, or refresh chat and name fields afterwards.

        ``default_locale`` only applies to a new user. Writing to us proves the chat
        works again, so a previous ``unreachable_at`` mark is cleared.
        """
        stamp = time_to_db(now)
        # Recording who spoke is not what the update changed: its id commits later, with
        # the answer (storage.units).
        with aside_from_update():
            return await self._touch(user_id, chat_id, first_name, username, default_locale, stamp)

    async def _touch(
        self,
        user_id: int,
        chat_id: int,
        first_name: str | None,
        username: str | None,
        default_locale: str,
        stamp: str,
    ) -> User:
        async with self._db.transaction() as connection:
            # The names are sealed with a fresh nonce each time, so SQL cannot tell whether
            # they changed: the row is read (and opened) first, and written only when
            # something changed, which is the case for almost no update.
            known = await user_in(connection, user_id)
            if known is None:
                await run(
                    connection,
                    """
                    INSERT INTO users (user_id, chat_id, first_name, username, locale,
                                       created_at, updated_at)
                    VALUES (?, ?, hv_seal(?), hv_seal(?), ?, ?, ?)
                    """,
                    (user_id, chat_id, first_name, username, default_locale, stamp, stamp),
                )
            elif (known.chat_id, known.first_name, known.username) != (
                chat_id,
                first_name,
                username,
            ) or known.unreachable_at is not None:
                await run(
                    connection,
                    """
                    UPDATE users SET chat_id = ?, first_name = hv_seal(?),
                                     username = hv_seal(?), unreachable_at = NULL,
                                     updated_at = ?
                    WHERE user_id = ?
                    """,
                    (chat_id, first_name, username, stamp, user_id),
                )
            else:
                return known
            row = await fetch_one(
                connection, f"SELECT {USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,)
            )
        assert row is not None  # we just wrote it
        return user_from_row(row)

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetchone(USER_SQL, (user_id,))
        return None if row is None else user_from_row(row)

    async def set_locale(self, user_id: int, locale: str, now: datetime) -> None:
        """Store the language the user picked; from now on it wins over Telegram's."""
        await self._update(
            user_id,
            "locale = ?, locale_chosen = 1, updated_at = ?",
            (locale, time_to_db(now)),
        )

    async def set_phone(self, user_id: int, phone: str, *, verified: bool, now: datetime) -> None:
        """Store a phone number; ``verified`` when it came from Telegram's contact sharing."""
        await self._update(
            user_id,
            "phone = hv_seal(?), phone_verified = ?, updated_at = ?",
            (phone, int(verified), time_to_db(now)),
        )

    async def mark_unreachable(self, user_id: int, now: datetime) -> None:
        """Remember that messages to this user fail (e.g. the bot was blocked)."""
        await self._update(
            user_id, "unreachable_at = ?, updated_at = ?", (time_to_db(now), time_to_db(now))
        )

    async def mark_reachable(self, user_id: int, now: datetime) -> None:
        """The user unblocked the bot: messages may be sent again."""
        await self._update(user_id, "unreachable_at = NULL, updated_at = ?", (time_to_db(now),))

    async def _update(self, user_id: int, assignments: str, params: tuple[object, ...]) -> None:
        changed = await self._db.execute(
            f"UPDATE users SET {assignments} WHERE user_id = ?", (*params, user_id)
        )
        if changed == 0:
            raise UnknownUser(user_id)


async def user_in(connection: aiosqlite.Connection, user_id: int) -> User | None:
    """A user read inside an open transaction (the repository would wait for the lock)."""
    row = await fetch_one(connection, USER_SQL, (user_id,))
    return None if row is None else user_from_row(row)
