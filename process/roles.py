"""Who may do what: the roles of the utility's staff.

A customer is anyone without a staff role. Staff roles are checked on the server for every
action, whatever a button's callback data claims.
"""

from __future__ import annotations

from enum import StrEnum


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
