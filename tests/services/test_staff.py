"""Disabling a member and enrolling with a code, as the chat and the command line do."""

from __future__ import annotations

from datetime import timedelta

from process.roles import Role
from services.context import ServiceContext
from services.staff import (
    CodeProblem,
    Disabled,
    DisableRefusal,
    Joined,
    JoinFailed,
    JoinLimited,
    disable,
    join,
)
from storage.applications import ApplicationsRepo
from storage.db import Database
from storage.staff.members import StaffRepo
from storage.staff.models import MAX_WRONG_CODES
from tests.storage.samples import NOW
from tests.storage.staff_samples import add_user, enrol, submit

ADMIN, CONFIGURED, MANAGER, SUPERVISOR, ELSEWHERE = 9001, 9002, 2001, 3001, 3002
DISTRICT = "汉台区"


async def test_disabling_hands_back_the_applications_and_alerts_the_overseers(
    db: Database, context: ServiceContext
) -> None:
    await enrol(db, ADMIN, Role.ADMIN)
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)
    await enrol(db, ELSEWHERE, Role.SUPERVISOR, district="南郑区")
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, name="李经理", district=DISTRICT)
    held = [
        await submit(db, customer, district=DISTRICT, manager=MANAGER) for customer in (1001, 1002)
    ]
    outcome = await disable(context, actor_id=ADMIN, user_id=MANAGER, now=NOW)
    assert isinstance(outcome, Disabled)
    assert outcome.returned == tuple(a.id for a in held)
    member = await StaffRepo(db).get(MANAGER)
    assert member is not None and not member.active
    for app in held:
        now_held = await ApplicationsRepo(db).get(app.id)
        assert now_held is not None and now_held.customer_manager_id is None
        assert now_held.version == app.version + 1  # old cards and buttons are stale
    # One alert for the district's supervisor, listing both; the admin who did it is told in
    # their own chat, and another district's supervisor hears nothing.
    rows = await db.fetchall("SELECT user_id, kind, text, reply_markup FROM outbox")
    assert [(r["user_id"], r["kind"]) for r in rows] == [(SUPERVISOR, "staff.unassigned")]
    assert all(a.number in rows[0]["text"] for a in held) and "李经理" in rows[0]["text"]
    assert all(f"card:{a.id}" in rows[0]["reply_markup"] for a in held)
    assert outcome.alerted == 1


async def test_nobody_disables_themselves_a_configured_admin_or_as_a_non_admin(
    db: Database, context: ServiceContext
) -> None:
    await enrol(db, ADMIN, Role.ADMIN)
    await enrol(db, CONFIGURED, Role.ADMIN)
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, district=DISTRICT)
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)
    protected = frozenset({CONFIGURED})
    cases = (
        (ADMIN, ADMIN, DisableRefusal.CANNOT_DISABLE),
        (ADMIN, CONFIGURED, DisableRefusal.CANNOT_DISABLE),
        (SUPERVISOR, MANAGER, DisableRefusal.NOT_ADMIN),
        (ADMIN, 404, DisableRefusal.NOT_FOUND),
    )
    for actor, target, refusal in cases:
        outcome = await disable(
            context, actor_id=actor, user_id=target, protected=protected, now=NOW
        )
        assert outcome is refusal, (actor, target)
    assert all(m.active for m in await StaffRepo(db).list_all())
    assert isinstance(await disable(context, actor_id=None, user_id=MANAGER, now=NOW), Disabled)
    again = await disable(context, actor_id=ADMIN, user_id=MANAGER, now=NOW)
    assert again is DisableRefusal.ALREADY_DISABLED


async def test_join_counts_wrong_codes_and_then_refuses_unchecked(
    db: Database, context: ServiceContext
) -> None:
    await add_user(db, MANAGER)
    code = await StaffRepo(db).create_invite(
        role=Role.CUSTOMER_MANAGER, name="王经理", district=DISTRICT, created_by=None, now=NOW
    )
    for left in range(MAX_WRONG_CODES - 1, -1, -1):
        failed = await join(context, user_id=MANAGER, code="ABCD-EFGH-JK", now=NOW)
        assert failed == JoinFailed(CodeProblem.INVALID, left)
    limited = await join(context, user_id=MANAGER, code=code, now=NOW)  # right, but not looked at
    assert limited == JoinLimited(NOW + timedelta(hours=1))
    joined = await join(context, user_id=MANAGER, code=code, now=NOW + timedelta(hours=1))
    assert isinstance(joined, Joined) and joined.member.role is Role.CUSTOMER_MANAGER
    used = await join(context, user_id=MANAGER, code=code, now=NOW + timedelta(hours=1))
    assert isinstance(used, JoinFailed) and used.reason is CodeProblem.USED
