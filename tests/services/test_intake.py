"""Taking in an application for a customer not in Telegram, as the integration API calls
it: the chat form's rules, every document owed, staff told, and idempotent by key."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from process.form import DOCUMENTS
from process.roles import Role
from services.context import ServiceContext
from services.intake import Filed, Intake, Invalid, KeyReused, take_in
from storage.db import Database
from tests.services.intake_samples import DISTRICT, FORM, districted, file_one
from tests.storage.samples import NOW
from tests.storage.staff_samples import enrol

MANAGER, SUPERVISOR = 2001, 3001


@pytest.fixture
def ctx(context: ServiceContext) -> ServiceContext:
    return districted(context)


async def test_the_application_is_filed_assigned_and_announced(
    db: Database, ctx: ServiceContext
) -> None:
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, name="王经理", district=DISTRICT)
    filed = await file_one(ctx)
    app = filed.application
    assert app.number.startswith("HV-2026-")
    assert (app.customer_manager_id, filed.manager_name) == (MANAGER, "王经理")
    # Normalised as the chat would: the capacity, the mobile, the date.
    assert (app.capacity_kva, app.contact_mobile) == (2500, "13800138000")
    assert app.wanted_date.isoformat() == "2027-03-01"
    assert app.customer_id < 0  # the placeholder until someone claims it
    # Every document is owed, to be sent in the chat after the claim.
    owed = await db.fetchall(
        "SELECT kind FROM owed_items WHERE application_id = ? ORDER BY kind", (app.id,)
    )
    assert [r["kind"] for r in owed] == sorted(f"document:{d.kind}" for d in DOCUMENTS)
    kinds = [
        r["kind"]
        for r in await db.fetchall(
            "SELECT kind FROM events WHERE application_id = ? ORDER BY id", (app.id,)
        )
    ]
    assert kinds == ["submitted", "assigned", "taken_in"]
    taken = await db.fetchone("SELECT actor_role, data FROM events WHERE kind = 'taken_in'")
    assert taken is not None and taken["actor_role"] == "client" and "hotline" in taken["data"]
    # The manager hears of it through the outbox; the placeholder is sent nothing.
    rows = await db.fetchall("SELECT key, user_id FROM outbox ORDER BY id")
    assert [(r["key"], r["user_id"]) for r in rows] == [(f"new:{app.number}:{MANAGER}", MANAGER)]
    # Only the code's hash is stored, and the code fits a /start payload.
    assert (
        len(filed.claim_code) <= 64 and filed.claim_code.replace("-", "").replace("_", "").isalnum()
    )
    stored = await db.fetchone("SELECT code_hash, expires_at FROM claim_codes")
    assert stored is not None and filed.claim_code not in stored["code_hash"]
    assert filed.claim_expires_at == NOW + timedelta(days=14)


async def test_with_nobody_to_take_it_the_overseers_are_told(
    db: Database, ctx: ServiceContext
) -> None:
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)
    filed = await file_one(ctx)
    rows = await db.fetchall("SELECT key FROM outbox")
    assert [r["key"] for r in rows] == [f"new:{filed.application.number}:{SUPERVISOR}"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("applicant_name", "   ", "text.empty"),
        ("applicant_name", "12345", "name.real"),
        ("uscc", "91610700MA6YB12340", "uscc.check"),
        ("uscc", "123", "uscc.length"),
        ("project_name", "x" * 101, "text.too_long"),
        ("site_address", "路<script>", "text.chars"),
        ("district", "朝阳区", "choice.invalid"),
        ("usage_category", "factory", "choice.invalid"),
        ("voltage_kv", "11", "choice.invalid"),
        ("capacity_kva", "lots", "capacity.format"),
        ("capacity_kva", "10", "capacity.range"),
        ("supply_mode", "triple", "choice.invalid"),
        ("important_load", "maybe", "choice.invalid"),
        ("grid_works", "perhaps", "choice.invalid"),
        ("wanted_date", "2026-01-01", "date.past"),
        ("wanted_date", "4/5/2027", "date.ambiguous"),
        ("wanted_date", "soon", "date.format"),
        ("wanted_date", "2040-01-01", "date.too_far"),
        ("contact_name", "王工2", "name.digits"),
        ("contact_mobile", "12345", "mobile.format"),
    ],
)
async def test_a_bad_value_is_refused_naming_the_field(
    db: Database, ctx: ServiceContext, field: str, value: str, code: str
) -> None:
    form = dataclasses.replace(FORM, **{field: value})
    outcome = await take_in(ctx, Intake("hotline", "k-1", form, NOW))
    assert isinstance(outcome, Invalid)
    assert [(e.field, e.code) for e in outcome.errors] == [(field, code)]
    assert await db.fetchall("SELECT id FROM applications") == []
    assert await db.fetchall("SELECT key FROM outbox") == []


async def test_every_bad_value_is_named_at_once(db: Database, ctx: ServiceContext) -> None:
    form = dataclasses.replace(FORM, uscc="1", contact_mobile="2", district="x")
    outcome = await take_in(ctx, Intake("hotline", "k-1", form, NOW))
    assert isinstance(outcome, Invalid)
    assert [e.field for e in outcome.errors] == ["uscc", "district", "contact_mobile"]
    assert dict(outcome.errors[1].params) == {"choices": [DISTRICT, "南郑区"]}


async def test_the_same_key_again_answers_with_the_first_result(
    db: Database, ctx: ServiceContext
) -> None:
    first = await file_one(ctx)
    again = await file_one(ctx, now=NOW + timedelta(minutes=5))
    assert again.repeated and not first.repeated
    assert (again.application.number, again.claim_code) == (
        first.application.number,
        first.claim_code,
    )
    assert again.claim_expires_at == first.claim_expires_at
    assert len(await db.fetchall("SELECT id FROM applications")) == 1
    # Another client's key of the same name is its own.
    other = await file_one(ctx, client="marketing")
    assert other.application.number != first.application.number


async def test_the_same_key_with_another_form_is_refused(db: Database, ctx: ServiceContext) -> None:
    first = await file_one(ctx)
    form = dataclasses.replace(FORM, project_name="二期")
    outcome = await take_in(ctx, Intake("hotline", "k-1", form, NOW))
    assert outcome == KeyReused(first.application.number)
    assert len(await db.fetchall("SELECT id FROM applications")) == 1


async def test_a_repeat_of_a_bad_form_is_refused_again(db: Database, ctx: ServiceContext) -> None:
    form = dataclasses.replace(FORM, uscc="1")
    assert isinstance(await take_in(ctx, Intake("hotline", "k-1", form, NOW)), Invalid)
    assert isinstance(await take_in(ctx, Intake("hotline", "k-1", FORM, NOW)), Filed)
