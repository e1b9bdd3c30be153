"""District roll-up workbooks: the period's summary, and the district's own return upwards.

``export_summary`` writes what a district planner files and prints: every indicator recomputed
from aggregated numerators and denominators (a rate is never the average of station rates),
every element with its completeness, a per-station breakdown, and who reported. ``export_return``
writes the district's own figures in the reporting-template format, so that the level above
(a city PlanDesk) imports district returns exactly as a district imports station returns.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.excel.cells import write_cell
from desktop.excel.plan_workbook import (
    AGGREGATION_LABELS,
    ENTRY_LEVEL_LABELS,
    save_workbook,
)
from desktop.excel.reading import column_letter
from desktop.models.aggregation import (
    AggregatedValue,
    IndicatorValue,
    default_district,
    district_values,
    indicator_values,
    is_station_element,
    period_id,
    plan_elements,
    reporting_units,
    station_computable,
    unit_indicator_values,
    unit_values,
)
from desktop.models.errors import ValidationError
from desktop.models.indicators import (
    Aggregation,
    DataElement,
    EntryLevel,
    Indicator,
    ValueType,
    list_indicators,
)
from desktop.models.orgunits import OrgUnit, UnitType, get_unit
from desktop.models.periods import Period
from desktop.models.plans import Plan, get_plan
from desktop.models.values import DataValue, SubmissionStatus

log = logging.getLogger(__name__)

SHEET_SUMMARY = "汇总"
SHEET_BREAKDOWN = "分所明细"
SHEET_COMPLETENESS = "报送情况"

INDICATOR_SECTION_TITLE = "一、指标"
ELEMENT_SECTION_TITLE = "二、数据项"


def indicator_headers(scope: str = "全区") -> tuple[str, ...]:
    """Headers of the indicator table of 汇总; ``scope`` is 全区 (district) or 全市 (city)."""
    return ("序号", "指标", "单位", f"{scope}数值", "分子合计", "分母合计", "系数", "基期值",
            "目标值", "年度目标", "计算说明")


def element_headers(scope: str = "全区") -> tuple[str, ...]:
    """Headers of the element table of 汇总 (代码 spans three columns)."""
    return ("序号", "数据项", "计量单位", f"{scope}数值", "已报/应报", "汇总方式", "填报层级",
            "代码")


COMPLETENESS_HEADERS = ("序号", "单位", "单位代码", "报送状态", "已报数值", "应报数值", "完成率",
                        "最后更新", "备注")

_INDICATOR_WIDTHS = (6, 32, 10, 13, 13, 13, 9, 10, 10, 10, 56)
_COMPLETENESS_WIDTHS = (7, 24, 14, 10, 10, 10, 10, 17, 30)

_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_FONT = "宋体"


@dataclass(frozen=True)
class SummaryExportResult:
    """What :func:`export_summary` wrote."""

    path: Path
    plan_title: str
    unit_name: str
    period_label: str
    indicators: int
    computed: int  # indicators with a value
    elements: int
    units_expected: int  # reporting units (stations) expected
    units_reported: int  # reporting units that reported at least one value


@dataclass(frozen=True)
class ReturnExportResult:
    """What :func:`export_return` wrote."""

    path: Path
    unit_name: str
    unit_code: str
    period_label: str
    elements: int
    values: int  # elements with a value


@dataclass(frozen=True)
class RollupData:
    """Everything the summary workbook shows, computed once for a unit and period."""

    plan: Plan
    unit: OrgUnit
    period: Period
    scope: str  # 全区 / 全市
    child_label: str  # 市场监管所 / 区县局
    elements: list[DataElement]
    values: dict[int, AggregatedValue]
    indicators: list[Indicator]
    results: dict[int, IndicatorValue]
    children: list[OrgUnit]
    child_values: dict[int, dict[int, float]]
    child_indicators: dict[int, dict[int, IndicatorValue]]
    submissions: dict[int, tuple[str, str]]  # unit id → (status, reason)
    last_updates: dict[int, str]  # unit id → latest updated_at of its values


def resolve_unit(db: Database, plan_id: int, unit_id: int | None) -> OrgUnit:
    """The unit a roll-up is for: the one asked for, or the plan's district (see
    :func:`desktop.models.aggregation.default_district`)."""
    return default_district(db, plan_id) if unit_id is None else get_unit(db, unit_id)


def _collect(db: Database, plan_id: int, period: str | Period, unit_id: int | None) -> RollupData:
    plan = get_plan(db, plan_id)
    span = Period.parse(period_id(period))
    if span.year not in plan.years:
        raise ValidationError(
            f"期间“{span.label}”不在规划“{plan.short_title or plan.title}”的规划期"
            f" {plan.period_label}内，无法汇总。", f"period {span.id} outside the plan")
    unit = resolve_unit(db, plan_id, unit_id)
    children = reporting_units(db, unit.id, span)
    child_ids = [c.id for c in children]
    elements = plan_elements(db, plan_id)
    values = district_values(db, span, unit.id)
    indicators = list_indicators(db, plan_id)
    wanted = [unit.id, *child_ids]
    marks = ", ".join("?" * len(wanted))
    submissions = {r[0]: (r[1], r[2]) for r in db.execute(
        f"SELECT org_unit_id, status, reason FROM submission WHERE plan_id = ? AND period = ? "
        f"AND org_unit_id IN ({marks})", [plan_id, span.id, *wanted])}
    element_ids = [e.id for e in elements]
    last_updates = {r[0]: r[1] for r in db.execute(
        f"SELECT org_unit_id, max(updated_at) FROM data_value WHERE period = ? "
        f"AND value IS NOT NULL AND org_unit_id IN ({marks}) "
        f"AND element_id IN ({', '.join('?' * len(element_ids)) or 'NULL'}) "
        f"GROUP BY org_unit_id", [span.id, *wanted, *element_ids])}
    is_city = unit.unit_type is UnitType.CITY
    return RollupData(
        plan=plan, unit=unit, period=span, scope="全市" if is_city else "全区",
        child_label="区县局" if is_city else "市场监管所", elements=elements, values=values,
        indicators=indicators, results=indicator_values(db, plan_id, values),
        children=children, child_values=unit_values(db, span, child_ids),
        child_indicators=unit_indicator_values(db, plan_id, span, child_ids),
        submissions=submissions, last_updates=last_updates)


# --------------------------------------------------------------------------------------------
# Formatting


def _decimals(text: str) -> int:
    match = re.search(r"\d+(?:\.(\d+))?", text)
    return len(match.group(1) or "") if match else 0


def _element_format(element: DataElement, value: float | None = None) -> str:
    if element.value_type is ValueType.INTEGER and (value is None or float(value).is_integer()):
        return "#,##0"
    return "#,##0.00"


def _indicator_format(indicator: Indicator, elements: dict[int, DataElement]) -> str:
    """Enough decimals for the printed baseline and target, and 2 for a ratio or a measured
    (non-integer) element."""
    texts = [indicator.baseline.text, indicator.target.text,
             *(a.target.text for a in indicator.annual_targets)]
    decimals = max((_decimals(t) for t in texts), default=0)
    numerator = elements.get(indicator.numerator_id or -1)
    if indicator.is_formula or (numerator is not None
                                and numerator.value_type is not ValueType.INTEGER):
        decimals = max(decimals, 2)
    return "#,##0" if decimals == 0 else "#,##0." + "0" * min(decimals, 6)


def _number(value: float | None) -> float | int | None:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _printed_cell(text: str) -> tuple[Any, str | None]:
    """A printed value as a cell: a plain number as a number (with its decimals), else text."""
    stripped = text.strip()
    if _PLAIN_NUMBER.match(stripped):
        decimals = _decimals(stripped)
        return _number(float(stripped)), ("0" if decimals == 0 else "0." + "0" * decimals)
    return (stripped or None), None


class _Styles:
    """The workbook's styles, made once (openpyxl is imported lazily)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = Font(name=_FONT, bold=True, size=14)
        self.normal = Font(name=_FONT, size=10)
        self.bold = Font(name=_FONT, size=10, bold=True)
        self.small = Font(name=_FONT, size=9, color="595959")
        self.header_fill = PatternFill("solid", fgColor="DDEBF7")
        self.total_fill = PatternFill("solid", fgColor="F2F2F2")
        self.missing_fill = PatternFill("solid", fgColor="FFF2CC")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.wrap = Alignment(vertical="top", wrap_text=True)
        self.top = Alignment(vertical="top")
        self.middle = Alignment(horizontal="center", vertical="top")
        self.code = Alignment(horizontal="center", vertical="center", shrink_to_fit=True)


def _display_width(text: str) -> int:
    """Width in character cells: CJK and full-width characters count twice."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _fit_row(ws: Any, row: int, column: int, text: str) -> None:
    """Make a row tall enough for a wrapped text (spreadsheets do not grow rows on opening)."""
    width = ws.column_dimensions[column_letter(column)].width or 10
    per_line = max(int(width * 1.1), 1)
    lines = sum(max(math.ceil(_display_width(line) / per_line), 1)
                for line in text.split("\n"))
    if lines > 1:
        height = 13.5 * lines + 3
        ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 0, height)


def _put(ws: Any, row: int, column: int, value: Any, styles: _Styles, *,
         number_format: str | None = None, wrap: bool = False, center: bool = False) -> Any:
    """A bordered table cell."""
    cell = write_cell(ws, row, column, value)
    cell.border = styles.border
    cell.font = styles.normal
    cell.alignment = styles.middle if center else styles.wrap if wrap else styles.top
    if number_format is not None:
        cell.number_format = number_format
    if wrap and isinstance(value, str):
        _fit_row(ws, row, column, value)
    return cell


def _headers(ws: Any, row: int, headers: Sequence[str], styles: _Styles) -> None:
    for column, header in enumerate(headers, start=1):
        cell = write_cell(ws, row, column, header)
        cell.font = styles.bold
        cell.fill = styles.header_fill
        cell.border = styles.border
        cell.alignment = styles.center


def _title(ws: Any, row: int, text: str, last_column: int, styles: _Styles, *,
           font: Any = None, height: float | None = None) -> None:
    cell = write_cell(ws, row, 1, text)
    cell.font = font or styles.title
    cell.alignment = styles.center if font is None else styles.wrap
    if last_column > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    if height is not None:
        ws.row_dimensions[row].height = height


def _print_setup(ws: Any, title_rows: str, footer: str) -> None:
    """A4 landscape, one page wide, header rows repeated, page numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = f"{footer}  第 &P 页，共 &N 页"


def _widths(ws: Any, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[column_letter(index)].width = width


# --------------------------------------------------------------------------------------------
# Sheets


def _how(element: DataElement, data: RollupData) -> str:
    """How an element's figure was obtained, for 计算说明."""
    if element.entry_level is EntryLevel.DISTRICT and data.unit.unit_type is not UnitType.CITY:
        return "区局填报"
    if element.aggregation is Aggregation.NONE:
        return f"{'市局' if data.unit.unit_type is UnitType.CITY else '区局'}填报，不汇总"
    short = "各所" if data.child_label == "市场监管所" else "各区县局"
    return f"{short}{AGGREGATION_LABELS[element.aggregation]}"


def _explanation(indicator: Indicator, result: IndicatorValue, data: RollupData,
                 elements: dict[int, DataElement]) -> str:
    if indicator.numerator_id is None:
        return result.missing_reason
    parts: list[str] = []
    incomplete: list[str] = []
    for role, element_id in (("分子", indicator.numerator_id), ("分母", indicator.denominator_id)):
        if element_id is None or element_id not in elements:
            continue
        element = elements[element_id]
        parts.append(f"{element.name}（{_how(element, data)}）")
        value = data.values.get(element_id)
        if value is not None and value.value is not None and not value.complete:
            label = role if indicator.is_formula else "数据项"
            incomplete.append(f"{label}仅 {value.completeness} 个单位已报")
    formula = " ÷ ".join(parts)
    if indicator.factor != 1:
        formula += f" × {_number(indicator.factor)}"
    if indicator.unit_scale not in (0, 1):
        formula += f"，再 ÷ {_number(indicator.unit_scale)} 换算为{indicator.unit_printed}"
    notes = [formula]
    if result.missing_reason:
        notes.append(f"未能计算：{result.missing_reason}")
    if incomplete:
        notes.append("数值不完整：" + "，".join(incomplete))
    return "；".join(notes)


def _summary_sheet(book: Any, data: RollupData, styles: _Styles) -> None:
    ws = book.create_sheet(SHEET_SUMMARY)
    last = len(_INDICATOR_WIDTHS)
    _widths(ws, _INDICATOR_WIDTHS)
    plan_name = data.plan.short_title or data.plan.title
    _title(ws, 1, f"{plan_name} {data.period.label}{data.scope}汇总表", last, styles, height=24)
    reported = sum(1 for c in data.children if data.child_values.get(c.id))
    _title(ws, 2, f"汇总单位：{data.unit.name}（代码 {data.unit.code}）　期间：{data.period.label}"
                  f"（{data.period.id}）　{data.child_label}：应报 {len(data.children)} 个，"
                  f"已报 {reported} 个　生成时间：{datetime.now():%Y-%m-%d %H:%M}",
           last, styles, font=styles.small)
    _title(ws, 3, "说明：比率类指标一律按“分子合计 ÷ 分母合计 × 系数”重新计算，"
                  "不对各单位的比率求和或平均；空白表示未报或无法计算（原因见“计算说明”），"
                  "不作 0 处理；区级数据项取区局填报数。",
           last, styles, font=styles.small, height=30)
    _title(ws, 5, INDICATOR_SECTION_TITLE, last, styles, font=styles.bold)
    ws.cell(5, 1).alignment = styles.top
    _headers(ws, 6, indicator_headers(data.scope), styles)
    elements = {e.id: e for e in data.elements}
    row = 7
    for ind in data.indicators:
        result = data.results[ind.id]
        fmt = _indicator_format(ind, elements)
        annual = next((a.target.text for a in ind.annual_targets if a.year == data.period.year),
                      "")
        num_el = elements.get(ind.numerator_id or -1)
        den_el = elements.get(ind.denominator_id or -1)
        _put(ws, row, 1, ind.seq_printed or None, styles, center=True)
        _put(ws, row, 2, ind.name or ind.name_printed, styles, wrap=True)
        _put(ws, row, 3, ind.unit_printed or None, styles)
        cell = _put(ws, row, 4, result.value, styles, number_format=fmt)
        if result.value is None:
            cell.fill = styles.missing_fill
        else:
            cell.font = styles.bold
        _put(ws, row, 5, _number(result.numerator), styles,
             number_format=_element_format(num_el, result.numerator) if num_el else None)
        _put(ws, row, 6, _number(result.denominator), styles,
             number_format=_element_format(den_el, result.denominator) if den_el else None)
        _put(ws, row, 7, _number(ind.factor), styles, number_format="General")
        for column, text in ((8, ind.baseline.text), (9, ind.target.text), (10, annual)):
            value, number_format = _printed_cell(text)
            _put(ws, row, column, value, styles, number_format=number_format, center=True)
        _put(ws, row, 11, _explanation(ind, result, data, elements), styles, wrap=True)
        row += 1
    row += 1
    _title(ws, row, ELEMENT_SECTION_TITLE, last, styles, font=styles.bold)
    ws.cell(row, 1).alignment = styles.top
    row += 1
    headers = element_headers(data.scope)
    _headers(ws, row, headers, styles)
    ws.merge_cells(start_row=row, start_column=len(headers), end_row=row,
                   end_column=len(headers) + 2)
    row += 1
    for index, element in enumerate(data.elements, start=1):
        value = data.values.get(element.id, AggregatedValue(None, 0, 0))
        _put(ws, row, 1, index, styles, center=True)
        _put(ws, row, 2, element.name, styles, wrap=True)
        _put(ws, row, 3, element.unit or None, styles)
        cell = _put(ws, row, 4, _number(value.value), styles,
                    number_format=_element_format(element, value.value))
        if value.value is None:
            cell.fill = styles.missing_fill
        _put(ws, row, 5, value.completeness, styles, center=True)
        _put(ws, row, 6, AGGREGATION_LABELS[element.aggregation], styles)
        _put(ws, row, 7, ENTRY_LEVEL_LABELS[element.entry_level], styles)
        _put(ws, row, 8, element.code, styles)
        for column in (9, 10):
            _put(ws, row, column, None, styles)
        ws.merge_cells(start_row=row, start_column=8, end_row=row, end_column=10)
        row += 1
    ws.freeze_panes = "C7"
    _print_setup(ws, "6:6", SHEET_SUMMARY)


def _breakdown_sheet(book: Any, data: RollupData, styles: _Styles) -> None:
    ws = book.create_sheet(SHEET_BREAKDOWN)
    station_elements = [e for e in data.elements if is_station_element(e)
                        or data.unit.unit_type is UnitType.CITY]
    by_id = {e.id: e for e in data.elements}
    indicators = [i for i in data.indicators if station_computable(i, by_id)]
    first = 4
    columns = first + len(station_elements) + len(indicators) - 1
    _widths(ws, (7, 16, 14, *([13] * (len(station_elements) + len(indicators)))))
    plan_name = data.plan.short_title or data.plan.title
    _title(ws, 1, f"{plan_name} {data.period.label}分单位明细", columns, styles, height=24)
    _title(ws, 2, f"各{data.child_label}自身填报的数值；空白表示未报，不作 0 处理。"
                  f"“{data.scope}”行为按汇总方式汇总的数值，其中比率按分子合计 ÷ 分母合计计算，"
                  "不是各单位比率的平均。", columns, styles, font=styles.small, height=30)
    for column, header in enumerate(("序号", data.child_label, "单位代码"), start=1):
        _header_cell(ws, 4, column, header, styles)
        ws.merge_cells(start_row=4, start_column=column, end_row=6, end_column=column)
    if station_elements:
        _group(ws, first, first + len(station_elements) - 1, "数据项", styles)
    if indicators:
        start = first + len(station_elements)
        _group(ws, start, start + len(indicators) - 1,
               f"指标（按各{data.child_label}自身分子、分母计算）", styles)
    formats: list[str] = []
    for offset, element in enumerate(station_elements):
        column = first + offset
        name = f"{element.name}（{element.unit}）" if element.unit else element.name
        _header_cell(ws, 5, column, name, styles)
        _code_cell(ws, column, element.code, styles)
        formats.append(_element_format(element))
    for offset, ind in enumerate(indicators):
        column = first + len(station_elements) + offset
        label = ind.name or ind.name_printed
        name = f"{label}（{ind.unit_printed}）" if ind.unit_printed else label
        _header_cell(ws, 5, column, name, styles)
        _code_cell(ws, column, ind.code, styles)
        formats.append(_indicator_format(ind, by_id))
    ws.row_dimensions[5].height = 45
    row = 7
    for index, child in enumerate(data.children, start=1):
        own = data.child_values.get(child.id, {})
        computed = data.child_indicators.get(child.id, {})
        _put(ws, row, 1, index, styles, center=True)
        _put(ws, row, 2, child.display_name, styles)
        _put(ws, row, 3, child.code, styles)
        cells: list[float | None] = [own.get(e.id) for e in station_elements]
        cells += [computed[i.id].value if i.id in computed else None for i in indicators]
        for offset, (value, fmt) in enumerate(zip(cells, formats, strict=True)):
            cell = _put(ws, row, first + offset, _number(value), styles, number_format=fmt)
            if value is None:
                cell.fill = styles.missing_fill
        row += 1
    _put(ws, row, 1, None, styles)
    _put(ws, row, 2, data.scope, styles).font = styles.bold
    _put(ws, row, 3, data.unit.code, styles)
    totals: list[float | None] = [data.values[e.id].value if e.id in data.values else None
                                  for e in station_elements]
    totals += [data.results[i.id].value for i in indicators]
    for offset, (value, fmt) in enumerate(zip(totals, formats, strict=True)):
        cell = _put(ws, row, first + offset, _number(value), styles, number_format=fmt)
        cell.font = styles.bold
    for column in range(1, columns + 1):
        ws.cell(row, column).fill = styles.total_fill
    ws.freeze_panes = "D7"
    _print_setup(ws, "4:6", SHEET_BREAKDOWN)


def _group(ws: Any, start: int, end: int, text: str, styles: _Styles) -> None:
    for column in range(start, end + 1):
        _header_cell(ws, 4, column, text if column == start else None, styles)
    if end > start:
        ws.merge_cells(start_row=4, start_column=start, end_row=4, end_column=end)


def _code_cell(ws: Any, column: int, code: str, styles: _Styles) -> None:
    """The code under a column's name (row 6 of 分所明细), small and shrunk to fit."""
    cell = _header_cell(ws, 6, column, code, styles)
    cell.font = styles.small
    cell.alignment = styles.code


def _header_cell(ws: Any, row: int, column: int, value: Any, styles: _Styles) -> Any:
    cell = write_cell(ws, row, column, value)
    cell.font = styles.bold
    cell.fill = styles.header_fill
    cell.border = styles.border
    cell.alignment = styles.center
    return cell


def _status_label(status: str | None) -> str:
    return SubmissionStatus(status).label if status else "未报送"


def _timestamp(text: str | None) -> datetime | None:
    """A stored UTC time (SQLite's ``now``) as local time without zone, as a cell holds it."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().replace(tzinfo=None)


def _completeness_sheet(book: Any, data: RollupData, styles: _Styles) -> None:
    ws = book.create_sheet(SHEET_COMPLETENESS)
    last = len(COMPLETENESS_HEADERS)
    _widths(ws, _COMPLETENESS_WIDTHS)
    plan_name = data.plan.short_title or data.plan.title
    _title(ws, 1, f"{plan_name} {data.period.label}报送情况", last, styles, height=24)
    is_city = data.unit.unit_type is UnitType.CITY
    child_elements = [e for e in data.elements if is_city or is_station_element(e)]
    own_elements = [] if is_city else [e for e in data.elements if not is_station_element(e)]
    statuses = [data.submissions.get(c.id, ("", ""))[0] for c in data.children]
    counts = {s: statuses.count(s.value) for s in SubmissionStatus}
    reported = sum(sum(1 for e in child_elements if e.id in data.child_values.get(c.id, {}))
                   for c in data.children)
    expected = len(child_elements) * len(data.children)
    _title(ws, 2, f"应报 {len(data.children)} 个{data.child_label}：已审核 "
                  f"{counts[SubmissionStatus.APPROVED]} 个，已报送 "
                  f"{counts[SubmissionStatus.SUBMITTED]} 个，退回 "
                  f"{counts[SubmissionStatus.RETURNED]} 个，草稿 {counts[SubmissionStatus.DRAFT]} "
                  f"个，未报送 {statuses.count('')} 个；数据项已报 {reported} 项，应报 {expected} "
                  "项。", last, styles, font=styles.small, height=30)
    _headers(ws, 4, COMPLETENESS_HEADERS, styles)
    rows: list[tuple[OrgUnit, list[DataElement], dict[int, float]]] = [
        (c, child_elements, data.child_values.get(c.id, {})) for c in data.children]
    if own_elements:
        own = {e.id: v.value for e in own_elements
               if (v := data.values.get(e.id)) is not None and v.value is not None}
        rows.append((data.unit, own_elements, own))
    for index, (unit, elements, values) in enumerate(rows, start=1):
        row = 4 + index
        got = sum(1 for e in elements if values.get(e.id) is not None)
        status, reason = data.submissions.get(unit.id, ("", ""))
        is_own = unit.id == data.unit.id
        _put(ws, row, 1, index, styles, center=True)
        _put(ws, row, 2, f"{unit.display_name}（区级数据项）" if is_own else unit.display_name,
             styles)
        _put(ws, row, 3, unit.code, styles)
        _put(ws, row, 4, ("—" if is_own and not status else _status_label(status)), styles)
        cell = _put(ws, row, 5, got, styles, number_format="0")
        if got < len(elements):
            cell.fill = styles.missing_fill
        _put(ws, row, 6, len(elements), styles, number_format="0")
        _put(ws, row, 7, got / len(elements) if elements else None, styles,
             number_format="0.0%")
        _put(ws, row, 8, _timestamp(data.last_updates.get(unit.id)), styles,
             number_format="yyyy-mm-dd hh:mm")
        note = f"退回原因：{reason}" if status == SubmissionStatus.RETURNED.value and reason else ""
        _put(ws, row, 9, note or None, styles, wrap=True)
    ws.freeze_panes = "C5"
    _print_setup(ws, "4:4", SHEET_COMPLETENESS)


def build_summary(db: Database, plan_id: int, period: str | Period, *,
                  unit_id: int | None = None) -> tuple[Any, RollupData]:
    """The summary workbook (openpyxl ``Workbook``) and what it was built from."""
    from openpyxl import Workbook

    data = _collect(db, plan_id, period, unit_id)
    styles = _Styles()
    book = Workbook()
    book.remove(book.active)
    _summary_sheet(book, data, styles)
    _breakdown_sheet(book, data, styles)
    _completeness_sheet(book, data, styles)
    book.properties.title = f"{data.plan.title} {data.period.label}{data.scope}汇总"
    book.properties.creator = "PlanDesk"
    return book, data


def _check_path(path: Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValidationError(f"导出文件名“{path.name}”应以 .xlsx 结尾。", "not .xlsx")
    return path


def export_summary(db: Database, plan_id: int, period: str | Period, path: Path, *,
                   unit_id: int | None = None) -> SummaryExportResult:
    """Write a period's roll-up workbook: sheets 汇总, 分所明细 and 报送情况.

    Args:
        unit_id: the district bureau (or city) to roll up; by default the plan's district.

    Raises:
        NotFoundError: there is no such plan or unit.
        ValidationError: a bad period, a unit that has no reporting units, several districts
            and none chosen, or a file name not ending in .xlsx.
        PlanDeskError: the file cannot be written.
    """
    path = _check_path(path)
    book, data = build_summary(db, plan_id, period, unit_id=unit_id)
    save_workbook(book, path)
    log.info("summary of plan %s, unit %s, period %s written to %s",
             plan_id, data.unit.id, data.period.id, path)
    return SummaryExportResult(
        path=path, plan_title=data.plan.title, unit_name=data.unit.name,
        period_label=data.period.label, indicators=len(data.indicators),
        computed=sum(1 for r in data.results.values() if r.value is not None),
        elements=len(data.elements), units_expected=len(data.children),
        units_reported=sum(1 for c in data.children if data.child_values.get(c.id)))


def export_return(db: Database, plan_id: int, period: str | Period, path: Path, *,
                  unit_id: int | None = None) -> ReturnExportResult:
    """Write the district's own return for a period, in the template format of the level above.

    The return holds every element of the plan with the district's figure (station elements
    aggregated over its stations, district-only elements as entered), so that a city database
    holding the same plan, with the district as a unit of the same code, imports it with the
    returns importer like any station return.

    Raises:
        NotFoundError: there is no such plan or unit.
        ValidationError: a bad period, a unit that has no reporting units, several districts
            and none chosen, or a file name not ending in .xlsx.
        PlanDeskError: the file cannot be written.
    """
    from desktop.excel.template_format import KIND_RETURN
    from desktop.excel.templates import build_template

    path = _check_path(path)
    span = Period.parse(period_id(period))
    unit = resolve_unit(db, plan_id, unit_id)
    values = district_values(db, span, unit.id)
    elements = plan_elements(db, plan_id)
    children = "所" if unit.unit_type is UnitType.DISTRICT_BUREAU else "区县局"
    rows = []
    for element in elements:
        value = values.get(element.id)
        if value is None or value.value is None:
            continue
        own = (element.aggregation is Aggregation.NONE
               or (element.entry_level is EntryLevel.DISTRICT
                   and unit.unit_type is UnitType.DISTRICT_BUREAU))
        comment = "" if own else (f"由 {value.completeness} 个{children}的数值"
                                  f"{AGGREGATION_LABELS[element.aggregation]}汇总")
        rows.append(DataValue(span.id, element.id, unit.id, value.value, comment=comment))
    book = build_template(db, plan_id, unit.id, span, values=rows, kind=KIND_RETURN,
                          elements="all")
    save_workbook(book, path)
    log.info("return of unit %s for plan %s, period %s written to %s",
             unit.id, plan_id, span.id, path)
    return ReturnExportResult(
        path=path, unit_name=unit.name, unit_code=unit.code, period_label=span.label,
        elements=len(elements), values=len(rows))
