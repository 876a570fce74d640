"""The documents a customer may owe: in the chat, those the form lets them promise for
later; an application typed in for them (no files at all) owes every document of the form."""

from __future__ import annotations

from dataclasses import dataclass

from process.form import DOCUMENTS, OwedDocument, owed_documents


@dataclass(frozen=True)
class Item:
    kind: str


def test_every_document_of_the_form_may_be_owed() -> None:
    assert {str(d) for d in OwedDocument} == {d.kind for d in DOCUMENTS}


def test_an_owed_item_names_its_document_and_back() -> None:
    for document in OwedDocument:
        assert document.owed_kind == f"document:{document.value}"
        assert OwedDocument.of_owed(document.owed_kind) is document
    # Other owed items, and documents no release promises, stand for no document.
    for kind in ("pick:slot", "document:supply_plan", "document:", "site_proof"):
        assert OwedDocument.of_owed(kind) is None


def test_the_promised_documents_among_owed_items_keep_their_order() -> None:
    items = [Item("document:equipment_list"), Item("pick:slot"), Item("document:site_proof")]
    assert owed_documents(items) == [OwedDocument.EQUIPMENT_LIST, OwedDocument.SITE_PROOF]
