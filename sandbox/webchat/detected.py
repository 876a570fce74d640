"""The entities Telegram finds in a message's plain text by itself: /commands and addresses.

Telegram's servers add ``bot_command`` and ``url`` entities to every message, judging the
whole plain text: "总体满意度 <b>2</b>/5" reads "总体满意度 2/5", where "/5" follows a digit
and is no command. The page draws command links only from these entities, so the same
judgement must be made here, on the whole text, and never on the pieces between formatting.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.telegram_html import utf16_length

# A command starts the text or follows a space or an opening bracket or quote.
_COMMAND = re.compile(
    r"(?:(?<=^)|(?<=[\s(（\"“]))/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])"
)
_URL = re.compile(r"https?://[^\s<>\"“”)）]+")
# Inside these Telegram finds nothing more: code stays code, a link stays one link.
_OPAQUE = frozenset({"code", "pre", "url", "text_link", "bot_command", "email", "mention"})


def with_detected(text: str | None, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entities`` plus the commands and addresses in ``text`` that none of them covers."""
    if not text:
        return list(entities)
    taken = [
        (int(e["offset"]), int(e["offset"]) + int(e["length"]))
        for e in entities
        if e.get("type") in _OPAQUE
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in (("bot_command", _COMMAND), ("url", _URL)):
        for match in pattern.finditer(text):
            start = utf16_length(text[: match.start()])
            end = start + utf16_length(match.group())
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    if not found:
        return list(entities)
    return sorted([*entities, *found], key=lambda e: (int(e["offset"]), -int(e["length"])))
