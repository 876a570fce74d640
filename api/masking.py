"""Personal data for clients without the ``pii:read`` scope: enough left to recognise a
record on the telephone (138****1234, 张*), not enough to contact or identify the person."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    if len(name) < 2:
        return "*" * len(name)  # one character shown would be the whole name
    return name[0] + "*" * (len(name) - 1)


def mask_code(code: str) -> str:
    """A unified social credit code: its first two characters (the kind of organisation)
    and its last four."""
    if len(code) <= 6:
        return "*" * len(code)
    return code[:2] + "*" * (len(code) - 6) + code[-4:]


def mask_text(text: str) -> str:
    """Free text such as a person's address: only its first characters."""
    return text[:2] + "*" * max(1, len(text) - 2) if text else text
