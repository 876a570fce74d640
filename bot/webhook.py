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
* PTB does not say which port it bound, so tests could not listen on port 0.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config.settings import Webhook

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # updates are small; a bigger body is not from Telegram
log = logging.getLogger("hvconnect.webhook")
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class WebhookServer:
    """Receives Telegram's POSTs and hands each update to the application's queue."""

    def __init__(self, application: AnyApplication, settings: Webhook) -> None:
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
            data = json.loads(await request.read())
            update = Update.de_json(data, self._application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        await self._application.update_queue.put(update)
        return web.Response(text="ok")
