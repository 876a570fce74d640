"""Who is there when the sandbox opens: four staff, enrolled as a utility enrols them, and
the customers an earlier run left in the sandbox database.

Staff are enrolled through public paths only: an invite code from the staff repository,
then ``/join CODE`` sent by the staff persona through the emulator, as a new colleague
would type it. A seed that did not take is shown on the page with the bot's answer, so a
trainer sees why a role is missing instead of wondering.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from process.clock import Clock
from sandbox.inbox import WaitTimeout
from sandbox.webchat.server import WebChat
from sandbox.webchat.views import CUSTOMER, Persona
from storage.db import Database

log = logging.getLogger("hvconnect.sandbox")
JOIN_REPLY_SECONDS = 5.0
IDLE_SECONDS = 5.0


@dataclass(frozen=True)
class StaffSeed:
    user_id: int
    name: str
    role: str  # a process.roles.Role value


STAFF: tuple[StaffSeed, ...] = (
    StaffSeed(9001, "王敏", "customer_manager"),
    StaffSeed(9002, "李强", "project_manager"),
    StaffSeed(9003, "陈静", "supervisor"),
    StaffSeed(9004, "赵磊", "admin"),
)


async def seed_staff(webchat: WebChat, db: Database, clock: Clock) -> None:
    """Enrol every seeded staff member who is not an active member yet."""
    try:
        from process.roles import Role
        from storage.staff.members import StaffRepo
    except ImportError:
        for seed in STAFF:
            webchat.add_persona(_persona(seed, "staff enrolment is not available in this build"))
        log.warning("sandbox: staff enrolment is not available; staff personas are customers")
        return
    repo = StaffRepo(db)
    for seed in STAFF:
        webchat.add_persona(_persona(seed))
        try:
            member = await repo.get(seed.user_id)
            if member is not None and member.active and member.role == seed.role:
                continue
            code = await repo.create_invite(
                role=Role(seed.role), name=seed.name, district=None, created_by=None,
                now=clock.now(),
            )  # fmt: skip
            answer = await _join(webchat, seed, code)
            member = await repo.get(seed.user_id)
        except (sqlite3.Error, WaitTimeout) as error:
            _not_enrolled(webchat, seed, str(error))
            continue
        if member is None or not member.active:
            _not_enrolled(webchat, seed, answer)
    await webchat.host.emulator.wait_idle(quiet=0.1, timeout=IDLE_SECONDS)


async def _join(webchat: WebChat, seed: StaffSeed, code: str) -> str:
    persona = webchat.persona(seed.user_id)
    assert persona is not None
    user = webchat.fake_user(persona)
    await user.send_text(f"/join {code}")
    reply = await user.next_reply(timeout=JOIN_REPLY_SECONDS)
    return reply.content


def _not_enrolled(webchat: WebChat, seed: StaffSeed, why: str) -> None:
    first_line = (why.strip().splitlines() or ["no answer"])[0][:120]
    log.warning("sandbox: %s (%s) is not enrolled: %s", seed.name, seed.role, first_line)
    webchat.add_persona(_persona(seed, f"not enrolled: {first_line}"))


def _persona(seed: StaffSeed, note: str = "") -> Persona:
    return Persona(seed.user_id, seed.name, seed.role, "zh", note)


async def restore_customers(webchat: WebChat, db: Database) -> None:
    """Bring back, as personas, the people an earlier run left in the sandbox database.

    The emulator keeps the chats of those it knew; this also brings back anyone the bot
    knows whose chat was not kept (an older sandbox), with their applications intact.
    """
    rows = await db.fetchall("SELECT user_id, first_name, locale FROM users ORDER BY user_id")
    for row in rows:
        user_id = int(row["user_id"])
        if webchat.persona(user_id) is not None or user_id <= 0:
            continue
        name = (row["first_name"] or "").strip()[:64] or f"#{user_id}"
        language = "en" if str(row["locale"]).startswith("en") else "zh"
        webchat.add_persona(Persona(user_id, name, CUSTOMER, language))
