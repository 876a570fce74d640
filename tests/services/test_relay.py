"""Relaying between a customer and the staff who hold the application."""

from __future__ import annotations

from process.roles import Role
from services.context import ServiceContext
from services.relay import Content, Direction, Relayed, RelayRefusal, relay
from storage.db import Database
from storage.users import UsersRepo
from tests.storage.samples import NOW
from tests.storage.staff_samples import enrol, submit

CUSTOMER, MANAGER, SUPERVISOR, OTHER_MANAGER = 1001, 2001, 3001, 2002
DISTRICT = "汉台区"


async def _outbox(db: Database) -> list[tuple[str, int, str]]:
    rows = await db.fetchall("SELECT key, user_id, kind FROM outbox ORDER BY id")
    return [(row["key"], row["user_id"], row["kind"]) for row in rows]


async def _thread(db: Database) -> list[tuple[int, str, str]]:
    rows = await db.fetchall("SELECT sender_id, sender_role, text FROM thread_messages ORDER BY id")
    return [(row["sender_id"], row["sender_role"], row["text"]) for row in rows]


async def test_a_message_to_an_unreachable_manager_is_kept_and_queued(
    db: Database, context: ServiceContext
) -> None:
    """The manager blocked the bot: the customer's message is still in the application's
    thread (where the card shows it) and queued for the manager, for the sender to try."""
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, district=DISTRICT)
    app = await submit(db, CUSTOMER, district=DISTRICT, manager=MANAGER)
    await UsersRepo(db).mark_unreachable(MANAGER, NOW)
    outcome = await relay(
        context,
        sender_id=CUSTOMER,
        application_id=app.id,
        direction=Direction.TO_STAFF,
        content=Content("变压器什么时候到？"),
        now=NOW,
    )
    assert isinstance(outcome, Relayed) and outcome.queued == 1
    assert await _thread(db) == [(CUSTOMER, "customer", "变压器什么时候到？")]
    assert await _outbox(db) == [
        (f"thread:{outcome.thread_message_id}:{MANAGER}", MANAGER, "relay.to_staff")
    ]
    events = await db.fetchall("SELECT kind FROM events WHERE application_id = ?", (app.id,))
    assert events[-1]["kind"] == "message_from_customer"


async def test_while_nobody_holds_it_the_overseers_hear(
    db: Database, context: ServiceContext
) -> None:
    await enrol(db, SUPERVISOR, Role.SUPERVISOR, district=DISTRICT)
    app = await submit(db, CUSTOMER, district=DISTRICT)
    outcome = await relay(
        context,
        sender_id=CUSTOMER,
        application_id=app.id,
        direction=Direction.TO_STAFF,
        content=Content("有人吗？"),
        now=NOW,
    )
    assert isinstance(outcome, Relayed)
    assert [user for _, user, _ in await _outbox(db)] == [SUPERVISOR]


async def test_only_the_customer_and_staff_in_reach_may_write(
    db: Database, context: ServiceContext
) -> None:
    await enrol(db, MANAGER, Role.CUSTOMER_MANAGER, district=DISTRICT)
    await enrol(db, OTHER_MANAGER, Role.CUSTOMER_MANAGER, district=DISTRICT)
    app = await submit(db, CUSTOMER, district=DISTRICT, manager=MANAGER)
    for sender, direction in (
        (OTHER_MANAGER, Direction.TO_CUSTOMER),  # not theirs
        (MANAGER, Direction.TO_STAFF),  # not the customer
    ):
        outcome = await relay(
            context,
            sender_id=sender,
            application_id=app.id,
            direction=direction,
            content=Content("x"),
            now=NOW,
        )
        assert outcome is RelayRefusal.NOT_YOURS
    assert await _thread(db) == [] and await _outbox(db) == []
    reply = await relay(
        context,
        sender_id=MANAGER,
        application_id=app.id,
        direction=Direction.TO_CUSTOMER,
        content=Content("下周三到货。"),
        now=NOW,
    )
    assert isinstance(reply, Relayed)
    assert await _thread(db) == [(MANAGER, Role.CUSTOMER_MANAGER.value, "下周三到货。")]
    assert [user for _, user, _ in await _outbox(db)] == [CUSTOMER]
