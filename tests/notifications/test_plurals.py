"""English counts agree with their nouns: "1 application", "2 applications", never "(s)"."""

from __future__ import annotations

import pytest

from notifications.render import Texts
from tests.notifications.samples_staff import STAFF_SAMPLES


@pytest.mark.parametrize(
    ("template", "count_param", "one", "many"),
    [
        (
            "staff/confirm_disable",
            "open_count",
            "1 open application goes",
            "3 open applications go",
        ),
        ("staff/disabled", "returned", "1 open application went", "3 open applications went"),
        ("staff/join_failed", "attempts_left", "1 more time this hour", "3 more times this hour"),
    ],
)
def test_english_counts_agree(template: str, count_param: str, one: str, many: str) -> None:
    texts = Texts("en")
    params = dict(STAFF_SAMPLES[template])
    singular = texts.render("en", template, **{**params, count_param: 1})
    plural = texts.render("en", template, **{**params, count_param: 3})
    assert one in singular and many in plural
    assert "(s)" not in singular + plural
