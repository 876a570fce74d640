"""Submitting and reading applications."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from process.stages import Stage
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.drafts import DraftsRepo
from storage.errors import DraftMissing
from storage.events import EventsRepo
from storage.models import Application, DocumentInput
from storage.users import UsersRepo
from tests.storage.samples import CUSTOMER_ID, NOW, new_application
from tests.storage_steps import file_draft_in

PLAN_DUE = date(2026, 12, 8)


async def _submit(
    db: Database, customer_id: int = CUSTOMER_ID, *, year: int = 2026, now: datetime = NOW
) -> Application:
    return await file_draft_in(
        db,
        customer_id=customer_id,
        year=year,
        application=new_application(),
        now=now,
        accept_limit_days=1,
        plan_due=PLAN_DUE,
        plan_due_provisional=True,
    )


async def _prepare_draft(db: Database, customer_id: int = CUSTOMER_ID) -> None:
    drafts = DraftsRepo(db)
    await drafts.start(customer_id, NOW - timedelta(hours=1))
    await drafts.add_document(
        customer_id,
        DocumentInput(
            kind="business_licence",
            file_id="AgAD-licence",
            file_unique_id="u-licence",
            file_name="营业执照.pdf",
            mime_type="application/pdf",
            file_size=2048,
        ),
        NOW - timedelta(minutes=30),
    )
    await drafts.add_document(
        customer_id, DocumentInput(kind="site_plan", file_id="AgAD-plan"), NOW
    )
    await drafts.set_deferred(customer_id, "land_certificate", True, NOW)
    await drafts.set_deferred(customer_id, "eia_approval", True, NOW)


async def _add_customer(db: Database, user_id: int) -> int:
    await UsersRepo(db).touch(
        user_id=user_id,
        chat_id=user_id,
        first_name=None,
        username=None,
        default_locale="zh",
        now=NOW,
    )
    return user_id


async def test_submitting_turns_the_draft_into_an_application(db: Database, customer: int) -> None:
    await _prepare_draft(db)
    application = await _submit(db)

    assert application.number == "HV-2026-000001"
    assert application.customer_id == customer
    assert application.applicant_name == "华东精密制造有限公司"
    assert application.usage_category == "large_industry"
    assert application.supply_mode == "single" and application.grid_works == "unknown"
    assert application.wanted_date == date(2027, 3, 1)
    assert application.important_load is False
    assert (application.stage, application.status, application.version) == (
        Stage.ACCEPT,
        "active",
        1,
    )
    assert application.plan_due_date == PLAN_DUE and application.plan_due_provisional
    assert application.customer_manager_id is None and application.project_manager_id is None
    assert application.submitted_at == datetime(2026, 11, 27, 1, 48, tzinfo=UTC)
    assert application.submitted_at.tzinfo is UTC

    repo = ApplicationsRepo(db)
    documents = await repo.documents(application.id)
    assert [(d.kind, d.file_id, d.uploaded_by) for d in documents] == [
        ("business_licence", "AgAD-licence", customer),
        ("site_plan", "AgAD-plan", customer),
    ]
    assert documents[0].file_name == "营业执照.pdf" and documents[0].file_size == 2048
    assert documents[0].uploaded_at == NOW - timedelta(minutes=30)

    owed = await repo.owed_items(application.id)
    assert [item.kind for item in owed] == ["document:eia_approval", "document:land_certificate"]
    assert all(item.resolved_at is None and item.created_at == NOW for item in owed)

    visit = await repo.current_visit(application.id)
    assert visit is not None
    assert (visit.stage, visit.limit_days, visit.started_at, visit.ended_at) == (
        "accept",
        1,
        NOW,
        None,
    )
    assert visit.pauses == ()

    events = await EventsRepo(db).for_application(application.id)
    assert [(e.kind, e.actor_id, e.actor_role) for e in events] == [
        ("submitted", customer, "customer")
    ]
    assert events[0].data == {
        "number": "HV-2026-000001",
        "documents": 2,
        "deferred": ["eia_approval", "land_certificate"],
    }

    assert await DraftsRepo(db).get(customer) is None
    assert await db.fetchall("SELECT * FROM draft_documents") == []


async def test_pressing_submit_twice_files_one_application(db: Database, customer: int) -> None:
    await _prepare_draft(db)
    await _submit(db)
    with pytest.raises(DraftMissing) as missing:
        await _submit(db)
    assert missing.value.user_id == customer
    assert len(await ApplicationsRepo(db).list_for_customer(customer)) == 1
    counter = await db.fetchone("SELECT last_seq FROM application_counters WHERE year = 2026")
    assert counter is not None and counter["last_seq"] == 1


async def test_a_failure_half_way_leaves_nothing_and_keeps_the_draft(
    db: Database, customer: int
) -> None:
    # A number already taken (e.g. imported from the old system) makes the insert fail after
    # the counter has moved on; the whole submission must be undone.
    await db.execute(
        """
        INSERT INTO applications (number, customer_id, stage, submitted_at, updated_at)
        VALUES ('HV-2026-000001', ?, 'plan', '2026-01-05T00:00:00+00:00',
                '2026-01-05T00:00:00+00:00')
        """,
        (customer,),
    )
    await _prepare_draft(db)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await _submit(db)

    assert await db.fetchall("SELECT * FROM application_counters") == []
    for table in ("documents", "owed_items", "stage_visits", "events"):
        assert await db.fetchall(f"SELECT * FROM {table}") == [], table
    applications = await db.fetchall("SELECT number FROM applications")
    assert [row["number"] for row in applications] == ["HV-2026-000001"]
    draft = await DraftsRepo(db).get(customer)
    assert draft is not None
    assert [document.kind for document in draft.documents] == ["business_licence", "site_plan"]
    assert draft.deferred == frozenset({"land_certificate", "eia_approval"})


async def test_numbers_count_up_per_year_and_restart_each_year(db: Database, customer: int) -> None:
    numbers = []
    for year in (2026, 2026, 2027, 2026, 2027):
        await DraftsRepo(db).start(customer, NOW)
        numbers.append((await _submit(db, year=year)).number)
    assert numbers == [
        "HV-2026-000001",
        "HV-2026-000002",
        "HV-2027-000001",
        "HV-2026-000003",
        "HV-2027-000002",
    ]


async def test_simultaneous_submissions_get_distinct_numbers(db: Database) -> None:
    customers = [await _add_customer(db, 2000 + n) for n in range(20)]
    for customer_id in customers:
        await DraftsRepo(db).start(customer_id, NOW)
    submitted = await asyncio.gather(*(_submit(db, customer_id) for customer_id in customers))
    assert sorted(a.number for a in submitted) == [f"HV-2026-{n:06d}" for n in range(1, 21)]


async def test_lookups_by_id_number_and_customer(db: Database, customer: int) -> None:
    other = await _add_customer(db, 3000)
    repo = ApplicationsRepo(db)
    first = await _submit_fresh(db, customer)
    await _submit_fresh(db, other)
    second = await _submit_fresh(db, customer, now=NOW + timedelta(days=1))

    assert await repo.get(first.id) == first
    assert await repo.get_by_number("HV-2026-000003") == second
    assert await repo.get(9999) is None
    assert await repo.get_by_number("HV-2026-999999") is None
    mine = await repo.list_for_customer(customer)
    assert [a.number for a in mine] == ["HV-2026-000003", "HV-2026-000001"]
    assert await repo.list_for_customer(4040) == []


async def test_lists_by_status_and_stage(db: Database, customer: int) -> None:
    repo = ApplicationsRepo(db)
    first = await _submit_fresh(db, customer)
    second = await _submit_fresh(db, customer)
    await db.execute("UPDATE applications SET stage = 'plan' WHERE id = ?", (second.id,))

    in_accept = await repo.list_by_status("active", Stage.ACCEPT)
    assert [a.id for a in in_accept] == [first.id]
    assert [a.id for a in await repo.list_by_status("active")] == [first.id, second.id]
    assert await repo.list_by_status("done") == []


async def test_stage_history_with_clock_pauses(db: Database, customer: int) -> None:
    repo = ApplicationsRepo(db)
    application = await _submit_fresh(db, customer)
    accept = await repo.current_visit(application.id)
    assert accept is not None
    paused, resumed, moved = (NOW + timedelta(hours=h) for h in (1, 5, 24))
    await db.execute(
        "INSERT INTO clock_pauses (stage_visit_id, reason, started_at, ended_at) "
        "VALUES (?, 'waiting_for_customer', ?, ?)",
        (accept.id, paused.isoformat(), resumed.isoformat()),
    )
    async with db.transaction() as connection:
        await connection.execute(
            "UPDATE stage_visits SET ended_at = ? WHERE id = ?", (moved.isoformat(), accept.id)
        )
        await connection.execute(
            "INSERT INTO stage_visits (application_id, stage, limit_days, started_at) "
            "VALUES (?, 'plan', 10, ?)",
            (application.id, moved.isoformat()),
        )

    visits = await repo.stage_visits(application.id)
    assert [(v.stage, v.limit_days) for v in visits] == [("accept", 1), ("plan", 10)]
    assert visits[0].ended_at == moved
    assert [(p.reason, p.started_at, p.ended_at) for p in visits[0].pauses] == [
        ("waiting_for_customer", paused, resumed)
    ]
    assert visits[1].pauses == ()
    current = await repo.current_visit(application.id)
    assert current == visits[1]

    assert await repo.stage_visits(9999) == []
    assert await repo.current_visit(9999) is None


async def test_resolved_debts_are_hidden_unless_asked_for(db: Database, customer: int) -> None:
    await _prepare_draft(db)
    application = await _submit(db)
    repo = ApplicationsRepo(db)
    await db.execute(
        "UPDATE owed_items SET resolved_at = ? WHERE kind = 'document:eia_approval'",
        ((NOW + timedelta(days=3)).isoformat(),),
    )
    assert [i.kind for i in await repo.owed_items(application.id)] == ["document:land_certificate"]
    every = await repo.owed_items(application.id, open_only=False)
    assert [(i.kind, i.resolved_at) for i in every] == [
        ("document:eia_approval", NOW + timedelta(days=3)),
        ("document:land_certificate", None),
    ]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"year": 0}, ValueError),
        ({"year": 10_000}, ValueError),
        ({"accept_limit_days": -1}, ValueError),
        ({"now": datetime(2026, 11, 27, 9, 48)}, ValueError),
        ({"plan_due": NOW}, TypeError),
    ],
)
async def test_bad_submissions_are_refused_without_side_effects(
    db: Database, customer: int, changes: dict[str, object], error: type[Exception]
) -> None:
    await _prepare_draft(db)
    arguments: dict[str, object] = {
        "customer_id": customer,
        "year": 2026,
        "application": new_application(),
        "now": NOW,
        "accept_limit_days": 1,
        "plan_due": PLAN_DUE,
        "plan_due_provisional": False,
    }
    arguments.update(changes)
    with pytest.raises(error):
        await file_draft_in(db, **arguments)  # type: ignore[arg-type]
    assert await db.fetchall("SELECT * FROM applications") == []
    assert await DraftsRepo(db).get(customer) is not None


async def _submit_fresh(db: Database, customer_id: int, *, now: datetime = NOW) -> Application:
    await DraftsRepo(db).start(customer_id, now)
    return await _submit(db, customer_id, now=now)
