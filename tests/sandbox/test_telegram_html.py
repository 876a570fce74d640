"""Telegram's HTML parse mode: accepted markup renders as a client shows it, the rest fails
with Telegram's own words."""

from __future__ import annotations

import pytest

from sandbox.telegram_html import HtmlParseError, parse_html


@pytest.mark.parametrize(
    ("source", "text", "entity_type"),
    [
        ("<b>粗</b>", "粗", "bold"),
        ("<strong>x</strong>", "x", "bold"),
        ("<i>x</i>", "x", "italic"),
        ("<em>x</em>", "x", "italic"),
        ("<u>x</u>", "x", "underline"),
        ("<ins>x</ins>", "x", "underline"),
        ("<s>x</s>", "x", "strikethrough"),
        ("<strike>x</strike>", "x", "strikethrough"),
        ("<del>x</del>", "x", "strikethrough"),
        ("<code>x</code>", "x", "code"),
        ("<pre>x</pre>", "x", "pre"),
        ('<span class="tg-spoiler">x</span>', "x", "spoiler"),
        ("<tg-spoiler>x</tg-spoiler>", "x", "spoiler"),
        ("<blockquote>x</blockquote>", "x", "blockquote"),
        ("<blockquote expandable>x</blockquote>", "x", "expandable_blockquote"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", "custom_emoji"),
        ('<a href="https://example.com">x</a>', "x", "text_link"),
    ],
)
def test_every_tag_telegram_supports_is_accepted(source: str, text: str, entity_type: str) -> None:
    parsed = parse_html(source)
    assert parsed.text == text
    assert [e["type"] for e in parsed.entities] == [entity_type]


def test_entities_are_decoded_and_unknown_ones_kept_literally_like_telegram() -> None:
    parsed = parse_html("&lt;a&gt; &amp; &quot;q&quot; &#20013; &#x1F600; AT&T &nbsp;")
    assert parsed.text == '<a> & "q" 中 😀 AT&T &nbsp;'


def test_strict_mode_rejects_an_ampersand_that_starts_no_entity() -> None:
    with pytest.raises(HtmlParseError, match="Unsupported HTML entity at byte offset 2"):
        parse_html("A &nbsp; B", strict_entities=True)
    assert parse_html("A &amp; B", strict_entities=True).text == "A & B"


def test_offsets_are_in_utf16_units_as_telegram_counts_them() -> None:
    parsed = parse_html("😀中<b>粗体</b>")
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 2}]


def test_links_code_languages_and_nesting() -> None:
    parsed = parse_html(
        '<a href="https://e.com/?a=1&amp;b=2">链接</a> '
        '<pre><code class="language-python">x = 1</code></pre> <b>a<i>b</i></b>'
    )
    assert parsed.text == "链接 x = 1 ab"
    assert parsed.entities == [
        {"type": "text_link", "offset": 0, "length": 2, "url": "https://e.com/?a=1&b=2"},
        {"type": "pre", "offset": 3, "length": 5, "language": "python"},
        {"type": "bold", "offset": 9, "length": 2},
        {"type": "italic", "offset": 10, "length": 1},
    ]


def test_a_user_link_becomes_a_text_mention() -> None:
    parsed = parse_html('<a href="tg://user?id=1001">张伟</a>')
    assert parsed.entities[0]["type"] == "text_mention"
    assert parsed.entities[0]["user"]["id"] == 1001


def test_tag_names_are_case_insensitive_and_empty_tags_make_no_entity() -> None:
    assert parse_html("<B>x</B>").entities == [{"type": "bold", "offset": 0, "length": 1}]
    assert parse_html("<b></b>x").entities == []


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("中<p>x</p>", 'Unsupported start tag "p" at byte offset 3'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<a href=x y>z</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
        ("<a href=x! >z</a>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_markup_telegram_rejects_fails_with_its_reason(source: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as error:
        parse_html(source)
    assert str(error.value).startswith(reason)
