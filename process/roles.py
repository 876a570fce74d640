"""Who may do what: the roles of the utility's staff.

A customer is anyone without a staff role. Staff roles are checked on the server for every
action, whatever a button's callback data claims.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    CUSTOMER_MANAGER = "customer_manager"  # 客户经理: the customer's single point of contact
    PROJECT_MANAGER = "project_manager"  # 项目经理: supporting grid works
    SUPERVISOR = "supervisor"  # 班长/主管: deadlines, escalations, reassignment, statistics
    ADMIN = "admin"  # 管理员: enrols staff, configuration, backups


STAFF_ROLES: tuple[Role, ...] = tuple(Role)
OVERSEERS: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.ADMIN})


def parse_role(text: str) -> Role | None:
    """A role from its value or a common short form (``cm``, ``pm``)."""
    aliases = {"cm": Role.CUSTOMER_MANAGER, "pm": Role.PROJECT_MANAGER}
    key = text.strip().lower().replace("-", "_")
    if key in aliases:
        return aliases[key]
    try:
        return Role(key)
    except ValueError:
        return None


class Reach(StrEnum):
    """Which applications a member of staff may read and act on."""

    EVERY = "every"  # admins, and supervisors enrolled for every district
    DISTRICT = "district"  # supervisors of one district: its applications, whoever holds them
    # Customer and project managers: the applications they hold. The district's unassigned
    # ones are its supervisors' to place, not theirs.
    HELD = "held"


def reach_of(role: Role, district: str | None) -> Reach:
    """The one rule of staff scope; every read, search, card, button and reassignment of the
    staff side goes through it (SQL queries through their choice of query by this value)."""
    if role is Role.ADMIN or (role is Role.SUPERVISOR and district is None):
        return Reach.EVERY
    if role is Role.SUPERVISOR:
        return Reach.DISTRICT
    return Reach.HELD


def within_reach(
    *,
    role: Role,
    district: str | None,
    user_id: int,
    application_district: str,
    customer_manager_id: int | None,
    project_manager_id: int | None,
) -> bool:
    """Whether a member (``role``, ``district``, ``user_id``) may see or touch an
    application of ``application_district`` held by these managers."""
    reach = reach_of(role, district)
    if reach is Reach.EVERY:
        return True
    if reach is Reach.DISTRICT:
        return application_district == district
    return user_id in (customer_manager_id, project_manager_id)


class Member(Protocol):
    """A member of staff as :func:`in_reach` reads one (storage's ``Staff``)."""

    @property
    def user_id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def district(self) -> str | None: ...
    @property
    def active(self) -> bool: ...


class Held(Protocol):
    """An application as :func:`in_reach` reads one: where it is and who holds it."""

    @property
    def district(self) -> str: ...
    @property
    def customer_manager_id(self) -> int | None: ...
    @property
    def project_manager_id(self) -> int | None: ...


def in_reach(member: Member | None, application: Held) -> bool:
    """Whether ``member`` (active) may see and act on ``application`` at all: a disabled
    member reaches nothing, whatever their role was."""
    return (
        member is not None
        and member.active
        and within_reach(
            role=member.role,
            district=member.district,
            user_id=member.user_id,
            application_district=application.district,
            customer_manager_id=application.customer_manager_id,
            project_manager_id=application.project_manager_id,
        )
    )
