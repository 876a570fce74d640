"""Who gets a new application: district first, then anyone; fewest open; fair ties."""

from __future__ import annotations

from datetime import timedelta

import pytest

from process.roles import Role
from storage.db import Database
from storage.staff.assign import pick
from storage.staff.members import Staff, StaffRepo
from tests.storage.samples import NOW
from tests.storage.staff_samples import enrol, submit
from tests.storage_steps import disable_in

LATER = NOW + timedelta(hours=2)


async def _pick_cm(db: Database, district: str = "汉台区") -> Staff | None:
    async with db.transaction() as conn:
        return await pick(conn, Role.CUSTOMER_MANAGER, district=district, now=LATER)


async def _pick_pm(db: Database, district: str = "汉台区") -> Staff | None:
    async with db.transaction() as conn:
        return await pick(conn, Role.PROJECT_MANAGER, district=district, now=LATER)


async def _hold(db: Database, manager: int, count: int, *, first_customer: int) -> None:
    for i in range(count):
        await submit(db, first_customer + i, manager=manager)


async def test_nobody_to_assign_gives_none(db: Database) -> None:
    assert await _pick_cm(db) is None
    await enrol(db, 3001, Role.SUPERVISOR, district="汉台区")
    assert await _pick_cm(db) is None


async def test_the_districts_own_manager_comes_first_even_when_busier(db: Database) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, district="汉台区")
    await enrol(db, 2002, Role.CUSTOMER_MANAGER, district="南郑区")
    await enrol(db, 2003, Role.CUSTOMER_MANAGER, district=None)
    await _hold(db, 2001, 3, first_customer=1001)

    picked = await _pick_cm(db, "汉台区")

    assert picked is not None and picked.user_id == 2001
    assert picked.last_assigned_at == LATER
    untouched = await StaffRepo(db).get(2002)
    assert untouched is not None and untouched.last_assigned_at is None


async def test_without_a_district_manager_anyone_active_is_considered(db: Database) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, district="南郑区")
    await enrol(db, 2002, Role.CUSTOMER_MANAGER, district=None)
    await _hold(db, 2001, 1, first_customer=1001)

    picked = await _pick_cm(db, "城固县")

    assert picked is not None and picked.user_id == 2002  # fewer open, district or not


async def test_the_manager_with_fewest_open_applications_is_chosen(db: Database) -> None:
    for user_id in (2001, 2002, 2003):
        await enrol(db, user_id, Role.CUSTOMER_MANAGER, district="汉台区")
    await _hold(db, 2001, 2, first_customer=1001)
    await _hold(db, 2002, 1, first_customer=1101)
    await _hold(db, 2003, 2, first_customer=1201)

    picked = await _pick_cm(db)
    assert picked is not None and picked.user_id == 2002


async def test_finished_applications_do_not_count_as_load(db: Database) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, district="汉台区")
    await enrol(db, 2002, Role.CUSTOMER_MANAGER, district="汉台区")
    await _hold(db, 2001, 2, first_customer=1001)
    await _hold(db, 2002, 1, first_customer=1101)
    await db.execute("UPDATE applications SET status = 'done' WHERE customer_manager_id = 2001")

    picked = await _pick_cm(db)
    assert picked is not None and picked.user_id == 2001


async def test_ties_go_to_the_least_recently_assigned_never_assigned_first(
    db: Database,
) -> None:
    for user_id in (2001, 2002, 2003):
        await enrol(db, user_id, Role.CUSTOMER_MANAGER, district="汉台区")
    await db.execute(
        "UPDATE staff SET last_assigned_at = ? WHERE user_id = 2001", ("2026-11-20T00:00:00+00:00",)
    )
    await db.execute(
        "UPDATE staff SET last_assigned_at = ? WHERE user_id = 2002", ("2026-11-10T00:00:00+00:00",)
    )
    first = await _pick_cm(db)
    assert first is not None and first.user_id == 2003  # never assigned
    second = await _pick_cm(db)
    assert second is not None and second.user_id == 2002  # 10 Nov is longer ago than 20 Nov


async def test_equal_in_everything_the_lowest_user_id_wins(db: Database) -> None:
    for user_id in (2003, 2001, 2002):
        await enrol(db, user_id, Role.CUSTOMER_MANAGER, district="汉台区")
    picked = await _pick_cm(db)
    assert picked is not None and picked.user_id == 2001


async def test_disabled_managers_are_skipped(db: Database) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, district="汉台区")
    await enrol(db, 2002, Role.CUSTOMER_MANAGER, district="南郑区")
    await disable_in(db, 2001, NOW)

    picked = await _pick_cm(db, "汉台区")
    assert picked is not None and picked.user_id == 2002


async def test_assignments_in_a_row_spread_the_work(db: Database) -> None:
    """Each pick sees the previous assignment, as consecutive submissions would."""
    for user_id in (2001, 2002, 2003):
        await enrol(db, user_id, Role.CUSTOMER_MANAGER, district="汉台区")
    chosen = []
    for i in range(6):
        application = await submit(db, 1001 + i)
        async with db.transaction() as conn:
            member = await pick(
                conn, Role.CUSTOMER_MANAGER, district="汉台区", now=LATER + timedelta(minutes=i)
            )
            assert member is not None
            await conn.execute(
                "UPDATE applications SET customer_manager_id = ? WHERE id = ?",
                (member.user_id, application.id),
            )
        chosen.append(member.user_id)
    assert chosen == [2001, 2002, 2003, 2001, 2002, 2003]


async def test_project_managers_are_picked_by_their_own_load(db: Database) -> None:
    await enrol(db, 2001, Role.PROJECT_MANAGER, district="汉台区")
    await enrol(db, 2002, Role.PROJECT_MANAGER, district="汉台区")
    await enrol(db, 2003, Role.CUSTOMER_MANAGER, district="汉台区")
    await enrol(db, 2004, Role.PROJECT_MANAGER, district=None)
    # 2001 holds two applications as project manager; being customer manager is not load.
    await submit(db, 1001, project_manager=2001)
    await submit(db, 1002, project_manager=2001)
    await submit(db, 1003, manager=2002)

    picked = await _pick_pm(db)
    assert picked is not None and picked.user_id == 2002
    assert picked.role is Role.PROJECT_MANAGER

    await disable_in(db, 2001, NOW)
    await disable_in(db, 2002, NOW)
    fallback = await _pick_pm(db)
    assert fallback is not None and fallback.user_id == 2004


async def test_only_managers_are_assigned(db: Database) -> None:
    async with db.transaction() as conn:
        with pytest.raises(ValueError, match="not assigned"):
            await pick(conn, Role.SUPERVISOR, district="汉台区", now=NOW)
