"""Bot API request parameters, read the way Telegram reads them.

python-telegram-bot posts form fields (string values as they are, everything else
JSON-encoded) or multipart bodies when files are attached; other clients use the query
string or a JSON body. :class:`Params` hides those differences behind typed accessors that
fail with Telegram's own 400 replies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from sandbox.errors import bad_request

ATTACH_PREFIX = "attach://"


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """The parameters of one Bot API call."""

    def __init__(
        self,
        values: Mapping[str, object],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> None:
        self._values = dict(values)
        self._files = dict(files or {})

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, object] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method != "POST" or not request.body_exists:
            return cls(values, files)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise bad_request("can't parse JSON request body") from error
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an object")
            values.update(body)
            return cls(values, files)
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, FileField):
                files[name] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                values[name] = value
        return cls(values, files)

    def nested(self, values: Mapping[str, object]) -> Params:
        """The parameters of one item of a list parameter (an album's InputMedia), which
        names its uploads with ``attach://`` among this request's files."""
        return Params(values, self._files)

    def has(self, name: str) -> bool:
        return name in self._values or name in self._files

    def string(self, name: str, *, missing: str | None = None) -> str | None:
        """A text parameter; ``missing`` is the Telegram complaint when it is required."""
        value = self._values.get(name)
        if value is None:
            if missing is not None:
                raise bad_request(missing)
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str, *, missing: str | None = None) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            if missing is not None:
                raise bad_request(missing)
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError as error:
            raise bad_request(f'field "{name}" must be of type Integer') from error

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad_request(f'field "{name}" must be of type Number')
        try:
            return float(value)
        except ValueError as error:
            raise bad_request(f'field "{name}" must be of type Number') from error

    def boolean(self, name: str) -> bool | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0", ""):
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def json(self, name: str, *, complaint: str | None = None) -> Any:
        """A JSON object or array parameter, sent encoded in a form field or inline."""
        value = self._values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as error:
            raise bad_request(complaint or f"can't parse {name} JSON object") from error

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer, or ``@username`` for public chats."""
        value = self._values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError as error:
            raise bad_request("chat not found") from error

    def file(self, name: str) -> UploadedFile | str | None:
        """An InputFile parameter: an uploaded part (directly or via attach://) or a file id."""
        if name in self._files:
            return self._files[name]
        value = self._values.get(name)
        if value is None:
            return None
        text = str(value)
        if text.startswith(ATTACH_PREFIX):
            part = self._files.get(text[len(ATTACH_PREFIX) :])
            if part is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return part
        return text
