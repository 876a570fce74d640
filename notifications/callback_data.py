"""What a button press carries: one typed value per kind of button, one codec for all of them.

Every inline button the bot makes names a :class:`Press` subclass, and its ``callback_data``
is that press encoded here; a handler decodes the query's data back into the same class or
gets ``None``. Nothing else in the bot builds or parses callback data, so a typo in an
action or an owed kind is a type error, and the list of every kind of press
(:func:`press_kinds`) is what a crawler walks.

The encoding is compact text, ``<version>:<prefix>:<field>:<field>…``, because Telegram
allows 64 bytes: ``1:wf:accept:123456:17`` is 21. The version comes first so that buttons
left in chats by an older release decode to ``None`` (and are answered as out of date)
instead of being read with another meaning. Nothing decoded is trusted beyond its shape:
the handler still checks the role, the holder and the version against the database.

Fields may be ``int``, ``str`` (no colon), a ``StrEnum``, or either of the first two
``| None`` (written as an empty field).
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin, get_type_hints

#: Raised when the meaning of a field changes: old buttons then read as out of date.
CODEC_VERSION = "1"
#: Telegram refuses callback data longer than this, in bytes.
MAX_BYTES = 64

_INT = re.compile(r"-?\d{1,18}")
_TEXT = re.compile(r"[^:]{0,60}")


class PressError(ValueError):
    """A press could not be encoded: a field holds what its type does not allow."""


class Press:
    """Base of every kind of press; subclasses are frozen dataclasses made by :func:`press`."""

    prefix: ClassVar[str]

    def encode(self) -> str:
        return encode(self)


P = TypeVar("P", bound=Press)

_KINDS: dict[str, type[Press]] = {}
_FIELDS: dict[type[Press], tuple[tuple[str, Callable[[str], Any], bool], ...]] = {}


def press(prefix: str) -> Callable[[type[P]], type[P]]:
    """Register a frozen dataclass as the press written with ``prefix``.

    Used as a class decorator under ``@dataclass(frozen=True)``; the prefix must be unique.
    """

    if not re.fullmatch(r"[a-z]{1,6}", prefix):
        raise ValueError(f"a press prefix is 1 to 6 lower-case letters, not {prefix!r}")

    def register(cls: type[P]) -> type[P]:
        if prefix in _KINDS:
            raise ValueError(f"press prefix {prefix!r} is taken by {_KINDS[prefix].__name__}")
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        cls.prefix = prefix
        hints = get_type_hints(cls)
        _FIELDS[cls] = tuple(
            (field.name, *_reader(hints[field.name])) for field in dataclasses.fields(cls)
        )
        _KINDS[prefix] = cls
        return cls

    return register


def _reader(hint: Any) -> tuple[Callable[[str], Any], bool]:
    """How to read one field back from text, and whether it may be empty (``None``)."""
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) != 1 or len(get_args(hint)) != 2:
            raise TypeError(f"unsupported press field type {hint!r}")
        hint, optional = args[0], True
    if hint is int:
        return _read_int, optional
    if hint is str:
        return _read_text, optional
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return hint, optional
    raise TypeError(f"unsupported press field type {hint!r}")


def _read_int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _read_text(text: str) -> str:
    if not _TEXT.fullmatch(text):
        raise ValueError(text)
    return text


def encode(value: Press) -> str:
    """The ``callback_data`` of a press; :class:`PressError` if it would not fit or read back."""
    cls = type(value)
    parts = [CODEC_VERSION, cls.prefix]
    for name, _, optional in _FIELDS[cls]:
        field = getattr(value, name)
        if field is None:
            if not optional:
                raise PressError(f"{cls.__name__}.{name} is required")
            parts.append("")
            continue
        text = str(field.value if isinstance(field, StrEnum) else field)
        if ":" in text:
            raise PressError(f"{cls.__name__}.{name} may not hold a colon: {text!r}")
        parts.append(text)
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise PressError(f"{cls.__name__} encodes to more than {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: object) -> Press | None:
    """The press a button's data stands for, or ``None`` for anything not made by this release."""
    if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != CODEC_VERSION:
        return None
    cls = _KINDS.get(parts[1])
    if cls is None:
        return None
    fields = _FIELDS[cls]
    values = parts[2:]
    if len(values) != len(fields):
        return None
    read: dict[str, Any] = {}
    for (name, reader, optional), text in zip(fields, values, strict=True):
        if text == "" and optional:
            read[name] = None
            continue
        try:
            read[name] = reader(text)
        except ValueError:
            return None
    return cls(**read)


def decode_as(data: object, kind: type[P]) -> P | None:
    """The press if ``data`` is one of ``kind``, else ``None``."""
    value = decode(data)
    return value if isinstance(value, kind) else None


def pattern(
    kind: type[Press], where: Callable[[Any], bool] | None = None
) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern matching presses of ``kind`` (and ``where``, if given)."""

    def matches(data: object) -> bool:
        value = decode_as(data, kind)
        return value is not None and (where is None or where(value))

    return matches


def press_kinds() -> dict[str, type[Press]]:
    """Every kind of press, by prefix: what a crawler enumerates."""
    return dict(_KINDS)
