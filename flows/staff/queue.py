"""``/queue`` and ``/find``: a member's work, most urgent first, and search for staff.

The queue is sorted by each application's stage deadline, computed from the working-day
calendar and the stage clock (pauses included); applications whose clock is paused wait on
the customer and come last. The deadlines are those the reminder sweep stored when it last
counted each stage; a stage changed since (within the minute) is counted here, so the order
is always the clocks' own while a queue of 500 costs 500 rows read, not 500 clocks.
A long queue is cut so that the message stays readable and within Telegram's length
limit, with a count of what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from telegram import Update
from telegram.ext import ContextTypes

from flows.common import say
from flows.deps import Services, services
from flows.staff.access import district_of_reach, require_staff
from process.calendar import WorkingCalendar
from process.deadlines import Pause, due_date, late_if_due_before, stage_clock
from process.roles import OVERSEERS
from storage.staff.members import QueueHead, QueueItem, Staff

QUEUE_SHOWN = 40
FIND_LIMIT = 20


@dataclass(frozen=True)
class QueueLine:
    number: str
    applicant: str
    stage: str
    due: date | None  # None while the clock is paused
    used_days: int
    limit_days: int
    overdue: bool
    paused: bool
    provisional: bool


async def queue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await require_staff(update, context)
    if member is None:
        return
    svc = services(context)
    ordered = await ordered_queue(svc, member, first=QUEUE_SHOWN)
    overseer = member.role in OVERSEERS
    district = district_of_reach(member)  # None: every district
    if not ordered.total:
        await say(update, context, "staff/queue_empty", overseer=overseer, district=district)
        return
    # Ordering needs every deadline; the full stage clock only the lines shown, whose items
    # came with the page.
    shown = [ordered.items[head.application_id] for _, head in ordered.entries]
    lines = sort_queue(queue_lines(svc, shown))
    await say(
        update,
        context,
        "staff/queue",
        lines=lines,
        hidden=max(0, ordered.total - QUEUE_SHOWN),
        total=ordered.total,
        overdue=ordered.overdue,
        overseer=overseer,
        district=district,
    )


@dataclass(frozen=True)
class OrderedQueue:
    """A member's queue by deadline, as far as it was asked for."""

    entries: list[tuple[date | None, QueueHead]]  # each with its deadline (None: paused)
    total: int  # open applications in the whole queue
    overdue: int  # of them, how many are overdue today
    # With a ``first``: the full item of every entry (and of any head read to order them).
    items: dict[int, QueueItem]


async def ordered_queue(svc: Services, member: Staff, *, first: int | None = None) -> OrderedQueue:
    """The member's open applications by deadline (paused last), the first ``first`` of
    them (all if None), with the size of the queue and how many are overdue.

    Most deadlines are read as the reminder sweep stored them, and ordered, cut and counted
    in the database; only the stages that changed since it last looked (a minute at most)
    are counted here, so a queue of 500 costs one query rather than 500 stage clocks.

    With a ``first``, the full items of the entries come in the same trip: those of the
    first ``first`` known deadlines and of every stage to count afresh, which are all the
    first ``first`` lines can be."""
    today = svc.clock.now().astimezone(svc.settings.tz).date()
    late_before = late_if_due_before(svc.calendar, today)
    page = await svc.staff.queue_page(
        member, late_before=late_before, first=first, with_items=first is not None
    )
    unknown = [head.application_id for head in page.heads if not head.known]
    counted: dict[int, date | None] = {}
    if unknown:
        items = page.items or {
            item.application_id: item for item in await svc.staff.queue_items(unknown)
        }
        counted = {
            item.application_id: due
            for due, item in queue_order(svc, [items[application] for application in unknown])
        }
    keyed = [
        (head.due if head.known else counted.get(head.application_id), head) for head in page.heads
    ]
    late_counted = sum(
        1 for due, head in keyed if not head.known and due is not None and due < late_before
    )
    entries = sorted(keyed, key=_by_deadline)
    return OrderedQueue(
        entries if first is None else entries[:first],
        page.total,
        page.late_known + late_counted,
        page.items,
    )


def late_ones(
    ordered: list[tuple[date | None, QueueHead]], today: date, calendar: WorkingCalendar
) -> list[int]:
    """The applications of an ordered queue whose stage is overdue ``today`` (as
    :func:`process.deadlines.is_overdue` says), the longest overdue first."""
    # is_overdue's own comparison, with its bound worked out once for the whole queue.
    late_before = late_if_due_before(calendar, today)
    return [head.application_id for due, head in ordered if due is not None and due < late_before]


def _by_deadline(pair: tuple[date | None, QueueHead | QueueItem]) -> tuple[bool, date, str]:
    """Earliest deadline first, paused (no deadline) last, then by number."""
    due, entry = pair
    return (due is None, due or date.max, entry.number)


def queue_order(svc: Services, items: list[QueueItem]) -> list[tuple[date | None, QueueItem]]:
    """Each item with its stage deadline (None while paused), in :func:`sort_queue`'s order."""
    keyed: list[tuple[date | None, QueueItem]] = []
    for item in items:
        due = None
        if item.stage_started_at is not None and item.stage_limit_days is not None:
            found = due_date(
                svc.calendar,
                item.stage_started_at,
                item.stage_limit_days,
                [Pause(p.started_at, p.ended_at) for p in item.pauses],
                svc.settings.tz,
            )
            due = None if found is None else found.day
        keyed.append((due, item))
    return sorted(keyed, key=_by_deadline)


def queue_lines(svc: Services, items: list[QueueItem]) -> list[QueueLine]:
    now = svc.clock.now()
    lines = []
    for item in items:
        if item.stage_started_at is None or item.stage_limit_days is None:
            # No open stage visit: nothing to count; shown with the paused ones.
            lines.append(
                QueueLine(
                    item.number,
                    item.applicant_name,
                    item.stage,
                    None,
                    0,
                    0,
                    overdue=False,
                    paused=True,
                    provisional=False,
                )
            )
            continue
        clock = stage_clock(
            svc.calendar,
            item.stage_started_at,
            item.stage_limit_days,
            [Pause(p.started_at, p.ended_at) for p in item.pauses],
            now,
            svc.settings.tz,
        )
        lines.append(
            QueueLine(
                number=item.number,
                applicant=item.applicant_name,
                stage=item.stage,
                due=clock.due,
                used_days=clock.used_days,
                limit_days=clock.limit_days,
                overdue=clock.overdue,
                paused=clock.paused,
                provisional=clock.provisional,
            )
        )
    return lines


def sort_queue(lines: list[QueueLine]) -> list[QueueLine]:
    """Earliest deadline first; paused ones last; the application number breaks ties."""
    return sorted(lines, key=lambda line: (line.due is None, line.due or date.max, line.number))


async def find_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await require_staff(update, context)
    if member is None:
        return
    svc = services(context)
    text = " ".join(context.args or []).strip()
    if not text:
        await say(update, context, "staff/find_usage")
        return
    found, names = await svc.staff.find_with_holders(text, limit=FIND_LIMIT, member=member)
    if not found:
        await say(update, context, "staff/find_none", text=text[:40])
        return
    await say(
        update,
        context,
        "staff/find_results",
        text=text[:40],
        results=[{"app": a, "holder": names.get(a.customer_manager_id or 0)} for a in found],
        limited=len(found) >= FIND_LIMIT,
    )
