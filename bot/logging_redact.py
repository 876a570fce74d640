"""Logs never carry the bot token or personal data.

The token is in every Bot API URL, and httpx logs URLs; a phone number or a credit code can
reach a log line through an exception message or a debug dump of an update. Log files are
read and shipped by more people than the database, so every record is scrubbed when it is
made, whichever library made it and whichever handler will write it:

* the bot token (and anything shaped like a Telegram bot token) becomes ``[token]``;
* mainland mobile numbers (optionally with +86) become ``[phone]``;
* unified social credit codes (18 characters of their alphabet) become ``[uscc]``;
* debug lines of libraries that dump whole payloads (python-telegram-bot's API calls and
  updates, aiosqlite's statements with their parameters) keep their shape but lose the
  payload: no pattern can recognise a name or a relayed message.

The scrubbing is a log record factory, installed once per process by
:func:`install_redaction`; logging is process-wide, so this is too.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any

TOKEN_MARK = "[token]"
PHONE_MARK = "[phone]"
USCC_MARK = "[uscc]"
PAYLOAD_MARK = "[payload not logged]"
# msg format -> indices of the arguments kept as they are; the others are summarised.
PAYLOAD_FORMATS: dict[str, tuple[int, ...]] = {
    "Calling Bot API endpoint `%s` with parameters `%s`": (0,),
    "Call to Bot API endpoint `%s` finished with return value `%s`": (0,),
    "Processing update %s": (),
    "Dropping pending update: %s": (),
    "executing %s": (),
    "operation %s completed": (),
}

_TOKEN_SHAPE = re.compile(r"\b\d{5,16}:[A-Za-z0-9_-]{30,}")
_PHONE = re.compile(r"(?<![\dA-Za-z])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")
_USCC = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")


class Redactor:
    """Replaces secrets it was told about, and personal data it recognises, in text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, secret: str | None) -> None:
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, TOKEN_MARK)
        text = _TOKEN_SHAPE.sub(TOKEN_MARK, text)
        text = _PHONE.sub(PHONE_MARK, text)
        return _USCC.sub(USCC_MARK, text)


REDACTOR = Redactor()
_installed = False
_install_lock = threading.Lock()


def install_redaction(*secrets: str | None) -> Redactor:
    """Scrub every log record of this process from now on; ``secrets`` (the bot token) are
    replaced wherever they appear. Safe to call again, e.g. for another token."""
    global _installed
    for secret in secrets:
        REDACTOR.add_secret(secret)
    with _install_lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                scrub(record, REDACTOR)
                return record

            logging.setLogRecordFactory(make_record)
            _installed = True
    return REDACTOR


def scrub(record: logging.LogRecord, redactor: Redactor) -> None:
    """Redact the record's message, traceback and stack in place."""
    kept = PAYLOAD_FORMATS.get(record.msg) if isinstance(record.msg, str) else None
    if kept is not None and isinstance(record.args, tuple):
        record.args = tuple(
            arg if i in kept else _summary(arg) for i, arg in enumerate(record.args)
        )
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is logging's to report, not ours
        return
    clean = redactor.redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redactor.redact(text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)


def _summary(payload: object) -> str:
    """What may be said of a payload: an update's id, a call's name, nothing else."""
    update_id = getattr(payload, "update_id", None)
    if isinstance(update_id, int):
        return f"#{update_id} {PAYLOAD_MARK}"
    name = getattr(getattr(payload, "func", None), "__name__", None)
    if isinstance(name, str):
        return f"{name}(…) {PAYLOAD_MARK}"
    return PAYLOAD_MARK
