"""Webhook mode: Telegram pushes updates to us instead of our long-polling for them.

Anyone who learns the webhook URL could post forged updates (a fake customer, a fake staff
member pressing buttons), so every request must carry the secret we gave Telegram in
``setWebhook``: Telegram sends it back in the ``X-Telegram-Bot-Api-Secret-Token`` header.
A request without it, or with another value, gets 403 and is never parsed. The comparison
takes constant time.

The server listens on plain HTTP at ``HVCONNECT_WEBHOOK_LISTEN`` (loopback by default):
TLS belongs to the reverse proxy in front of it, which the ``https://`` URL points at.

Why our own server and not python-telegram-bot's (``Updater.start_webhook``; its
``Application.run_webhook`` owns the event loop and the signals, which our start-up and
shutdown around the run lock, scheduler and outbox cannot give up):

* PTB compares the secret with ``!=``, not in constant time, and the secret is all that
  stands between a forged update and the handlers;
* PTB logs the body of every update at DEBUG and the data of one it cannot parse at
  CRITICAL, formats the redaction in :mod:`bot.logging_redact` does not know; this server
  logs no payload;
* a body that is not JSON gets 500 from PTB rather than 400, and the body is not capped
  below tornado's default of 100 MB (here 1 MiB);
* PTB's server runs on tornado (the ``webhooks`` extra), a second HTTP stack beside the
  aiohttp the project already uses, for what is some sixty lines here;
* PTB does not say which port it bound, so tests could not listen on port 0;
* PTB answers 200 as soon as the update is on the queue.

Telegram sends an update until it gets a 200 for it, and never again after. Answered at
once, an update the process is then killed over (SIGKILL, a lost machine) would be lost: on
the queue, in no database. So the answer waits until the update's handling has ended: its
changes committed, or it was skipped as a redelivery, or it failed and the error handler
told the user (:class:`UpdatesSettled` says when). A crash before that leaves the request
unanswered, and Telegram delivers the update again, to this instance once it is back or to
another one of the fleet; the update's recorded id (:mod:`storage.units`) makes sure the
redelivery of an update that did commit is not handled again (it is answered from what is
stored if the crash came before its reply left, :mod:`flows.redelivered`). The wait is bounded
(:data:`HANDLING_TIMEOUT_S`): an update still not handled by then is answered 503, and
Telegram's later redelivery finds it handled or handles it. Reading the body is bounded too,
so a client that stops sending holds nothing for long.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

from bot.config.settings import Webhook
from storage.update_handling import handed_back

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # updates are small; a bigger body is not from Telegram
# Under a minute, the usual timeout of a reverse proxy in front of this server (nginx's
# proxy_read_timeout): an update is a few database trips, so only a stuck handler or a long
# queue comes near it, and Telegram delivers the update again after a 503.
HANDLING_TIMEOUT_S = 50.0
READ_TIMEOUT_S = 10.0  # an update is a few kilobytes
# Updates PTB lets in at once when chats are handled side by side: far above the chats a bot
# hears from in one moment, so that no update waits before it has taken its chat's turn
# (which would put the chat's order at the mercy of the wake-ups). How many chats are
# actually handled at once is bounded after the turn is taken (CHATS_AT_ONCE).
UPDATES_IN_FLIGHT = 4096
# Chats handled at once on SQLite: enough to fill one chat's waits (its Bot API calls, its
# commit) with another chat's work, few enough that a burst of customers is served nearly
# first come first served rather than every one of them finishing at the end of the burst.
CHATS_AT_ONCE = 8
log = logging.getLogger("hvconnect.webhook")
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class UpdatesSettled(BaseUpdateProcessor):
    """How the application takes its updates: one chat's in order, one at a time, and a word
    for whoever waits on an update (:meth:`expect`) once its handling has ended.

    With ``chats_at_once`` above one (SQLite, where one process owns the database:
    :data:`CHATS_AT_ONCE`) updates of *different* chats are handled at the same time. A
    customer's step spends much of its time waiting: for its Bot API calls, for the disk to
    confirm its commit. Handled one at a time, every other customer waits through those too,
    and ten customers answering at once see ten times one step's latency. Side by side, one
    chat's wait is another's turn, while the database's own lock
    (:class:`storage.db.Database`) still runs one transaction at a time. Within a chat
    nothing changes: its updates run one after another in the order they arrived, which is
    what a conversation's state needs (a form step must see the step before it). The key is
    the update's chat, or its user where it has no chat.

    With one (PostgreSQL) updates are handled one at a time, as ``concurrent_updates(False)``
    does: there the instances of the fleet are what runs side by side, and an instance holds
    one chat lock at a time on a connection of its own (:mod:`storage.chat_lock`).

    Order within a chat holds because PTB starts one task per update in the order they come
    off the queue, and each task takes its chat's turn (an :class:`asyncio.Lock`, first come
    first served) before its first wait: PTB's own bound (:data:`UPDATES_IN_FLIGHT`) is far
    above the chats a bot hears from at once, and the real bound, ``chats_at_once``, is
    waited for only once the turn is held.

    PTB runs every update it takes off the queue through the application's processor,
    handlers and error handlers included, so the end of :meth:`do_process_update` is the
    end of the update. An update a conversation handed back to be routed again
    (:func:`storage.update_handling.hand_back`) ends with its second pass, not its first.
    ``on_shutdown`` runs when the application shuts down (what the handlers held for the
    whole run, the chat locks' connection).
    """

    def __init__(
        self,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
        *,
        chats_at_once: int = 1,
    ) -> None:
        super().__init__(max_concurrent_updates=UPDATES_IN_FLIGHT if chats_at_once > 1 else 1)
        self._chats_at_once = asyncio.Semaphore(chats_at_once)
        self._waiting: dict[int, list[asyncio.Future[None]]] = {}
        self._turns: dict[Hashable, _Turn] = {}
        self._bot_data: Mapping[str, Any] = {}
        self._on_shutdown = on_shutdown

    def bind(self, application: AnyApplication) -> None:
        """Where handed-back updates are noted: the application's ``bot_data``."""
        self._bot_data = application.bot_data

    def expect(self, update_id: int) -> asyncio.Future[None]:
        """A future done when the update with this id has been handled (call before queueing
        it); :meth:`forget` it when no longer waited for."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(update_id, []).append(future)
        return future

    def forget(self, update_id: int, future: asyncio.Future[None]) -> None:
        waiting = self._waiting.get(update_id, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self._waiting.pop(update_id, None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _turn_key(update)
        turn = self._turns.setdefault(key, _Turn())
        turn.holders += 1
        try:
            async with turn.lock, self._chats_at_once:
                await coroutine
        finally:
            turn.holders -= 1
            if turn.holders == 0:
                del self._turns[key]
            if isinstance(update, Update) and not handed_back(self._bot_data, update.update_id):
                for future in self._waiting.pop(update.update_id, []):
                    if not future.done():
                        future.set_result(None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._on_shutdown is not None:
            await self._on_shutdown()


class _Turn:
    """One chat's turn: its updates hold the lock one after another; dropped when none
    waits."""

    __slots__ = ("holders", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holders = 0


def _turn_key(update: object) -> Hashable:
    """Whose turn an update takes: its chat's, else its user's, else the one shared turn of
    updates that belong to neither."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return ("none",)


class WebhookServer:
    """Receives Telegram's POSTs, hands each update to the application's queue, and answers
    once it is handled.

    The application must process updates with :class:`UpdatesSettled` (build_application
    does), which says when.
    """

    def __init__(
        self,
        application: AnyApplication,
        settings: Webhook,
        *,
        handling_timeout: float = HANDLING_TIMEOUT_S,
    ) -> None:
        processor = application.update_processor
        if not isinstance(processor, UpdatesSettled):
            raise TypeError("the webhook needs an application built with UpdatesSettled")
        self._settled = processor
        self._handling_timeout = handling_timeout
        self._application = application
        self._settings = settings
        self._secret = settings.secret.encode("utf-8")
        self._path = urlsplit(settings.url).path or "/"
        self._runner: web.AppRunner | None = None
        self.address = ""

    def web_application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self._path, self._receive)
        return app

    async def start(self, *, register: bool = True) -> str:
        """Listen, then tell Telegram where to post (``register``); returns the local address."""
        runner = web.AppRunner(self.web_application(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._settings.host, self._settings.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.address = f"http://{host}:{port}{self._path}"
        if register:
            await self._application.bot.set_webhook(
                url=self._settings.url,
                secret_token=self._settings.secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
        return self.address

    async def stop(self) -> None:
        """Stop listening. The webhook stays registered: Telegram keeps the updates that
        arrive meanwhile and delivers them when we are back."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request from %s refused: wrong or missing secret", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                body = await request.read()
        except TimeoutError:
            return web.Response(status=408, text="too slow")
        try:
            update = Update.de_json(json.loads(body), self._application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        handled = self._settled.expect(update.update_id)
        try:
            await self._application.update_queue.put(update)
            async with asyncio.timeout(self._handling_timeout):
                await asyncio.shield(handled)
        except TimeoutError:
            log.warning(
                "update %s not handled within %.0f s: left for Telegram to deliver again",
                update.update_id,
                self._handling_timeout,
            )
            return web.Response(status=503, text="still handling")
        finally:
            self._settled.forget(update.update_id, handled)
        return web.Response(text="ok")
