"""A customer who blocked the bot: whoever holds each open application is asked to phone,
once, whether Telegram reported the blocking or a message bounced first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from notifications.unreachable import tell_holders_when_unreachable
from process.roles import Role
from storage.users import UsersRepo
from tests.notifications.sweep_rig import SweepRig, at, sweep_rig

MANAGER, SUPERVISOR, ADMIN, CUSTOMER = 2001, 2003, 2004, 1001


async def _two_applications(rig: SweepRig) -> tuple[int, int]:
    await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    await rig.staff(SUPERVISOR, Role.SUPERVISOR, "陈主管")
    await rig.staff(ADMIN, Role.ADMIN, "管理员", district=None)
    held = await rig.submit(CUSTOMER, manager=MANAGER)
    orphan = await rig.submit(CUSTOMER)  # not assigned yet
    return held.id, orphan.id


async def test_a_bounce_asks_the_manager_or_the_supervisors_to_phone_once(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        held, orphan = await _two_applications(rig)
        hook = tell_holders_when_unreachable(rig.db, rig.outbox, rig.clock)

        await hook(CUSTOMER)
        await hook(CUSTOMER)  # a second bounce the same day
        # The sender marks the customer after the hook; the sweep then finds nothing new.
        await UsersRepo(rig.db).mark_unreachable(CUSTOMER, rig.clock.now())
        await rig.run()

        told = await rig.sent(kind_prefix="remind.unreachable")
        assert sorted((s.user_id, s.key) for s in told) == [
            (MANAGER, f"unreachable:{CUSTOMER}:{held}:{MANAGER}:2026-12-01"),
            (SUPERVISOR, f"unreachable:{CUSTOMER}:{orphan}:{SUPERVISOR}:2026-12-01"),
            (ADMIN, f"unreachable:{CUSTOMER}:{orphan}:{ADMIN}:2026-12-01"),
        ]
        assert all("请电话联系客户" in s.text and "13800138000" in s.text for s in told)


async def test_a_blocking_telegram_reported_is_found_by_the_sweep(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 1, 9)) as rig:
        held, orphan = await _two_applications(rig)
        await UsersRepo(rig.db).mark_unreachable(CUSTOMER, at(2026, 12, 1, 23, 30))

        await rig.run(at(2026, 12, 1, 23, 31))  # staff are not held back by quiet hours
        await rig.run(at(2026, 12, 2, 9, 0))

        told = await rig.sent(kind_prefix="remind.unreachable")
        assert {s.queued for s in told} == {at(2026, 12, 1, 23, 31)}
        assert sorted(s.key for s in told) == sorted(
            [
                f"unreachable:{CUSTOMER}:{held}:{MANAGER}:2026-12-01",
                f"unreachable:{CUSTOMER}:{orphan}:{SUPERVISOR}:2026-12-01",
                f"unreachable:{CUSTOMER}:{orphan}:{ADMIN}:2026-12-01",
            ]
        )


async def test_an_unreachable_customer_gets_no_reminders_until_they_come_back(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        app = await rig.submit(CUSTOMER, manager=MANAGER, deferred=("site_proof",))
        users = UsersRepo(rig.db)
        await users.mark_unreachable(CUSTOMER, rig.clock.now())

        await rig.run_days(date(2026, 11, 30), date(2026, 12, 4))
        assert await rig.sent(CUSTOMER) == []

        await users.mark_reachable(CUSTOMER, at(2026, 12, 7, 8))
        await rig.run_days(date(2026, 12, 7), date(2026, 12, 9))
        assert [s.key for s in await rig.sent(CUSTOMER, "remind.owed")] == [
            f"owed:{app.id}:document:site_proof:2026-12-08"
        ]
