"""The buttons that go with reminders: staff open the card, customers get their next step.

The keyboards are :mod:`notifications.buttons`'; what this adds is the batch read a sweep
needs to label them (each application's survey slots and owed documents, in the sweep's
own transaction). The bot hands it to the sweeps
(see :class:`notifications.reminders.context.ReminderButtons`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

import aiosqlite
from telegram import InlineKeyboardMarkup

from notifications.buttons import customer_actions_markup, open_card_markup
from notifications.reminders.context import ReminderButtons
from notifications.render import Texts
from process.form import owed_documents
from storage.models import Application
from storage.reminders.reads import open_owed_by_application
from storage.slots import latest_slots_by_application


def reminder_buttons(texts: Texts, tz: tzinfo) -> ReminderButtons:
    """Staff reminders open the card; customers get the buttons of their next step."""

    async def customer(
        conn: aiosqlite.Connection, wanted: Sequence[tuple[str, Application]]
    ) -> dict[int, InlineKeyboardMarkup | None]:
        ids = [app.id for _, app in wanted]
        slots = await latest_slots_by_application(conn, ids)
        owed = await open_owed_by_application(conn, ids)
        return {
            app.id: customer_actions_markup(
                texts,
                locale,
                app,
                slots.get(app.id, []),
                tz,
                owed_documents=owed_documents(owed.get(app.id, [])),
            )
            for locale, app in wanted
        }

    return ReminderButtons(
        staff=lambda locale, app: open_card_markup(texts, locale, app), customer=customer
    )
