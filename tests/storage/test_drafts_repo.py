"""Drafts: every answer and file saved at once, one draft per customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.drafts import DraftsRepo
from storage.errors import UnknownUser
from storage.models import DocumentInput
from tests.storage.samples import NOW

LICENCE = DocumentInput(
    kind="business_licence",
    file_id="AgAD-licence",
    file_unique_id="uniq-licence",
    file_name="营业执照.pdf",
    mime_type="application/pdf",
    file_size=123_456,
)


async def test_answers_are_saved_and_read_back(db: Database, customer: int) -> None:
    drafts = DraftsRepo(db)
    assert await drafts.get(customer) is None
    await drafts.set_field(customer, "applicant_name", "华东精密制造有限公司", NOW)
    later = NOW + timedelta(minutes=5)
    draft = await drafts.set_field(customer, "capacity_kva", 2500, later)
    assert draft.fields == {"applicant_name": "华东精密制造有限公司", "capacity_kva": 2500}
    assert draft.created_at == NOW and draft.updated_at == later
    assert draft.updated_at.tzinfo is UTC

    again = await drafts.get(customer)
    assert again == draft


async def test_an_answer_can_be_replaced_and_hold_any_json(db: Database, customer: int) -> None:
    drafts = DraftsRepo(db)
    await drafts.set_field(customer, "voltage_kv", 10, NOW)
    await drafts.set_field(customer, "voltage_kv", 35, NOW)
    draft = await drafts.set_field(customer, "loads", [{"name": "空压机", "kw": 75.5}], NOW)
    assert draft.fields == {"voltage_kv": 35, "loads": [{"name": "空压机", "kw": 75.5}]}


async def test_a_value_json_cannot_hold_is_refused_and_nothing_changes(
    db: Database, customer: int
) -> None:
    drafts = DraftsRepo(db)
    await drafts.set_field(customer, "district", "嘉定", NOW)
    with pytest.raises(TypeError):
        await drafts.set_field(customer, "wanted_date", NOW.date(), NOW)
    with pytest.raises(ValueError):
        await drafts.set_field(customer, "ratio", float("nan"), NOW)
    with pytest.raises(ValueError):
        await drafts.set_field(customer, "", "x", NOW)
    draft = await drafts.get(customer)
    assert draft is not None and draft.fields == {"district": "嘉定"}


async def test_documents_are_attached_and_removed_by_kind(db: Database, customer: int) -> None:
    drafts = DraftsRepo(db)
    stored = await drafts.add_document(customer, LICENCE, NOW)
    assert (stored.kind, stored.file_id, stored.file_name, stored.file_size) == (
        "business_licence",
        "AgAD-licence",
        "营业执照.pdf",
        123_456,
    )
    assert stored.uploaded_at == datetime(2026, 11, 27, 1, 48, tzinfo=UTC)
    await drafts.add_document(customer, DocumentInput(kind="site_plan", file_id="AgAD-plan"), NOW)
    await drafts.add_document(customer, DocumentInput(kind="site_plan", file_id="AgAD-plan2"), NOW)

    later = NOW + timedelta(hours=1)
    await drafts.remove_documents(customer, "site_plan", later)
    draft = await drafts.get(customer)
    assert draft is not None
    assert [document.file_id for document in draft.documents] == ["AgAD-licence"]
    assert draft.updated_at == later

    # Removing a kind that is not there changes nothing, not even the timestamp.
    await drafts.remove_documents(customer, "site_plan", later + timedelta(hours=1))
    draft = await drafts.get(customer)
    assert draft is not None and draft.updated_at == later


async def test_a_document_needs_a_kind_and_a_file(db: Database, customer: int) -> None:
    with pytest.raises(ValueError):
        await DraftsRepo(db).add_document(customer, DocumentInput(kind="", file_id="x"), NOW)
    with pytest.raises(ValueError):
        await DraftsRepo(db).add_document(customer, DocumentInput(kind="x", file_id=""), NOW)
    assert await DraftsRepo(db).get(customer) is None


async def test_deferred_documents_are_a_set(db: Database, customer: int) -> None:
    drafts = DraftsRepo(db)
    await drafts.set_deferred(customer, "land_certificate", True, NOW)
    await drafts.set_deferred(customer, "eia_approval", True, NOW)
    draft = await drafts.set_deferred(customer, "land_certificate", True, NOW)
    assert draft.deferred == frozenset({"land_certificate", "eia_approval"})
    draft = await drafts.set_deferred(customer, "land_certificate", False, NOW)
    assert draft.deferred == frozenset({"eia_approval"})
    with pytest.raises(ValueError):
        await drafts.set_deferred(customer, "", True, NOW)


async def test_starting_again_discards_the_old_draft(db: Database, customer: int) -> None:
    drafts = DraftsRepo(db)
    await drafts.set_field(customer, "district", "嘉定", NOW)
    await drafts.add_document(customer, LICENCE, NOW)
    await drafts.set_deferred(customer, "land_certificate", True, NOW)
    later = NOW + timedelta(days=2)
    fresh = await drafts.start(customer, later)
    assert fresh.fields == {} and fresh.deferred == frozenset() and fresh.documents == ()
    assert fresh.created_at == later
    assert await db.fetchall("SELECT * FROM draft_documents") == []


async def test_deleting_a_draft_removes_its_files(db: Database, customer: int) -> None:
    drafts = DraftsRepo(db)
    await drafts.add_document(customer, LICENCE, NOW)
    await drafts.delete(customer)
    assert await drafts.get(customer) is None
    assert await db.fetchall("SELECT * FROM draft_documents") == []
    await drafts.delete(customer)  # deleting twice is harmless


async def test_a_draft_needs_a_known_user(db: Database) -> None:
    drafts = DraftsRepo(db)
    with pytest.raises(UnknownUser):
        await drafts.set_field(404, "district", "嘉定", NOW)
    with pytest.raises(UnknownUser):
        await drafts.start(404, NOW)
    with pytest.raises(UnknownUser):
        await drafts.add_document(404, LICENCE, NOW)
    assert await db.fetchall("SELECT * FROM drafts") == []


async def test_a_file_received_is_attached_and_no_longer_promised(
    db: Database, customer: int
) -> None:
    drafts = DraftsRepo(db)
    await drafts.set_deferred(customer, LICENCE.kind, True, NOW)
    await drafts.set_deferred(customer, "eia_approval", True, NOW)
    later = NOW + timedelta(minutes=5)
    draft = await drafts.add_file(customer, LICENCE, later)
    assert [(d.kind, d.file_id, d.file_name) for d in draft.documents] == [
        (LICENCE.kind, LICENCE.file_id, LICENCE.file_name)
    ]
    assert draft.deferred == frozenset({"eia_approval"})
    assert draft.updated_at == later
    assert await drafts.get(customer) == draft
    with pytest.raises(ValueError):
        await drafts.add_file(customer, DocumentInput(kind="x", file_id=""), NOW)


async def test_a_file_for_an_unknown_user_is_refused(db: Database) -> None:
    with pytest.raises(UnknownUser):
        await DraftsRepo(db).add_file(424242, LICENCE, NOW)
