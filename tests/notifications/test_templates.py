"""Every message exists in both languages, renders, and is HTML Telegram accepts."""

from __future__ import annotations

import re
from typing import NoReturn
from zoneinfo import ZoneInfo

import pytest

from notifications.render import LOCALES, Texts
from tests.notifications.samples import SAMPLES

texts = Texts("zh_CN")
TZ = ZoneInfo("Asia/Shanghai")
ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote"}


def test_both_languages_have_the_same_templates() -> None:
    assert texts.template_names("zh_CN") == texts.template_names("en")


def test_both_languages_have_the_same_labels() -> None:
    assert set(texts.labels("zh_CN")) == set(texts.labels("en"))


def test_every_template_has_a_sample() -> None:
    assert texts.template_names("zh_CN") == set(SAMPLES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_template_renders(locale: str, name: str) -> None:
    text = texts.render(locale, name, tz=TZ, **SAMPLES[name])
    assert text.strip()
    assert len(text) <= 4096
    tags = {t.lower() for t in re.findall(r"</?([a-zA-Z0-9-]+)", text)}
    assert tags <= ALLOWED_TAGS, f"{name} uses tags Telegram rejects: {tags - ALLOWED_TAGS}"
    assert "<script>" not in text  # user input is escaped
    if locale == "zh_CN":
        assert re.search(r"[\u4e00-\u9fff]", text), f"{name} has no Chinese"


def test_user_input_is_escaped() -> None:
    text = texts.render("en", "start/welcome", tz=TZ, name="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text


def test_label_placeholders_are_filled() -> None:
    assert texts.label("en", "btn.use_phone", phone="13800138000") == "Use 13800138000"
    assert "100" in texts.label("zh_CN", "error.text.too_long", max_len=100)


def test_unknown_locale_falls_back_to_default() -> None:
    assert texts.render("fr", "lang/changed") == texts.render("zh_CN", "lang/changed")


def test_warming_compiles_every_template_of_every_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """After warming, a message is rendered without reading any template's source again:
    neither to compile it nor to learn which parameters it needs."""
    texts = Texts("zh_CN")
    assert texts.warm() == sum(len(texts.template_names(loc)) for loc in ("zh_CN", "en"))
    loader = texts._env.loader
    assert loader is not None

    def no_more_reading(*_: object) -> NoReturn:
        raise AssertionError("a template's source was read after warming")

    monkeypatch.setattr(loader, "get_source", no_more_reading)
    assert texts.render("en", "lang/changed") == Texts("en").render("en", "lang/changed")
