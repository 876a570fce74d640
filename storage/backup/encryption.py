"""Whole-file encryption for backups, so a copy on a file share or a USB disk reveals nothing.

Values of personal data are already sealed inside the database; an encrypted backup also
hides everything else (company and project names, the history) and makes any tampering
detectable. The format streams in chunks, so a large database needs little memory::

    b"HVBK1\\n" | key id (8 ASCII) | nonce prefix (8 bytes) | chunk*
    chunk = length (4 bytes, big-endian) | AES-256-GCM(ciphertext || tag)

Each chunk's nonce is the prefix and the chunk's number; its associated data holds the
header, the number and whether it is the last chunk, so chunks cannot be reordered,
dropped or cut off without the check failing. The key is derived from
``HVCONNECT_SECRET_KEY`` (see :mod:`storage.sealing.crypto`) and named by its key id, so a backup
taken before a key rotation still opens with the old key among the configured ones.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import StorageError
from storage.sealing.crypto import KEY_ID_HEX, FieldCipher

MAGIC = b"HVBK1\n"
CHUNK = 1 << 20
_PREFIX_BYTES = 8
_HEADER = len(MAGIC) + KEY_ID_HEX + _PREFIX_BYTES
_LENGTH = struct.Struct(">I")


class BackupFileError(StorageError):
    """An encrypted backup cannot be read: wrong key, damaged, cut short or not ours."""


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(MAGIC)) == MAGIC


def encrypt_bytes(data: bytes, cipher: FieldCipher, out: BinaryIO) -> None:
    """Write ``data`` encrypted under the cipher's current key to ``out``."""
    key = cipher.current
    prefix = os.urandom(_PREFIX_BYTES)
    header = MAGIC + key.key_id.encode("ascii") + prefix
    out.write(header)
    aead = AESGCM(key.backup_key)
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    for number, chunk in enumerate(chunks):
        final = number == len(chunks) - 1
        sealed = aead.encrypt(_nonce(prefix, number), chunk, _aad(header, number, final))
        out.write(_LENGTH.pack(len(sealed)))
        out.write(sealed)


def decrypt_file(path: Path, cipher: FieldCipher) -> bytes:
    """The plain bytes of an encrypted backup; :class:`BackupFileError` if it does not open."""
    with path.open("rb") as file:
        header = file.read(_HEADER)
        if len(header) != _HEADER or not header.startswith(MAGIC):
            raise BackupFileError(f"{path} is not an encrypted hvconnect backup")
        key_id = header[len(MAGIC) : len(MAGIC) + KEY_ID_HEX].decode("ascii", "replace")
        if key_id not in cipher.key_ids:
            raise BackupFileError(
                f"{path} was encrypted under key id {key_id}, which is not among the "
                "configured keys (HVCONNECT_SECRET_KEY, HVCONNECT_OLD_SECRET_KEYS)"
            )
        aead = AESGCM(cipher.key(key_id).backup_key)
        prefix = header[-_PREFIX_BYTES:]
        parts: list[bytes] = []
        sealed_chunks = list(_chunks(file, path))
        if not sealed_chunks:
            raise BackupFileError(f"{path} is cut short")
        for number, sealed in enumerate(sealed_chunks):
            aad = _aad(header, number, final=number == len(sealed_chunks) - 1)
            try:
                parts.append(aead.decrypt(_nonce(prefix, number), sealed, aad))
            except InvalidTag:
                raise BackupFileError(
                    f"{path} fails its integrity check (damaged, cut short or altered)"
                ) from None
    return b"".join(parts)


def _chunks(file: BinaryIO, path: Path) -> Iterator[bytes]:
    while True:
        length = file.read(_LENGTH.size)
        if not length:
            return
        if len(length) != _LENGTH.size:
            raise BackupFileError(f"{path} is cut short")
        (size,) = _LENGTH.unpack(length)
        if size > CHUNK + 16:
            raise BackupFileError(f"{path} is damaged (a chunk of {size} bytes)")
        sealed = file.read(size)
        if len(sealed) != size:
            raise BackupFileError(f"{path} is cut short")
        yield sealed


def _nonce(prefix: bytes, number: int) -> bytes:
    return prefix + struct.pack(">I", number)


def _aad(header: bytes, number: int, final: bool) -> bytes:
    return header + struct.pack(">I?", number, final)
