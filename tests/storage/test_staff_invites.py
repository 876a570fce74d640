"""Invite codes: format, hashing, expiry, single use under a race, and the wrong-code limit."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest

from process.roles import Role
from storage.db import Database
from storage.errors import UnknownUser
from storage.staff.invites import CODE_ALPHABET
from storage.staff.members import InviteExpired, InviteInvalid, InviteUsed, Staff, StaffRepo
from tests.storage.samples import NOW
from tests.storage.staff_samples import add_user, enrol
from tests.storage_steps import (
    blocked_until_in,
    count_recent_failures_in,
    disable_in,
    ensure_admin_in,
    record_failure_in,
    redeem_in,
)

CODE_SHAPE = re.compile(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}")


async def _invite(
    repo: StaffRepo, role: Role = Role.CUSTOMER_MANAGER, district: str | None = "汉台区"
) -> str:
    return await repo.create_invite(
        role=role, name="李娜", district=district, created_by=None, now=NOW
    )


async def test_a_code_is_grouped_unambiguous_and_stored_only_as_its_hash(db: Database) -> None:
    repo = StaffRepo(db)
    codes = {await _invite(repo) for _ in range(20)}
    assert len(codes) == 20
    assert all(CODE_SHAPE.fullmatch(code) for code in codes)
    assert not set("01IO") & set(CODE_ALPHABET)

    rows = await db.fetchall("SELECT * FROM invites")
    stored = {str(value) for row in rows for value in tuple(row)}
    for code in codes:
        compact = code.replace("-", "")
        assert code not in stored and compact not in stored
        assert hashlib.sha256(compact.encode()).hexdigest() in stored
    row = rows[0]
    assert (row["role"], row["name"], row["district"], row["used_at"]) == (
        "customer_manager",
        "李娜",
        "汉台区",
        None,
    )
    assert row["expires_at"] == "2026-11-30T01:48:00+00:00"  # 72 hours after NOW


async def test_redeeming_enrols_with_the_invites_role_name_and_district(db: Database) -> None:
    repo = StaffRepo(db)
    code = await _invite(repo, Role.PROJECT_MANAGER, "南郑区")
    await add_user(db, 2001)

    member = await redeem_in(db, code, user_id=2001, now=NOW + timedelta(hours=1))

    assert (member.user_id, member.name, member.role, member.district, member.active) == (
        2001,
        "李娜",
        Role.PROJECT_MANAGER,
        "南郑区",
        True,
    )
    assert await repo.get(2001) == member
    [invite] = await db.fetchall("SELECT used_at, used_by FROM invites")
    assert (invite["used_at"], invite["used_by"]) == ("2026-11-27T02:48:00+00:00", 2001)


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: " " + code.replace("-", " ") + " ",
        # Typed with a Chinese input method: full-width letters, digits and dash.
        lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code),
    ],
)
async def test_a_code_is_recognised_however_it_is_typed(db: Database, typed: object) -> None:
    repo = StaffRepo(db)
    code = await _invite(repo)
    await add_user(db, 2001)
    assert callable(typed)
    member = await redeem_in(db, typed(code), user_id=2001, now=NOW)
    assert member.role is Role.CUSTOMER_MANAGER


async def test_a_code_expires_after_72_hours(db: Database) -> None:
    repo = StaffRepo(db)
    late, in_time = await _invite(repo), await _invite(repo)
    await add_user(db, 2001)
    await add_user(db, 2002)

    with pytest.raises(InviteExpired):
        await redeem_in(db, late, user_id=2001, now=NOW + timedelta(hours=72))
    member = await redeem_in(
        db, in_time, user_id=2002, now=NOW + timedelta(hours=72) - timedelta(minutes=1)
    )
    assert member.active
    assert await repo.get(2001) is None


@pytest.mark.parametrize("typed", ["", "hello", "ABCD-EFGH-J0", "ABCD-EFGH-JKL", "ABCD-EFGH-JI"])
async def test_malformed_codes_are_invalid(db: Database, typed: str) -> None:
    await add_user(db, 2001)
    with pytest.raises(InviteInvalid):
        await redeem_in(db, typed, user_id=2001, now=NOW)


async def test_a_well_formed_code_that_was_never_issued_is_invalid(db: Database) -> None:
    await add_user(db, 2001)
    with pytest.raises(InviteInvalid):
        await redeem_in(db, "ABCD-EFGH-JK", user_id=2001, now=NOW)


async def test_a_code_works_once(db: Database) -> None:
    repo = StaffRepo(db)
    code = await _invite(repo)
    await add_user(db, 2001)
    await add_user(db, 2002)
    await redeem_in(db, code, user_id=2001, now=NOW)
    for user_id in (2001, 2002):
        with pytest.raises(InviteUsed):
            await redeem_in(db, code, user_id=user_id, now=NOW)
    assert await repo.get(2002) is None


async def test_two_people_racing_with_one_code_enrol_exactly_one(db: Database) -> None:
    repo = StaffRepo(db)
    code = await _invite(repo)
    racers = [await add_user(db, 2001 + i) for i in range(6)]

    results = await asyncio.gather(
        *(redeem_in(db, code, user_id=u, now=NOW) for u in racers), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, Staff)]
    assert len(winners) == 1
    assert all(isinstance(r, InviteUsed) for r in results if not isinstance(r, Staff))
    [row] = await db.fetchall("SELECT COUNT(*) AS n FROM staff")
    assert row["n"] == 1


async def test_the_race_holds_across_processes(db: Database, db_location: str | Path) -> None:
    """Two connections to one database, as two bot processes would have."""
    code = await _invite(StaffRepo(db))
    await add_user(db, 2001)
    await add_user(db, 2002)
    other = await Database.open(db_location)
    try:
        results = await asyncio.gather(
            redeem_in(db, code, user_id=2001, now=NOW),
            redeem_in(other, code, user_id=2002, now=NOW),
            return_exceptions=True,
        )
    finally:
        await other.close()
    assert sorted(type(r).__name__ for r in results) == ["InviteUsed", "Staff"]


async def test_an_unknown_user_cannot_spend_a_code(db: Database) -> None:
    repo = StaffRepo(db)
    code = await _invite(repo)
    with pytest.raises(UnknownUser):
        await redeem_in(db, code, user_id=404, now=NOW)
    await add_user(db, 2001)
    assert (await redeem_in(db, code, user_id=2001, now=NOW)).active  # still unused


async def test_a_member_redeeming_again_takes_the_new_role_and_district(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, district="汉台区")
    code = await repo.create_invite(
        role=Role.SUPERVISOR, name="李主管", district=None, created_by=None, now=NOW
    )
    member = await redeem_in(db, code, user_id=2001, now=NOW + timedelta(hours=1))
    assert (member.role, member.name, member.district) == (Role.SUPERVISOR, "李主管", None)
    assert member.created_at == NOW and member.updated_at == NOW + timedelta(hours=1)


async def test_a_disabled_member_is_active_again_with_a_new_code(db: Database) -> None:
    repo = StaffRepo(db)
    await enrol(db, 2001, Role.CUSTOMER_MANAGER)
    await disable_in(db, 2001, NOW)
    code = await _invite(repo)
    member = await redeem_in(db, code, user_id=2001, now=NOW + timedelta(hours=1))
    assert member.active and member.disabled_at is None


async def test_wrong_codes_are_counted_per_user_within_an_hour(db: Database) -> None:
    for minutes in (0, 10, 20, 30, 40):
        await record_failure_in(db, 2001, NOW + timedelta(minutes=minutes))
    await record_failure_in(db, 2002, NOW)
    at = NOW + timedelta(minutes=45)

    assert await count_recent_failures_in(db, 2001, at) == 5
    assert await count_recent_failures_in(db, 2002, at) == 1
    # The first failure leaves the window an hour after it was made.
    assert await blocked_until_in(db, 2001, at) == NOW + timedelta(hours=1)
    assert await blocked_until_in(db, 2002, at) is None
    after = NOW + timedelta(hours=1)
    assert await count_recent_failures_in(db, 2001, after) == 4
    assert await blocked_until_in(db, 2001, after) is None


async def test_old_attempts_are_forgotten(db: Database) -> None:
    for hours in range(6):
        await record_failure_in(db, 2001, NOW + timedelta(hours=hours))
    assert await count_recent_failures_in(db, 2001, NOW + timedelta(hours=5)) == 1
    [row] = await db.fetchall("SELECT COUNT(*) AS n FROM join_attempts")
    assert row["n"] == 1


async def test_ensure_admin_bootstraps_a_configured_admin(db: Database) -> None:
    with pytest.raises(UnknownUser):
        await ensure_admin_in(db, 9001, name="管理员", now=NOW)
    await add_user(db, 9001)

    admin = await ensure_admin_in(db, 9001, name="管理员", now=NOW)
    again = await ensure_admin_in(db, 9001, name="someone else", now=NOW + timedelta(days=1))

    assert (admin.role, admin.active, admin.district, admin.name) == (
        Role.ADMIN,
        True,
        None,
        "管理员",
    )
    assert again == admin  # nothing to change, nothing written


async def test_ensure_admin_promotes_and_reactivates(db: Database) -> None:
    await enrol(db, 2001, Role.CUSTOMER_MANAGER, name="张三", district="汉台区")
    await disable_in(db, 2001, NOW)
    admin = await ensure_admin_in(db, 2001, name="ignored", now=NOW + timedelta(hours=1))
    assert (admin.role, admin.active, admin.name, admin.disabled_at) == (
        Role.ADMIN,
        True,
        "张三",
        None,
    )
