"""Files users send and the bot uploads, with ids and paths shaped like Telegram's.

Users can declare a size larger than the bytes they hand over, so the bot's 20 MB download
limit can be tested without moving 20 MB around.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # bots may not upload bigger documents
DEFAULT_PHOTO_SIZE = (1280, 960)

# The first bytes of real file ids encode the file type; bots sometimes log or compare them.
_ID_PREFIX = {
    "document": "BQACAgUAAxkBAAI",
    "photo": "AgACAgUAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FOLDER = {"document": "documents", "photo": "photos", "sticker": "stickers"}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def file_info(self) -> dict[str, Any]:
        """The ``File`` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }

    def document(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name is not None:
            info["file_name"] = self.file_name
        if self.mime_type is not None:
            info["mime_type"] = self.mime_type
        return info

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "width": self.width,
            "height": self.height,
        }


class FileStore:
    """Every file the emulated Telegram holds, by id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0
        # Told of every new file with its number, to keep it beyond this process.
        self.on_add: Callable[[StoredFile, int], None] | None = None

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        declared_size: int | None = None,
        dimensions: tuple[int, int] | None = None,
    ) -> StoredFile:
        self._counter += 1
        digest = hashlib.sha512(f"{kind}:{self._counter}".encode() + data[:64]).digest()
        token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        extension = _extension(file_name, kind)
        width, height = dimensions or image_size(data) or (0, 0)
        stored = StoredFile(
            file_id=f"{_ID_PREFIX.get(kind, 'BQACAgUAAxkBAAI')}{self._counter:04d}{token[:48]}",
            file_unique_id=f"AgAD{token[48:60]}",
            kind=kind,
            data=data,
            size=declared_size if declared_size is not None else len(data),
            file_path=f"{_FOLDER.get(kind, 'documents')}/file_{self._counter}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        if self.on_add is not None:
            self.on_add(stored, self._counter)
        return stored

    def put(self, stored: StoredFile, number: int) -> None:
        """Hold a file kept from an earlier run; new files are numbered after it."""
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        self._counter = max(self._counter, number)

    def add_photo(self, data: bytes, *, declared_size: int | None = None) -> list[StoredFile]:
        """A photo as Telegram stores it: a thumbnail and the full size, smallest first."""
        width, height = image_size(data) or DEFAULT_PHOTO_SIZE
        scale = 90 / max(width, height, 1)
        thumb_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        thumb = self.add("photo", data, dimensions=thumb_size, declared_size=min(len(data), 2048))
        full = self.add("photo", data, dimensions=(width, height), declared_size=declared_size)
        return [thumb, full]

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


def _extension(file_name: str | None, kind: str) -> str:
    if file_name and "." in file_name:
        suffix = file_name.rsplit(".", 1)[1]
        if suffix.isascii() and suffix.isalnum() and len(suffix) <= 8:
            return f".{suffix.lower()}"
    return {"photo": ".jpg", "sticker": ".webp"}.get(kind, "")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG, read from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if not data.startswith(b"\xff\xd8"):
        return None
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0-SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None
