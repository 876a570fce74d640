"""The web chat's per-persona API: read a chat, type, press, tap, upload, download.

Every action is a :class:`~sandbox.users.FakeUser` call, so the bot receives the same
updates a Telegram client would send: commands with their entities, contacts with the
sender's own user id, photos in two sizes, callback queries for pressed buttons.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web

from sandbox.emulator import BotApiEmulator
from sandbox.inbox import WaitTimeout
from sandbox.users import ButtonNotFound, FakeUser
from sandbox.webchat.json_http import bad_input, json_object, not_found
from sandbox.webchat.views import (
    Persona,
    chat_changes,
    command_menu,
    reply_keyboard,
)

MAX_TEXT_CHARS = 4096  # Telegram's limit for one message
ANSWER_WAIT_SECONDS = 3.0
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})


class _Host(Protocol):
    @property
    def emulator(self) -> BotApiEmulator: ...


class Personas(Protocol):
    """What the chat routes need of the web chat (:class:`sandbox.webchat.server.WebChat`):
    its personas and the emulator they live in. Named here so that this module need not
    import the server that imports it."""

    @property
    def host(self) -> _Host: ...

    def persona(self, user_id: int) -> Persona | None: ...

    def fake_user(self, persona: Persona) -> FakeUser: ...

    def mark_read(self, user_id: int) -> None: ...


class ChatActions:
    """Routes under ``/api/chats/{user_id}`` and ``/api/files/{file_id}``."""

    def __init__(self, webchat: Personas) -> None:
        self._webchat = webchat

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/chats/{user_id}", self.read)
        router.add_post("/api/chats/{user_id}/messages", self.send_text)
        router.add_post("/api/chats/{user_id}/press", self.press)
        router.add_post("/api/chats/{user_id}/tap", self.tap)
        router.add_post("/api/chats/{user_id}/files", self.upload)
        router.add_get("/api/files/{file_id}", self.download)

    def _persona(self, request: web.Request) -> tuple[Persona, FakeUser]:

        raw = request.match_info["user_id"]
        persona = self._webchat.persona(int(raw)) if raw.isdigit() else None
        if persona is None:
            raise not_found(f"no persona {raw}")
        return persona, self._webchat.fake_user(persona)

    async def read(self, request: web.Request) -> web.Response:
        """The chat's messages changed after ``after`` (all of them from 0), and its menus."""

        persona, _ = self._persona(request)
        raw_after = request.query.get("after", "0")
        if not raw_after.isdigit():
            raise bad_input("after: a change number from an earlier answer")
        emulator = self._webchat.host.emulator
        mark = emulator.state.seq
        body = {
            "user_id": persona.user_id,
            "mark": mark,
            "messages": chat_changes(emulator, persona.user_id, int(raw_after)),
            "keyboard": reply_keyboard(emulator.state.chats.get(persona.user_id)),
            "commands": command_menu(emulator, persona),
        }
        self._webchat.mark_read(persona.user_id)
        return web.json_response(body)

    async def send_text(self, request: web.Request) -> web.Response:

        _, user = self._persona(request)
        text = str((await json_object(request)).get("text", ""))
        if not text.strip():
            raise bad_input("text: the message is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise bad_input(f"text: at most {MAX_TEXT_CHARS} characters")
        sent = await user.send_text(text)
        return web.json_response({"message_id": sent.message_id})

    async def press(self, request: web.Request) -> web.Response:
        """Press an inline button; answers with the bot's toast or alert, if it gave one."""

        _, user = self._persona(request)
        body = await json_object(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise bad_input("message_id (a number) and data (the button's callback data)")
        try:
            press = await user.press(message_id, data)
        except ButtonNotFound as error:
            raise bad_input(str(error)) from None
        answer: dict[str, Any] | None = None
        try:
            given = await user.callback_answer(press, timeout=ANSWER_WAIT_SECONDS)
            answer = {"text": given.text, "show_alert": given.show_alert}
        except WaitTimeout:
            pass  # the bot did not answer in time; Telegram just stops the spinner
        return web.json_response({"answer": answer})

    async def tap(self, request: web.Request) -> web.Response:
        """Tap a reply keyboard button; a contact button shares the persona's own number."""

        _, user = self._persona(request)
        text = str((await json_object(request)).get("text", ""))
        try:
            sent = await user.tap(text)
        except ButtonNotFound as error:
            raise bad_input(str(error)) from None
        return web.json_response({"message_id": sent.message_id})

    async def upload(self, request: web.Request) -> web.Response:
        """A file from the computer: JPEG and PNG go as photos unless ``as=document``."""

        _, user = self._persona(request)
        if not request.content_type.startswith("multipart/"):
            raise bad_input("send the file as multipart/form-data with a 'file' field")
        fields: dict[str, str] = {}
        upload: tuple[str, str, bytes] | None = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "file" and part.filename:
                mime = part.headers.get("Content-Type", "application/octet-stream")
                # Browsers percent-encode quotes and line breaks in names; aiohttp all of it.
                name = unquote(part.filename)
                upload = (name, mime.split(";")[0].strip(), bytes(await part.read()))
            else:
                fields[part.name] = await part.text()
        if upload is None:
            raise bad_input("file: no file was sent")
        name, mime, data = upload
        if not data:
            raise bad_input("file: the file is empty")
        caption = fields.get("caption", "").strip() or None
        as_photo = fields.get("as", "photo" if mime in PHOTO_TYPES else "document") == "photo"
        if as_photo:
            sent = await user.send_photo(data, caption=caption)
        else:
            sent = await user.send_document(name, data, mime, caption=caption)
        return web.json_response({"message_id": sent.message_id}, status=201)

    async def download(self, request: web.Request) -> web.Response:
        """A file from the emulator's storage, what either side sent."""

        stored = self._webchat.host.emulator.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise not_found("no such file")
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        disposition = "inline" if stored.kind == "photo" else "attachment"
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type or _sniff_type(stored.data),
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "private, max-age=3600",
            },
        )


def _sniff_type(data: bytes) -> str:
    """Photos are stored without a type (Telegram re-encodes them); tell it from the bytes."""
    for magic, mime in (
        (b"\x89PNG", "image/png"),
        (b"\xff\xd8", "image/jpeg"),
        (b"RIFF", "image/webp"),
    ):
        if data.startswith(magic):
            return mime
    return "application/octet-stream"
