"""A local Telegram Bot API for end-to-end tests, benchmarks and demos.

The bot under test reaches it only by URL (python-telegram-bot's ``base_url`` and
``base_file_url``); tests play the users through :meth:`BotApiEmulator.user`. Nothing here
knows anything about the bot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypedDict

from aiohttp import web

from sandbox.chat_store import ChatStore
from sandbox.inbox import ChatInbox, wait_idle
from sandbox.limits import RateLimits
from sandbox.messages import SentMessage
from sandbox.server import BotApiServer
from sandbox.state import SandboxState
from sandbox.stats import SandboxStats
from sandbox.user_api import UserApi
from sandbox.users import FakeUser
from sandbox.webhook import WebhookDelivery, WebhookRetry


class BotUrls(TypedDict):
    """python-telegram-bot's ``Bot``/``ApplicationBuilder`` URL settings."""

    base_url: str
    base_file_url: str


class BotApiEmulator:
    """An in-process, in-memory Telegram Bot API server."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        bot_username: str = "hvconnect_bot",
        limits: RateLimits | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        bot_first_name: str = "HV Connect",
        strict_html: bool = False,
        callback_query_ttl: float = 15.0,
        fault_hold_seconds: float = 10.0,
        chats_file: Path | None = None,
        webhook_retry: WebhookRetry | None = None,
    ) -> None:
        """``chats_file`` keeps the chats across restarts: an emulator on the same file
        starts with every chat, file and user the last one had (until the file is deleted).
        ``webhook_retry``: the delays and timeout of webhook delivery (sandbox/webhook.py)."""
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.state = SandboxState(
            bot_user=self.bot_user,
            limits=limits or RateLimits(),
            clock=clock or time.monotonic,
            wall_clock=wall_clock or time.time,
            strict_html=strict_html,
            callback_query_ttl=callback_query_ttl,
        )
        self._store = ChatStore(chats_file) if chats_file is not None else None
        if self._store is not None:
            self._store.restore(self.state)
            self.state.keep(self._store)
        self._users: dict[int, FakeUser] = {}
        self._server = BotApiServer(
            self.state,
            token,
            fault_hold_seconds=fault_hold_seconds,
            user_api=UserApi(self.state, self.user),
        )
        self._delivery = WebhookDelivery(self.state, webhook_retry or WebhookRetry())
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); returns ``http://host:port``."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(self._server.application(), shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        await self._delivery.start()
        bound_port = runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; the chats file (if any) is closed, everything is already in it."""
        if self._store is not None:
            self._store.close()
        if self._runner is None:
            return
        # Release long polls and held faults so shutdown does not wait on them.
        self._server.closing.set()
        self.state.updates.closing.set()
        self.state.updates.wake_all()
        await self._delivery.stop()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """The value for python-telegram-bot's ``base_url``."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """The value for python-telegram-bot's ``base_file_url``."""
        return f"{self.base_url}/file/bot"

    def bot_kwargs(self) -> BotUrls:
        """``Bot(token, **emulator.bot_kwargs())`` points a bot here."""
        return {"base_url": self.api_url, "base_file_url": self.file_url}

    # -- users and chats ------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        phone_number: str = "+8613800138000",
    ) -> FakeUser:
        """The simulated user with this id (created on first use; later calls return it)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        info: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            info["last_name"] = last_name
        if username:
            info["username"] = username
        if language_code:
            info["language_code"] = language_code
        self.state.users[user_id] = info
        if self.state.journal is not None:
            self.state.journal.user_added(info)
        user = FakeUser(self.state, info, phone_number=phone_number)
        self._users[user_id] = user
        return user

    def group(self, chat_id: int, *, title: str, chat_type: str = "supergroup") -> ChatInbox:
        """Register a group the bot is in; users post there with ``chat_id=``."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self.state.add_chat({"id": chat_id, "type": chat_type, "title": title})
        return ChatInbox(self.state, chat_id)

    def send_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (edited_message, channel_post, my_chat_member…); returns its id.

        Chats named in it become known, and new messages in it are stored so the bot can
        reply to, copy or delete them.
        """
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = update.get(key)
            if not isinstance(message, dict) or "chat" not in message:
                continue
            chat = self.state.add_chat(message["chat"])
            message.setdefault("date", self.state.now())
            if key in ("message", "channel_post"):
                message.setdefault("message_id", chat.allocate_message_id())
                self.state.store(chat, SentMessage.from_api(message))
        for key in ("my_chat_member", "chat_member"):
            member_update = update.get(key)
            if isinstance(member_update, dict) and "chat" in member_update:
                self.state.add_chat(member_update["chat"])
        return self.state.enqueue(update)

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in any chat, oldest first."""
        chat = self.state.chats.get(chat_id)
        return chat.bot_messages(include_deleted=include_deleted) if chat else []

    def file_content(self, file_id: str) -> bytes:
        stored = self.state.files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.data

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """The command list the bot set for a scope and language, or None if never set."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return self.state.commands.get(key)

    @property
    def webhook(self) -> dict[str, Any]:
        return dict(self.state.webhook)

    @property
    def pending_updates(self) -> int:
        return self.state.updates.pending_count

    def route_webhook(self, host: str, base_url: str) -> None:
        """Deliver what the bot's webhook ``https://host/path`` would get to ``base_url/path``.

        The sandbox's DNS and TLS-terminating proxy in one: ``host`` is the URL's
        ``host[:port]`` as the bot registered it, ``base_url`` a local ``http://`` address.
        """
        self._delivery.route(host, base_url)

    @property
    def webhook_acknowledged(self) -> list[int]:
        """The ids of the updates the webhook acknowledged (2xx), in that order."""
        return list(self._delivery.acknowledged)

    @property
    def webhook_in_flight(self) -> int:
        """Webhook POSTs waiting for the bot's answer now."""
        return self._delivery.in_flight

    # -- limits, faults, counters ---------------------------------------------------------

    @property
    def limits(self) -> RateLimits:
        return self.state.limits

    def set_limits(self, limits: RateLimits) -> None:
        """Replace the flood-control limits (and forget what was counted so far)."""
        self.state.set_limits(limits)

    @property
    def stats(self) -> SandboxStats:
        return self.state.stats

    @property
    def faults_injected(self) -> dict[str, int]:
        return dict(self.state.faults.injected)

    def inject_faults(self, method: str | None, kinds: Sequence[str], count: int) -> None:
        """Fault the next ``count`` calls of ``method`` (None: any call), cycling ``kinds``.

        Kinds: ``timeout``, ``timeout_after``, ``reset``, ``500``, ``502``, ``429``; use the
        method name ``download`` for file downloads.
        """
        self.state.faults.inject(method, kinds, count)

    def set_fault_rate(
        self,
        rate: float,
        kinds: Sequence[str],
        seed: int,
        *,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fault every call (or only ``methods``) with probability ``rate``; 0 turns it off."""
        self.state.faults.set_rate(rate, kinds, seed, methods)

    def clear_faults(self) -> None:
        self.state.faults.clear()
        self.state.webhook_faults.set_duplicates(0.0, 0)

    def set_webhook_duplicates(self, rate: float, seed: int) -> None:
        """Fault: take an acknowledged webhook delivery for lost with probability ``rate``
        and post the update again (see :class:`sandbox.faults.WebhookFaults`)."""
        self.state.webhook_faults.set_duplicates(rate, seed)

    async def wait_idle(
        self,
        *,
        quiet: float = 0.2,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline, not a cancel scope
    ) -> None:
        """Wait until the bot fetched every update and then made no call for ``quiet`` s."""
        await wait_idle(self.state, quiet, timeout)
