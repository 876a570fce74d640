"""Telegram's HTML parse mode: what it accepts, what it rejects and what the user sees.

The bot's messages are HTML templates, and a tag Telegram does not know fails the whole
send in production. This parser follows Telegram's own rules (the ones its server applies,
byte offsets in UTF-8 included) so the same mistakes fail here with the same
``can't parse entities: ...`` description, and it yields the plain text and entities a
client would show.

Telegram lets an ``&`` that starts no known entity through as a literal character; with
``strict_entities`` the emulator rejects it instead, to catch ``&nbsp;`` and friends that a
user would otherwise read verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre",
        "span", "tg-spoiler", "tg-emoji", "blockquote",
    }
)  # fmt: skip

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACES = frozenset(b" \t\r\n\v\0")
_LT, _GT, _AMP, _SLASH, _EQ = ord("<"), ord(">"), ord("&"), ord("/"), ord("=")
_MAX_CODE_POINT = 0x10FFFF


class HtmlParseError(ValueError):
    """Telegram's reason for rejecting a piece of HTML."""


@dataclass(frozen=True)
class ParsedText:
    """What a Telegram client shows: plain text plus entities (offsets in UTF-16 units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    begin: int  # byte offset of the tag's content in the output


def parse_html(source: str, *, strict_entities: bool = False) -> ParsedText:
    """Parse Telegram HTML; raise :class:`HtmlParseError` where Telegram would refuse it."""
    return _Parser(source.encode("utf-8"), strict_entities).run()


def parse_or_reject(source: str, *, strict_entities: bool = False) -> ParsedText:
    """:func:`parse_html`, failing with the Bot API's 400 reply."""
    try:
        return parse_html(source, strict_entities=strict_entities)
    except HtmlParseError as error:
        raise html_error(error) from error


def html_error(error: HtmlParseError) -> ApiError:
    return bad_request(f"can't parse entities: {error}")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, data: bytes, strict_entities: bool) -> None:
        self.data = data
        self.strict = strict_entities
        self.out = bytearray()
        self.open: list[_OpenTag] = []
        self.spans: list[tuple[int, int, str, str]] = []  # begin, end (bytes), tag, argument

    def at(self, index: int) -> int:
        # Reading past the end yields NUL, which like Telegram we treat as whitespace.
        return self.data[index] if index < len(self.data) else 0

    def run(self) -> ParsedText:
        i = 0
        while i < len(self.data):
            byte = self.data[i]
            if byte == _AMP:
                decoded, after = self.decode_entity(i)
                if decoded is not None:
                    self.out += decoded.encode("utf-8")
                    i = after
                    continue
                if self.strict:
                    raise HtmlParseError(f"Unsupported HTML entity at byte offset {i}")
            if byte != _LT:
                self.out.append(byte)
                i += 1
                continue
            i = self.end_tag(i) if self.at(i + 1) == _SLASH else self.start_tag(i)
        if self.open:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"'
            )
        return self.result()

    def decode_entity(self, pos: int) -> tuple[str | None, int]:
        end = pos + 1
        code = 0
        if self.at(end) == ord("#"):
            end += 1
            hexadecimal = self.at(end) == ord("x")
            if hexadecimal:
                end += 1
            digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
            while self.at(end) and self.at(end) in digits:
                code = code * (16 if hexadecimal else 10) + int(chr(self.at(end)), 16)
                end += 1
                if code >= _MAX_CODE_POINT:
                    return None, pos
            if code == 0 or 0xD800 <= code <= 0xDFFF:
                return None, pos
            char = chr(code)
        else:
            while chr(self.at(end)).isascii() and chr(self.at(end)).isalpha():
                end += 1
            named = _NAMED_ENTITIES.get(self.data[pos + 1 : end])
            if named is None:
                return None, pos
            char = named
        if self.at(end) == ord(";"):
            end += 1
        return char, end

    def skip_spaces(self, i: int) -> int:
        while self.at(i) != 0 and self.at(i) in _SPACES:
            i += 1
        return i

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != _GT:
            i += 1
        if i >= len(self.data):
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.data[begin + 1 : i].decode("utf-8", "replace").lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(i) != _GT:
            i = self.skip_spaces(i)
            if self.at(i) == _GT:
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in (_EQ, _GT):
                i += 1
            attribute = self.data[name_begin:i].decode("utf-8", "replace").lower()
            if not attribute:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            i = self.skip_spaces(i)
            if self.at(i) != _EQ:
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            i = self.skip_spaces(i + 1)
            if i >= len(self.data):
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            value, i = self.attribute_value(i)
            if i >= len(self.data):
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            argument = _tag_argument(tag, attribute, value, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.open.append(_OpenTag(tag, argument, len(self.out)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in (ord('"'), ord("'")):
            # An unquoted name token: letters, digits, periods and hyphens.
            token_begin = i
            while chr(self.at(i)).isascii() and (chr(self.at(i)).isalnum() or self.at(i) in b".-"):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != _GT:
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.data[token_begin:i].decode("ascii").lower(), i
        i += 1
        value = bytearray()
        while i < len(self.data) and self.at(i) != quote:
            if self.at(i) == _AMP:
                decoded, after = self.decode_entity(i)
                if decoded is not None:
                    value += decoded.encode("utf-8")
                    i = after
                    continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self, begin: int) -> int:
        if not self.open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != _GT:
            i += 1
        closing = self.data[begin + 2 : i].decode("utf-8", "replace").lower()
        i = self.skip_spaces(i)
        if self.at(i) != _GT:
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        tag = self.open[-1]
        if closing and closing != tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag.name}>", '
                f'found "</{closing}>"'
            )
        if tag.name == "tg-emoji" and not tag.argument.isdigit():
            raise HtmlParseError("Invalid custom emoji identifier specified")
        self.open.pop()
        if len(self.out) > tag.begin:
            self.spans.append((tag.begin, len(self.out), tag.name, tag.argument))
        return i + 1

    def result(self) -> ParsedText:
        text = self.out.decode("utf-8", "replace")

        def utf16_at(byte_offset: int) -> int:
            return utf16_length(self.out[:byte_offset].decode("utf-8", "replace"))

        pre_ranges = {(b, e) for b, e, name, _ in self.spans if name == "pre"}
        # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
        languages = {
            (b, e): argument
            for b, e, name, argument in self.spans
            if name == "code" and (b, e) in pre_ranges and argument
        }
        entities: list[dict[str, Any]] = []
        for begin, end, tag, argument in sorted(self.spans, key=lambda s: (s[0], -s[1])):
            if tag == "code" and (begin, end) in pre_ranges:
                continue
            entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag]}
            entity["offset"] = utf16_at(begin)
            entity["length"] = utf16_at(end) - entity["offset"]
            if tag == "a":
                entity.update(_link(argument or self.out[begin:end].decode("utf-8", "replace")))
            elif tag == "pre" and (begin, end) in languages:
                entity["language"] = languages[(begin, end)]
            elif tag == "tg-emoji":
                entity["custom_emoji_id"] = argument
            elif tag == "blockquote" and argument:
                entity["type"] = "expandable_blockquote"
            entities.append(entity)
        return ParsedText(text, entities)


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return current


def _link(url: str) -> dict[str, Any]:
    prefix = "tg://user?id="
    if url.startswith(prefix) and url[len(prefix) :].isdigit():
        user_id = int(url[len(prefix) :])
        return {"type": "text_mention", "user": {"id": user_id, "is_bot": False, "first_name": ""}}
    return {"url": url}
