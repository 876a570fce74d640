"""The supervisors' morning digest: once a working day at 08:30, their districts only."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

from process.roles import Role
from tests.notifications.sweep_rig import SweepRig, at, sweep_rig

MANAGER, HANTAI, EVERYWHERE, NANZHENG, ADMIN = 2001, 2003, 2004, 2005, 2006


def _counts(text: str) -> dict[str, int]:
    found = re.findall(r"<b>([^<：]+)：(\d+) 件</b>", text)
    # "New" names the moment of the last digest: compared apart, as NEW_SINCE.
    return {re.sub(r"（上次简报 .* 以来）", "", t): int(n) for t, n in found}


async def _district_staff(rig: SweepRig) -> None:
    await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
    await rig.staff(HANTAI, Role.SUPERVISOR, "陈主管")
    await rig.staff(EVERYWHERE, Role.SUPERVISOR, "周主管", district=None)
    await rig.staff(NANZHENG, Role.SUPERVISOR, "李主管", district="南郑区")
    await rig.staff(ADMIN, Role.ADMIN, "管理员", district=None)


async def test_each_supervisor_gets_their_districts_state_once_each_working_morning(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 27, 9)) as rig:  # Friday
        await _district_staff(rig)
        late = await rig.submit(1001, manager=MANAGER)  # due Monday, overdue Tuesday
        await rig.run(at(2026, 11, 30, 9))
        rig.clock.set(at(2026, 11, 30, 10))
        due_today = await rig.submit(1002, manager=MANAGER)  # due Tuesday
        elsewhere = await rig.submit(1003, manager=MANAGER, district="南郑区")
        await rig.walk(elsewhere.id, [("accept", MANAGER), ("propose_slots", MANAGER)])

        for moment in (time(0, 5), time(8, 0), time(8, 30), time(9, 0), time(17, 0)):
            await rig.run(at(2026, 12, 1, moment.hour, moment.minute))

        digests = {
            s.user_id: s
            for s in await rig.sent(kind_prefix="remind.digest")
            if s.day == date(2026, 12, 1)
        }
        assert set(digests) == {HANTAI, EVERYWHERE, NANZHENG}  # supervisors, not the admin
        assert all(s.queued == at(2026, 12, 1, 8, 30) for s in digests.values())
        assert all(s.key == f"digest:{uid}:2026-12-01" for uid, s in digests.items())
        titles = ("新申请", "今天到期", "已超期", "等待客户办理（计时暂停）")
        # New since the last digest, written at Monday's 09:00 run.
        assert "新申请（上次简报 2026-11-30 09:00 以来）" in digests[HANTAI].text
        assert _counts(digests[HANTAI].text) == dict(zip(titles, (1, 1, 1, 0), strict=True))
        assert _counts(digests[EVERYWHERE].text) == dict(zip(titles, (2, 1, 1, 1), strict=True))
        assert _counts(digests[NANZHENG].text) == dict(zip(titles, (1, 0, 0, 1), strict=True))
        assert "2026年12月1日（周二） · 汉台区" in digests[HANTAI].text
        assert "全部区县" in digests[EVERYWHERE].text
        assert late.number in digests[HANTAI].text and due_today.number in digests[HANTAI].text
        assert elsewhere.number not in digests[HANTAI].text


async def test_no_digest_on_days_off_and_none_twice_after_a_restart(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 12, 4, 9)) as rig:  # Friday
        await _district_staff(rig)
        await rig.run_days(date(2026, 12, 4), date(2026, 12, 7), hours=(time(8, 45),))
        rig.scheduler = rig.fresh_scheduler()
        await rig.run(at(2026, 12, 7, 10))

        assert [s.key for s in await rig.sent(HANTAI, "remind.digest")] == [
            f"digest:{HANTAI}:2026-12-04",
            f"digest:{HANTAI}:2026-12-07",
        ]


async def test_digests_follow_the_working_days_of_the_spring_festival(tmp_path: Path) -> None:
    async with sweep_rig(tmp_path, at(2026, 2, 11, 9)) as rig:
        await _district_staff(rig)
        await rig.submit(1001, manager=MANAGER)

        await rig.run_days(date(2026, 2, 11), date(2026, 3, 2), hours=(time(0, 5), time(9, 0)))

        # Saturdays 14 and 28 Feb are worked; 15–23 Feb are not.
        assert [s.day for s in await rig.sent(HANTAI, "remind.digest")] == [
            date(2026, 2, d) for d in (11, 12, 13, 14, 24, 25, 26, 27, 28)
        ] + [date(2026, 3, 2)]
        escalations = await rig.sent(HANTAI, "remind.escalation")
        # Due Thursday 12 Feb (one working day), overdue every working day after it.
        assert [s.day for s in escalations] == [
            date(2026, 2, d) for d in (13, 14, 24, 25, 26, 27, 28)
        ] + [date(2026, 3, 2)]
        assert "超期 8 个工作日" in escalations[-1].text  # 13, 14, 24–28 Feb and 2 Mar
