"""The sweeps the bot runs every minute, in the order they must run.

The digest reads the stage states the ``stage`` sweep refreshed, so it comes after it.
Wired here, above the sweeps, so that no sweep module needs to know of the others.
"""

from __future__ import annotations

from notifications.reminders.context import SweepContext
from notifications.reminders.customers import CustomerReminders
from notifications.reminders.digest import SupervisorDigest
from notifications.reminders.scheduler import Sweep
from notifications.reminders.staff import StageReminders
from notifications.unreachable import UnreachableAlerts


def default_sweeps(context: SweepContext) -> list[tuple[str, Sweep]]:
    """The bot's own sweeps, named as the scheduler logs them:

    * ``stage``: reminders to the staff who hold a running stage (half the limit, the day
      before, the day, every working day overdue) and the day's escalations;
    * ``customers``: progress follow-ups and reminders of what customers owe;
    * ``unreachable``: managers asked to phone a customer who blocked the bot;
    * ``digest``: the supervisors' morning digest.
    """
    return [
        ("stage", StageReminders(context)),
        ("customers", CustomerReminders(context)),
        ("unreachable", UnreachableAlerts(context)),
        ("digest", SupervisorDigest(context)),
    ]
