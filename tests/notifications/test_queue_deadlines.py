"""/queue orders by the deadlines the reminder sweep stored, and counts afresh only what
changed since it looked: the stored and the counted deadline must always agree."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from flows.staff.queue import _by_deadline, late_ones
from process.calendar import WorkingCalendar
from process.deadlines import Pause, due_date
from process.roles import Role
from storage.db import Database
from storage.staff.members import StaffRepo
from storage.staff.models import QueueHead, QueuePage, Staff
from storage.staff.queue import joined_page_in, settled_page_in
from tests.notifications.sweep_rig import SHANGHAI, SweepRig, at, sweep_rig

MANAGER = 2001
CUSTOMERS = (1001, 1002, 1003)


async def _heads(repo: StaffRepo, *, first: int | None = None) -> list[QueueHead]:
    return (await _page(repo, first=first)).heads


async def _page(
    repo: StaffRepo, *, first: int | None = None, late_before: date = date(2026, 12, 1)
) -> QueuePage:
    member = await repo.get(MANAGER)
    assert member is not None
    return await repo.queue_page(member, late_before=late_before, first=first)


async def _both_ways(
    db: Database, member: Staff, *, first: int | None = None, late_before: date = date(2026, 12, 1)
) -> tuple[QueuePage | None, QueuePage]:
    """The page from the sweep's settled rows (None: they do not account for the queue),
    and the page with every open application joined."""

    def read(connection: sqlite3.Connection) -> tuple[QueuePage | None, QueuePage]:
        return (
            settled_page_in(connection, member, late_before=late_before, first=first),
            joined_page_in(connection, member, late_before=late_before, first=first),
        )

    return await db.in_one_trip(read, write=False)


async def _counted(rig: SweepRig, app_id: int) -> object:
    """The deadline of the application's stage as /queue would count it from the clock."""
    visit = await rig.apps.current_visit(app_id)
    assert visit is not None
    if any(p.ended_at is None for p in visit.pauses):
        return None
    pauses = [Pause(p.started_at, p.ended_at) for p in visit.pauses]
    found = due_date(rig.calendar, visit.started_at, visit.limit_days, pauses, SHANGHAI)
    return None if found is None else found.day


async def test_stored_deadlines_agree_with_the_clock_and_changes_are_counted_afresh(
    tmp_path: Path,
) -> None:
    async with sweep_rig(tmp_path, at(2026, 11, 30, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        ids = []
        for hour, customer in zip((10, 11, 12), CUSTOMERS, strict=True):
            rig.clock.set(at(2026, 11, 30, hour))
            app = await rig.submit(customer, manager=MANAGER)
            await rig.act(app.id, "accept", MANAGER)
            ids.append(app.id)
        repo = StaffRepo(rig.db)

        # Before the sweep has looked, every deadline is to be counted.
        assert all(not head.known for head in await _heads(repo))

        await rig.run(at(2026, 12, 1, 9))
        heads = {head.application_id: head for head in await _heads(repo)}
        assert set(heads) == set(ids) and all(head.known for head in heads.values())
        for app_id in ids:
            assert heads[app_id].due == await _counted(rig, app_id)
            assert heads[app_id].due is not None

        # The clock of one stage stops: until the sweep looks again it is counted afresh,
        # then known as paused (no deadline).
        rig.clock.set(at(2026, 12, 1, 11))
        await rig.act(ids[0], "propose_slots", MANAGER)
        heads = {head.application_id: head for head in await _heads(repo)}
        assert not heads[ids[0]].known and heads[ids[1]].known
        # Asked for with the page, the full items come in the same trip: of the first known
        # deadline and of the stage to count afresh, as read by id.
        member = await repo.get(MANAGER)
        assert member is not None
        page = await repo.queue_page(
            member, late_before=date(2026, 12, 1), first=1, with_items=True
        )
        assert [head.known for head in page.heads] == [False, True]
        assert sorted(page.items) == sorted(head.application_id for head in page.heads)
        assert [page.items[i] for i in sorted(page.items)] == await repo.queue_items(
            sorted(page.items)
        )
        assert page.items[ids[0]].pauses[0].ended_at is None
        assert (await _page(repo, first=1)).items == {}  # not asked for, not read
        await rig.run(at(2026, 12, 1, 11, 1))
        heads = {head.application_id: head for head in await _heads(repo)}
        assert heads[ids[0]].known and heads[ids[0]].due is None
        assert await _counted(rig, ids[0]) is None

        # The full items of the lines shown come by id, with their pauses.
        items = await repo.queue_items([ids[0], ids[2]])
        assert [item.application_id for item in items] == sorted([ids[0], ids[2]])
        assert len(items[0].pauses) == 1 and items[0].pauses[0].ended_at is None


def test_overdue_means_a_working_day_has_passed_since_the_deadline() -> None:
    friday, monday = date(2026, 12, 4), date(2026, 12, 7)
    ordered = [
        (date(2026, 12, 1), QueueHead(1, "HV-1", date(2026, 12, 1), True)),
        (friday, QueueHead(2, "HV-2", friday, True)),
        (None, QueueHead(3, "HV-3", None, True)),  # paused: never late
    ]
    calendar = WorkingCalendar()
    assert late_ones(ordered, friday, calendar) == [1]  # due today is not late yet
    assert late_ones(ordered, date(2026, 12, 5), calendar) == [1]  # nor on the Saturday
    assert late_ones(ordered, monday, calendar) == [1, 2]  # the longest overdue first


async def test_the_first_lines_are_ordered_cut_and_counted_in_the_database_as_in_python(
    tmp_path: Path,
) -> None:
    """The page the database returns is the whole queue ordered by the queue's own order,
    cut after ``first`` known heads, with every head still to be counted, and its overdue
    count is the rule applied to every known deadline."""
    async with sweep_rig(tmp_path, at(2026, 11, 2, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        ids = []
        for day in range(2, 14):  # submitted and accepted on twelve days in a row
            rig.clock.set(at(2026, 11, day, 10))
            app = await rig.submit(1000 + day, manager=MANAGER)
            await rig.act(app.id, "accept", MANAGER)
            ids.append(app.id)
        await rig.run(at(2026, 11, 16, 9))
        rig.clock.set(at(2026, 11, 16, 10))
        await rig.act(ids[3], "propose_slots", MANAGER)  # changed since: counted afresh
        await rig.act(ids[7], "propose_slots", MANAGER)
        repo = StaffRepo(rig.db)

        whole = await _page(repo)
        known = [head for head in whole.heads if head.known]
        assert whole.total == len(ids) == len(whole.heads)
        assert {head.application_id for head in whole.heads if not head.known} == {
            ids[3],
            ids[7],
        }
        assert known == [head for _, head in sorted(((h.due, h) for h in known), key=_by_deadline)]
        for late_before in (date(2026, 11, 20), date(2026, 11, 27), date(2026, 12, 3)):
            counted = await _page(repo, late_before=late_before)
            assert counted.late_known == sum(
                1 for head in known if head.due is not None and head.due < late_before
            )
        for first in (0, 1, 5, len(ids)):
            page = await _page(repo, first=first)
            assert [head for head in page.heads if head.known] == known[:first]
            assert {head.application_id for head in page.heads if not head.known} == {
                ids[3],
                ids[7],
            }
            assert page.total == whole.total
            # Read from the sweep's settled rows, the page is the one every application
            # joined gives.
            member = await repo.get(MANAGER)
            assert member is not None
            for late_before in (date(2026, 11, 20), date(2026, 12, 3)):
                settled, joined = await _both_ways(
                    rig.db, member, first=first, late_before=late_before
                )
                assert settled == joined


async def test_the_settled_rows_give_the_joined_page_for_every_reach_or_step_aside(
    tmp_path: Path,
) -> None:
    """Deadlines shared by several applications (ties cut by number), paused clocks, a
    district's supervisor, an admin, a project manager: the page from the sweep's rows is
    the joined one. An open application without an open stage is not in those rows: the
    settled page steps aside (None) and the queue is read the joined way."""
    async with sweep_rig(tmp_path, at(2026, 11, 2, 9)) as rig:
        await rig.staff(MANAGER, Role.CUSTOMER_MANAGER, "王经理")
        project = await rig.staff(2002, Role.PROJECT_MANAGER, "李工")
        supervisor = await rig.staff(2003, Role.SUPERVISOR, "赵班长")
        await rig.staff(2004, Role.SUPERVISOR, "钱班长", district="勉县")
        admin = await rig.staff(2005, Role.ADMIN, "孙管理", district=None)
        ids = []
        for day in (2, 2, 2, 3, 3, 4, 5, 5):  # three and two share a deadline
            rig.clock.set(at(2026, 11, day, 10))
            customer = 1000 + len(ids)
            app = await rig.submit(customer, manager=MANAGER, project=project if day == 3 else None)
            await rig.act(app.id, "accept", MANAGER)
            ids.append(app.id)
        rig.clock.set(at(2026, 11, 6, 10))
        other = await rig.submit(1100, manager=MANAGER, district="勉县")
        await rig.act(other.id, "accept", MANAGER)
        await rig.act(ids[6], "propose_slots", MANAGER)  # paused, once the sweep has looked
        await rig.run(at(2026, 11, 9, 9))
        repo = StaffRepo(rig.db)
        members = [await repo.get(user) for user in (MANAGER, project, supervisor, 2004, admin)]
        for member in members:
            assert member is not None
            for first in (1, 2, 3, 4, 40, None):
                settled, joined = await _both_ways(rig.db, member, first=first)
                assert settled == joined, (member.role, first)
        manager_page = await _page(repo)
        assert manager_page.total == len(ids) + 1
        assert [h.due for h in manager_page.heads][-1] is None  # the paused one, last

        # The stage of one application ends outside the workflow: open, with no open stage.
        await rig.db.execute(
            "UPDATE stage_visits SET ended_at = ? WHERE application_id = ? AND ended_at IS NULL",
            ("2026-11-09T10:00:00+08:00", ids[0]),
        )
        manager = members[0]
        assert manager is not None
        settled, joined = await _both_ways(rig.db, manager)
        assert settled is None
        assert joined.total == len(ids) + 1
        assert (await _page(repo)) == joined
        stageless = [head for head in joined.heads if head.application_id == ids[0]]
        assert stageless == [QueueHead(ids[0], stageless[0].number, None, True)]
