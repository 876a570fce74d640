"""Checks for everything a customer types, applied where the text enters.

Each validator takes raw text and returns a normalised value, or raises
:class:`ValidationError` with a short, stable ``code`` and the parameters a message needs.
The wording lives in the templates, one per language, so the codes below are an interface:
rename one only together with its templates.

Codes: ``text.empty``, ``text.too_long`` (max_len), ``text.chars`` (char), ``text.control``
(char, position: free text, :func:`process.workflow_inputs.parse_note`), ``name.digits``,
``name.real`` (min_len),
``uscc.length`` (length), ``uscc.chars`` (char), ``uscc.check``, ``mobile.format``,
``capacity.format``, ``capacity.range`` (min, max), ``date.format`` (example),
``date.ambiguous`` (text, example), ``date.past`` (today),
``date.too_far`` (max_years, latest), ``choice.invalid``.

People type on phones with Chinese input methods, so full-width digits, letters and
punctuation are accepted wherever a value is really ASCII (codes, numbers, dates).
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date, timedelta
from typing import Final

TEXT_EMPTY: Final = "text.empty"
TEXT_TOO_LONG: Final = "text.too_long"
TEXT_CHARS: Final = "text.chars"
TEXT_CONTROL: Final = "text.control"
NAME_DIGITS: Final = "name.digits"
NAME_REAL: Final = "name.real"
USCC_LENGTH: Final = "uscc.length"
USCC_CHARS: Final = "uscc.chars"
USCC_CHECK: Final = "uscc.check"
MOBILE_FORMAT: Final = "mobile.format"
CAPACITY_FORMAT: Final = "capacity.format"
CAPACITY_RANGE: Final = "capacity.range"
DATE_FORMAT: Final = "date.format"
DATE_AMBIGUOUS: Final = "date.ambiguous"
DATE_PAST: Final = "date.past"
DATE_TOO_FAR: Final = "date.too_far"
CHOICE_INVALID: Final = "choice.invalid"

ALL_CODES: Final[tuple[str, ...]] = (
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    TEXT_CHARS,
    TEXT_CONTROL,
    NAME_DIGITS,
    NAME_REAL,
    USCC_LENGTH,
    USCC_CHARS,
    USCC_CHECK,
    MOBILE_FORMAT,
    CAPACITY_FORMAT,
    CAPACITY_RANGE,
    DATE_FORMAT,
    DATE_AMBIGUOUS,
    DATE_PAST,
    DATE_TOO_FAR,
    CHOICE_INVALID,
)

COMPANY_NAME_MAX: Final = 100
PROJECT_NAME_MAX: Final = 100
ADDRESS_MAX: Final = 200
PERSON_NAME_MAX: Final = 30

CAPACITY_MIN_KVA: Final = 50
CAPACITY_MAX_KVA: Final = 2_000_000

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH_CHARS: Final = 18


class ValidationError(ValueError):
    """Input that cannot be accepted; ``code`` picks the message, ``params`` fill it in."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code} ({details})"


# Whitespace a user may type or paste: ASCII, no-break, the ideographic (full-width) space
# and the typographic spaces. Any other control or format character is refused.
_WHITESPACE_RUN = re.compile(r"[ \t\r\n\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")

# Names and addresses may hold letters, digits and ordinary punctuation, nothing that renders
# as a picture or could be mistaken for markup. "#" and "~" stay: "3#楼", "1~3号".
_ASCII_PUNCTUATION = "!\"#%&'()*+,-./:;?@[]_~"
_ASCII_ALLOWED = string.ascii_letters + string.digits + _ASCII_PUNCTUATION
_FULL_WIDTH_ALLOWED = "".join(chr(ord(char) + 0xFEE0) for char in _ASCII_ALLOWED)
_RANGES_ALLOWED = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f"  # Latin letters with accents (not × ÷)
    "\u2010-\u2015\u2018\u2019\u201c\u201d\u2026"  # dashes, curly quotes, ellipsis
    "\u2160-\u217f"  # Roman numerals, as in "二期Ⅱ标段"
    "\u3001\u3002\u3007\u3008-\u3011\u3014-\u3017"  # 、。〇 and CJK brackets 《》【】…
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # CJK ideographs
)
_DISALLOWED_CHAR = re.compile(
    "[^ " + re.escape(_ASCII_ALLOWED + _FULL_WIDTH_ALLOWED) + "\u00b7" + _RANGES_ALLOWED + "]"
)
# Middle-dot look-alikes in transliterated names ("阿依古丽・买买提") become one "·".
_MIDDLE_DOT_VARIANTS = str.maketrans(dict.fromkeys("\u2022\u2027\u30fb\uff65", "\u00b7"))


def _to_ascii_forms(text: str) -> str:
    """Full-width letters, digits and punctuation as ASCII (for codes, numbers, dates)."""
    return unicodedata.normalize("NFKC", text)


def normalize_text(text: str, *, max_len: int) -> str:
    """Trimmed text with single spaces, refusing characters that do not belong in a name."""
    cleaned = _WHITESPACE_RUN.sub(" ", text).strip(" ").translate(_MIDDLE_DOT_VARIANTS)
    if not cleaned:
        raise ValidationError(TEXT_EMPTY)
    bad = _DISALLOWED_CHAR.search(cleaned)
    if bad is not None:
        raise ValidationError(TEXT_CHARS, char=bad.group())
    if len(cleaned) > max_len:
        raise ValidationError(TEXT_TOO_LONG, max_len=max_len)
    return cleaned


NAME_MIN: Final = 2  # characters; "公" or "1234567" names no company and no person


def validate_company_name(text: str) -> str:
    return _real_name(normalize_text(text, max_len=COMPANY_NAME_MAX))


def _real_name(name: str) -> str:
    """``name`` if it can be someone's name: at least :data:`NAME_MIN` characters, with at
    least one letter (any script; not only digits or punctuation)."""
    if len(name) < NAME_MIN or not any(char.isalpha() for char in name):
        raise ValidationError(NAME_REAL, min_len=NAME_MIN)
    return name


def validate_project_name(text: str) -> str:
    return normalize_text(text, max_len=PROJECT_NAME_MAX)


def validate_address(text: str) -> str:
    return normalize_text(text, max_len=ADDRESS_MAX)


def validate_person_name(text: str) -> str:
    name = normalize_text(text, max_len=PERSON_NAME_MAX)
    if any(char.isdigit() for char in name):
        raise ValidationError(NAME_DIGITS)
    return _real_name(name)


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    if len(first17) != USCC_LENGTH_CHARS - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    total = 0
    for char, weight in zip(first17, USCC_WEIGHTS, strict=True):
        value = USCC_ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"{char!r} is not a credit-code character")
        total += value * weight
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(text: str) -> str:
    """A unified social credit code, upper-cased, with spaces removed."""
    code = _WHITESPACE_RUN.sub("", _to_ascii_forms(text)).upper()
    if len(code) != USCC_LENGTH_CHARS:
        raise ValidationError(USCC_LENGTH, length=len(code))
    for char in code:
        if char not in USCC_ALPHABET:
            raise ValidationError(USCC_CHARS, char=char)
    if uscc_check_char(code[:-1]) != code[-1]:
        raise ValidationError(USCC_CHECK)
    return code


_MOBILE_SEPARATORS = re.compile(r"[\s\-]+")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")


def validate_mobile(text: str) -> str:
    """A mainland mobile number as its 11 digits."""
    compact = _MOBILE_SEPARATORS.sub("", _to_ascii_forms(text))
    match = _MOBILE.fullmatch(compact)
    if match is None:
        raise ValidationError(MOBILE_FORMAT)
    return match.group(1)


# Thousands may be grouped with commas or single spaces, but only in threes: "2 000" is two
# thousand, while "2 000 0" is more likely a typo than twenty thousand.
_CAPACITY = re.compile(
    r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+) ?(?:kva|kv·a|kv\.a|千伏安)?"
)


def parse_capacity_kva(text: str) -> int:
    """Installed capacity in whole kVA, e.g. "2000", "2,000", "2000 kVA"."""
    spaced = re.sub(r"\s+", " ", _to_ascii_forms(text)).strip()
    match = _CAPACITY.fullmatch(spaced.translate(_MIDDLE_DOT_VARIANTS).lower())
    if match is None:
        raise ValidationError(CAPACITY_FORMAT)
    kva = int(re.sub("[, ]", "", match.group(1)))
    if not CAPACITY_MIN_KVA <= kva <= CAPACITY_MAX_KVA:
        raise ValidationError(CAPACITY_RANGE, min=CAPACITY_MIN_KVA, max=CAPACITY_MAX_KVA)
    return kva


# Year first, as dates are written in China (and in ISO 8601); spaces are removed first.
_DATE_PATTERNS = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})()(\d{2})(\d{2})", re.ASCII),
    re.compile(r"(\d{4})(年)(\d{1,2})月(\d{1,2})[日号]?", re.ASCII),
)
# The month as a word, as English speakers write it: "31 March 2027", "March 31, 2027",
# "31 Mar 2027", "Mar. 31st 2027". Commas and dots are read as spaces.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+) (\d{4})", re.ASCII)
_MONTH_DAY_YEAR = re.compile(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)? (\d{4})", re.ASCII)
# The year last with numbers only: "3/31/2027" (American) or "31/3/2027" (British).
_NUMBERS_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})", re.ASCII)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def parse_date(text: str, *, today: date, max_years_ahead: int = 5) -> date:
    """A future (or today's) date, in the ways people write one in either language.

    Accepted: ``2027-03-31``, ``2027/3/31``, ``2027.3.31``, ``20270331``, ``2027年3月31日``
    (or 号), ``31 March 2027``, ``March 31, 2027``, ``31 Mar 2027``. With numbers only and
    the year last, the order is read from the numbers when one of them is above 12
    (``3/31/2027`` and ``31/3/2027`` are both 31 March); ``4/5/2027`` could be 5 April or
    4 May, so it is refused with ``date.ambiguous`` instead of guessed.

    Errors carry an ``example``: a date a month ahead, in the format the message shows.
    """
    example = today + timedelta(days=30)
    year, month, day = _date_parts(text, example)
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise ValidationError(DATE_FORMAT, example=example) from None
    if parsed < today:
        raise ValidationError(DATE_PAST, today=today)
    latest = _years_later(today, max_years_ahead)
    if parsed > latest:
        raise ValidationError(DATE_TOO_FAR, max_years=max_years_ahead, latest=latest)
    return parsed


def _date_parts(text: str, example: date) -> tuple[int, int, int]:
    """(year, month, day) as written, not yet checked to be a real date."""
    ascii_text = _to_ascii_forms(text)
    compact = re.sub(r"\s+", "", ascii_text)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(compact)
        if match is not None:
            return int(match.group(1)), int(match.group(3)), int(match.group(4))
    spaced = re.sub(r"[\s,.]+", " ", ascii_text.lower()).strip()
    match = _DAY_MONTH_YEAR.fullmatch(spaced)
    if match is not None and match.group(2) in _MONTHS:
        return int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1))
    match = _MONTH_DAY_YEAR.fullmatch(spaced)
    if match is not None and match.group(1) in _MONTHS:
        return int(match.group(3)), _MONTHS[match.group(1)], int(match.group(2))
    match = _NUMBERS_YEAR_LAST.fullmatch(compact)
    if match is not None:
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if first > 12 >= second:
            return year, second, first
        if second > 12 >= first or first == second:
            return year, first, second
        if first <= 12 and second <= 12:
            raise ValidationError(DATE_AMBIGUOUS, text=text.strip()[:20], example=example)
    raise ValidationError(DATE_FORMAT, example=example)


# What a file must begin with to be what it says it is. A declared type (the MIME type the
# sender's app chose, or the name's extension) is only a claim: "virus.exe" sent as
# application/pdf is no PDF, and must not reach staff as one.
FILE_SIGNATURES: Final[dict[str, tuple[bytes, ...]]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
}
_TYPE_OF_EXTENSION: Final = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
FILE_EMPTY: Final = "empty"
FILE_NOT_WHAT_IT_SAYS: Final = "content_mismatch"


def declared_type(mime: str | None, name: str | None) -> str | None:
    """The checkable type a file claims to be (by MIME type, else by extension), if any."""
    claimed = (mime or "").lower()
    if claimed in FILE_SIGNATURES:
        return claimed
    suffix = "." + (name or "").lower().rsplit(".", 1)[-1] if "." in (name or "") else ""
    return _TYPE_OF_EXTENSION.get(suffix)


def file_problem(head: bytes, mime: str | None, name: str | None) -> str | None:
    """Why a file's content cannot be accepted (:data:`FILE_EMPTY`,
    :data:`FILE_NOT_WHAT_IT_SAYS`), or None: empty files are refused, and a file claiming
    to be a PDF, JPEG, PNG or WebP must begin as one (``head``: its first bytes at least)."""
    if not head:
        return FILE_EMPTY
    claimed = declared_type(mime, name)
    if claimed is None:
        return None
    if not head.startswith(FILE_SIGNATURES[claimed]):
        return FILE_NOT_WHAT_IT_SAYS
    if claimed == "image/webp" and head[8:12] != b"WEBP":
        return FILE_NOT_WHAT_IT_SAYS
    return None
