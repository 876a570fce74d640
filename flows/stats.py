"""/stats, /overdue and /export: the figures, the late applications and the workbook, for
supervisors and admins.

A supervisor of one district sees that district (and its customer managers); supervisors of
every district and admins see all of them, with a line per district. The figures are those
of :mod:`process.metrics` over the applications submitted in the period; the chart and the
workbook are built in a worker thread, so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from flows.common import current_user, say
from flows.deps import Services, services
from flows.staff.access import district_of_reach, require_staff
from flows.staff.queue import late_ones, ordered_queue
from process.clock import today
from process.deadlines import Pause, stage_clock
from process.metrics_period import Period, PeriodError, parse_period
from process.roles import OVERSEERS
from reports.figures import Report, build_report, chart_png, export_workbook

GROUPS_SHOWN = 15
OVERDUE_SHOWN = 30


@dataclass(frozen=True)
class OverdueLine:
    number: str
    applicant: str
    stage: str
    due: date
    days_over: int  # working days past the deadline (0 on a holiday right after it)
    provisional: bool
    manager: str | None
    project: str | None


async def _report(svc: Services, period: Period, district: str | None) -> Report:
    """The statistics of ``period`` for an overseer of ``district`` (None: every district)."""
    return await build_report(
        svc.stats,
        period=period,
        district=district,
        calendar=svc.calendar,
        limits=svc.settings.limits,
        now=svc.clock.now(),
        tz=svc.settings.tz,
    )


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await require_staff(update, context, OVERSEERS)
    if member is None:
        return
    period = await _period(update, context, "stats")
    if period is None:
        return
    svc = services(context)
    report = await _report(svc, period, district_of_reach(member))
    await say(update, context, "stats/summary", **_summary_params(report))
    user = await current_user(update, context)
    png = await asyncio.to_thread(chart_png, report, svc.texts, user.locale)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(
        chat.id,
        photo=png,
        caption=svc.texts.render(user.locale, "stats/chart_caption", period=period.label),
        parse_mode=ParseMode.HTML,
    )


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await require_staff(update, context, OVERSEERS)
    if member is None:
        return
    period = await _period(update, context, "export")
    if period is None:
        return
    svc = services(context)
    report = await _report(svc, period, district_of_reach(member))
    start, end = period.bounds(svc.settings.tz)
    ids = {a.id for a in report.data.applications}
    events = [e for e in await svc.stats.events(start, end) if e.application_id in ids]
    workbook = await asyncio.to_thread(
        export_workbook,
        report,
        events,
        calendar=svc.calendar,
        limits=svc.settings.limits,
        tz=svc.settings.tz,
    )
    user = await current_user(update, context)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        document=workbook,
        filename=f"hvconnect-{period.label}.xlsx",
        caption=svc.texts.render(
            user.locale,
            "stats/export_caption",
            period=period.label,
            scope=district_of_reach(member),
            applications=len(report.data.applications),
            events=len(events),
            surveys=len(report.data.surveys),
        ),
        parse_mode=ParseMode.HTML,
    )


async def overdue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await require_staff(update, context, OVERSEERS)
    if member is None:
        return
    svc = services(context)
    now = svc.clock.now()
    today = now.astimezone(svc.settings.tz).date()
    # Which are late, and in what order, from the deadlines the reminder sweep stored (a
    # stage changed since is counted); the full stage clock only for the lines shown.
    late = late_ones((await ordered_queue(svc, member)).entries, today, svc.calendar)
    if not late:
        await say(update, context, "stats/overdue_none", scope=district_of_reach(member))
        return
    names = {m.user_id: m.name for m in await svc.staff.list_all()}
    lines = []
    for item in await svc.staff.queue_items(late[:OVERDUE_SHOWN]):
        if item.stage_started_at is None or item.stage_limit_days is None:
            continue
        clock = stage_clock(
            svc.calendar,
            item.stage_started_at,
            item.stage_limit_days,
            [Pause(p.started_at, p.ended_at) for p in item.pauses],
            now,
            svc.settings.tz,
        )
        if clock.due is None:
            continue
        lines.append(
            OverdueLine(
                number=item.number,
                applicant=item.applicant_name,
                stage=item.stage,
                due=clock.due,
                days_over=clock.days_over,
                provisional=clock.provisional,
                manager=names.get(item.customer_manager_id or 0),
                project=names.get(item.project_manager_id or 0),
            )
        )
    lines.sort(key=lambda line: (line.due, line.number))
    await say(
        update,
        context,
        "stats/overdue",
        scope=district_of_reach(member),
        lines=lines,
        hidden=max(0, len(late) - len(lines)),
        total=len(late),
    )


async def _period(
    update: Update, context: ContextTypes.DEFAULT_TYPE, command: str
) -> Period | None:
    svc = services(context)
    typed = " ".join(context.args or [])
    try:
        return parse_period(typed, today=today(svc.clock))
    except PeriodError as error:
        await say(
            update, context, "stats/bad_period", code=error.code, text=typed[:40], command=command
        )
        return None


def _summary_params(report: Report) -> dict[str, Any]:
    districts = [{"name": name, "s": s} for name, s in report.by_district]
    managers = [{"name": name, "s": s} for name, s in report.by_manager]
    return {
        "period": report.period.label,
        "scope": report.scope,
        "summary": report.summary,
        "districts": districts[:GROUPS_SHOWN],
        "hidden_districts": max(0, len(districts) - GROUPS_SHOWN),
        "managers": managers[:GROUPS_SHOWN],
        "hidden_managers": max(0, len(managers) - GROUPS_SHOWN),
    }
