"""Members: disabling hands work back, overseers, queues, search, and the indexes they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from process.roles import Role
from storage.db import Database
from storage.events import EventsRepo
from storage.staff.assign import _candidates_sql
from storage.staff.members import StaffNotFound, StaffRepo
from storage.staff.queue import DISTRICT_QUEUE_SQL, HOLDER_QUEUE_SQL
from tests.storage.samples import NOW
from tests.storage.staff_samples import enrol, submit
from tests.storage_steps import disable_in

LATER = NOW + timedelta(days=1)


async def test_disabling_unassigns_open_applications_in_one_go(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.CUSTOMER_MANAGER)
    await enrol(db, 2002, Role.PROJECT_MANAGER)
    held = await submit(db, 1001, manager=2001, project_manager=2002)
    as_pm = await submit(db, 1002, manager=2002, project_manager=2001)
    finished = await submit(db, 1003, manager=2001)
    other = await submit(db, 1004, manager=2002)
    await db.execute("UPDATE applications SET status = 'done' WHERE id = ?", (finished.id,))

    returned = await disable_in(db, 2001, LATER, by=9001)

    assert returned == [held.id, as_pm.id]
    member = await repo.get(2001)
    assert member is not None and not member.active and member.disabled_at == LATER
    rows = {
        row["id"]: (row["customer_manager_id"], row["project_manager_id"], row["version"])
        for row in await db.fetchall("SELECT * FROM applications")
    }
    assert rows[held.id] == (None, 2002, held.version + 1)
    assert rows[as_pm.id] == (2002, None, as_pm.version + 1)
    assert rows[finished.id][0] == 2001  # history is left as it was
    assert rows[other.id] == (2002, None, other.version)

    [event] = [e for e in await EventsRepo(db).for_application(held.id) if e.kind == "unassigned"]
    assert (event.actor_id, event.actor_role, event.note) == (
        9001,
        "admin",
        "staff member disabled",
    )
    assert event.data == {
        "staff_id": 2001,
        "roles": ["customer_manager"],
        "reason": "staff_disabled",
    }
    assert event.created_at == LATER.astimezone(UTC)
    events = await EventsRepo(db).for_application(as_pm.id)
    assert [e.data["roles"] for e in events if e.kind == "unassigned" and e.data] == [
        ["project_manager"]
    ]


async def test_disabling_twice_changes_nothing_more(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.CUSTOMER_MANAGER)
    await submit(db, 1001, manager=2001)
    assert len(await disable_in(db, 2001, NOW)) == 1
    assert await disable_in(db, 2001, LATER) == []
    member = await repo.get(2001)
    assert member is not None and member.disabled_at == NOW
    [row] = await db.fetchall("SELECT COUNT(*) AS n FROM events WHERE kind = 'unassigned'")
    assert row["n"] == 1


async def test_disabling_someone_who_is_not_staff_is_refused(db: Database) -> None:
    with pytest.raises(StaffNotFound):
        await disable_in(db, 404, NOW)


async def test_a_disabled_member_has_no_queue(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.SUPERVISOR)
    await submit(db, 1001)
    assert len(await repo.queue(2001)) == 1
    await disable_in(db, 2001, NOW)
    assert await repo.queue(2001) == []
    assert await repo.queue(404) == []


async def test_overseers_are_district_and_general_supervisors_and_all_admins(
    db: Database,
) -> None:
    await enrol(db, 3001, Role.SUPERVISOR, district="汉台区")
    await enrol(db, 3002, Role.SUPERVISOR, district="南郑区")
    await enrol(db, 3003, Role.SUPERVISOR, district=None)
    await enrol(db, 3004, Role.ADMIN, district="南郑区")
    await enrol(db, 3005, Role.CUSTOMER_MANAGER, district="汉台区")
    await enrol(db, 3006, Role.SUPERVISOR, district="汉台区")
    await disable_in(db, 3006, NOW)

    found = await StaffRepo(db).overseers("汉台区")
    assert [m.user_id for m in found] == [3001, 3003, 3004]
    nowhere = await StaffRepo(db).overseers(None)
    assert [m.user_id for m in nowhere] == [3003, 3004]


async def test_list_all_and_open_counts(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="Zhang")
    await enrol(db, 2002, Role.ADMIN, name="Admin")
    await enrol(db, 2003, Role.PROJECT_MANAGER, name="Li")
    await submit(db, 1001, manager=2001, project_manager=2003)
    await submit(db, 1002, manager=2001)
    done = await submit(db, 1003, manager=2003)
    await db.execute("UPDATE applications SET status = 'done' WHERE id = ?", (done.id,))
    await disable_in(db, 2002, NOW)

    members = await repo.list_all()
    assert [(m.user_id, m.active) for m in members] == [(2001, True), (2003, True), (2002, False)]
    assert await repo.open_counts() == {2001: 2, 2003: 1}


async def test_a_managers_queue_holds_their_open_applications_with_stage_clocks(
    db: Database,
) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.CUSTOMER_MANAGER)
    mine = await submit(db, 1001, manager=2001, applicant_name="甲公司")
    as_pm = await submit(db, 1002, project_manager=2001, applicant_name="乙公司")
    await submit(db, 1003, applicant_name="丙公司")
    closed = await submit(db, 1004, manager=2001)
    await db.execute("UPDATE applications SET status = 'withdrawn' WHERE id = ?", (closed.id,))
    [visit] = await db.fetchall("SELECT id FROM stage_visits WHERE application_id = ?", (as_pm.id,))
    await db.execute(
        "INSERT INTO clock_pauses (stage_visit_id, reason, started_at) VALUES (?, 'x', ?)",
        (visit["id"], "2026-11-28T01:00:00+00:00"),
    )

    items = await repo.queue(2001)

    assert [(i.number, i.applicant_name) for i in items] == [
        (mine.number, "甲公司"),
        (as_pm.number, "乙公司"),
    ]
    first = items[0]
    assert (first.stage, first.stage_limit_days, first.stage_started_at) == ("accept", 1, NOW)
    assert first.customer_manager_id == 2001 and first.pauses == ()
    assert first.plan_due_date == mine.plan_due_date and first.district == "汉台区"
    assert [p.started_at for p in items[1].pauses] == [datetime(2026, 11, 28, 1, tzinfo=UTC)]


async def test_an_overseers_queue_is_their_district_or_everything(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 3001, Role.SUPERVISOR, district="汉台区")
    await enrol(db, 3002, Role.ADMIN, district=None)
    a = await submit(db, 1001, district="汉台区")
    b = await submit(db, 1002, district="南郑区")
    assert [i.application_id for i in await repo.queue(3001)] == [a.id]
    assert [i.application_id for i in await repo.queue(3002)] == [a.id, b.id]


async def test_find_by_number_name_and_phone(db: Database) -> None:
    repo = StaffRepo(db)
    first = await submit(
        db, 1001, applicant_name="ACME Machinery 有限公司", project_name="二期厂房"
    )
    second = await submit(
        db, 1002, applicant_name="汉中天汉", project_name="新厂房用电", contact_mobile="13912345678"
    )

    assert [a.id for a in await repo.find(first.number)] == [first.id]
    assert [a.id for a in await repo.find("hv-2026-2")] == [second.id]  # forgiving number
    assert [a.id for a in await repo.find("HV-2026-000099")] == []
    assert [a.id for a in await repo.find("acme")] == [first.id]  # case-insensitive
    assert [a.id for a in await repo.find("厂房")] == [second.id, first.id]  # newest first
    assert [a.id for a in await repo.find("天汉")] == [second.id]
    assert [a.id for a in await repo.find("139 1234 5678")] == [second.id]
    assert [a.id for a in await repo.find("13800138000")] == [first.id]
    assert await repo.find("13800138001") == []  # a phone is matched whole, not in part
    assert len(await repo.find("厂房", limit=1)) == 1


async def test_find_names_the_customer_managers_holding_what_it_found(db: Database) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="张经理")
    await enrol(db, 2003, Role.PROJECT_MANAGER, name="李项目")
    held = await submit(db, 1001, manager=2001, project_manager=2003, project_name="一号厂房")
    unheld = await submit(db, 1002, project_name="二号厂房")
    await submit(db, 1003, manager=2001, project_name="办公楼")
    found, holders = await StaffRepo(db).find_with_holders("厂房")
    assert [a.id for a in found] == [unheld.id, held.id]
    assert holders == {2001: "张经理"}  # the customer manager's, and only theirs
    assert await StaffRepo(db).find_with_holders("不存在") == ([], {})


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "\\"])
async def test_find_takes_wildcards_literally_and_ignores_blank_input(
    db: Database, typed: str
) -> None:
    await submit(db, 1001)
    assert await StaffRepo(db).find(typed) == []


async def _plan(db: Database, sql: str, params: tuple[object, ...]) -> str:
    rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
    return " | ".join(row["detail"] for row in rows)


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
@pytest.mark.parametrize(
    ("sql", "params", "indexes"),
    [
        (
            _candidates_sql("customer_manager_id", same_district=True),
            ("customer_manager", "汉台区"),
            ("staff_by_role", "applications_by_customer_manager"),
        ),
        (
            _candidates_sql("project_manager_id", same_district=False),
            ("project_manager",),
            ("staff_by_role", "applications_by_project_manager"),
        ),
        (
            HOLDER_QUEUE_SQL,
            (1, 1),
            ("applications_by_customer_manager", "applications_by_project_manager"),
        ),
        (DISTRICT_QUEUE_SQL, ("汉台区",), ("applications_by_district",)),
    ],
)
async def test_assignment_and_queue_queries_use_indexes(
    db: Database, sql: str, params: tuple[object, ...], indexes: tuple[str, ...]
) -> None:
    plan = await _plan(db, sql, params)
    for index in indexes:
        assert f"INDEX {index}" in plan, plan
    assert "SCAN applications" not in plan, plan
