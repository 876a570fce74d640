"""A template's parameters are the template's: they never meet the outbox's own keywords,
and one the call site forgot fails where the message is drafted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from notifications.outbox import Outbox
from notifications.render import MissingTemplateParameter, Texts
from storage.db import Database
from storage.outbox import OutboxRepo
from tests.notifications.test_outbox_facade import NOW, db, nudges, outbox, user

__all__ = ["db", "nudges", "outbox"]  # fixtures, used by name
APP = SimpleNamespace(number="HV-2026-000001", id=1)


async def test_a_template_parameter_named_kind_reaches_the_template(
    db: Database, outbox: Outbox
) -> None:
    """``owed/to_staff`` names the document ``kind``, as the outbox names a message's kind:
    the two no longer share a namespace (the promised document used to fail here)."""
    recipient = await user(db, 1, "zh_CN")
    async with db.transaction() as conn:
        await outbox.message(
            conn,
            key="owed",
            recipient=recipient,
            template="owed/to_staff",
            now=NOW,
            kind="owed.to_staff",
            params={"app": APP, "kind": "site_proof", "count": 2},
        )
    row = await OutboxRepo(db).by_key("owed")
    assert row is not None
    assert row.kind == "owed.to_staff"
    assert "HV-2026-000001" in row.text and "2 个文件" in row.text
    assert "用电地址产权证明或租赁合同" in row.text  # the document named, not its code


async def test_a_parameter_given_as_a_keyword_is_refused_at_the_call(
    db: Database, outbox: Outbox
) -> None:
    recipient = await user(db, 1, "zh_CN")
    with pytest.raises(TypeError, match="count"):
        outbox.draft(
            key="k",
            recipient=recipient,
            template="owed/to_staff",
            now=NOW,
            params={"app": APP, "kind": "site_proof"},
            count=1,  # type: ignore[call-arg]
        )


async def test_a_missing_parameter_fails_at_the_call_site_even_in_a_branch_not_taken(
    db: Database, outbox: Outbox
) -> None:
    """``relay/compose`` reads ``manager`` only when writing to the customer's manager; a
    call that forgot it fails for every value of ``to_customer``, when drafted."""
    recipient = await user(db, 1, "en")
    with pytest.raises(MissingTemplateParameter, match=r"relay/compose.html needs manager"):
        outbox.draft(
            key="k",
            recipient=recipient,
            template="relay/compose",
            now=NOW,
            params={"number": APP.number, "to_customer": True},
        )
    with pytest.raises(MissingTemplateParameter, match=r"owed/to_staff.html needs count, kind"):
        outbox.draft(
            key="k", recipient=recipient, template="owed/to_staff", now=NOW, params={"app": APP}
        )
    assert await OutboxRepo(db).summary() == dict.fromkeys(
        ("pending", "sending", "sent", "failed", "dead", "unreachable"), 0
    )


def test_a_parameter_the_template_tests_with_is_defined_is_optional() -> None:
    """``/cancel`` from the form names how much is kept; from a relay it names nothing: the
    template says which parameters are optional with ``is defined``, the rest stay required."""
    texts = Texts("en")
    assert {"flow", "action", "answered", "documents"}.isdisjoint(
        texts.parameters("en/common/cancelled.html")
    )
    assert texts.render("en", "common/cancelled", has_draft=False, flow="relay") == (
        "You left the message; nothing was sent."
    )
    kept = texts.render(
        "en", "common/cancelled", has_draft=True, flow="apply", answered=1, documents=2
    )
    assert "Your 1 answer and 2 files are saved" in kept
    with pytest.raises(MissingTemplateParameter, match="has_draft"):
        texts.render("en", "common/cancelled", flow="relay")
