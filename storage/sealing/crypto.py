"""Keys and ciphers for the personal data the bot keeps: phone numbers, names, credit codes,
draft answers, relayed texts, captions and outbox texts.

A copy of the database file (a stolen disk, a careless backup) must not give these away, so
each value is sealed on its own with AES-256-GCM under a key derived from
``HVCONNECT_SECRET_KEY``. The key format is 32 random bytes in URL-safe base64; generate
one with::

    python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"

From that secret HKDF-SHA256 derives separate keys for sealing values, for the keyed hashes
that make look-ups by phone or credit code possible without decrypting, and for encrypting
whole backup files, plus a short public key id. A sealed value reads::

    hv1:<key id>:<base64url(nonce || ciphertext || tag)>

The key id lets a reader holding several keys pick the right one, which is what makes key
rotation possible while the bot keeps running: during a rotation the bot knows the new key
(for writing) and the old ones (for reading), and ``hvconnect rotate-key`` re-seals rows
in small batches. A fresh random nonce per value means equal plain values never look equal
on disk; the GCM tag means a tampered value is refused rather than misread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.errors import StorageError

SECRET_BYTES = 32
NONCE_BYTES = 12
KEY_ID_HEX = 8
VERSION = "hv1"
SEALED_PREFIX = VERSION + ":"
_SALT = b"hvconnect/2026"
_AAD = b"hvconnect sealed value v1"
GENERATE_HINT = (
    'python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)


class CryptoError(StorageError):
    """A key or a sealed value is not what it should be."""


class BadSecretKey(CryptoError, ValueError):
    """A configured secret is not 32 bytes of URL-safe base64."""


class UnknownKey(CryptoError):
    """A value was sealed under a key this process was not given."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"a stored value is sealed under key id {key_id}, which is not among the "
            "configured keys (HVCONNECT_SECRET_KEY, HVCONNECT_OLD_SECRET_KEYS)"
        )
        self.key_id = key_id


class TamperedValue(CryptoError):
    """A sealed value failed authentication: it was altered or is not ours."""


class SealedWithoutKey(CryptoError):
    """The database holds sealed values but no key was given to read them."""

    def __init__(self) -> None:
        super().__init__(
            "the database holds encrypted personal data but no key was given; "
            "set HVCONNECT_SECRET_KEY"
        )


def generate_secret_key() -> str:
    """A new secret in the format ``HVCONNECT_SECRET_KEY`` expects."""
    return base64.urlsafe_b64encode(os.urandom(SECRET_BYTES)).decode("ascii")


def parse_secret_key(text: str, *, name: str = "HVCONNECT_SECRET_KEY") -> bytes:
    """The 32 secret bytes of ``text``; :class:`BadSecretKey` with one line otherwise."""
    raw = text.strip()
    try:
        secret = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != SECRET_BYTES or not raw.isascii():
        raise BadSecretKey(
            f"{name}: expected {SECRET_BYTES} random bytes in URL-safe base64 "
            f"(44 characters); generate one with: {GENERATE_HINT}"
        )
    return secret


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode("ascii")
    ).derive(secret)


@dataclass(frozen=True)
class DataKey:
    """The keys derived from one secret, and the id that names them in stored values."""

    key_id: str
    _sealing: AESGCM = field(repr=False)
    _lookup: bytes = field(repr=False)
    backup_key: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, secret: bytes) -> DataKey:
        return cls(
            key_id=_derive(secret, "key id").hex()[:KEY_ID_HEX],
            _sealing=AESGCM(_derive(secret, "seal values")),
            _lookup=_derive(secret, "lookup hash"),
            backup_key=_derive(secret, "backup files"),
        )

    def seal(self, plain: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        body = nonce + self._sealing.encrypt(nonce, plain.encode("utf-8"), _AAD)
        encoded = base64.urlsafe_b64encode(body).decode("ascii").rstrip("=")
        return f"{SEALED_PREFIX}{self.key_id}:{encoded}"

    def open_body(self, encoded: str) -> str:
        try:
            body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            plain = self._sealing.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _AAD)
            return plain.decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
            raise TamperedValue(f"a value sealed under key {self.key_id} fails its check") from None

    def lookup_hash(self, plain: str) -> str:
        return hmac.new(self._lookup, plain.encode("utf-8"), hashlib.sha256).hexdigest()


class FieldCipher:
    """Seals and opens values with the current key; opens with any key it was given.

    ``current`` seals everything new; ``previous`` keys are only for reading values that a
    rotation has not reached yet.
    """

    def __init__(self, current: DataKey, previous: Iterable[DataKey] = ()) -> None:
        self.current = current
        self._keys: dict[str, DataKey] = {current.key_id: current}
        for key in previous:
            self._keys.setdefault(key.key_id, key)

    @classmethod
    def from_secrets(cls, current: str, previous: Sequence[str] = ()) -> FieldCipher:
        """From the configured texts (``HVCONNECT_SECRET_KEY`` and the old keys)."""
        return cls(
            DataKey.from_secret(parse_secret_key(current)),
            [
                DataKey.from_secret(parse_secret_key(p, name="HVCONNECT_OLD_SECRET_KEYS"))
                for p in previous
            ],
        )

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id this cipher can read, the current one first."""
        return tuple(self._keys)

    def key(self, key_id: str) -> DataKey:
        found = self._keys.get(key_id)
        if found is None:
            raise UnknownKey(key_id)
        return found

    def seal(self, plain: str) -> str:
        return self.current.seal(plain)

    def open(self, stored: str) -> str:
        """The plain value of a stored one; values that were never sealed pass through."""
        if not stored.startswith(SEALED_PREFIX):
            return stored
        key_id, body = _split(stored)
        return self.key(key_id).open_body(body)

    def lookup_hash(self, plain: str) -> str:
        """The keyed hash stored beside a value, under the current key."""
        return self.current.lookup_hash(plain)

    def lookup_hashes(self, plain: str) -> list[str]:
        """The value's hash under every key, for look-ups while a rotation is under way."""
        return [key.lookup_hash(plain) for key in self._keys.values()]

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{SEALED_PREFIX}{self.current.key_id}:")


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def sealed_key_id(stored: str) -> str | None:
    """The key id a stored value names, or None for a value that was never sealed."""
    if not is_sealed(stored):
        return None
    return _split(stored)[0]


def _split(stored: str) -> tuple[str, str]:
    _, key_id, body = [*stored.split(":", 2), "", ""][:3]
    if len(key_id) != KEY_ID_HEX or not body:
        raise TamperedValue("a sealed value is malformed")
    return key_id, body
