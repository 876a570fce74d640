"""An application typed in for a customer not in Telegram yet: its placeholder customer is
reminded of nothing, and the customer who claims it is reminded from then on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from process.roles import Role
from tests.notifications.sweep_rig import at, sweep_rig

MANAGER, PLACEHOLDER, CUSTOMER = 2001, -1, 1001


async def test_the_placeholder_is_sent_nothing_and_the_claimant_is_reminded(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(PLACEHOLDER, manager=MANAGER, deferred=("site_proof",))
        await rig.act(app.id, "accept", MANAGER)

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 9))
        assert await rig.sent(PLACEHOLDER) == []

        # Claimed (services/claims.py writes this with the code spent): the next reminders
        # of what is owed, and the follow-ups, reach the customer.
        await rig.db.execute(
            "INSERT INTO users (user_id, chat_id, locale, created_at, updated_at) "
            "VALUES (?, ?, 'zh_CN', '2026-12-09T00:00:00Z', '2026-12-09T00:00:00Z')",
            (CUSTOMER, CUSTOMER),
        )
        await rig.db.execute(
            "UPDATE applications SET customer_id = ? WHERE id = ?", (CUSTOMER, app.id)
        )
        await rig.run_days(date(2026, 12, 10), date(2026, 12, 16))
        owed = await rig.sent(CUSTOMER, "remind.owed")
        assert owed and all(s.day >= date(2026, 12, 10) for s in owed)
        assert "补交用电地址产权证明" in owed[0].text
        assert await rig.sent(PLACEHOLDER) == []
