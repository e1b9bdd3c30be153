"""Charts of the evaluation (trend, stations, classes, completeness) as matplotlib figures.

The functions take plain model data and draw into a :class:`~matplotlib.figure.Figure`: a new
one, or one given (cleared first) so that the dashboard redraws its canvases in place. They
need only the Agg backend, so the PDF reports draw the same charts without Qt. Every text is
set in the bundled WenQuanYi Micro Hei, so Chinese renders on any machine.

Clickable parts carry a ``gid`` that says what they stand for: ``year:2024`` (a point of a
trend), ``unit:13`` (a station's bar), ``class:behind`` or ``class:none`` (a class's bar).
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from desktop.models.errors import DiskFullError, StorageError, ValidationError
from desktop.models.evaluation import (
    CLASS_ORDER,
    MISSING_TEXT,
    UNCLASSIFIED_LABEL,
    Evaluation,
    ProgressClass,
    Trend,
    UnitCompleteness,
    format_number,
)
from desktop.models.indicators import Indicator, TimeSemantics
from desktop.paths import resource_path

FONT_FILE = ("fonts", "WenQuanYiMicroHei.ttf")
FONT_FAMILY = "WenQuanYi Micro Hei"
PNG_DPI = 150
#: Up to this many stations, each bar carries its name and figure.
MAX_LABELLED = 40

#: The colour of each class; ``None`` is 未评价.
CLASS_COLORS: dict[ProgressClass | None, str] = {
    ProgressClass.ACHIEVED: "#2e9d4a",
    ProgressClass.AHEAD: "#1f8fa6",
    ProgressClass.ON_TRACK: "#7d95b0",
    ProgressClass.BEHIND: "#d93025",
    None: "#c9ced6",
}
ACTUAL_COLOR = "#1f5fa8"
PATH_COLOR = "#8a8f98"
TARGET_COLOR = "#e07b00"
SELECTED_COLOR = "#fff1c2"
REPORTED_COLOR = "#2e9d4a"
UNREPORTED_COLOR = "#f5b5b0"
MISSING_EDGE = "#9aa0a8"
NOTE_COLOR = "#6b7280"

#: Behind value labels, so that a target line or marker under them does not hide them.
_LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
              "alpha": 0.85}

_font_lock = threading.Lock()
_font_ready = False


def use_chinese_font() -> None:
    """Register the bundled CJK font with matplotlib once and make it the default for text."""
    global _font_ready
    with _font_lock:
        if _font_ready:
            return
        from matplotlib import font_manager

        path = resource_path(*FONT_FILE)
        if path.exists():
            font_manager.fontManager.addfont(str(path))
        rc = matplotlib.rcParams
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = [FONT_FAMILY,
                                 *[f for f in rc["font.sans-serif"] if f != FONT_FAMILY]]
        rc["axes.unicode_minus"] = False  # the ASCII hyphen reads as a minus in every font
        _font_ready = True


# helpers -----------------------------------------------------------------------------------

def _figure(figure: Figure | None, size: tuple[float, float]) -> Figure:
    use_chinese_font()
    if figure is None:
        figure = Figure(figsize=size, layout="constrained")
    else:
        figure.clear()
        figure.set_layout_engine("constrained")
    figure.set_facecolor("white")
    return figure


def _axes(figure: Figure) -> Axes:
    ax = figure.add_subplot()
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.tick_params(labelsize=9)
    return ax


def _wrap(text: str, figure: Figure, fontsize: float) -> str:
    """Break a long (Chinese) title into lines that fit the figure's width."""
    width_pt = figure.get_figwidth() * 72
    per_line = max(8, int(width_pt * 0.92 / fontsize))
    lines = [text[i:i + per_line] for i in range(0, len(text), per_line)]
    return "\n".join(lines)


def _title(ax: Axes, figure: Figure, name: str, subtitle: str = "") -> None:
    text = _wrap(name, figure, 11)
    if subtitle:
        text += "\n" + subtitle
    ax.set_title(text, fontsize=11, color="#111827")


def _message(ax: Axes, text: str) -> None:
    """A chart with nothing to draw: say why, in the middle."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            color=NOTE_COLOR, wrap=True)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def unit_label(indicator: Indicator) -> str:
    """The unit the indicator's values are printed in (% for an average growth rate)."""
    if indicator.time_semantics is TimeSemantics.GROWTH:
        return "%"
    return indicator.unit_printed


_NAME_BREAKS = "局区县市"


def short_names(names: Sequence[str]) -> list[str]:
    """Unit names without the prefix they share (潼南区市场监督管理局大佛所 → 大佛所).

    The prefix is cut after its last 局/区/县/市 so that 大佛所 and 大安所 keep their 大.
    """
    if len(names) == 1:  # the unit's own name after its parent's (…管理局大佛所 → 大佛所)
        name = names[0]
        cut = name.rfind("局") + 1
        return [name[cut:] if 0 < cut < len(name) else name]
    if not names:
        return []
    first = names[0]
    length = 0
    while length < len(first) and all(len(n) > length and n[length] == first[length]
                                      for n in names):
        length += 1
    prefix = first[:length]
    cut = max((i + 1 for i, ch in enumerate(prefix) if ch in _NAME_BREAKS), default=0)
    if cut == 0 or any(len(n) <= cut for n in names):
        return list(names)
    return [n[cut:] for n in names]


def _pickable(artist: Patch | Line2D, gid: str) -> None:
    artist.set_gid(gid)
    artist.set_picker(True)
    if isinstance(artist, Line2D):
        artist.set_pickradius(7)


def _legend_columns(figure: Figure, entries: int) -> int:
    """As many legend entries side by side as fit the figure's width (about 1.5 inches each)."""
    return max(1, min(entries, 4, int(figure.get_figwidth() / 1.5)))


def _tick_size(count: int) -> float:
    return 9 if count <= 15 else 8 if count <= 30 else 7


def _row_limits(ax: Axes, count: int) -> None:
    """The first row on top; a few rows keep the height of three (no slab-like bars)."""
    pad = max(0.0, (3 - count) / 2)
    ax.set_ylim(count - 0.5 + pad, -0.5 - pad)


def _unit_ticks(ax: Axes, names: Sequence[str]) -> None:
    """Name every station; with very many, every n-th one (the bars still show them all)."""
    step = max(1, math.ceil(len(names) / MAX_LABELLED))
    rows = list(range(0, len(names), step))
    ax.set_yticks(rows, [names[r] for r in rows], fontsize=_tick_size(len(names)))


# the charts --------------------------------------------------------------------------------

def message_chart(text: str, figure: Figure | None = None, *, title: str = "") -> Figure:
    """An empty chart that says why there is nothing to draw (no plan, no indicator chosen)."""
    fig = _figure(figure, (6.4, 3.6))
    ax = _axes(fig)
    if title:
        _title(ax, fig, title)
    _message(ax, text)
    return fig


def trend_chart(trend: Trend, figure: Figure | None = None, *,
                selected_year: int | None = None) -> Figure:
    """The indicator from the baseline year to the plan's last year.

    Actual values as a line with markers (a missing year leaves a gap), the baseline-to-target
    path dashed, the annual targets as markers, the selected year shaded. Each actual point
    and annual target is clickable (``gid`` ``year:Y``).
    """
    fig = _figure(figure, (6.4, 3.8))
    ax = _axes(fig)
    indicator = trend.indicator
    years = [p.year for p in trend.points]
    _title(ax, fig, indicator.name)
    ax.set_xlim(trend.baseline_year - 0.5, trend.end_year + 0.5)
    ax.set_xticks(years, [f"{y}\n基期" if y == trend.baseline_year and y < trend.start_year
                          else str(y) for y in years])
    unit = unit_label(indicator)
    if unit:
        ax.set_ylabel(unit, fontsize=9)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    if selected_year is not None and selected_year in years:
        ax.axvspan(selected_year - 0.4, selected_year + 0.4, color=SELECTED_COLOR, zorder=0,
                   label=f"所选年度（{selected_year}年）")

    if trend.baseline is not None and trend.final_target is not None:
        ax.plot([trend.baseline_year, trend.end_year], [trend.baseline, trend.final_target],
                linestyle="--", color=PATH_COLOR, linewidth=1.4, label="规划路径（基期→目标）",
                zorder=2)
        ax.plot([trend.baseline_year], [trend.baseline], marker="s", markersize=6,
                color=PATH_COLOR, linestyle="", zorder=3)
    elif trend.final_target is not None:
        ax.axhline(trend.final_target, linestyle=":", color=PATH_COLOR, linewidth=1.4,
                   label=f"规划目标 {format_number(trend.final_target)}", zorder=2)

    targets = [(p.year, p.annual_target) for p in trend.points if p.annual_target is not None]
    for n, (year, value) in enumerate(targets):
        marker = ax.plot([year], [value], marker="_", markersize=20, markeredgewidth=2.6,
                         color=TARGET_COLOR, linestyle="", zorder=4,
                         label="年度目标" if n == 0 else "_nolegend_")[0]
        _pickable(marker, f"year:{year}")

    values = [_nan(p.actual) for p in trend.points]
    present = [(p.year, p.actual) for p in trend.points if p.actual is not None]
    ax.plot(years, values, color=ACTUAL_COLOR, linewidth=2, zorder=5,
            label=trend.actual_label if present else "_nolegend_")
    annual = dict(targets)
    for year, value in present:
        point = ax.plot([year], [value], marker="o", markersize=6.5, color=ACTUAL_COLOR,
                        markeredgecolor="white", markeredgewidth=1.2, linestyle="",
                        zorder=6)[0]
        _pickable(point, f"year:{year}")
        # the figure goes on the side away from the year's target marker
        below = year in annual and annual[year] > value
        ax.annotate(format_number(value), (year, value), textcoords="offset points",
                    xytext=(0, -9 if below else 8), ha="center",
                    va="top" if below else "bottom", fontsize=8, color=ACTUAL_COLOR,
                    zorder=7, bbox=_LABEL_BOX)

    if not present:
        ax.text(0.5, 0.5, "尚无实际值", transform=ax.transAxes, ha="center", va="center",
                fontsize=10, color=NOTE_COLOR)
        if not targets and trend.final_target is None:
            ax.set_yticks([])
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center",
                   ncols=_legend_columns(fig, len(handles)), fontsize=8, frameon=False)
    return fig


def station_chart(indicator: Indicator, evaluations: Sequence[Evaluation],
                  figure: Figure | None = None) -> Figure:
    """One horizontal bar per station, coloured by its class, with the year's target as a
    line; a station without a value is an empty bar labelled 缺数. Bars are clickable
    (``gid`` ``unit:ID``)."""
    count = len(evaluations)
    fig = _figure(figure, (6.4, max(2.6, 0.3 * count + 1.6)))
    ax = _axes(fig)
    year = evaluations[0].year if evaluations else None
    _title(ax, fig, indicator.name, f"各所比较（{year}年）" if year else "各所比较")
    if not evaluations:
        _message(ax, "该指标只在全区层面计算，没有各所的数值。")
        return fig

    names = short_names([e.unit_name for e in evaluations])
    present = [e.actual for e in evaluations if e.actual is not None]
    target = next((e.expected_value for e in evaluations if e.expected_value is not None), None)
    reach = [*present, *([target] if target is not None else [])]
    high = max([0.0, *reach])
    low = min([0.0, *reach])
    span = (high - low) or 1.0
    labelled = count <= MAX_LABELLED
    valued = [(row, e, e.actual) for row, e in enumerate(evaluations) if e.actual is not None]
    bars = ax.barh([row for row, _, _ in valued], [v for _, _, v in valued], height=0.62,
                   color=[CLASS_COLORS[e.progress_class] for _, e, _ in valued])
    for bar, (row, e, value) in zip(bars, valued, strict=True):
        _pickable(bar, f"unit:{e.unit_id}")
        if labelled:
            ax.annotate(format_number(value), (value, row), textcoords="offset points",
                        xytext=(3 if value >= 0 else -3, 0),
                        ha="left" if value >= 0 else "right", va="center", fontsize=8,
                        color="#1f2937", zorder=5, bbox=_LABEL_BOX)
    missing = [(row, e) for row, e in enumerate(evaluations) if e.actual is None]
    width = high if high > 0 else span
    empty = ax.barh([row for row, _ in missing], [width] * len(missing), left=0, height=0.62,
                    facecolor="none", edgecolor=MISSING_EDGE, hatch="///", linestyle="--",
                    linewidth=0.9)
    for bar, (row, e) in zip(empty, missing, strict=True):
        _pickable(bar, f"unit:{e.unit_id}")
        if labelled:
            ax.text(width / 2, row, MISSING_TEXT, ha="center", va="center", fontsize=8,
                    color=NOTE_COLOR, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    _unit_ticks(ax, names)
    _row_limits(ax, count)
    ax.set_xlim(low - (0.02 * span if low < 0 else 0), high + 0.16 * span)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    unit = unit_label(indicator)
    if unit:
        ax.set_xlabel(unit, fontsize=9)

    handles: list[Patch | Line2D] = []
    if target is not None:
        first = evaluations[0]
        text = (f"年度目标 {first.annual_target.text.strip()}" if first.annual_target is not None
                else f"应达 {format_number(target)}")
        handles.append(ax.axvline(target, color=TARGET_COLOR, linestyle="--", linewidth=1.5,
                                  label=text, zorder=4))
    shown = {e.progress_class for e in evaluations if e.actual is not None}
    for cls in (*CLASS_ORDER, None):
        if cls in shown:
            handles.append(Patch(color=CLASS_COLORS[cls],
                                 label=cls.label if cls else UNCLASSIFIED_LABEL))
    if len(present) < count:
        handles.append(Patch(facecolor="none", edgecolor=MISSING_EDGE, hatch="///",
                             linestyle="--", label=MISSING_TEXT))
    notes = {e.note for e in evaluations if e.progress_class is None and e.actual is not None}
    title = notes.pop() if len(notes) == 1 and not any(e.progress_class for e in evaluations) \
        else None
    fig.legend(handles=handles, loc="outside lower center",
               ncols=_legend_columns(fig, len(handles)),
               fontsize=8, frameon=False, title=title, title_fontsize=8)
    return fig


def class_chart(counts: Mapping[ProgressClass | None, int], figure: Figure | None = None, *,
                year: int | None = None) -> Figure:
    """How many indicators are in each class (提前实现 … 滞后, then 未评价). Bars are
    clickable (``gid`` ``class:achieved`` … ``class:none``)."""
    fig = _figure(figure, (6.4, 3.6))
    ax = _axes(fig)
    keys: list[ProgressClass | None] = [*CLASS_ORDER, None]
    values = [counts.get(k, 0) for k in keys]
    total = sum(values)
    heading = f"{year}年指标进度类别" if year is not None else "指标进度类别"
    _title(ax, fig, f"{heading}（共 {total} 项）")
    bars = ax.bar(range(len(keys)), values, width=0.62, color=[CLASS_COLORS[k] for k in keys])
    for x, (bar, key, value) in enumerate(zip(bars, keys, values, strict=True)):
        _pickable(bar, f"class:{key.value if key else 'none'}")
        ax.text(x, value, str(value), ha="center", va="bottom", fontsize=10, color="#1f2937")
    ax.set_xticks(range(len(keys)), [k.label if k else UNCLASSIFIED_LABEL for k in keys],
                  fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(1, max(values)) * 1.18)
    ax.set_ylabel("指标数（项）", fontsize=9)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig


def completeness_chart(rows: Sequence[UnitCompleteness], figure: Figure | None = None, *,
                       year: int | None = None) -> Figure:
    """Per station, how many of the plan's station elements it reported (已报) and not
    (未报), as stacked horizontal bars. Bars are clickable (``gid`` ``unit:ID``)."""
    count = len(rows)
    fig = _figure(figure, (6.4, max(2.6, 0.3 * count + 1.6)))
    ax = _axes(fig)
    _title(ax, fig, f"{year}年各所报送完整性" if year is not None else "各所报送完整性")
    if not rows:
        _message(ax, "没有向该单位报送数据的所。")
        return fig
    names = short_names([r.unit_name for r in rows])
    reported = [r.reported for r in rows]
    missing = [max(0, r.expected - r.reported) for r in rows]
    done = ax.barh(range(count), reported, height=0.62, color=REPORTED_COLOR, label="已报")
    left = ax.barh(range(count), missing, left=reported, height=0.62, color=UNREPORTED_COLOR,
                   label="未报")
    for row, r in enumerate(rows):
        for part in (done[row], left[row]):
            _pickable(part, f"unit:{r.unit_id}")
        if count <= MAX_LABELLED:
            ax.text(max(r.expected, r.reported), row, f" {r.reported}/{r.expected}",
                    ha="left", va="center", fontsize=8, color="#1f2937")
    most = max([1, *(max(r.expected, r.reported) for r in rows)])
    ax.set_xlim(0, most * 1.18)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _unit_ticks(ax, names)
    _row_limits(ax, count)
    ax.set_xlabel("数据项（个）", fontsize=9)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


# export ------------------------------------------------------------------------------------

_FORMATS = {".png": "png", ".svg": "svg"}


def save_chart(figure: Figure, path: Path) -> Path:
    """Write the chart as PNG (150 dpi) or SVG, by the file's suffix; returns the path.

    The file is written beside the target and renamed into place, so a failed export leaves
    no half-written file.

    Raises:
        ValidationError: the suffix is neither .png nor .svg.
        DiskFullError: the disk filled up.
        StorageError: the file or its folder cannot be written.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        shown = path.suffix or "（无扩展名）"
        raise ValidationError(
            f"无法把图表导出为“{path.name}”：不支持的文件类型 {shown}。请使用 .png（图片）"
            "或 .svg（矢量图）。", f"chart suffix {path.suffix!r}")
    use_chinese_font()
    folder = path.parent if str(path.parent) else Path(".")
    temp = folder / f".{path.stem}-{uuid.uuid4().hex[:8]}{path.suffix}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        figure.savefig(temp, format=fmt, dpi=PNG_DPI, facecolor="white",
                       bbox_inches="tight", pad_inches=0.15,
                       metadata={"Date": None} if fmt == "svg" else None)
        os.replace(temp, path)
    except OSError as exc:
        raise _write_error(exc, path) from exc
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
    return path


def _write_error(exc: OSError, path: Path) -> StorageError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"磁盘空间不足，无法写入图表“{path}”。请清理磁盘或另选位置后重试。",
                             f"save chart {path}: {exc}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(f"无法写入图表“{path}”：文件或所在文件夹不允许写入。请另选一个有写入"
                            "权限的文件夹。", f"save chart {path}: {exc}")
    return StorageError(f"无法写入图表“{path}”：{reason}。如果该文件正被其他程序打开，请先关闭"
                        "它，或另选位置。", f"save chart {path}: {exc}")
