"""The staff reminders' SQL groups (storage.reminders.points) and the members they expand to
agree with the one rule of who hears about an application (process.audience), and the
look-up services use (storage.staff.audience) with both: for every combination of holders,
stage and district, one application at a time and all of them at once."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

import pytest

from notifications.reminders.stage_tell import _by_member
from process.audience import audience
from process.roles import Role
from storage.db import Database
from storage.reminders.points import PAST, PROJECT_STAGES, Holder, told_groups, told_lines
from storage.staff.assign import overseers_of
from storage.staff.audience import audience_in
from tests.storage.samples import NOW
from tests.storage.staff_samples import add_user, submit
from tests.storage_steps import disable_in

TODAY = date(2026, 12, 2)
HANTAI, NANZHENG = "汉台区", "南郑区"
CM_H, CM_N, PM, SUP_H, SUP_N, SUP_ALL, ADMIN, SUP_OFF = (
    2001,
    2002,
    2003,
    3001,
    3002,
    3003,
    9001,
    3004,
)
STAFF = (
    (CM_H, Role.CUSTOMER_MANAGER, HANTAI),
    (CM_N, Role.CUSTOMER_MANAGER, NANZHENG),
    (PM, Role.PROJECT_MANAGER, None),
    (SUP_H, Role.SUPERVISOR, HANTAI),
    (SUP_N, Role.SUPERVISOR, NANZHENG),
    (SUP_ALL, Role.SUPERVISOR, None),
    (ADMIN, Role.ADMIN, None),
    (SUP_OFF, Role.SUPERVISOR, HANTAI),  # disabled: hears nothing
)
# Every combination of holders (a project manager who is also the customer manager
# included), stage and district.
WORLDS = list(
    itertools.product(
        (None, CM_H, CM_N),
        (None, PM, CM_H),
        ("accept", "plan", "design", "contract"),
        (HANTAI, NANZHENG),
    )
)


async def _staffed(db: Database) -> None:
    for user_id, role, district in STAFF:
        await add_user(db, user_id)
        await db.execute(
            "INSERT INTO staff (user_id, name, role, district, active, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?)",
            (user_id, f"staff {user_id}", role.value, district, NOW.isoformat(), NOW.isoformat()),
        )
    await disable_in(db, SUP_OFF, NOW)


async def _watch(
    db: Database,
    rows: list[tuple[int | None, int | None, str, str]],
    *,
    application_ids: list[int] | None = None,
) -> None:
    """One running stage per row, overdue today, never told (of application ``n``, or of
    the ``n``-th of ``application_ids``)."""
    ids = application_ids or list(range(1, len(rows) + 1))
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM reminder_watch")
        await conn.executemany(
            "INSERT INTO reminder_watch (kind, subject_id, check_on, state, due_on, half_on, "
            "before_on, deadline_on, dated_on, application_id, district, cm, pm, stage, "
            "limit_days) VALUES ('stage', ?, '9999-12-31', 'running', ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, 10)",
            [
                (n, PAST, PAST, PAST, PAST, PAST, ids[n - 1], district, cm, pm, stage)
                for n, (cm, pm, stage, district) in enumerate(rows, start=1)
            ],
        )


async def _told_by_sql(db: Database) -> Counter[int]:
    async with db.snapshot() as conn:
        groups = await told_groups(conn, TODAY, None, whole_day=True, late_before=TODAY)
        return Counter(
            {user_id: told.total for user_id, told in (await _by_member(conn, groups)).items()}
        )


async def _told_by_rule(
    db: Database, rows: list[tuple[int | None, int | None, str, str]]
) -> Counter[int]:
    told: Counter[int] = Counter()
    async with db.snapshot() as conn:
        for cm, pm, stage, district in rows:
            pm_too = stage in PROJECT_STAGES
            overseers = [m.user_id for m in await overseers_of(conn, district)]
            ids = audience(
                customer_manager_id=cm,
                project_manager_id=pm,
                overseer_ids=overseers,
                project_manager_too=pm_too,
            )
            looked_up = await audience_in(
                conn,
                customer_manager_id=cm,
                project_manager_id=pm,
                district=district,
                project_manager_too=pm_too,
            )
            assert [m.user_id for m in looked_up] == list(ids)
            told.update(ids)
    return told


async def test_each_application_is_told_to_whoever_hears_about_it(db: Database) -> None:
    await _staffed(db)
    for world in WORLDS:
        await _watch(db, [world])
        assert await _told_by_sql(db) == await _told_by_rule(db, [world]), world


async def test_all_at_once(db: Database) -> None:
    await _staffed(db)
    await _watch(db, WORLDS)
    told = await _told_by_sql(db)
    assert told == await _told_by_rule(db, WORLDS)
    assert SUP_OFF not in told


async def test_the_lines_read_laterally_on_postgresql_are_the_compounds(db: Database) -> None:
    """PostgreSQL reads each kind of holder's first lines in one lateral part (the compound
    of a part a holder takes it longer to plan than to run): the same lines, in the same
    order, cut at the same length, as the compound SQLite reads."""
    if db.dialect != "postgresql":
        pytest.skip("LATERAL is PostgreSQL's; SQLite reads the compound")
    await _staffed(db)
    numbers = [
        (await submit(db, 5000 + n, district=district)).id
        for n, (_, _, _, district) in enumerate(WORLDS)
    ]
    await _watch(db, WORLDS, application_ids=numbers)
    holders = [
        Holder(CM_H, Role.CUSTOMER_MANAGER.value),
        Holder(CM_N, Role.CUSTOMER_MANAGER.value),
        Holder(PM, Role.PROJECT_MANAGER.value),
        Holder(CM_H, Role.PROJECT_MANAGER.value),  # a customer manager acting as one
        Holder(SUP_H, Role.SUPERVISOR.value, unheld=True, district=HANTAI),
        Holder(SUP_N, Role.SUPERVISOR.value, unheld=True, district=NANZHENG),
        Holder(SUP_ALL, Role.SUPERVISOR.value, unheld=True),
        Holder(4242, Role.CUSTOMER_MANAGER.value),  # holds nothing
    ]
    async with db.snapshot() as conn:
        found = {
            lateral: await told_lines(
                conn,
                TODAY,
                None,
                holders,
                whole_day=True,
                lines=5,
                late_before=TODAY,
                lateral=lateral,
            )
            for lateral in (False, True)
        }
    assert found[True] == found[False]
    assert [len(lines) for lines in found[True]] == [5, 5, 5, 5, 5, 5, 5, 0]
