"""``build_application()``: the one way a running bot is put together.

Production, the sandbox and the end-to-end tests all call it; only the configuration
differs (the Bot API base URL, the database path, the clock). Nothing here holds a
business rule: it wires configuration, storage, texts and handlers together.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommandScopeAllPrivateChats
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import Config
from bot.errors import on_error
from flows.register import command_menus, register_handlers
from flows.services import SERVICES_KEY, Services, Settings, services
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.clock import Clock, SystemClock
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.events import EventsRepo
from storage.migrate import migrate
from storage.persistence import WRITE_THROUGH_GROUP, SqlitePersistence, write_through_handler
from storage.users import UsersRepo

log = logging.getLogger("hvconnect")
BotApplication = Application[Any, Any, Any, Any, Any, Any]


async def build_application(config: Config, *, clock: Clock | None = None) -> BotApplication:
    """Open the database (migrating it), and build the Telegram application around it."""
    if config.token is None:
        raise ValueError("build_application needs a bot token")
    clock = clock or SystemClock(config.tz)
    db = await Database.open(config.db_path)
    await migrate(db, clock.now())
    texts = Texts(config.locale)
    svc = Services(
        settings=Settings(
            default_locale=config.locale,
            tz=config.tz,
            limits=config.limits,
            districts=config.districts,
            max_document_bytes=config.max_document_mb * 1024 * 1024,
        ),
        clock=clock,
        calendar=WorkingCalendar(
            extra_holidays=config.extra_holidays,
            extra_workdays=config.extra_workdays,
            confirmed_years=config.confirmed_years,
        ),
        texts=texts,
        db=db,
        users=UsersRepo(db),
        drafts=DraftsRepo(db),
        applications=ApplicationsRepo(db),
        events=EventsRepo(db),
    )
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .concurrent_updates(False)
        .persistence(SqlitePersistence(db, clock=clock))
        .rate_limiter(AIORateLimiter(max_retries=3))
    )
    if config.api_url:
        builder = builder.base_url(f"{config.api_url}/bot").base_file_url(
            f"{config.api_url}/file/bot"
        )
    application = builder.build()
    application.bot_data[SERVICES_KEY] = svc
    register_handlers(application)
    # Conversation states reach the disk after every update, not on PTB's timer.
    application.add_handler(write_through_handler(), group=WRITE_THROUGH_GROUP)
    application.add_error_handler(on_error)
    return application


async def start(application: BotApplication, *, poll_timeout: int = 10) -> None:
    """Initialise, publish the command menus, and start long polling."""
    await application.initialize()
    await publish_commands(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        timeout=poll_timeout, drop_pending_updates=False, allowed_updates=None
    )


async def stop(application: BotApplication) -> None:
    """Stop polling and handlers, then close the database, in that order."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await services_of(application).db.close()


async def publish_commands(application: BotApplication) -> None:
    svc = services_of(application)
    menus = command_menus(svc.texts)
    scope = BotCommandScopeAllPrivateChats()
    await application.bot.set_my_commands(menus[svc.settings.default_locale], scope=scope)
    for locale, commands in menus.items():
        await application.bot.set_my_commands(
            commands, scope=scope, language_code=locale.split("_")[0]
        )


def services_of(application: BotApplication) -> Services:
    found = application.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


__all__ = ["build_application", "publish_commands", "services", "start", "stop"]
