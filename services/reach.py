"""Whether a member of staff may see or act on an application, and hand it to another.

The rule of scope is :func:`process.roles.within_reach`; these apply it to the records, so
that the chat's checks and the services' checks are the same call.
"""

from __future__ import annotations

from process.roles import Reach, Role, reach_of, within_reach
from storage.models import Application
from storage.staff.models import Staff


def in_reach(member: Staff | None, application: Application) -> bool:
    """Whether ``member`` (active) may see and act on ``application`` at all."""
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


def may_take_over(actor: Staff, target: Staff, application: Application) -> bool:
    """Whether ``actor`` may hand ``application`` to ``target``: a supervisor of one district
    only to managers who work there (or in every district); the target must be an active
    customer or project manager."""
    if not in_reach(actor, application) or not target.active:
        return False
    if target.role not in (Role.CUSTOMER_MANAGER, Role.PROJECT_MANAGER):
        return False
    if reach_of(actor.role, actor.district) is Reach.EVERY:
        return True
    return target.district in (None, application.district)
