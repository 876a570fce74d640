"""Who is on the staff: enrolling with an invite code, configured admins, disabling.

Codes are guessable only by brute force, so wrong ones are counted: after
:data:`~storage.staff.models.MAX_WRONG_CODES` within an hour the next attempt is refused
without looking at the code, and the answer says when to try again. Disabling takes every
staff power at once and hands the member's open applications back; the overseers of those
applications are alerted (:mod:`services.staff_alerts`) in the same transaction, so they
hear of it if and only if it happened, whether it was done from the chat or the command line.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from process.roles import Role
from services.context import ServiceContext
from services.staff_alerts import queue_unassigned_alerts
from storage.staff.disable import disable_member
from storage.staff.invites import insert_failure, next_check_at, recent_failures
from storage.staff.members import enrol_with_code, make_admin, member_in
from storage.staff.models import (
    MAX_WRONG_CODES,
    InviteError,
    InviteExpired,
    InviteUsed,
    Staff,
)

# -- enrolment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    member: Staff


@dataclass(frozen=True)
class JoinLimited:
    """Too many wrong codes lately: the code was not looked at."""

    retry_at: datetime


class CodeProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class JoinFailed:
    reason: CodeProblem
    attempts_left: int


async def join(
    ctx: ServiceContext, *, user_id: int, code: str, now: datetime
) -> Joined | JoinLimited | JoinFailed:
    """``/join CODE``: enrol ``user_id`` with the invite's role, name and district."""
    async with ctx.db.transaction() as conn:
        retry_at = next_check_at(await recent_failures(conn, user_id, now))
        if retry_at is not None:
            return JoinLimited(retry_at)
        try:
            return Joined(await enrol_with_code(conn, code, user_id=user_id, now=now))
        except InviteError as error:
            # Nothing of the invite was written; the failure is, and commits.
            await insert_failure(conn, user_id, now)
            failures = len(await recent_failures(conn, user_id, now))
            return JoinFailed(_problem(error), max(0, MAX_WRONG_CODES - failures))


def _problem(error: InviteError) -> CodeProblem:
    if isinstance(error, InviteExpired):
        return CodeProblem.EXPIRED
    if isinstance(error, InviteUsed):
        return CodeProblem.USED
    return CodeProblem.INVALID


async def ensure_admin(ctx: ServiceContext, *, user_id: int, name: str, now: datetime) -> Staff:
    """A configured admin (HVCONNECT_ADMINS) as an active admin; cheap when they are one.

    An existing member keeps their name and district but becomes an active admin: the
    configuration is the operator's word.
    """
    async with ctx.db.transaction() as conn:
        return await make_admin(conn, user_id, name=name, now=now)


# -- disabling ---------------------------------------------------------------------------


class DisableRefusal(StrEnum):
    NOT_ADMIN = "not_admin"  # only an active admin disables (or the operator)
    NOT_FOUND = "not_found"  # no such member
    ALREADY_DISABLED = "already_disabled"
    # Nobody locks themselves out, and an admin named in the configuration would be made
    # admin again on their next message.
    CANNOT_DISABLE = "cannot_disable"


@dataclass(frozen=True)
class Disabled:
    member: Staff  # as they were before
    returned: tuple[int, ...]  # the applications handed back
    alerted: int  # overseers' messages queued


def disable_refusal(
    actor: Staff | None, target: Staff | None, protected: Collection[int]
) -> DisableRefusal | None:
    """Why ``actor`` (None: the operator) may not disable ``target``, or None if they may.
    ``protected``: the configured admins."""
    if actor is not None and (not actor.active or actor.role is not Role.ADMIN):
        return DisableRefusal.NOT_ADMIN
    if target is None:
        return DisableRefusal.NOT_FOUND
    if not target.active:
        return DisableRefusal.ALREADY_DISABLED
    if actor is not None and (target.user_id == actor.user_id or target.user_id in protected):
        return DisableRefusal.CANNOT_DISABLE
    return None


async def disable(
    ctx: ServiceContext,
    *,
    actor_id: int | None,
    user_id: int,
    protected: Collection[int] = frozenset(),
    now: datetime,
) -> Disabled | DisableRefusal:
    """Take every staff power from ``user_id``, hand back their open applications and
    alert the overseers of those applications (but ``actor_id``, who is told in their own
    chat). ``actor_id`` None is the operator at the command line."""
    async with ctx.db.transaction() as conn:
        actor = await member_in(conn, actor_id)
        if actor_id is not None and actor is None:
            return DisableRefusal.NOT_ADMIN
        target = await member_in(conn, user_id)
        refusal = disable_refusal(actor, target, protected)
        if refusal is not None:
            return refusal
        assert target is not None  # refused above otherwise
        returned = await disable_member(conn, target, now, by=actor_id)
        alerted = await queue_unassigned_alerts(
            ctx,
            conn,
            member=target,
            application_ids=returned,
            now=now,
            skip=frozenset() if actor_id is None else frozenset({actor_id}),
        )
    ctx.outbox.wake()
    return Disabled(target, tuple(returned), alerted)
