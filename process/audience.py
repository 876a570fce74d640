"""Who hears about an application: the one rule every message to staff follows.

The customer manager is the customer's single point of contact (一口对外), so whatever
concerns an application reaches them. The project manager hears too when the matter is
theirs as well (a customer's step, a new application, the stages where they act). While no
customer manager holds the application, nobody answers for it, so the overseers of its
district (its supervisors, supervisors of every district, every admin) hear in their place;
an escalation reaches them whoever holds it.
"""

from __future__ import annotations

from collections.abc import Sequence


def overseers_hear(customer_manager_id: int | None, *, escalation: bool = False) -> bool:
    """Whether the district's overseers are among the audience (so worth looking up)."""
    return escalation or customer_manager_id is None


def audience(
    *,
    customer_manager_id: int | None,
    project_manager_id: int | None,
    overseer_ids: Sequence[int],
    project_manager_too: bool,
    escalation: bool = False,
) -> tuple[int, ...]:
    """The user ids to tell, each once: the holders first, then the overseers if they hear
    (for an escalation, which is theirs to act on, the overseers first).

    ``customer_manager_id`` and ``project_manager_id`` are the application's holders who can
    still act (None for none, or for one no longer active); ``overseer_ids`` those of its
    district, consulted only when :func:`overseers_hear`.
    """
    holders: list[int] = []
    if customer_manager_id is not None:
        holders.append(customer_manager_id)
    if project_manager_too and project_manager_id is not None:
        holders.append(project_manager_id)
    if not overseers_hear(customer_manager_id, escalation=escalation):
        return tuple(dict.fromkeys(holders))
    ordered = [*overseer_ids, *holders] if escalation else [*holders, *overseer_ids]
    return tuple(dict.fromkeys(ordered))
