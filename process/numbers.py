"""Application numbers: "HV-2026-000123", the handle customers and staff quote.

Numbers are typed back to us by people, often from a phone with a Chinese input method, so
parsing forgives case, surrounding spaces, full-width characters, missing zero padding and
the odd dash look-alike, and then answers with the one canonical form stored in the database.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

PREFIX: Final = "HV"
SEQ_DIGITS: Final = 6  # padded to six digits; a busy year simply gets more

_NUMBER = re.compile(
    r"HV\s*[-_\s\u2010-\u2015\u2212]?\s*(\d{4})\s*[-_\s\u2010-\u2015\u2212]?\s*(\d{1,12})",
    re.ASCII | re.IGNORECASE,
)


def format_application_number(year: int, seq: int) -> str:
    """The canonical number of the ``seq``-th application of ``year`` (both from 1)."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year}")
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    return f"{PREFIX}-{year}-{seq:0{SEQ_DIGITS}d}"


def parse_application_number(text: str) -> str | None:
    """The canonical form of a typed application number, or None if it is not one."""
    match = _NUMBER.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    year, seq = int(match.group(1)), int(match.group(2))
    if year < 1000 or seq < 1:
        return None
    return format_application_number(year, seq)
