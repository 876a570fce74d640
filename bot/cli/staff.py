"""``hvconnect staff``: invite, list and disable staff from the shell.

For the first enrolment (before any admin can use ``/staff`` in the chat) and for the
operator who has to act at once. Every subcommand opens the configured database and
migrates it first, so it works on a fresh installation. Disabling queues the supervisors'
alerts in the outbox in the same transaction; the running bot sends them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from bot.app import staff_hours_of
from bot.config.settings import Config, clock_of
from bot.secure_db import operator_database
from notifications.outbox import Outbox
from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.roles import Role, parse_role
from process.validators import ValidationError, validate_person_name
from services.context import ServiceContext
from services.staff import DisableRefusal, disable
from storage.db import Database
from storage.outbox import OutboxRepo
from storage.staff.members import INVITE_LIFETIME, StaffRepo

ALL_DISTRICTS = "all"
ROLE_CHOICES = ", ".join([*(role.value for role in Role), "cm", "pm"])


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("staff", help="invite, list or disable staff")
    actions = parser.add_subparsers(dest="staff_command", required=True)
    invite = actions.add_parser("invite", help="print a one-time invite code (valid 72 hours)")
    invite.add_argument("--role", required=True, help=f"one of: {ROLE_CHOICES}")
    invite.add_argument("--name", required=True, help="the person's name, as customers see it")
    invite.add_argument(
        "--district", help=f"a configured district, or '{ALL_DISTRICTS}' (the default)"
    )
    actions.add_parser("list", help="every member with role, district and open applications")
    disable = actions.add_parser("disable", help="take every staff power from a member")
    disable.add_argument("user_id", type=int, help="the member's Telegram user id")


def run(args: argparse.Namespace, config: Config) -> int:
    """The body of ``hvconnect staff``; returns the exit status."""
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    now = clock_of(config).now()
    async with operator_database(config, now) as db:
        repo = StaffRepo(db)
        if args.staff_command == "invite":
            return await _invite(repo, args, config, now)
        if args.staff_command == "list":
            return await _list(repo)
        return await _disable(db, repo, args.user_id, config, now)


async def _invite(repo: StaffRepo, args: argparse.Namespace, config: Config, now: datetime) -> int:
    role = parse_role(args.role)
    if role is None:
        return _fail(f"--role: expected one of {ROLE_CHOICES}, got {args.role!r}")
    try:
        name = validate_person_name(args.name)
    except ValidationError as error:
        return _fail(f"--name: not a usable name ({error})")
    district = args.district
    if district in (None, "", ALL_DISTRICTS):
        district = None
    elif district not in config.districts:
        return _fail(
            f"--district: expected one of {', '.join(config.districts)} or '{ALL_DISTRICTS}', "
            f"got {district!r}"
        )
    code = await repo.create_invite(
        role=role, name=name, district=district, created_by=None, now=now
    )
    expires = (now + INVITE_LIFETIME).astimezone(config.tz)
    print(f"Invite code for {name} ({role.value}, {district or 'all districts'}): {code}")
    print(f"Valid once, until {expires:%Y-%m-%d %H:%M} ({config.tz}).")
    print(f"They open a private chat with the bot and send: /join {code}")
    return 0


async def _list(repo: StaffRepo) -> int:
    members = await repo.list_all()
    if not members:
        print("No staff yet. Invite the first admin with: hvconnect staff invite --role admin …")
        return 0
    counts = await repo.open_counts()
    rows = [("id", "name", "role", "district", "active", "open")]
    rows += [
        (
            str(m.user_id),
            m.name,
            m.role.value,
            m.district or ALL_DISTRICTS,
            "yes" if m.active else "no",
            str(counts.get(m.user_id, 0)),
        )
        for m in members
    ]
    print("\n".join(table(rows)))
    return 0


async def _disable(
    db: Database, repo: StaffRepo, user_id: int, config: Config, now: datetime
) -> int:
    member = await repo.get(user_id)
    if member is None:
        return _fail(f"no staff member {user_id}", status=1)
    if not member.active:
        print(f"{member.name} ({user_id}) is already disabled.")
        return 0
    texts = Texts(config.locale)
    ctx = ServiceContext(
        db=db,
        outbox=Outbox(OutboxRepo(db), texts, tz=config.tz),
        texts=texts,
        tz=config.tz,
        calendar=WorkingCalendar(
            extra_holidays=config.extra_holidays,
            extra_workdays=config.extra_workdays,
            confirmed_years=config.confirmed_years,
        ),
        limits=config.limits,
        staff_hours=staff_hours_of(config),
    )
    outcome = await disable(ctx, actor_id=None, user_id=user_id, now=now)
    if isinstance(outcome, DisableRefusal):  # pragma: no cover - changed between the reads
        return _fail(f"no active staff member {user_id}", status=1)
    returned = outcome.returned
    print(
        f"Disabled {member.name} ({user_id}, {member.role.value}). "
        f"{len(returned)} open application(s) went back to the supervisors"
        + (", who are alerted by the bot." if returned else ".")
    )
    if user_id in config.admins:
        print(
            f"Note: {user_id} is listed in HVCONNECT_ADMINS and becomes an admin again the next "
            "time they write to the bot; remove them there too."
        )
    return 0


def _fail(message: str, status: int = 2) -> int:
    print(f"hvconnect staff: {message}", file=sys.stderr)
    return status


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - display_width(cell))
            for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
