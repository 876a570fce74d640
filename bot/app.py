"""``build_application()``: the one way a running bot is put together.

Production, the sandbox and the end-to-end tests all call it; only the configuration
differs (the Bot API base URL, the database path, the clock). Nothing here holds a
business rule: it wires configuration, storage, texts and handlers together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from telegram import Bot, BotCommandScopeAllPrivateChats
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.aiohttp_request import AiohttpRequest
from bot.backup_job import SWEEP_NAME as BACKUP_SWEEP
from bot.backup_job import DailyBackup
from bot.config.settings import TELEGRAM_API_URL, Config, Webhook, clock_of
from bot.errors import on_error
from bot.logging_redact import install_redaction
from bot.retrying_request import RetryingRequest
from bot.secure_db import open_bot_database
from bot.sweeps import default_sweeps
from bot.webhook import CHATS_AT_ONCE, UpdatesSettled, WebhookServer
from flows.deps import SERVICES_KEY, Services, Settings, services
from flows.redelivered import answer_redelivery
from flows.register import command_menus, register_handlers
from flows.reminder_buttons import reminder_buttons
from flows.staff.enrol import bootstrap_known_admins
from notifications.outbox import Outbox
from notifications.pacing import PacedReplies, budget_for
from notifications.quiet_hours import QuietHours, StaffHours, staff_send_at
from notifications.reminders.context import ReminderPolicy, SweepContext
from notifications.reminders.scheduler import Scheduler
from notifications.reminders.survey import SURVEY_SWEEP, SurveySweep, SurveyTimes
from notifications.render import Texts
from notifications.sender import OutboxSender
from notifications.unreachable import tell_holders_when_unreachable
from notifications.webhooks.worker import WebhookWorker
from process.calendar import WorkingCalendar
from process.clock import Clock
from storage.applications import ApplicationsRepo
from storage.chat_lock import ChatLocks
from storage.drafts import DraftsRepo
from storage.events import EventsRepo
from storage.leadership import leadership_for
from storage.outbox import OutboxRepo, OutboxRow
from storage.persistence import SqlitePersistence
from storage.staff.members import StaffRepo
from storage.stats import StatsRepo
from storage.survey import SurveyRepo
from storage.threads import ThreadsRepo
from storage.units import forget_old_updates
from storage.update_handling import (
    BEGIN_UPDATE_GROUP,
    WRITE_THROUGH_GROUP,
    begin_update_handler,
    handled_elsewhere_handler,
    write_through_handler,
)
from storage.users import UsersRepo
from storage.workflow import WorkflowRepo

if TYPE_CHECKING:
    from api.server import ApiServer

log = logging.getLogger("hvconnect")
BotApplication = Application[Any, Any, Any, Any, Any, Any]
WEBHOOK_KEY = "hvconnect.webhook"
# The outgoing webhooks' worker (notifications/webhooks/), beside the handlers' services.
WEBHOOK_WORKER_KEY = "hvconnect.webhook_worker"
API_KEY = "hvconnect.api"


async def build_application(
    config: Config, *, clock: Clock | None = None, request: BaseRequest | None = None
) -> BotApplication:
    """Open the database (migrating it), and build the Telegram application around it.

    ``request`` replaces the HTTP client for every Bot API call (tests that feed updates
    straight in and record the answers).
    """
    if config.token is None:
        raise ValueError("build_application needs a bot token")
    install_redaction(config.token, config.database_password)
    clock = clock or clock_of(config)
    db = await open_bot_database(config, clock.now())
    texts = Texts(config.locale)
    outbox = Outbox(OutboxRepo(db), texts, tz=config.tz)
    calendar = WorkingCalendar(
        extra_holidays=config.extra_holidays,
        extra_workdays=config.extra_workdays,
        confirmed_years=config.confirmed_years,
    )
    staff_hours = staff_hours_of(config)

    def staff_may_read_at(now: datetime) -> datetime | None:
        return staff_send_at(now, calendar, staff_hours, config.tz)

    # One budget for everything the process sends to Telegram: the outbox's messages and the
    # chat's direct replies (notifications.pacing); on PostgreSQL, the whole fleet's.
    pacer = budget_for(db)
    sender = OutboxSender(
        db,
        outbox_bot(config.token, config.api_url, request),
        clock,
        pacer=pacer,
        on_unreachable=tell_holders_when_unreachable(db, outbox, clock, staff_may_read_at),
        on_dead=_log_dead,
    )
    webhooks = WebhookWorker(db, clock, max_attempts=config.webhook_max_attempts)
    # The sweeps and the webhook worker run on one instance of a fleet (storage.leadership).
    scheduler = Scheduler(clock, leadership=leadership_for(db))
    scheduler.while_leading(webhooks.start, webhooks.stop)

    def wake_senders() -> None:
        # The services nudge the outbox after a change; the change's events may have
        # queued webhook deliveries too (written by the database, see the worker's docstring).
        sender.wake()
        webhooks.wake()

    outbox.connect(wake_senders)
    svc = Services(
        settings=Settings(
            default_locale=config.locale,
            tz=config.tz,
            limits=config.limits,
            districts=config.districts,
            max_document_bytes=config.max_document_mb * 1024 * 1024,
            admins=config.admins,
            staff_hours=staff_hours,
            claim_days=config.claim_days,
        ),
        clock=clock,
        calendar=calendar,
        texts=texts,
        db=db,
        users=UsersRepo(db),
        drafts=DraftsRepo(db),
        applications=ApplicationsRepo(db),
        events=EventsRepo(db),
        staff=StaffRepo(db),
        outbox=outbox,
        sender=sender,
        workflow=WorkflowRepo(db),
        threads=ThreadsRepo(db),
        surveys=SurveyRepo(db),
        stats=StatsRepo(db),
        scheduler=scheduler,
    )
    register_reminders(svc, config)
    svc.scheduler.register(SURVEY_SWEEP, survey_sweep(svc, config))
    svc.scheduler.register(HANDLED_UPDATES_SWEEP, forget_old_updates(db))
    if config.backups.directory is not None:
        svc.scheduler.register(
            BACKUP_SWEEP, DailyBackup(config.database, config.backups, db.cipher, config.tz)
        )
    # On PostgreSQL other instances share the database: a chat is handled by one at a time
    # (storage.chat_lock), and each instance takes one update at a time. On SQLite the one
    # process handles different chats side by side. The webhook answers once an update is
    # handled (UpdatesSettled).
    chat_locks = ChatLocks(db.path) if db.dialect == "postgresql" else None
    settled = UpdatesSettled(
        on_shutdown=chat_locks.close if chat_locks is not None else None,
        chats_at_once=1 if chat_locks is not None else CHATS_AT_ONCE,
    )
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .concurrent_updates(settled)
        .persistence(SqlitePersistence(db, clock=clock))
        .rate_limiter(PacedReplies(pacer))
    )
    if config.api_url:
        builder = builder.base_url(f"{config.api_url}/bot").base_file_url(
            f"{config.api_url}/file/bot"
        )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        # Direct replies survive a dropped connection or a 5xx (see bot.retrying_request).
        builder = builder.request(RetryingRequest(connection_pool_size=256)).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    await bootstrap_known_admins(svc)
    application = builder.build()
    application.bot_data[SERVICES_KEY] = svc
    application.bot_data[WEBHOOK_WORKER_KEY] = webhooks
    # Each update is handled once, and what it changed, its id and its conversation's state
    # commit together (storage.units); states reach the disk after every update, not on
    # PTB's timer. A redelivery of one whose reply a crash cut off is answered from what is
    # stored (flows.redelivered).
    settled.bind(application)
    application.add_handler(
        begin_update_handler(db, clock, chat_locks, on_redelivered=answer_redelivery),
        group=BEGIN_UPDATE_GROUP,
    )
    register_handlers(application)
    application.add_handler(write_through_handler(db, chat_locks, clock), group=WRITE_THROUGH_GROUP)
    application.add_error_handler(handled_elsewhere_handler(chat_locks))  # before on_error
    application.add_error_handler(on_error)
    if config.api.enabled:
        # Imported only here: FastAPI and uvicorn take half a second to load, which every
        # shell command and a bot without the API would otherwise pay.
        from api.app import build_api
        from api.server import ApiServer

        # The same services, clock and database as the chat, on the same event loop.
        assert config.api.host is not None
        api = build_api(
            svc.context,
            clock,
            config.api,
            districts=config.districts,
            bot_username=partial(_bot_username, application),
        )
        application.bot_data[API_KEY] = ApiServer(api, config.api.host, config.api.port)
    return application


async def start(
    application: BotApplication, *, poll_timeout: int = 10, webhook: Webhook | None = None
) -> None:
    """Start the integration API if configured (first: a taken port ends the start before
    anything else runs), initialise, publish the command menus, start the outbox sender and
    long polling (or, with ``webhook``, the webhook server)."""
    api = api_server(application)
    if api is not None:
        await api.start()
    await application.initialize()
    await publish_commands(application)
    await application.start()
    sender = services_of(application).sender
    await sender.bot.initialize()
    await sender.start()
    await services_of(application).scheduler.start()  # and the webhook worker, if leading
    if webhook is not None:
        server = WebhookServer(application, webhook)
        await server.start()
        application.bot_data[WEBHOOK_KEY] = server
        return
    assert application.updater is not None
    await application.updater.start_polling(
        timeout=poll_timeout, drop_pending_updates=False, allowed_updates=None
    )


class StartupFailure(Exception):
    """A start-up failure that waiting will not mend; the message is one line."""


FIRST_RETRY = 1.0  # seconds before the second attempt to reach the Bot API
LONGEST_RETRY = 30.0  # the pause doubles up to this


async def wait_for_bot_api(
    config: Config,
    stopping: asyncio.Event,
    *,
    first: float = FIRST_RETRY,
    longest: float = LONGEST_RETRY,
) -> bool:
    """Until the Bot API answers ``getMe``: True then, False if ``stopping`` came first.

    A bot behind a flaky network, or started before the API it talks to, must come up by
    itself rather than sit there: every failed attempt is one log line, and the pause grows
    from ``first`` to ``longest``. A token the API refuses (401) cannot get better by
    waiting and raises :class:`StartupFailure`.
    """
    assert config.token is not None
    where = config.api_url or TELEGRAM_API_URL
    probe = outbox_bot(config.token, config.api_url)
    pause, attempt = first, 0
    try:
        while not stopping.is_set():
            attempt += 1
            try:
                await probe.initialize()  # calls getMe
                return True
            except InvalidToken as exc:
                raise StartupFailure(
                    f"HVCONNECT_TOKEN: the Bot API at {where} refuses the bot token ({exc})"
                ) from None
            except TelegramError as exc:
                log.warning(
                    "the Bot API at %s does not answer (attempt %d: %s); next attempt in %.0f s",
                    where,
                    attempt,
                    exc,
                    pause,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), pause)
            pause = min(pause * 2, longest)
        return False
    finally:
        await probe.shutdown()
        await probe.request.shutdown()  # a failed getMe leaves the client open


async def stop(application: BotApplication) -> None:
    """Stop polling, handlers, the outbox sender and the webhook worker, then close the
    database, in that order."""
    svc = services_of(application)
    # First, so that no API call starts a transaction on a database about to close.
    api = cast("ApiServer | None", application.bot_data.pop(API_KEY, None))
    if api is not None:
        await api.stop()
    server = application.bot_data.pop(WEBHOOK_KEY, None)
    if isinstance(server, WebhookServer):
        await server.stop()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    # A sweep in progress finishes (and commits) before the sender and the database stop.
    await svc.scheduler.stop()
    # After the handlers, so that what they queued last still goes out.
    await svc.sender.stop()
    await webhook_worker(application).stop()
    await application.shutdown()
    await svc.sender.bot.shutdown()
    await svc.db.close()


def webhook_worker(application: BotApplication) -> WebhookWorker:
    found = application.bot_data[WEBHOOK_WORKER_KEY]
    assert isinstance(found, WebhookWorker)
    return found


def _bot_username(application: BotApplication) -> str | None:
    """The bot's Telegram username, for the API's claim links: known once ``initialize()``
    has asked Telegram who the bot is, which happens just after the API starts."""
    try:
        username: str = application.bot.username
    except RuntimeError:
        return None
    return username


def api_server(application: BotApplication) -> ApiServer | None:
    """The integration API's server, when HVCONNECT_API_LISTEN is set."""
    return cast("ApiServer | None", application.bot_data.get(API_KEY))


async def publish_commands(application: BotApplication) -> None:
    svc = services_of(application)
    menus = command_menus(svc.texts)
    scope = BotCommandScopeAllPrivateChats()
    await application.bot.set_my_commands(menus[svc.settings.default_locale], scope=scope)
    for locale, commands in menus.items():
        await application.bot.set_my_commands(
            commands, scope=scope, language_code=locale.split("_")[0]
        )


def outbox_bot(token: str, api_url: str | None, request: BaseRequest | None = None) -> Bot:
    """The outbox sender's own Bot, without the application's rate limiter.

    The sender paces itself with the same :class:`~notifications.pacing.Pacer` and must see
    a 429 itself, to pause only the chat concerned and keep the row for later, rather than
    have the call slept through and retried inside it.
    """
    request = request or AiohttpRequest(connection_pool_size=1)
    if api_url:
        return Bot(
            token,
            base_url=f"{api_url}/bot",
            base_file_url=f"{api_url}/file/bot",
            request=request,
            get_updates_request=request,
        )
    return Bot(token, request=request, get_updates_request=request)


async def _log_dead(row: OutboxRow) -> None:
    log.error("outbox message %d (%s) given up: %s", row.id, row.kind, row.last_error)


def survey_sweep(svc: Services, config: Config) -> SurveySweep:
    """Survey invitations, reminders and closing; customers hear from it in working hours."""
    times = SurveyTimes(
        quiet=QuietHours(config.reminders.quiet_start, config.reminders.quiet_end),
        staff_hours=svc.settings.staff_hours,
    )
    return SurveySweep(svc.db, svc.outbox, svc.texts, svc.calendar, config.tz, times)


def staff_hours_of(config: Config) -> StaffHours:
    return StaffHours(config.reminders.staff_hours_start, config.reminders.staff_hours_end)


def register_reminders(svc: Services, config: Config) -> None:
    """The reminder sweeps (staff, customers, digest), run by the scheduler every minute."""
    reminders = config.reminders
    context = SweepContext(
        db=svc.db,
        outbox=svc.outbox,
        calendar=svc.calendar,
        tz=config.tz,
        policy=ReminderPolicy(
            quiet=QuietHours(reminders.quiet_start, reminders.quiet_end),
            followup_after_days=reminders.followup_after_days,
            owed_every_days=reminders.owed_every_days,
            digest_at=reminders.digest_at,
            staff_hours=staff_hours_of(config),
        ),
        buttons=reminder_buttons(svc.texts, svc.settings.tz),
    )
    for name, sweep in default_sweeps(context):
        svc.scheduler.register(name, sweep)


# The scheduler's name for dropping the ids of long-handled updates (storage.units).
HANDLED_UPDATES_SWEEP = "handled-updates"

# The bot's start-up, the sandbox and tests reach the services of an application by this name.
services_of = services


__all__ = [
    "StartupFailure",
    "api_server",
    "build_application",
    "publish_commands",
    "services",
    "services_of",
    "start",
    "stop",
    "wait_for_bot_api",
]
