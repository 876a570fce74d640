"""Enrolling staff the way a utility does: an invite code, then /join in the chat."""

from __future__ import annotations

from bot.app import services_of
from process.roles import Role
from sandbox.emulator import BotApiEmulator
from tests.e2e.customer import Customer
from tests.e2e.harness import BotRunner


async def enrol(
    emulator: BotApiEmulator,
    bot: BotRunner,
    user_id: int,
    role: Role,
    name: str,
    district: str | None = "汉台区",
) -> Customer:
    assert bot.app is not None
    svc = services_of(bot.app)
    code = await svc.staff.create_invite(
        role=role, name=name, district=district, created_by=None, now=bot.clock.now()
    )
    member = Customer(emulator, emulator.user(user_id, first_name=name))
    await member.say(f"/join {code}")
    return member
