"""One period's figures, as /stats, /export and ``hvconnect stats`` all show them.

The report gathers a period's data once, computes the summary and the summaries per
district and per customer manager, and knows how to become a chart or a workbook. The
chart and the workbook libraries are imported only when one is made: matplotlib alone takes
a second to load, which every start of the bot and every shell command would otherwise pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from typing import Any

from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from process.metrics_period import Period
from process.metrics_summary import (
    MonthlySatisfaction,
    Summary,
    monthly_satisfaction,
    summarize,
    summarize_by,
)
from storage.models import Event
from storage.stats import PeriodData, StatsRepo

CHART_LABELS = (
    "stages_title",
    "days_axis",
    "mean",
    "limit_single",
    "limit_dual",
    "satisfaction_title",
    "rate_axis",
    "no_answers",
)


@dataclass(frozen=True)
class Report:
    period: Period
    scope: str | None  # the district, or None for all of them
    data: PeriodData
    summary: Summary
    by_district: list[tuple[str, Summary]]  # by name; empty when the scope is one district
    by_manager: list[tuple[str, Summary]]  # most applications first
    months: list[MonthlySatisfaction]


async def build_report(
    stats: StatsRepo,
    *,
    period: Period,
    district: str | None,
    calendar: WorkingCalendar,
    limits: TimeLimits,
    now: datetime,
    tz: tzinfo,
) -> Report:
    start, end = period.bounds(tz)
    data = (await stats.period(start, end)).only(district)
    applications, surveys = data.application_facts(), data.survey_facts()
    summary = summarize(applications, surveys, calendar=calendar, limits=limits, now=now, tz=tz)
    by_district: list[tuple[str, Summary]] = []
    if district is None:
        groups = summarize_by(
            lambda a: a.district,
            applications,
            surveys,
            calendar=calendar,
            limits=limits,
            now=now,
            tz=tz,
        )
        by_district = sorted(groups.items())
    managers = summarize_by(
        lambda a: a.customer_manager_id,
        applications,
        surveys,
        calendar=calendar,
        limits=limits,
        now=now,
        tz=tz,
    )
    names = data.staff_names
    by_manager = sorted(
        ((names.get(user_id, f"#{user_id}"), s) for user_id, s in managers.items()),
        key=lambda pair: (-pair[1].applications, pair[0]),
    )
    return Report(
        period=period,
        scope=district,
        data=data,
        summary=summary,
        by_district=by_district,
        by_manager=by_manager,
        months=monthly_satisfaction(surveys, tz),
    )


def chart_png(report: Report, texts: Texts, locale: str) -> bytes:
    """The /stats chart in ``locale``: runs matplotlib, so call it in a worker thread."""
    from reports.charts import ChartText, MonthRate, StageBar, stats_chart

    words = {key: texts.render(locale, "stats/chart_label", key=key) for key in CHART_LABELS}
    stages = [
        StageBar(
            label=texts.label(locale, f"stage_short.{s.stage}"),
            mean_days=s.mean_days,
            limit_single=s.limit_single,
            limit_dual=s.limit_dual,
        )
        for s in report.summary.stages
    ]
    months = [MonthRate(m.month, m.rate) for m in report.months]
    return stats_chart(stages, months, ChartText(**words))


def export_workbook(
    report: Report,
    events: Sequence[Event],
    *,
    calendar: WorkingCalendar,
    limits: TimeLimits,
    tz: tzinfo,
) -> bytes:
    """The four-sheet workbook: runs openpyxl, so call it in a worker thread."""
    from reports.export import ExportRows, summary_rows, workbook_bytes

    rows = ExportRows(report.data, events, calendar=calendar, limits=limits, tz=tz)
    return workbook_bytes(rows, summary_rows(report.summary, report.period.label, report.scope))


def export_csv(report: Report, *, calendar: WorkingCalendar, limits: TimeLimits, tz: tzinfo) -> str:
    """The applications with their survey answers, as CSV text."""
    from reports.export import ExportRows, csv_text

    return csv_text(ExportRows(report.data, [], calendar=calendar, limits=limits, tz=tz))


def report_json(report: Report) -> dict[str, Any]:
    """Every figure of the report as plain JSON values (None where nothing was counted):
    what ``hvconnect stats --json`` prints and ``GET /v1/stats`` answers."""
    return {
        "period": {"from": report.period.first.isoformat(), "to": report.period.last.isoformat()},
        "district": report.scope,
        "summary": asdict(report.summary),
        "by_district": {name: asdict(s) for name, s in report.by_district},
        "by_customer_manager": {name: asdict(s) for name, s in report.by_manager},
        "satisfaction_by_month": [asdict(m) for m in report.months],
    }
