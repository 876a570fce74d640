"""Reading one chat as a user would, and waiting for what the bot does next.

An inbox keeps a cursor into the chat's history of changes. Sending something moves the
cursor to "now", so ``await alice.send_text("x"); reply = await alice.next_reply()`` waits
for the first bot message (or edit) that came after it — with no sleeps and no races.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sandbox.chats import ChatState
from sandbox.markup import keyboard_rows
from sandbox.messages import SentMessage
from sandbox.notify import ChangeSignal, sleep_on
from sandbox.state import SandboxState

T = TypeVar("T")
DEFAULT_TIMEOUT = 15.0  # generous: a wait only lasts this long when something is wrong


class WaitTimeout(AssertionError):
    """What a test waited for did not happen in time."""


async def wait_until(
    signal: ChangeSignal,
    check: Callable[[], T | None],
    seconds: float,
    describe_failure: Callable[[], str],
) -> T:
    """Re-run ``check`` after every change until it returns something or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        ticket = signal.ticket()
        result = check()
        if result is not None:
            return result
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise WaitTimeout(describe_failure())
        await sleep_on(ticket, remaining)


async def wait_idle(state: SandboxState, quiet: float, seconds: float) -> None:
    """Wait until every update was fetched and the bot then made no call for ``quiet`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    activity = state.activity
    while True:
        now = loop.time()
        pending = state.updates.pending_count
        if pending == 0 and activity.in_flight == 0 and now - activity.last_change >= quiet:
            return
        if now >= deadline:
            raise WaitTimeout(
                f"the bot was not idle within {seconds}s: {pending} updates not fetched, "
                f"{activity.in_flight} calls in progress"
            )
        await asyncio.sleep(min(quiet / 4, 0.05))


class ChatInbox:
    """The bot's side of one chat, seen from inside it."""

    def __init__(self, state: SandboxState, chat_id: int) -> None:
        self._state = state
        self.chat_id = chat_id
        self.cursor = state.seq

    @property
    def _chat(self) -> ChatState | None:
        return self._state.chats.get(self.chat_id)

    def mark(self) -> int:
        """Forget everything that happened so far; waits look only at what comes next."""
        self.cursor = self._state.seq
        return self.cursor

    def messages(self, *, include_deleted: bool = False) -> list[SentMessage]:
        """Every bot message in the chat, oldest first."""
        chat = self._chat
        return chat.bot_messages(include_deleted=include_deleted) if chat else []

    def last_message(self) -> SentMessage | None:
        messages = self.messages()
        return messages[-1] if messages else None

    @property
    def chat_actions(self) -> list[str]:
        """Chat actions (``typing``, ``upload_document``…) the bot sent, in order."""
        chat = self._chat
        return list(chat.actions) if chat else []

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard the user currently sees, as rows of button texts."""
        chat = self._chat
        return keyboard_rows(chat.reply_keyboard) if chat else None

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
        new_only: bool = False,
        after: int | None = None,
    ) -> SentMessage:
        """The next bot message or edit after the cursor (or ``after``) that matches.

        Non-matching changes before the match are passed over; on a timeout the cursor
        stays where it was and :class:`WaitTimeout` says what the chat did contain.
        """
        start = self.cursor if after is None else after

        def find() -> SentMessage | None:
            chat = self._chat
            if chat is None:
                return None
            for event in chat.events_after(start):
                message = event.message
                if event.kind == "delete" or not message.from_bot:
                    continue
                if new_only and event.kind != "new":
                    continue
                if predicate is None or predicate(message):
                    self.cursor = event.seq
                    return message
            return None

        signal = self._state.chat_signal(self.chat_id)
        return await wait_until(signal, find, timeout, lambda: self._describe(timeout))

    async def next_reply(self, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:  # noqa: ASYNC109
        """The bot's next message or edit in this chat."""
        return await self.wait_for(timeout=timeout)

    async def wait_idle(
        self,
        *,
        quiet: float = 0.2,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline, not a cancel scope
    ) -> None:
        """Wait until the bot has gone quiet: to assert that it sent nothing."""
        await wait_idle(self._state, quiet, timeout)

    def _describe(self, timeout: float) -> str:
        recent = [repr(m.content[:80]) for m in self.messages()[-3:]]
        return (
            f"no matching bot message in chat {self.chat_id} within {timeout}s "
            f"(after change #{self.cursor}); last bot messages: {', '.join(recent) or 'none'}"
        )
