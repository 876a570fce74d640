"""Records and errors of the staff side: members, queue lines and failed enrolments.

Kept apart from :mod:`storage.models` because only staff features read them; the role is
the domain's :class:`~process.roles.Role`, so a check like ``member.role in OVERSEERS``
reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import aiosqlite

from process.roles import Role
from storage.codec import optional_time_from_db, time_from_db
from storage.errors import StorageError
from storage.models import PauseRow

INVITE_LIFETIME = timedelta(hours=72)
MAX_WRONG_CODES = 5  # per user within ATTEMPT_WINDOW; the next attempt is refused unchecked
ATTEMPT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Staff:
    """A member of staff; ``active`` is False once disabled, and then they may do nothing."""

    user_id: int
    name: str
    role: Role
    district: str | None  # None: every district
    active: bool
    last_assigned_at: datetime | None
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One open application in someone's queue, with what its stage clock needs."""

    application_id: int
    number: str
    applicant_name: str
    project_name: str
    district: str
    stage: str
    plan_due_date: date | None
    customer_manager_id: int | None
    project_manager_id: int | None
    stage_started_at: datetime | None  # None only if the application has no open stage visit
    stage_limit_days: int | None
    pauses: tuple[PauseRow, ...]


@dataclass(frozen=True, slots=True)
class QueueHead:
    """An open application in someone's queue, with as much as ordering the queue needs."""

    application_id: int
    number: str
    due: date | None  # the stage deadline; None while paused (or when not ``known``)
    known: bool  # False: changed since the reminder sweep last counted it; count it afresh


@dataclass(frozen=True, slots=True)
class QueuePage:
    """The part of a member's queue that must leave the database to show its first lines."""

    heads: list[QueueHead]  # the first known ones in deadline order, then any to count afresh
    total: int  # open applications in the whole queue
    late_known: int  # of the known deadlines, how many are overdue
    # The full item of every head, by application id, when they were asked for with the page
    # (read in the same trip); empty otherwise.
    items: dict[int, QueueItem] = field(default_factory=dict)


class InviteError(StorageError):
    """A code given to ``/join`` enrols nobody; the subclass says why."""


class InviteInvalid(InviteError):
    """No such code (mistyped, or never issued)."""


class InviteExpired(InviteError):
    """The code was issued more than :data:`INVITE_LIFETIME` ago."""


class InviteUsed(InviteError):
    """The code has already enrolled someone; codes work once."""


class StaffNotFound(StorageError, LookupError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"no staff member {user_id}")
        self.user_id = user_id


STAFF_COLUMNS = (
    "user_id, name, role, district, active, last_assigned_at, created_at, updated_at, disabled_at"
)


def staff_from_row(row: aiosqlite.Row) -> Staff:
    return Staff(
        user_id=row["user_id"],
        name=row["name"],
        role=Role(row["role"]),
        district=row["district"],
        active=bool(row["active"]),
        last_assigned_at=optional_time_from_db(row["last_assigned_at"]),
        created_at=time_from_db(row["created_at"]),
        updated_at=time_from_db(row["updated_at"]),
        disabled_at=optional_time_from_db(row["disabled_at"]),
    )
