"""The chart /stats sends with its summary: working days per stage against each limit, and
the satisfaction rate month by month, as one PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
state), so it can run in a worker thread while the bot keeps answering. Chinese labels need
a CJK font; the first one installed from a list of common ones is used, and without any the
labels still render, with boxes for the missing glyphs, rather than failing the command.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Fonts that cover Chinese on Debian/Ubuntu (Noto, WenQuanYi), Windows and macOS servers.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 4.5, 100
_BAR, _LIMIT_SINGLE, _LIMIT_DUAL, _RATE = "#2b6cb0", "#c53030", "#dd6b20", "#2f855a"


@dataclass(frozen=True)
class StageBar:
    label: str
    mean_days: float | None
    limit_single: int
    limit_dual: int


@dataclass(frozen=True)
class MonthRate:
    label: str  # 'YYYY-MM'
    rate: float | None


@dataclass(frozen=True)
class ChartText:
    """The chart's words, in the reader's language (from ``stats/chart_label``)."""

    stages_title: str
    days_axis: str
    mean: str
    limit_single: str
    limit_dual: str
    satisfaction_title: str
    rate_axis: str
    no_answers: str


@cache
def font_families() -> tuple[str, ...]:
    """The CJK fonts installed here, best first, then matplotlib's default."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return (*(name for name in CJK_FONTS if name in installed), "DejaVu Sans")


def stats_chart(stages: Sequence[StageBar], months: Sequence[MonthRate], text: ChartText) -> bytes:
    """The PNG, ``WIDTH_IN`` x ``HEIGHT_IN`` inches at ``DPI``: stages left, months right."""
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=(3, 2))
    families = list(font_families())
    _stage_panel(left, stages, text, families)
    _month_panel(right, months, text, families)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A missing glyph is drawn as a box; the chart is still worth sending.
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _stage_panel(
    ax: Axes, stages: Sequence[StageBar], text: ChartText, families: list[str]
) -> None:
    positions = list(range(len(stages)))
    ax.bar(positions, [s.mean_days or 0.0 for s in stages], color=_BAR, width=0.6, label=text.mean)
    for position, stage in zip(positions, stages, strict=True):
        ax.hlines(
            stage.limit_single, position - 0.4, position + 0.4, colors=_LIMIT_SINGLE, linewidth=2
        )
        if stage.limit_dual != stage.limit_single:
            ax.hlines(
                stage.limit_dual,
                position - 0.4,
                position + 0.4,
                colors=_LIMIT_DUAL,
                linewidth=2,
                linestyles="dashed",
            )
        if stage.mean_days is not None:
            ax.annotate(
                f"{stage.mean_days:.1f}",
                (position, stage.mean_days),
                ha="center",
                va="bottom",
                fontsize=9,
                family=families,
            )
    # Legend entries for the limit marks, which hlines does not give one each.
    ax.plot([], [], color=_LIMIT_SINGLE, linewidth=2, label=text.limit_single)
    if any(s.limit_dual != s.limit_single for s in stages):
        ax.plot([], [], color=_LIMIT_DUAL, linewidth=2, linestyle="dashed", label=text.limit_dual)
    ax.set_xticks(positions, [s.label for s in stages], family=families)
    ax.set_ylabel(text.days_axis, family=families)
    ax.set_title(text.stages_title, family=families)
    ax.legend(prop={"family": families, "size": 8})


def _month_panel(
    ax: Axes, months: Sequence[MonthRate], text: ChartText, families: list[str]
) -> None:
    ax.set_title(text.satisfaction_title, family=families)
    ax.set_ylim(0, 105)
    ax.set_ylabel(text.rate_axis, family=families)
    answered = [m for m in months if m.rate is not None]
    if not answered:
        ax.text(
            0.5,
            0.5,
            text.no_answers,
            ha="center",
            va="center",
            transform=ax.transAxes,
            family=families,
        )
        ax.set_xticks([])
        return
    positions = list(range(len(answered)))
    ax.plot(positions, [m.rate or 0.0 for m in answered], color=_RATE, marker="o")
    ax.set_xticks(positions, [m.label for m in answered], rotation=45, ha="right", family=families)
