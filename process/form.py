"""What a high-voltage application holds: its fields, in the order they are asked, and its
documents, with which of them may follow later under the commitment rule (告知承诺).

The flows walk this list; the summary, the status card and the storage all read it, so a
field is added in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from process import validators
from process.stages import VOLTAGE_LEVELS_KV, GridWorks, SupplyMode, UsageCategory


class FieldKind(StrEnum):
    TEXT = "text"  # free text, validated by a parser
    CHOICE = "choice"  # one of a few values, offered as buttons
    DATE = "date"  # a date typed by the customer, not in the past
    MOBILE = "mobile"  # a mainland mobile number, typed or shared


@dataclass(frozen=True)
class FormField:
    name: str
    kind: FieldKind
    parse: Callable[[str], Any] | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentSpec:
    kind: str
    essential: bool  # an essential document cannot be promised for later


class OwedDocument(StrEnum):
    """The documents that may be promised for later under the commitment rule (告知承诺):
    what a customer can still owe once the application is in, and what the "send" button of
    the status card and the reminders names."""

    SITE_PROOF = "site_proof"
    EQUIPMENT_LIST = "equipment_list"
    # Essential documents are never promised in the chat's form; they are owed only by an
    # application typed in for the customer elsewhere (95598, the service hall), which
    # carries no files: the customer sends every document in the chat once they claim it.
    BUSINESS_LICENCE = "business_licence"
    IDENTITY = "identity"

    @property
    def owed_kind(self) -> str:
        """The kind of the owed item that stands for this promise."""
        return OWED_DOCUMENT_PREFIX + self.value

    @classmethod
    def of_owed(cls, owed_kind: str) -> OwedDocument | None:
        """The promised document an owed item stands for; None for any other owed item."""
        if not owed_kind.startswith(OWED_DOCUMENT_PREFIX):
            return None
        try:
            return cls(owed_kind.removeprefix(OWED_DOCUMENT_PREFIX))
        except ValueError:
            return None


# Owed items for promised documents are ``document:<kind>``; the others name a step.
OWED_DOCUMENT_PREFIX = "document:"


class _Owed(Protocol):
    @property
    def kind(self) -> str: ...


def owed_documents(items: Iterable[_Owed]) -> list[OwedDocument]:
    """The promised documents among owed items, in their order; other items left out."""
    found = (OwedDocument.of_owed(item.kind) for item in items)
    return [document for document in found if document is not None]


YES_NO: tuple[str, ...] = ("yes", "no")

FIELDS: tuple[FormField, ...] = (
    FormField("applicant_name", FieldKind.TEXT, validators.validate_company_name),
    FormField("uscc", FieldKind.TEXT, validators.validate_uscc),
    FormField("project_name", FieldKind.TEXT, validators.validate_project_name),
    FormField("site_address", FieldKind.TEXT, validators.validate_address),
    FormField("district", FieldKind.CHOICE),  # choices come from the configuration
    FormField("usage_category", FieldKind.CHOICE, choices=tuple(UsageCategory)),
    FormField("voltage_kv", FieldKind.CHOICE, choices=tuple(str(v) for v in VOLTAGE_LEVELS_KV)),
    FormField("capacity_kva", FieldKind.TEXT, validators.parse_capacity_kva),
    FormField("supply_mode", FieldKind.CHOICE, choices=tuple(SupplyMode)),
    FormField("important_load", FieldKind.CHOICE, choices=YES_NO),
    FormField("grid_works", FieldKind.CHOICE, choices=tuple(GridWorks)),
    FormField("wanted_date", FieldKind.DATE),
    FormField("contact_name", FieldKind.TEXT, validators.validate_person_name),
    FormField("contact_mobile", FieldKind.MOBILE, validators.validate_mobile),
)
FIELDS_BY_NAME: Mapping[str, FormField] = {f.name: f for f in FIELDS}

DOCUMENTS: tuple[DocumentSpec, ...] = (
    DocumentSpec(OwedDocument.BUSINESS_LICENCE, essential=True),
    DocumentSpec(OwedDocument.IDENTITY, essential=True),
    DocumentSpec(OwedDocument.SITE_PROOF, essential=False),
    DocumentSpec(OwedDocument.EQUIPMENT_LIST, essential=False),
)
DOCUMENTS_BY_KIND: Mapping[str, DocumentSpec] = {d.kind: d for d in DOCUMENTS}

ACCEPTED_MIME_TYPES: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png", "image/webp")


def next_missing_field(answers: Mapping[str, Any]) -> FormField | None:
    """The first field without an answer, in the order the form asks them."""
    for field in FIELDS:
        if field.name not in answers:
            return field
    return None


def next_missing_document(
    provided_kinds: set[str] | frozenset[str], deferred: set[str] | frozenset[str]
) -> DocumentSpec | None:
    """The first document neither provided nor promised for later."""
    for spec in DOCUMENTS:
        if spec.kind not in provided_kinds and spec.kind not in deferred:
            return spec
    return None


class FormGap(StrEnum):
    """Why a draft cannot be submitted yet."""

    INCOMPLETE = "incomplete"  # a question unanswered, or a document neither sent nor promised
    WANTED_DATE_PAST = "wanted_date_past"  # answered days ago, the wanted date has gone by


def submission_gap(
    answers: Mapping[str, Any],
    provided_kinds: set[str] | frozenset[str],
    deferred: set[str] | frozenset[str],
    today: date,
) -> FormGap | None:
    """What keeps a draft from being submitted on ``today``, or None when nothing does.

    The wanted date was checked when it was typed, but a draft may wait for days before
    Submit: an application is never filed wanting power on a day already past."""
    if next_missing_field(answers) or next_missing_document(provided_kinds, deferred):
        return FormGap.INCOMPLETE
    if date.fromisoformat(answers["wanted_date"]) < today:
        return FormGap.WANTED_DATE_PAST
    return None
