"""Opening the bot's database with its key, the same way for the bot and every command.

The key comes from the configuration (``HVCONNECT_SECRET_KEY``, plus
``HVCONNECT_OLD_SECRET_KEYS`` during a rotation) and goes to the one
:class:`~storage.db.Database` of the process; nothing else holds it. At start-up the bot
also seals whatever an older release left in clear (the rows of a database from before
encryption), so that from then on every copy of the file is protected; it records when none
is left, so later starts skip the scan (a connection opened without a key forgets that).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from bot.config.settings import Config, ConfigError
from storage.codec import time_to_db
from storage.db import Database
from storage.facts import NOTHING_IN_CLEAR, fact, remember
from storage.migrate import migrate
from storage.sealing.crypto import (
    GENERATE_HINT,
    BadSecretKey,
    FieldCipher,
    generate_secret_key,
    parse_secret_key,
)
from storage.sealing.rotate import checkpoint, reseal

log = logging.getLogger("hvconnect.storage")


def field_cipher(config: Config) -> FieldCipher | None:
    """The cipher for personal data; None when no key is configured (tools, tests)."""
    if config.secret_key is None:
        return None
    return FieldCipher.from_secrets(config.secret_key, config.old_secret_keys)


def required_cipher(config: Config) -> FieldCipher:
    """The cipher, or one clear line naming ``HVCONNECT_SECRET_KEY`` when there is none."""
    cipher = field_cipher(config)
    if cipher is None:
        raise ConfigError(
            "HVCONNECT_SECRET_KEY: required to run the bot, it encrypts personal data at "
            f"rest; generate one with: {GENERATE_HINT}"
        )
    return cipher


async def open_bot_database(config: Config, now: datetime) -> Database:
    """The bot's database: opened with the key, migrated, and nothing left in clear."""
    db = await Database.open(config.database, cipher=required_cipher(config))
    try:
        await migrate(db, now)
        if await fact(db, NOTHING_IN_CLEAR) is None:
            sealed = await reseal(db, only_unsealed=True)
            if sealed.total:
                log.warning("sealed %d value(s) stored in clear by an older release", sealed.total)
                await checkpoint(db)
            if sealed.remaining == 0:
                await remember(db, NOTHING_IN_CLEAR, time_to_db(now))
    except BaseException:
        await db.close()
        raise
    return db


@asynccontextmanager
async def operator_database(config: Config, now: datetime) -> AsyncIterator[Database]:
    """The database for an operator's command beside the bot (staff, stats, API clients,
    webhooks): opened with the key when one is configured, migrated, closed when done.

    Unlike :func:`open_bot_database` it needs no key and seals nothing: these commands may
    run where the key is not kept, and never write personal data."""
    db = await Database.open(config.database, cipher=field_cipher(config))
    try:
        await migrate(db, now)
        yield db
    finally:
        await db.close()


def sandbox_key(path: Path) -> str:
    """The sandbox's own key, kept beside its database (created on first use, mode 0600).

    The sandbox holds made-up people only, but it runs the same code as production, sealing
    included; a key file means nobody has to configure one to try the bot.
    """
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = generate_secret_key()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(text + "\n")
        return text
    try:
        parse_secret_key(text, name=str(path))
    except BadSecretKey as exc:
        raise ConfigError(f"{exc}; or delete the file to make a new one") from None
    return text
