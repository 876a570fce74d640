"""The export of a period: an Excel workbook (applications, events, survey answers, summary
figures, one sheet each) or the applications alone as CSV.

The headers are Chinese, as the utility's reports are, whatever the reader's language; so
are the words in the cells: an event is written as the card's history names it ("受理",
not ``accept``), a role by its name, and whoever acted by name, customers too (by the
contact name of their application, as staff know them), never by a Telegram id.
Times are written in the utility's time zone as plain date-times, which is what Excel can
show. Anything a customer or a member of staff typed is written as text and never as a
formula: a company called ``=HYPERLINK(...)`` stays a name (CSV cells that start like a
formula get a leading apostrophe, as spreadsheet programs expect).

Contact mobiles, credit codes and addresses are left out: the export is for figures and
follow-up, and the bot's cards are where personal details are looked up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from notifications.render import Texts
from process.calendar import WorkingCalendar
from process.limits import TimeLimits
from process.metrics import utility_days
from process.metrics_summary import Summary
from process.stages import SupplyMode
from storage.models import Application, Event
from storage.stats import PeriodData, application_facts
from storage.survey import SurveyResponse

Cell = str | int | float | datetime | date | None
EXPORT_LOCALE = "zh_CN"  # the language of the headers, and so of every word in the cells
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

STAGE_NAMES = {
    "accept": "业务受理",
    "plan": "供电方案确定及答复",
    "design": "设计检查",
    "contract": "供电合同签订",
    "energize": "投运送电",
    "done": "已送电",
}
STATUS_NAMES = {"active": "办理中", "done": "已完成", "withdrawn": "已撤回"}
MODE_NAMES = {"single": "单电源", "dual": "双电源"}
USAGE_NAMES = {
    "large_industry": "大工业",
    "commercial": "一般工商业",
    "agriculture": "农业生产",
    "residential": "居民生活",
    "other": "其他",
}

APPLICATION_HEADERS = (
    "申请编号",
    "申请单位",
    "项目名称",
    "区县",
    "用电类别",
    "电压等级（kV）",
    "申请容量（kVA）",
    "供电方式",
    "状态",
    "当前环节",
    "客户经理",
    "项目经理",
    "提交时间",
    "送电时间",
    "供电企业用时（工作日）",
    "承诺时限（工作日）",
    "按承诺办结",
)
SURVEY_HEADERS = (
    "总体满意度",
    "办电速度",
    "客户经理服务",
    "信息告知",
    "推荐意愿（0–10）",
    "意见建议",
)
EVENT_HEADERS = ("申请编号", "时间", "事件", "操作人", "角色", "备注")
SURVEY_SHEET_HEADERS = (
    "申请编号",
    "邀请时间",
    "提交时间",
    "关闭时间",
    *SURVEY_HEADERS,
    "提醒次数",
)
SHEETS = ("申请", "事件", "满意度调查", "汇总")


class ExportRows:
    """The rows of every sheet, computed once from a period's data."""

    def __init__(
        self,
        data: PeriodData,
        events: Sequence[Event],
        *,
        calendar: WorkingCalendar,
        limits: TimeLimits,
        tz: tzinfo,
        texts: Texts | None = None,
    ) -> None:
        self._data = data
        self._labels = (texts or Texts(EXPORT_LOCALE)).labels(EXPORT_LOCALE)
        self._events = events
        self._calendar = calendar
        self._limits = limits
        self._tz = tz
        self._numbers = {a.id: a.number for a in data.applications}
        self._applications = {a.id: a for a in data.applications}
        self._surveys = {s.application_id: s for s in data.surveys}

    def applications(self) -> list[list[Cell]]:
        return [self._application(a) for a in self._data.applications]

    def applications_with_surveys(self) -> list[list[Cell]]:
        """The applications sheet with each one's survey answers alongside, for CSV."""
        return [
            [*self._application(a), *self._survey_answers(self._surveys.get(a.id))]
            for a in self._data.applications
        ]

    def events(self) -> list[list[Cell]]:
        labels = self._labels
        return [
            [
                self._numbers.get(e.application_id or 0, ""),
                self._local(e.created_at),
                # The words of the card's history: an event's own label, else its action's.
                labels.get(f"event.{e.kind}", labels.get(f"act.{e.kind}", e.kind)),
                self._actor(e),
                labels.get(f"role.{e.actor_role}", e.actor_role),
                e.note,
            ]
            for e in self._events
        ]

    def _actor(self, event: Event) -> str:
        """Who acted, by name: staff as enrolled, the customer by their application's
        contact name; nobody for the bot's own events."""
        if event.actor_id is None:
            return ""
        staff = self._data.staff_names.get(event.actor_id)
        if staff is not None:
            return staff
        application = self._applications.get(event.application_id or 0)
        if application is not None and application.customer_id == event.actor_id:
            return application.contact_name
        return self._labels.get(f"role.{event.actor_role}", "")

    def surveys(self) -> list[list[Cell]]:
        return [
            [
                self._numbers.get(s.application_id, ""),
                self._local(s.invited_at),
                self._local(s.submitted_at),
                self._local(s.closed_at),
                *self._survey_answers(s),
                s.reminders_sent,
            ]
            for s in self._data.surveys
        ]

    def _application(self, a: Application) -> list[Cell]:
        visits = self._data.visits.get(a.id, [])
        energized = visits[-1].ended_at if a.status == "done" and visits else None
        days: int | None = None
        commitment = self._limits.total(SupplyMode(a.supply_mode))
        within: str | None = None
        if a.status == "done":
            days = utility_days(self._calendar, application_facts(a, visits), self._tz)
            within = "是" if days <= commitment else "否"
        names = self._data.staff_names
        return [
            a.number,
            a.applicant_name,
            a.project_name,
            a.district,
            USAGE_NAMES.get(a.usage_category, a.usage_category),
            a.voltage_kv,
            a.capacity_kva,
            MODE_NAMES.get(a.supply_mode, a.supply_mode),
            STATUS_NAMES.get(a.status, a.status),
            STAGE_NAMES.get(a.stage, a.stage),
            names.get(a.customer_manager_id or 0),
            names.get(a.project_manager_id or 0),
            self._local(a.submitted_at),
            self._local(energized),
            days,
            commitment,
            within,
        ]

    @staticmethod
    def _survey_answers(s: SurveyResponse | None) -> list[Cell]:
        if s is None:
            return [None] * len(SURVEY_HEADERS)
        return [s.overall, s.speed, s.service, s.informed, s.recommend, s.comment]

    def _local(self, moment: datetime | None) -> datetime | None:
        # Excel has no time zones: the utility's wall time is what its staff expect to see.
        return None if moment is None else moment.astimezone(self._tz).replace(tzinfo=None)


def summary_rows(summary: Summary, period: str, scope: str | None) -> list[list[Cell]]:
    """The figures of /stats, one per row: name, value, unit or base."""

    rows: list[list[Cell]] = [
        ["统计期间（按提交日期）", period, None],
        ["范围", scope or "全部区县", None],
        ["申请数", summary.applications, "件"],
        ["已送电", summary.completed, "件"],
        ["办理中", summary.active, "件"],
        ["满意率（4–5分）", _round(summary.survey.satisfaction_rate), "%"],
        ["NPS", _round(summary.survey.nps), None],
        ["调查回复率", _round(summary.survey.response_rate), "%"],
        ["已邀请", summary.survey.invited, "份"],
        ["已答复", summary.survey.answered, "份"],
    ]
    for question, name in (
        ("overall", "总体满意度"),
        ("speed", "办电速度"),
        ("service", "客户经理服务"),
        ("informed", "信息告知"),
        ("recommend", "推荐意愿"),
    ):
        rows.append([f"平均分：{name}", _round(summary.survey.means.get(question)), None])
    for saving in summary.time_saving:
        mode = MODE_NAMES[saving.mode]
        rows += [
            [f"{mode}：已送电", saving.completed, "件"],
            [f"{mode}：原九环节时限（T_before）", saving.t_before, "工作日"],
            [f"{mode}：平均用时（T_after）", _round(saving.t_after), "工作日"],
            [f"{mode}：时间节约率", _round(saving.rate), "%"],
        ]
    rows.append(["按承诺时限办结", _round(summary.within_commitment_rate), "%"])
    for stage in summary.stages:
        name = STAGE_NAMES[stage.stage]
        rows += [
            [f"{name}：平均用时", _round(stage.mean_days), "工作日"],
            [f"{name}：中位数", _round(stage.median_days), "工作日"],
            [f"{name}：90%分位", _round(stage.p90_days), "工作日"],
            [f"{name}：按时率", _round(stage.on_time_rate), "%"],
            [f"{name}：当前超期", stage.overdue_now, "件"],
        ]
    return rows


def workbook_bytes(rows: ExportRows, summary: list[list[Cell]]) -> bytes:
    """The four-sheet workbook as .xlsx bytes."""
    book = Workbook()
    sheets: list[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]] = [
        (SHEETS[0], APPLICATION_HEADERS, rows.applications()),
        (SHEETS[1], EVENT_HEADERS, rows.events()),
        (SHEETS[2], SURVEY_SHEET_HEADERS, rows.surveys()),
        (SHEETS[3], ("指标", "数值", "单位"), summary),
    ]
    first = book.active
    assert first is not None  # a new workbook always has one sheet
    book.remove(first)
    for title, headers, body in sheets:
        _fill(book.create_sheet(title), headers, body)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(rows: ExportRows) -> str:
    """The applications with their survey answers, as CSV text (write it as UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*APPLICATION_HEADERS, *SURVEY_HEADERS])
    for row in rows.applications_with_surveys():
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _fill(sheet: Worksheet, headers: Sequence[str], body: Iterable[Sequence[Cell]]) -> None:
    sheet.append(list(headers))
    for values in body:
        # Control characters would make the file unreadable to Excel; they carry no meaning.
        sheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even when it starts with "="
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    for column, header in zip(sheet.iter_cols(min_row=1, max_row=1), headers, strict=True):
        sheet.column_dimensions[column[0].column_letter].width = max(10, 2 * len(header) + 2)


def _csv_cell(cell: Cell) -> Any:
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return "" if cell is None else cell


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
