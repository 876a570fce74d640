"""The emulated Telegram's chats kept on disk, so that a training session survives a restart.

Telegram keeps every chat on its servers; a bot that restarts finds its users' histories
where they were. The emulator does the same when it is given a chats file: every
message (new, edited, deleted), the chat it lives in, every file and every user is written
through as it changes, and a new emulator on the same file starts with all of it.

It is a SQLite file of its own (Python's ``sqlite3``, nothing of the bot's): the bot keeps
its own database open with write transactions that span awaits, and a synchronous write
here waiting on them would stop the very event loop they need to finish. Deleting the file
(the sandbox's Reset) is how the chats are forgotten.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.chats import ChatEvent, ChatState
from sandbox.files import StoredFile
from sandbox.messages import MessageVersion, SentMessage

if TYPE_CHECKING:
    from sandbox.state import SandboxState

SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    chat_id INTEGER PRIMARY KEY,
    info TEXT NOT NULL,
    next_message_id INTEGER NOT NULL,
    blocked INTEGER NOT NULL,
    reply_keyboard TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY,
    number INTEGER NOT NULL,
    file_unique_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    file_path TEXT NOT NULL,
    file_name TEXT,
    mime_type TEXT,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY,
    info TEXT NOT NULL
);
"""
# Written separately: a reply points at another message by id, and versions are their own type.
_MESSAGE_FIELDS = tuple(
    f.name for f in fields(SentMessage) if f.name not in ("reply_to", "versions")
)


class ChatStore:
    """One SQLite file holding the chats, files and users of an emulator."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        # WAL with NORMAL sync: a write costs no fsync, and a crash loses at most the last
        # moments of a chat, never the file.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._closed = False

    def close(self) -> None:
        self._closed = True
        self._db.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- writing, as things change ----------------------------------------------------------

    def message_changed(self, chat: ChatState, message: SentMessage, seq: int) -> None:
        """Keep ``message`` as it is now, and its chat (its next id, its reply keyboard)."""
        if self._closed:
            return  # an old emulator still answering while a new one starts
        body = {name: getattr(message, name) for name in _MESSAGE_FIELDS}
        body["reply_to"] = message.reply_to.message_id if message.reply_to else None
        body["versions"] = [asdict(version) for version in message.versions]
        with self._db:
            self._save_chat(chat)
            self._db.execute(
                "INSERT OR REPLACE INTO messages (chat_id, message_id, seq, body) "
                "VALUES (?, ?, ?, ?)",
                (chat.id, message.message_id, seq, _json(body)),
            )

    def chat_changed(self, chat: ChatState) -> None:
        if self._closed:
            return  # an old emulator still answering while a new one starts
        with self._db:
            self._save_chat(chat)

    def _save_chat(self, chat: ChatState) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO chats (chat_id, info, next_message_id, blocked, reply_keyboard)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                chat.id,
                _json(chat.info),
                chat.next_message_id,
                int(chat.blocked),
                _json(chat.reply_keyboard) if chat.reply_keyboard is not None else None,
            ),
        )

    def file_added(self, stored: StoredFile, number: int) -> None:
        if self._closed:
            return  # an old emulator still answering while a new one starts
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO files (file_id, number, file_unique_id, kind, data, size,"
                " file_path, file_name, mime_type, width, height)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.file_id, number, stored.file_unique_id, stored.kind, stored.data,
                    stored.size, stored.file_path, stored.file_name, stored.mime_type,
                    stored.width, stored.height,
                ),
            )  # fmt: skip

    def user_added(self, info: dict[str, Any]) -> None:
        if self._closed:
            return  # an old emulator still answering while a new one starts
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO users (user_id, info) VALUES (?, ?)",
                (int(info["id"]), _json(info)),
            )

    # -- reading, when an emulator starts ---------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        """The users the emulator knew, in the order of their ids."""
        rows = self._db.execute("SELECT info FROM users ORDER BY user_id").fetchall()
        return [json.loads(info) for (info,) in rows]

    def restore(self, state: SandboxState) -> None:
        """Fill a fresh emulator's ``state`` with what was kept: users, chats, messages, files."""
        for info in self.users():
            state.users[int(info["id"])] = info
        for number, *values in self._db.execute(
            "SELECT number, file_id, file_unique_id, kind, data, size, file_path, file_name,"
            " mime_type, width, height FROM files ORDER BY number"
        ):
            state.files.put(StoredFile(*values), number)
        for chat_id, info, next_id, blocked, keyboard in self._db.execute(
            "SELECT chat_id, info, next_message_id, blocked, reply_keyboard FROM chats"
        ):
            state.chats[chat_id] = ChatState(
                json.loads(info),
                next_message_id=next_id,
                blocked=bool(blocked),
                reply_keyboard=json.loads(keyboard) if keyboard else None,
            )
        last_seq = 0
        for chat_id, seq, body in self._db.execute(
            "SELECT chat_id, seq, body FROM messages ORDER BY seq"
        ):
            chat = state.chats.get(chat_id)
            if chat is None:
                continue
            message = _message(json.loads(body), chat)
            chat.messages[message.message_id] = message
            chat.events.append(ChatEvent(seq, "delete" if message.deleted else "new", message))
            last_seq = max(last_seq, seq)
        for chat in state.chats.values():
            _reattach_keyboard(chat)
        state.continue_from(last_seq)


def _message(body: dict[str, Any], chat: ChatState) -> SentMessage:
    reply_to = body.pop("reply_to")
    versions = body.pop("versions")
    message = SentMessage(**body)
    # Replies point only to earlier messages, which were restored before this one.
    message.reply_to = chat.messages.get(reply_to) if reply_to is not None else None
    message.versions = [MessageVersion(**version) for version in versions]
    return message


def _reattach_keyboard(chat: ChatState) -> None:
    """The chat's reply keyboard is the very markup object of the message that showed it
    (a one-time keyboard folds after the user's next message); find that message again."""
    if chat.reply_keyboard is None:
        return
    for message in sorted(chat.messages.values(), key=lambda m: -m.message_id):
        if message.reply_markup == chat.reply_keyboard:
            chat.reply_keyboard = message.reply_markup
            return


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
