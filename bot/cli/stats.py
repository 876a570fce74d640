"""``hvconnect stats`` and ``hvconnect export``: the figures and the workbook from the shell.

The same report as /stats and /export in the chat (:mod:`reports.figures`), for the
monthly report to management or a scheduled job: ``stats`` prints the summary (or JSON with
``--json``), ``export --out FILE.xlsx`` writes the four-sheet workbook and ``--out FILE.csv``
the applications with their survey answers. A period is ``--from`` and ``--to`` (both days
included, by submission date); without them, this year.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, datetime
from pathlib import Path

from bot.cli.staff import display_width
from bot.config.settings import Config, clock_of
from bot.secure_db import operator_database
from process.calendar import WorkingCalendar
from process.metrics_period import Period, PeriodError, year_of
from process.metrics_summary import StageFigures, Summary
from reports.figures import Report, build_report, export_csv, export_workbook, report_json
from storage.sealing.crypto import SealedWithoutKey
from storage.stats import StatsRepo

COMMANDS = ("stats", "export")
FORMATS = (".xlsx", ".csv")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser("stats", help="satisfaction, NPS, time saved and stage times")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    export = commands.add_parser("export", help="write the applications as .xlsx or .csv")
    export.add_argument("--out", required=True, type=Path, help="FILE.xlsx or FILE.csv")
    for parser in (stats, export):
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (1 January)")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (31 December)")
        parser.add_argument("--district", help="one district only (default: all of them)")


def run(args: argparse.Namespace, config: Config) -> int:
    """The body of ``hvconnect stats`` and ``hvconnect export``; returns the exit status."""
    now = clock_of(config).now()
    try:
        period = _period(args.first, args.last, now.astimezone(config.tz).date())
    except ValueError as error:
        return _fail(str(error))
    if args.district is not None and args.district not in config.districts:
        return _fail(
            f"--district: expected one of {', '.join(config.districts)}, got {args.district!r}"
        )
    if args.command == "export" and args.out.suffix.lower() not in FORMATS:
        return _fail(f"--out: expected a file ending in .xlsx or .csv, got {str(args.out)!r}")
    try:
        return asyncio.run(_run(args, config, period, now))
    except SealedWithoutKey:
        return _fail(
            "the database holds encrypted personal data: set HVCONNECT_SECRET_KEY as for the bot",
            status=1,
        )


async def _run(args: argparse.Namespace, config: Config, period: Period, now: datetime) -> int:
    calendar = WorkingCalendar(
        extra_holidays=config.extra_holidays,
        extra_workdays=config.extra_workdays,
        confirmed_years=config.confirmed_years,
    )
    async with operator_database(config, now) as db:
        stats = StatsRepo(db)
        report = await build_report(
            stats,
            period=period,
            district=args.district,
            calendar=calendar,
            limits=config.limits,
            now=now,
            tz=config.tz,
        )
        if args.command == "stats":
            print(
                json.dumps(report_json(report), ensure_ascii=False, indent=2)
                if args.json
                else "\n".join(report_lines(report))
            )
            return 0
        if args.out.suffix.lower() == ".csv":
            text = export_csv(report, calendar=calendar, limits=config.limits, tz=config.tz)
            # With a byte-order mark, Excel opens the Chinese text as UTF-8.
            args.out.write_text(text, encoding="utf-8-sig", newline="")
        else:
            start, end = period.bounds(config.tz)
            ids = {a.id for a in report.data.applications}
            events = [e for e in await stats.events(start, end) if e.application_id in ids]
            args.out.write_bytes(
                export_workbook(
                    report, events, calendar=calendar, limits=config.limits, tz=config.tz
                )
            )
    print(
        f"hvconnect: wrote {len(report.data.applications)} application(s) submitted in "
        f"{period.label} to {args.out}"
    )
    return 0


def _period(first: str | None, last: str | None, today: date) -> Period:
    this_year = year_of(today.year)
    try:
        return Period(
            _day("--from", first) or this_year.first, _day("--to", last) or this_year.last
        )
    except PeriodError as error:
        if error.code == "order":
            raise ValueError("--from: the first day comes after the last (--to)") from None
        raise ValueError("--from/--to: a period of at most 20 years") from None


def _day(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option}: expected a day like 2026-11-30, got {text!r}") from None


def _fail(message: str, status: int = 2) -> int:
    print(f"hvconnect: {message}", file=sys.stderr)
    return status


def report_lines(report: Report) -> list[str]:
    """The summary for a terminal: a few lines of figures and a table per breakdown."""
    s = report.summary
    survey = s.survey
    lines = [
        f"hvconnect statistics {report.period.label} ({report.scope or 'all districts'}, "
        "applications by submission date)",
        f"Applications: {s.applications} ({s.completed} energized, {s.active} in progress, "
        f"{s.applications - s.completed - s.active} withdrawn)",
        f"Satisfaction: {_pct(survey.satisfaction_rate)} satisfied (4-5), "
        f"NPS {_num(survey.nps)}, response rate {_pct(survey.response_rate)} "
        f"({survey.answered} of {survey.invited} invited)",
        "Mean scores: " + ", ".join(f"{q} {_num(v)}" for q, v in survey.means.items()),
    ]
    for saving in s.time_saving:
        lines.append(
            f"Time saving, {saving.mode} supply: T_after {_num(saving.t_after)} working days "
            f"against T_before {saving.t_before}: {_pct(saving.rate)} "
            f"({saving.completed} energized)"
        )
    lines += [
        f"Within the committed time: {_pct(s.within_commitment_rate)} "
        f"({s.within_commitment} of {s.completed})",
        "",
        *_table(
            ("stage", "finished", "mean", "median", "p90", "limit", "on time", "overdue"),
            [_stage_row(stage) for stage in s.stages],
        ),
    ]
    for title, groups in (
        ("district", report.by_district),
        ("customer manager", report.by_manager),
    ):
        if groups:
            lines += [
                "",
                *_table(
                    (title, "applications", "satisfied", "within commitment", "overdue"),
                    [_group_row(name, summary) for name, summary in groups],
                ),
            ]
    return lines


def _stage_row(stage: StageFigures) -> tuple[str, ...]:
    limit = str(stage.limit_single)
    if stage.limit_dual != stage.limit_single:
        limit += f"/{stage.limit_dual}"
    return (
        stage.stage,
        str(stage.finished),
        _num(stage.mean_days),
        _num(stage.median_days),
        _num(stage.p90_days),
        limit,
        _pct(stage.on_time_rate),
        str(stage.overdue_now),
    )


def _group_row(name: str, summary: Summary) -> tuple[str, ...]:
    overdue = sum(stage.overdue_now for stage in summary.stages)
    return (
        name,
        str(summary.applications),
        _pct(summary.survey.satisfaction_rate),
        _pct(summary.within_commitment_rate),
        str(overdue),
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(display_width(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return [
        "  ".join(
            cell + " " * (width - display_width(cell))
            if i == 0
            else " " * (width - display_width(cell)) + cell
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
