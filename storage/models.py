"""Immutable records that repositories hand to the rest of the bot.

They mirror the tables but in Python terms: datetimes are tz-aware (UTC), dates are
:class:`~datetime.date`, flags are ``bool`` and JSON columns are decoded. Stage, status and
the other enumerated values are plain strings (the StrEnums of :mod:`process.stages` compare
equal to them), so nothing here depends on how the domain names its members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    chat_id: int
    first_name: str | None
    username: str | None
    locale: str
    locale_chosen: bool
    phone: str | None
    phone_verified: bool
    unreachable_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """A file the user just sent, as Telegram described it; ``sent_as`` is ``"photo"`` or
    ``"document"``, which decides how the file can be sent on (sendPhoto or sendDocument)."""

    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None
    sent_as: str = "document"


@dataclass(frozen=True, slots=True)
class DraftDocument:
    id: int
    kind: str
    file_id: str
    file_unique_id: str | None
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    uploaded_at: datetime
    sent_as: str = "document"


@dataclass(frozen=True, slots=True)
class Draft:
    """An application the customer is still filling in; saved after every answer."""

    user_id: int
    fields: dict[str, Any]
    deferred: frozenset[str]  # document kinds promised for later (告知承诺)
    documents: tuple[DraftDocument, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewApplication:
    """What the customer filled in, ready to be submitted."""

    applicant_name: str
    uscc: str
    project_name: str
    site_address: str
    district: str
    usage_category: str
    voltage_kv: int
    capacity_kva: int
    supply_mode: str
    important_load: bool
    grid_works: str
    wanted_date: date
    contact_name: str
    contact_mobile: str


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    number: str
    customer_id: int
    applicant_name: str
    uscc: str
    project_name: str
    site_address: str
    district: str
    usage_category: str
    voltage_kv: int
    capacity_kva: int
    supply_mode: str
    important_load: bool
    grid_works: str
    wanted_date: date
    contact_name: str
    contact_mobile: str
    stage: str
    status: str
    version: int
    customer_manager_id: int | None
    project_manager_id: int | None
    plan_due_date: date | None
    plan_due_provisional: bool
    submitted_at: datetime
    updated_at: datetime
    step: str = "accept_review"  # process.workflow.Step: where inside the stage it stands
    energize_date: date | None = None


@dataclass(frozen=True, slots=True)
class PauseRow:
    """A stretch during which a stage's clock stood still (e.g. waiting for the customer)."""

    id: int
    reason: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class StageVisit:
    """One stay of an application in a stage, with the working days it is allowed."""

    id: int
    application_id: int
    stage: str
    limit_days: int
    started_at: datetime
    ended_at: datetime | None
    pauses: tuple[PauseRow, ...]


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    application_id: int
    kind: str
    file_id: str
    file_unique_id: str | None
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    caption: str | None
    uploaded_by: int | None
    uploaded_at: datetime
    sent_as: str = "document"  # "photo" or "document": how Telegram can send it again


@dataclass(frozen=True, slots=True)
class OwedItem:
    """Something the customer still owes, e.g. ``"document:<kind>"`` promised under 告知承诺."""

    id: int
    application_id: int
    kind: str
    detail: str | None
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Event:
    """One line of an application's (or the bot's) append-only history."""

    id: int
    application_id: int | None
    actor_id: int | None
    actor_role: str
    kind: str
    note: str | None
    data: dict[str, Any] | None
    created_at: datetime
