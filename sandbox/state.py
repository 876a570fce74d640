"""Everything the emulated Telegram knows, shared by the Bot API side and the user side.

All of it lives on one event loop and is changed only between awaits, so no locks are
needed; every change wakes the coroutines waiting in :mod:`sandbox.notify`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sandbox.chats import ChatEvent, ChatState, EventKind
from sandbox.errors import (
    BOT_BLOCKED,
    CHAT_NOT_FOUND,
    QUERY_TOO_OLD,
    bad_request,
    forbidden,
    too_many_requests,
)
from sandbox.faults import FaultInjector, WebhookFaults
from sandbox.files import FileStore, StoredFile
from sandbox.limits import RateLimiter, RateLimits
from sandbox.messages import SentMessage
from sandbox.notify import ChangeSignal
from sandbox.stats import SandboxStats
from sandbox.updates import UpdateQueue


class ChatJournal(Protocol):
    """Where the chats are kept as they change (:class:`sandbox.chat_store.ChatStore`)."""

    def message_changed(self, chat: ChatState, message: SentMessage, seq: int) -> None: ...

    def chat_changed(self, chat: ChatState) -> None: ...

    def file_added(self, stored: StoredFile, number: int) -> None: ...

    def user_added(self, info: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to one button press."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class CallbackQuery:
    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created: float
    answer: CallbackAnswer | None = None


@dataclass
class Activity:
    """When the bot last talked to the emulator, for telling that it has gone quiet."""

    in_flight: int = 0
    last_change: float = field(default=0.0)


class SandboxState:
    """Chats, users, files, updates, commands and counters of one emulated Telegram."""

    def __init__(
        self,
        *,
        bot_user: dict[str, Any],
        limits: RateLimits,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        strict_html: bool,
        callback_query_ttl: float,
    ) -> None:
        self.bot_user = bot_user
        self.clock = clock
        self.wall_clock = wall_clock
        self.strict_html = strict_html
        self.callback_query_ttl = callback_query_ttl
        self.limits = limits
        self.limiter = RateLimiter(limits, clock)
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.stats = SandboxStats()
        self.faults = FaultInjector()
        self.webhook_faults = WebhookFaults()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.signal = ChangeSignal()
        self._chat_signals: dict[int, ChangeSignal] = {}
        self.activity = Activity()
        self.journal: ChatJournal | None = None
        self._seq = 0
        self._callback_counter = 0

    # -- time -----------------------------------------------------------------------------

    def now(self) -> int:
        """Unix seconds, as Telegram dates messages."""
        return int(self.wall_clock())

    def set_limits(self, limits: RateLimits) -> None:
        self.limits = limits
        self.limiter = RateLimiter(limits, self.clock)

    # -- chats ----------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        return self._seq

    def keep(self, journal: ChatJournal) -> None:
        """Write every later change of chats, files and users through to ``journal``."""
        self.journal = journal
        self.files.on_add = journal.file_added

    def continue_from(self, seq: int) -> None:
        """Number changes on from ``seq``, after chats restored from a journal."""
        self._seq = max(self._seq, seq)

    def chat_changed(self, chat: ChatState) -> None:
        if self.journal is not None:
            self.journal.chat_changed(chat)

    def private_chat(self, user: dict[str, Any]) -> ChatState:
        chat = self.chats.get(user["id"])
        if chat is None:
            info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if user.get(key):
                    info[key] = user[key]
            chat = ChatState(info)
            self.chats[chat.id] = chat
            self.chat_changed(chat)
        return chat

    def add_chat(self, info: dict[str, Any]) -> ChatState:
        chat = self.chats.get(int(info["id"]))
        if chat is None:
            chat = ChatState(dict(info))
            self.chats[chat.id] = chat
            self.chat_changed(chat)
        return chat

    def chat_for_bot(self, reference: int | str) -> ChatState:
        """The chat a bot call names, with Telegram's complaints when it may not write there."""
        if isinstance(reference, str):
            wanted = reference.removeprefix("@").lower()
            # Only public groups and channels are reachable by @username, never users.
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if not c.is_private and c.info.get("username", "").lower() == wanted
                ),
                None,
            )
        else:
            chat = self.chats.get(reference)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.blocked:
            raise forbidden(BOT_BLOCKED)
        return chat

    def chat_signal(self, chat_id: int) -> ChangeSignal:
        """Wakes only those waiting on one chat, so many waiting users stay cheap."""
        signal = self._chat_signals.get(chat_id)
        if signal is None:
            signal = self._chat_signals[chat_id] = ChangeSignal()
        return signal

    def record(self, chat: ChatState, kind: EventKind, message: SentMessage) -> None:
        self._seq += 1
        chat.events.append(ChatEvent(self._seq, kind, message))
        if self.journal is not None:
            self.journal.message_changed(chat, message, self._seq)
        self.chat_signal(chat.id).notify()
        self.signal.notify()

    def store(self, chat: ChatState, message: SentMessage) -> None:
        chat.messages[message.message_id] = message
        self.record(chat, "new", message)

    def take_send_slot(self, chat: ChatState) -> None:
        """Count one message against flood control, or refuse it with 429."""
        retry_after = self.limiter.acquire(chat.id)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    # -- updates --------------------------------------------------------------------------

    def enqueue(self, update: dict[str, Any]) -> int:
        self.stats.updates_enqueued += 1
        update_id = self.updates.push(update)
        self.signal.notify()
        return update_id

    # -- callback queries -----------------------------------------------------------------

    def new_callback_query(
        self, user_id: int, message: SentMessage | None, data: str | None
    ) -> CallbackQuery:
        self._callback_counter += 1
        query = CallbackQuery(
            query_id=str(4_611_686_018_427_387_904 + self._callback_counter * 7919),
            user_id=user_id,
            chat_id=message.chat_id if message else None,
            message_id=message.message_id if message else None,
            data=data,
            created=self.clock(),
        )
        self.callbacks[query.query_id] = query
        return query

    def answer_callback_query(self, query_id: str, answer: CallbackAnswer) -> None:
        query = self.callbacks.get(query_id)
        too_old = query is not None and self.clock() - query.created > self.callback_query_ttl
        if query is None or query.answer is not None or too_old:
            raise bad_request(QUERY_TOO_OLD)
        query.answer = answer
        self.signal.notify()

    # -- activity -------------------------------------------------------------------------

    def touch(self) -> None:
        self.activity.last_change = asyncio.get_running_loop().time()

    def request_started(self) -> None:
        self.activity.in_flight += 1
        self.activity.last_change = asyncio.get_running_loop().time()

    def request_finished(self) -> None:
        self.activity.in_flight -= 1
        self.activity.last_change = asyncio.get_running_loop().time()
