"""Reporting templates: one signed, protected .xlsx per unit and period (see template_format)."""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database

from desktop.excel.cells import write_cell
from desktop.excel.plan_workbook import MAX_CELL_TEXT, _number, save_workbook
from desktop.excel.reading import column_letter
from desktop.excel.template_format import (
    BANNER_ROW,
    ELEMENT_COMMENT_COLUMN,
    ELEMENT_HEADER_ROW,
    ELEMENT_HEADERS,
    ELEMENT_SECTION_ROW,
    ELEMENT_SECTION_TITLE,
    ELEMENT_VALUE_COLUMN,
    FIRST_ELEMENT_ROW,
    KIND_RETURN,
    KIND_REVIEW,
    KIND_SUBMISSION,
    KIND_TEMPLATE,
    KINDS,
    PLAN_ROW,
    REVIEW_COLUMN,
    REVIEW_HEADER,
    SHEET_ENTRY,
    SHEET_HELP,
    SHEET_META,
    SIGNATURE_LABELS,
    TASK_HEADERS,
    TASK_NEXT_COLUMN,
    TASK_PERCENT_COLUMN,
    TASK_PROBLEMS_COLUMN,
    TASK_PROGRESS_COLUMN,
    TASK_SECTION_TITLE,
    TASK_STATUS_COLUMN,
    TASK_STATUS_LABELS,
    TEMPLATE_VERSION,
    TITLE_ROW,
    UNIT_ROW,
    EvidenceEntry,
    TemplateMeta,
    cell_text,
    is_input_cell,
    plan_version_hash,
    sign,
    signed_payload,
)
from desktop.models.assignments import list_plan_assignments
from desktop.models.errors import PlanDeskError, ValidationError
from desktop.models.indicators import (
    DataElement,
    EntryLevel,
    Indicator,
    ValueType,
    list_elements,
    list_indicators,
)
from desktop.models.orgunits import OrgUnit, UnitType, get_unit, list_units, open_between
from desktop.models.periods import Period
from desktop.models.plans import AssignmentRole, Plan, get_plan, list_plan_items
from desktop.models.progress import Job, Progress, run_job
from desktop.models.settings import installation_id, installation_key
from desktop.models.values import DataValue, SubmissionStatus, TaskProgress, list_values

log = logging.getLogger(__name__)

#: Which elements a template asks for: those the unit enters itself, or every element of the plan.
ElementScope = Literal["entry", "all"]

#: The sheet-protection password. It only stops accidental edits (LibreOffice's .ods route drops
#: it); the signature over the locked cells is what detects a changed template.
SHEET_PASSWORD = "PlanDesk"

#: Column widths of 填报 (characters), shared by the element and the task table.
COLUMN_WIDTHS = (9, 16, 26, 9, 13, 16, 18, 22, 20, 12, 12)
LAST_COLUMN = len(ELEMENT_HEADERS)
#: Columns whose text wraps (long names, indicator lists, progress texts).
_WRAPPED = frozenset({3, 6, 7, 8, 9, 10, 11})

_FONT = "宋体"
_HELP_WIDTH = 80
_INPUT_FILL = "FFF2CC"  # light yellow: "write here"
_REVIEW_FILL = "FCE4D6"  # light red: the reviewer's comment
_REVIEW_COLOR = "C00000"
_REVIEW_WIDTH = 30
_HEADER_FILL = "DDEBF7"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_FILE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
     *(f"LPT{i}" for i in range(1, 10))})
_VALUE_TYPE_HINTS = {
    ValueType.INTEGER: "整数，不小于 0",
    ValueType.NUMBER: "数值（可带小数），不小于 0",
    ValueType.PERCENTAGE: "百分数的数值，如 98.5 表示 98.5%，不小于 0",
    ValueType.TEXT: "文字",
    ValueType.BOOLEAN: "从下拉列表选择“是”或“否”",
}


# --------------------------------------------------------------------------------------------
# What goes into a template


@dataclass(frozen=True)
class TemplateElement:
    """One data element row: what the unit reports and the read-only context shown beside it."""

    element_id: int
    code: str
    name: str
    unit: str
    value_type: ValueType
    description: str
    indicators: tuple[str, ...]  # related indicator names, "（分子）"/"（分母）" in a ratio
    annual_target: str  # the related indicators' targets for the period's year
    baseline: str
    target: str
    last_value: float | str | None  # the unit's last approved value (same period type)


@dataclass(frozen=True)
class TemplateTask:
    """One task-progress row: a plan item assigned to the unit."""

    plan_item_id: int
    title: str
    role: AssignmentRole
    deadline: str | None
    milestone: str = ""  # the assignment's milestone (年度节点) for the period's year
    note: str = ""


@dataclass(frozen=True)
class TemplateContent:
    """Everything one unit's template for one period shows."""

    plan: Plan
    unit: OrgUnit
    period: Period
    elements: tuple[TemplateElement, ...]
    tasks: tuple[TemplateTask, ...]
    previous_period: Period | None  # the period the last approved values come from
    scope: ElementScope = "entry"
    recipient: str = ""  # the unit the workbook goes back to (the parent unit's name)


@dataclass(frozen=True)
class Stamp:
    """What a submission or a review notice adds to a filled template.

    The metadata fields go into the signed metadata (see ``OPTIONAL_META_KEYS``); ``banner``
    is shown in row 4; ``comments`` (("element", element id) or ("task", plan item id) → text)
    become cell comments on the first input cell and the 审核意见 column (a review notice).
    """

    banner: str = ""
    submitted_at: str = ""
    submitted_by: str = ""
    review_status: str = ""
    review_reason: str = ""
    reviewed_at: str = ""
    reviewed_by: str = ""
    evidence: tuple[EvidenceEntry, ...] = ()
    comments: Mapping[tuple[str, int], str] = field(default_factory=dict)
    review_column: bool = False


def _period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else Period.parse(str(period))


def _check_period(plan: Plan, period: Period) -> None:
    if period.year not in plan.years:
        raise ValidationError(
            f"期间“{period.label}”不在规划“{plan.short_title or plan.title}”的规划期"
            f" {plan.period_label}内。",
            f"period {period.id} outside {plan.start_year}-{plan.end_year}")


def _joined(indicators: Sequence[Indicator], texts: Sequence[str]) -> str:
    """One text per related indicator; names are added only when there are several."""
    if len(indicators) == 1:
        return texts[0]
    return "\n".join(f"{ind.name}：{text}" for ind, text in zip(indicators, texts, strict=True)
                     if text)


def _wanted(element: DataElement, unit: OrgUnit, scope: ElementScope) -> bool:
    if scope == "all":
        return True
    if unit.unit_type is UnitType.STATION:
        return element.entry_level is EntryLevel.STATION
    if unit.unit_type is UnitType.DISTRICT_BUREAU:
        return element.entry_level is EntryLevel.DISTRICT
    return False


def previous_approved_period(db: Database, plan_id: int, unit_id: int,
                             period: Period | str) -> Period | None:
    """The most recent earlier period of the same type whose return by the unit is approved."""
    period = _period(period)
    found: list[Period] = []
    for (text,) in db.execute(
            "SELECT period FROM submission WHERE plan_id = ? AND org_unit_id = ? AND status = ?",
            [plan_id, unit_id, SubmissionStatus.APPROVED.value]):
        try:
            earlier = Period.parse(str(text))
        except ValidationError:
            continue
        if earlier.kind is period.kind and earlier < period:
            found.append(earlier)
    return max(found) if found else None


def template_rows(db: Database, plan_id: int, unit_id: int, period: Period | str, *,
                  elements: ElementScope = "entry") -> TemplateContent:
    """What a unit's template for a period holds: its data elements and its tasks.

    A station gets the plan's station-level elements, the district bureau the district-level
    ones (``elements="all"``: every element the plan's indicators use, for the bureau's own
    return); other units (divisions, departments) get no elements, only their tasks. Only
    elements an indicator of the plan uses as numerator or denominator are included, in the
    order of the indicators.

    Raises:
        NotFoundError: no such plan or unit.
        ValidationError: the period id is malformed or lies outside the plan's years.
    """
    plan = get_plan(db, plan_id)
    unit = get_unit(db, unit_id)
    period = _period(period)
    _check_period(plan, period)
    indicators = list_indicators(db, plan_id)
    by_id = {e.id: e for e in list_elements(db)}
    related: dict[int, list[tuple[Indicator, str]]] = {}
    for ind in indicators:
        for element_id, role in ((ind.numerator_id, "分子"), (ind.denominator_id, "分母")):
            if element_id is not None:
                related.setdefault(element_id, []).append((ind, role))
    previous = previous_approved_period(db, plan_id, unit_id, period)
    last: dict[int, DataValue] = {}
    if previous is not None:
        last = {v.element_id: v for v in list_values(db, period=previous.id,
                                                      org_unit_id=unit_id)}
    rows: list[TemplateElement] = []
    for element_id, uses in related.items():
        element = by_id[element_id]
        if not _wanted(element, unit, elements):
            continue
        inds = [ind for ind, _ in uses]
        names = tuple(ind.name if not ind.is_formula else f"{ind.name}（{role}）"
                      for ind, role in uses)
        annual = [ind.annual_target_shown(period.year) for ind in inds]
        rows.append(TemplateElement(
            element_id=element.id, code=element.code, name=element.name, unit=element.unit,
            value_type=element.value_type, description=element.description, indicators=names,
            annual_target=_joined(inds, annual),
            baseline=_joined(inds, [i.shown(i.baseline) for i in inds]),
            target=_joined(inds, [i.shown(i.target) for i in inds]),
            last_value=_last_value(element, last.get(element_id))))
    items = {item.id: item for item in list_plan_items(db, plan_id)}
    tasks = []
    for detail in list_plan_assignments(db, plan_id):
        if detail.org_unit_id != unit_id:
            continue
        item = items[detail.plan_item_id]
        title = f"{item.marker}{item.title}".strip() or item.body.strip()[:60]
        milestone = next((m.description for m in detail.milestones if m.year == period.year), "")
        tasks.append(TemplateTask(item.id, title, detail.role, detail.deadline, milestone,
                                  detail.note))
    recipient = get_unit(db, unit.parent_id).name if unit.parent_id else ""
    return TemplateContent(plan, unit, period, tuple(rows), tuple(tasks), previous, elements,
                           recipient)


def _last_value(element: DataElement, value: DataValue | None) -> float | str | None:
    if value is None:
        return None
    if element.value_type in (ValueType.TEXT, ValueType.BOOLEAN) and value.text_value:
        return value.text_value
    return value.value if value.value is not None else value.text_value


# --------------------------------------------------------------------------------------------
# The workbook


def _text(value: str) -> str | None:
    """Text as a cell keeps and gives back: no control characters, ``\\n`` line breaks."""
    value = _ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT - 1] + "…"
    return value or None


def _cell_value(value: Any) -> Any:
    """A value as written: whole floats as int, text cleaned, nothing else but numbers."""
    if value is None:
        return None
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return _number(value)
    return _text(str(value))


def _display_width(text: str) -> int:
    """Width in character cells: CJK and full-width characters count twice."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _lines_needed(text: str, width: float) -> int:
    per_line = max(int(width * 1.1), 1)
    return sum(max(math.ceil(_display_width(line) / per_line), 1) for line in text.split("\n"))


class _Writer:
    """Writes one template into a fresh workbook."""

    def __init__(self, content: TemplateContent, kind: str, stamp: Stamp | None = None) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

        self.content = content
        self.kind = kind
        self.stamp = stamp or Stamp()
        self.last_column = REVIEW_COLUMN if self.stamp.review_column else LAST_COLUMN
        self.book = Workbook()
        self.ws = self.book.active
        self.ws.title = SHEET_ENTRY
        self.font = Font(name=_FONT, size=10)
        self.bold = Font(name=_FONT, size=10, bold=True)
        self.title_font = Font(name=_FONT, size=16, bold=True)
        self.header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
        self.input_fill = PatternFill("solid", fgColor=_INPUT_FILL)
        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.unlocked = Protection(locked=False)
        self.alignment = Alignment
        self.row_lines: dict[int, int] = {}

    # -- cells ---------------------------------------------------------------------------

    def put(self, row: int, column: int, value: Any, *, bold: bool = False,
            table: bool = False, wrap: bool | None = None, center: bool = False) -> Any:
        value = _cell_value(value)
        cell = write_cell(self.ws, row, column, value)
        cell.font = self.bold if bold else self.font
        wrapped = column in _WRAPPED if wrap is None else wrap
        cell.alignment = self.alignment(
            wrap_text=wrapped, vertical="center" if center or table else "top",
            horizontal="center" if center else None)
        if table:
            cell.border = self.border
        if wrapped and isinstance(value, str):
            width = (COLUMN_WIDTHS[column - 1] if column <= LAST_COLUMN
                     else _REVIEW_WIDTH if column == REVIEW_COLUMN else 10)
            self.row_lines[row] = max(self.row_lines.get(row, 1), _lines_needed(value, width))
        return cell

    def input_cell(self, row: int, column: int, value: Any, number_format: str = "General",
                   ) -> Any:
        cell = self.put(row, column, value, table=True)
        cell.protection = self.unlocked
        cell.fill = self.input_fill
        cell.number_format = number_format
        return cell

    def header(self, row: int, headers: Sequence[str]) -> None:
        for column, text in enumerate(headers, start=1):
            cell = self.put(row, column, text, bold=True, table=True, wrap=True, center=True)
            cell.fill = self.header_fill

    # -- sheet 填报 -----------------------------------------------------------------------

    def entry_sheet(self, values: Mapping[int, DataValue],
                    progress: Mapping[int, TaskProgress]) -> tuple[dict[int, str], dict[int, int]]:
        c = self.content
        ws = self.ws
        for index, width in enumerate(COLUMN_WIDTHS, start=1):
            ws.column_dimensions[column_letter(index)].width = width
        title = f"{c.plan.short_title or c.plan.title} 数据填报表"
        cell = self.put(TITLE_ROW, 1, title, wrap=False, center=True)
        cell.font = self.title_font
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW,
                       end_column=self.last_column)
        ws.row_dimensions[TITLE_ROW].height = 30
        if self.stamp.review_column:
            ws.column_dimensions[column_letter(REVIEW_COLUMN)].width = _REVIEW_WIDTH
        if self.stamp.banner:
            self.banner(self.stamp.banner)
        identification = (
            (UNIT_ROW, ("填报单位", c.unit.name, "单位代码", c.unit.code, "填报期间",
                        c.period.label, "期间代码", c.period.id)),
            (PLAN_ROW, ("规划", c.plan.title, "规划代码", c.plan.code, "模板版本",
                        str(TEMPLATE_VERSION))),
        )
        for row, texts in identification:
            for column, text in enumerate(texts, start=1):
                self.put(row, column, text, bold=column % 2 == 1, wrap=column == 2)
        self.put(ELEMENT_SECTION_ROW, 1, ELEMENT_SECTION_TITLE, bold=True, wrap=False)
        self.header(ELEMENT_HEADER_ROW, self.with_review(ELEMENT_HEADERS))
        element_rows: dict[int, str] = {}
        row = FIRST_ELEMENT_ROW
        for number, element in enumerate(c.elements, start=1):
            element_rows[row] = element.code
            self.element_row(row, number, element, values.get(element.element_id))
            self.review_comment(row, ELEMENT_VALUE_COLUMN, ("element", element.element_id))
            row += 1
        if not c.elements:
            self.put(row, 3, "（本期没有需要本单位填报的数据项）", wrap=False)
            row += 1
        row += 1  # a blank row
        self.put(row, 1, TASK_SECTION_TITLE, bold=True, wrap=False)
        self.header(row + 1, self.with_review(TASK_HEADERS))
        row += 2
        task_rows: dict[int, int] = {}
        for number, task in enumerate(c.tasks, start=1):
            task_rows[row] = task.plan_item_id
            self.task_row(row, number, task, progress.get(task.plan_item_id))
            self.review_comment(row, TASK_STATUS_COLUMN, ("task", task.plan_item_id))
            row += 1
        if not c.tasks:
            self.put(row, 3, "（本期没有分配给本单位的任务）", wrap=False)
            row += 1
        row += 2  # two blank rows
        self.signature_lines(row)
        self.validations(element_rows, task_rows)
        for number, lines in self.row_lines.items():
            if lines > 1:
                ws.row_dimensions[number].height = min(13.5 * lines + 2, 409)
        self.print_setup(row + 1)
        ws.protection.sheet = True
        ws.protection.formatColumns = False  # widening a column to read a long text is fine
        ws.protection.formatRows = False
        ws.protection.set_password(SHEET_PASSWORD)
        return element_rows, task_rows

    def with_review(self, headers: Sequence[str]) -> Sequence[str]:
        """Headers, padded to the 审核意见 column in a review notice."""
        if not self.stamp.review_column:
            return headers
        return (*headers, *([""] * (REVIEW_COLUMN - 1 - len(headers))), REVIEW_HEADER)

    def banner(self, text: str) -> None:
        """Row 4: a submission's stamp or a review's result, across the table's width."""
        from openpyxl.styles import Font

        cell = self.put(BANNER_ROW, 1, text, wrap=True)
        self.row_lines.pop(BANNER_ROW, None)  # merged across the table: its own height below
        review = self.kind == KIND_REVIEW
        cell.font = Font(name=_FONT, size=11, bold=True,
                         color=_REVIEW_COLOR if review else "1F4E79")
        self.ws.merge_cells(start_row=BANNER_ROW, start_column=1, end_row=BANNER_ROW,
                            end_column=self.last_column)
        width = sum(COLUMN_WIDTHS) + (_REVIEW_WIDTH if self.stamp.review_column else 0)
        lines = _lines_needed(text, width * 0.9)
        self.ws.row_dimensions[BANNER_ROW].height = max(22, 15 * lines + 4)

    def review_comment(self, row: int, column: int, key: tuple[str, int]) -> None:
        """The reviewer's comment: a cell comment on the input cell and the 审核意见 column."""
        from openpyxl.comments import Comment
        from openpyxl.styles import Font, PatternFill

        if not self.stamp.review_column:
            return
        text = self.stamp.comments.get(key, "")
        cell = self.put(row, REVIEW_COLUMN, text or None, table=True, wrap=True)
        if not text:
            return
        cell.font = Font(name=_FONT, size=10, color=_REVIEW_COLOR)
        cell.fill = PatternFill("solid", fgColor=_REVIEW_FILL)
        note = Comment(f"审核意见：{text}", "PlanDesk")
        note.width, note.height = 260, 90
        self.ws.cell(row, column).comment = note

    def element_row(self, row: int, number: int, element: TemplateElement,
                    value: DataValue | None) -> None:
        texts = (number, element.code, element.name, element.unit)
        for column, text in enumerate(texts, start=1):
            self.put(row, column, text, table=True, center=column in (1, 4))
        entered: Any = None
        comment = ""
        if value is not None:
            comment = value.comment
            if element.value_type in (ValueType.TEXT, ValueType.BOOLEAN):
                entered = value.text_value if value.text_value else value.value
            else:
                entered = value.value if value.value is not None else value.text_value
            if element.value_type is ValueType.BOOLEAN and isinstance(entered, int | float):
                entered = "是" if entered else "否"
        number_format = "0" if element.value_type is ValueType.INTEGER else "General"
        self.input_cell(row, ELEMENT_VALUE_COLUMN, entered, number_format)
        self.input_cell(row, ELEMENT_COMMENT_COLUMN, comment or None)
        context = (element.last_value, "\n".join(element.indicators), element.annual_target,
                   element.baseline, element.target)
        for column, text in enumerate(context, start=ELEMENT_COMMENT_COLUMN + 1):
            self.put(row, column, text, table=True)

    def task_row(self, row: int, number: int, task: TemplateTask,
                 progress: TaskProgress | None) -> None:
        from openpyxl.comments import Comment

        self.put(row, 1, number, table=True, center=True)
        self.put(row, 2, task.plan_item_id, table=True, center=True)
        cell = self.put(row, 3, task.title, table=True)
        if task.milestone:
            note = Comment(f"{self.content.period.year}年节点：{task.milestone}", "PlanDesk")
            note.width, note.height = 240, 60
            cell.comment = note
        self.put(row, 4, task.role.label, table=True, center=True)
        status = percent = None
        texts = ("", "", "")
        if progress is not None:
            status = progress.status.label
            percent = progress.percent
            texts = (progress.progress_text, progress.problems_text, progress.next_steps_text)
        self.input_cell(row, TASK_STATUS_COLUMN, status)
        self.input_cell(row, TASK_PERCENT_COLUMN, percent)
        for column, text in zip((TASK_PROGRESS_COLUMN, TASK_PROBLEMS_COLUMN, TASK_NEXT_COLUMN),
                                texts, strict=True):
            self.input_cell(row, column, text or None)
        self.put(row, len(TASK_HEADERS), task.deadline, table=True, center=True)

    def signature_lines(self, row: int) -> None:
        """填报人 / 审核人 / 负责人 on one line, 日期 / 单位（盖章） on the next."""
        first, second = SIGNATURE_LABELS[:3], SIGNATURE_LABELS[3:]
        for line, labels in ((row, first), (row + 1, second)):
            for label, column in zip(labels, (3, 6, 9), strict=False):
                self.put(line, column, label, bold=True, wrap=False)
            self.ws.row_dimensions[line].height = 30

    def validations(self, element_rows: Mapping[int, str], task_rows: Mapping[int, int]) -> None:
        by_code = {e.code: e for e in self.content.elements}
        for row, code in element_rows.items():
            element = by_code[code]
            value_ref = f"{column_letter(ELEMENT_VALUE_COLUMN)}{row}"
            unit = f"，单位：{element.unit}" if element.unit else ""
            prompt = f"请填写本单位{self.content.period.label}的“{element.name}”{unit}。" \
                     f"应为{_VALUE_TYPE_HINTS[element.value_type]}；暂无数据请留空并在“说明”中注明。"
            if element.value_type is ValueType.INTEGER:
                self.validation(value_ref, "whole", prompt, "请填写不小于 0 的整数。",
                                operator="greaterThanOrEqual", formula1="0")
            elif element.value_type in (ValueType.NUMBER, ValueType.PERCENTAGE):
                self.validation(value_ref, "decimal", prompt, "请填写不小于 0 的数值。",
                                operator="greaterThanOrEqual", formula1="0")
            elif element.value_type is ValueType.BOOLEAN:
                self.validation(value_ref, "list", prompt, "请从下拉列表中选择“是”或“否”。",
                                formula1='"是,否"')
            else:
                self.validation(value_ref, "textLength", prompt, "文字过长。",
                                operator="lessThanOrEqual", formula1="2000")
            self.validation(f"{column_letter(ELEMENT_COMMENT_COLUMN)}{row}", "textLength",
                            "可写明数据口径、来源，与上期相比变化较大的原因，或暂无数据的原因。",
                            "说明不能超过 2000 字。", operator="lessThanOrEqual",
                            formula1="2000")
        if not task_rows:
            return
        first, last = min(task_rows), max(task_rows)

        def span(column: int) -> str:
            letter = column_letter(column)
            return f"{letter}{first}:{letter}{last}"

        statuses = ",".join(TASK_STATUS_LABELS)
        self.validation(span(TASK_STATUS_COLUMN), "list",
                        f"请从下拉列表中选择任务状态：{'、'.join(TASK_STATUS_LABELS)}。",
                        "请从下拉列表中选择状态。", formula1=f'"{statuses}"')
        self.validation(span(TASK_PERCENT_COLUMN), "decimal",
                        "请填写 0 到 100 之间的数字（不带 % 号），如 60 表示完成 60%。",
                        "完成百分比应为 0 到 100 之间的数字。", operator="between",
                        formula1="0", formula2="100")
        for column, prompt in (
                (TASK_PROGRESS_COLUMN, "请简述本期工作进展和取得的成效。"),
                (TASK_PROBLEMS_COLUMN, "请写明推进中存在的问题和困难；没有可留空。"),
                (TASK_NEXT_COLUMN, "请写明下一步工作打算和措施。")):
            self.validation(span(column), "textLength", prompt, "内容不能超过 2000 字。",
                            operator="lessThanOrEqual", formula1="2000")

    def validation(self, ref: str, kind: str, prompt: str, error: str, **rule: str) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        check = DataValidation(
            type=kind, allow_blank=True, showInputMessage=True, showErrorMessage=True,
            promptTitle="填报提示", prompt=prompt[:250], errorTitle="输入有误",
            error=error[:220], errorStyle="stop", **rule)
        check.add(ref)
        self.ws.add_data_validation(check)

    def print_setup(self, last_row: int) -> None:
        ws = self.ws
        ws.print_title_rows = f"{TITLE_ROW}:{PLAN_ROW}"
        ws.print_area = f"A1:{column_letter(self.last_column)}{last_row}"
        _a4(ws, landscape=True)
        c = self.content
        ws.oddHeader.left.text = _header_text(c.unit.name)
        ws.oddHeader.left.size = 9
        ws.oddHeader.right.text = _header_text(f"{c.period.label}（{c.period.id}）")
        ws.oddHeader.right.size = 9
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.oddFooter.center.size = 9

    # -- sheet 填报说明 --------------------------------------------------------------------

    def help_sheet(self) -> None:
        ws = self.book.create_sheet(SHEET_HELP)
        ws.column_dimensions["A"].width = _HELP_WIDTH
        lines = help_lines(self.content, self.kind, self.stamp)
        for row, (text, heading) in enumerate(lines, start=1):
            cell = write_cell(ws, row, 1, text)
            cell.font = self.title_font if row == 1 else (self.bold if heading else self.font)
            cell.alignment = self.alignment(wrap_text=True, vertical="top")
            needed = _lines_needed(text, _HELP_WIDTH)
            if needed > 1:
                ws.row_dimensions[row].height = 14 * needed + 2
        ws.row_dimensions[1].height = 28
        _a4(ws, landscape=False)
        ws.print_options.gridLines = False
        ws.protection.sheet = True
        ws.protection.set_password(SHEET_PASSWORD)

    # -- sheet _plandesk -------------------------------------------------------------------

    def meta_sheet(self, meta: TemplateMeta) -> None:
        ws = self.book.create_sheet(SHEET_META)
        for row, (key, value) in enumerate(meta.as_rows(), start=1):
            write_cell(ws, row, 1, key)
            write_cell(ws, row, 2, value)
        ws.sheet_state = "veryHidden"
        ws.protection.sheet = True
        ws.protection.set_password(SHEET_PASSWORD)

    def locked_cells(self, meta: TemplateMeta) -> list[tuple[str, str]]:
        """(reference, text) of every non-empty cell of 填报 a station may not change."""
        cells = []
        for row in self.ws.iter_rows():
            for cell in row:
                if cell.value is None or is_input_cell(meta, cell.row, cell.column):
                    continue
                text = cell_text(cell.value)
                if text:
                    cells.append((cell.coordinate, text))
        return cells


def _header_text(text: str) -> str:
    """Text for a page header: ``&`` starts a code there, so it is doubled."""
    return text.replace("&", "&&")


def _a4(ws: Any, *, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.7


def help_lines(content: TemplateContent, kind: str = KIND_TEMPLATE,
               stamp: Stamp | None = None) -> list[tuple[str, bool]]:
    """The 填报说明 sheet: (text, is heading) lines."""
    c = content
    plan = c.plan.short_title or c.plan.title
    unit = c.unit.name
    period = c.period.label
    if c.previous_period is not None:
        previous = (f"“上期数值（已审核）”列是本单位{c.previous_period.label}已审核通过的数值，"
                    "仅供对照，不需要改动。")
    else:
        previous = "本单位此前没有已审核通过的同类期间数值，“上期数值（已审核）”列为空。"
    lines: list[tuple[str, bool]] = [
        ("填报说明", True),
        (f"本工作簿是{unit}{period}《{plan}》的数据填报表（单位代码 {c.unit.code}，"
         f"期间代码 {c.period.id}），由 PlanDesk 生成。", False),
    ]
    if kind == KIND_RETURN:
        lines.append(("本工作簿已由 PlanDesk 按本单位的数据填好，可直接报送上级；"
                      "如需改动，只能改浅黄色单元格。", False))
    if kind == KIND_SUBMISSION:
        lines += [
            ("本工作簿是本单位在 PlanDesk 中报送的报表：数据已填好，第 4 行注明了报送时间和报送人，"
             "报送时间已写入校验信息，上级按此时间判断是否按时报送。", False),
            ("请不要再改动本工作簿：改动数据应在 PlanDesk 中进行，待上级退回后重新报送。"
             "报送时附带的佐证材料与本工作簿在同一压缩包的“附件”文件夹中，请把整个压缩包报送"
             "上级，不要解压后只发工作簿。", False),
            ("上级在 PlanDesk 中用“导入报送”导入整个压缩包（或本工作簿），数值、佐证材料和"
             "报送时间一并导入。", False),
        ]
        return lines
    if kind == KIND_REVIEW:
        review = stamp or Stamp()
        lines += [
            ("本工作簿是上级对本单位报表的审核通知：第 4 行是审核结果和退回原因，"
             f"“{REVIEW_HEADER}”列和单元格批注是对各项数值、任务的具体意见。", False),
            ("在本单位的 PlanDesk 中用“导入审核通知”导入本工作簿，即可在填报页面的相应单元格旁"
             "看到审核意见；" + ("请按意见修改后重新报送。" if review.review_status == "returned"
                              else "审核通过的报表已锁定，不能再修改。"), False),
            ("本工作簿中的数值是上级收到的报送数值，仅供对照；不要在本工作簿中修改数据后报送。",
             False),
        ]
        return lines
    lines += [
        ("一、怎样填写", True),
        ("1. 只在“填报”工作表中浅黄色底的单元格内填写：数据项的“本期数值”“说明”，"
         "任务的“状态”“完成百分比”“进展”“问题”“下步”。其他单元格已锁定，不能修改。", False),
        (f"2. “本期数值”填写本单位{period}的实际数值：只填数字，不带单位，不加千分位逗号或空格；"
         "计量单位见“计量单位”列。整数项只能填整数；百分比项填百分数的数值，"
         "如 98.5 表示 98.5%。所有数值都不能小于 0。", False),
        ("3. 暂时没有的数值请留空，并在“说明”中写明原因；与上期相比变化较大的，"
         "请在“说明”中简述原因。不要填写“无”“—”等文字代替数值。", False),
        ("4. 任务的“状态”从下拉列表中选择（" + "、".join(TASK_STATUS_LABELS) + "）；"
         "“完成百分比”填 0 到 100 之间的数字；“进展”“问题”“下步”用文字简要填写。"
         "“分工”列标明本单位是牵头单位还是配合单位。", False),
        (f"5. {previous}“相关指标”“年度目标”“基期值”“目标值”是规划指标的目标，供参考。", False),
        ("6. 单元格上的提示框说明了每一项的填写要求；填写不符合要求时表格会提示重新输入。",
         False),
        ("二、不得改动的内容", True),
        ("1. 不要修改锁定的单元格，不要插入、删除或移动行和列，不要重命名、删除或新增工作表，"
         "不要删除第 2、3 行的填报单位、期间和规划信息。", False),
        ("2. 本工作簿带有校验码。PlanDesk 导入时会核对单位、期间和所有锁定单元格的内容，"
         "被改动过的文件将不能导入，需要重新领取模板。", False),
        ("3. 可以用 Excel、WPS 表格或 LibreOffice 填写，保存时请保持 .xlsx 格式，"
         "不要另存为 .xls、.csv 或 .et 格式，也不要把内容复制到新工作簿中报送。", False),
        ("三、怎样报送", True),
        ("1. 填好后保存本工作簿，文件名保持不变。", False),
        ("2. 打印“填报”工作表，由填报人、审核人、负责人在表尾签字，注明日期并加盖单位公章；"
         "签字盖章的纸质件扫描或拍照后作为支撑材料一并报送。", False),
        (f"3. 通过 U 盘或电子邮件把本工作簿报送{c.recipient or '上级单位'}；报送后如需修改，"
         "请联系上级单位退回后重新填报，不要另发多个版本。", False),
    ]
    return lines


def build_template(
    db: Database,
    plan_id: int,
    unit_id: int,
    period: Period | str,
    *,
    values: Iterable[DataValue] | None = None,
    task_progress: Iterable[TaskProgress] | None = None,
    kind: str = KIND_TEMPLATE,
    elements: ElementScope = "entry",
    generated_at: datetime | None = None,
    stamp: Stamp | None = None,
) -> Any:
    """Build one unit's template (or filled return) for a period as an openpyxl ``Workbook``.

    Args:
        values: Figures to pre-fill the input cells with (matched by element id).
        task_progress: Task progress to pre-fill the task rows with (matched by plan item id).
        kind: ``KIND_TEMPLATE`` (sent out to be filled), ``KIND_RETURN`` (filled by
            PlanDesk), ``KIND_SUBMISSION`` or ``KIND_REVIEW`` (see template_format).
        elements: ``"entry"``: the elements the unit enters; ``"all"``: every plan element.
        generated_at: The time written into the metadata (now by default).
        stamp: What a submission or a review notice adds (banner, signed fields, comments).

    Raises:
        NotFoundError: no such plan or unit.
        ValidationError: bad period, or the unit has neither elements nor tasks to report.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}")
    content = _reportable(template_rows(db, plan_id, unit_id, period, elements=elements))
    return _build(db, content, values, task_progress, kind, generated_at, stamp)


def _reportable(content: TemplateContent) -> TemplateContent:
    """The content, when it has anything to report; else a refusal naming the unit."""
    if not content.elements and not content.tasks:
        raise ValidationError(
            f"“{content.unit.name}”在规划“{content.plan.short_title or content.plan.title}”中"
            f"没有需要填报的数据项，也没有分配给它的任务，无法生成{content.period.label}的填报模板。",
            f"nothing to report for unit {content.unit.code}")
    return content


def _build(db: Database, content: TemplateContent, values: Iterable[DataValue] | None,
           task_progress: Iterable[TaskProgress] | None, kind: str,
           generated_at: datetime | None, stamp: Stamp | None = None) -> Any:
    writer = _Writer(content, kind, stamp)
    by_element = {v.element_id: v for v in values or ()}
    by_item = {p.plan_item_id: p for p in task_progress or ()}
    element_rows, task_rows = writer.entry_sheet(by_element, by_item)
    writer.help_sheet()
    moment = generated_at or datetime.now().astimezone()
    meta = TemplateMeta(
        plan_code=content.plan.code, plan_id=content.plan.id,
        plan_hash=plan_version_hash(db, content.plan.id), unit_code=content.unit.code,
        unit_name=content.unit.name, period=content.period.id,
        generated_at=moment.isoformat(timespec="seconds"), generator=installation_id(db),
        element_rows=element_rows, task_rows=task_rows, kind=kind)
    if stamp is not None:
        meta = replace(meta, submitted_at=stamp.submitted_at, submitted_by=stamp.submitted_by,
                       review_status=stamp.review_status, review_reason=stamp.review_reason,
                       reviewed_at=stamp.reviewed_at, reviewed_by=stamp.reviewed_by,
                       evidence=stamp.evidence)
    signature = sign(installation_key(db), signed_payload(meta, writer.locked_cells(meta)))
    meta = replace(meta, signature=signature)
    writer.meta_sheet(meta)
    book = writer.book
    book.active = 0
    book.properties.creator = "PlanDesk"
    book.properties.title = f"{content.unit.name} {content.period.label} 数据填报表"
    _lock_structure(book)
    return book


def _lock_structure(book: Any) -> None:
    """Sheets cannot be added, renamed, deleted or unhidden in Excel and WPS."""
    from openpyxl.workbook.protection import WorkbookProtection

    protection = WorkbookProtection(lockStructure=True)
    protection.workbookPassword = SHEET_PASSWORD
    book.security = protection


# --------------------------------------------------------------------------------------------
# Files


def safe_file_name(text: str, *, limit: int = 120) -> str:
    """A file name every system accepts: no path or reserved characters, no trailing dot."""
    name = _UNSAFE_FILE_CHARS.sub("_", text).strip().strip(".").strip()
    name = re.sub(r"\s+", " ", name)
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    return name[:limit].rstrip(". ") or "_"


def template_file_name(unit: OrgUnit, period: Period | str) -> str:
    """``<period>_<unit code>_<unit short name>.xlsx``, made safe."""
    period_id = _period(period).id
    return safe_file_name(f"{period_id}_{unit.code}_{unit.display_name}") + ".xlsx"


def _unique(name: str, taken: set[str]) -> str:
    stem, suffix = name.rsplit(".", 1)
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem}_{number}.{suffix}"
    taken.add(candidate.casefold())
    return candidate


def reporting_stations(db: Database, period: Period | str) -> list[OrgUnit]:
    """The stations that report for a period: open during it (not closed before it started)."""
    period = _period(period)
    start, end = period.start.isoformat(), period.end.isoformat()
    return [u for u in list_units(db, UnitType.STATION) if open_between(u, start, end)]


def write_templates_job(db: Database, plan_id: int, period: Period | str,
                        unit_ids: Sequence[int], out_dir: Path, *,
                        zip_name: str | None = None) -> Job[list[Path]]:
    """Write the templates as a job that yields progress (see :func:`write_templates`)."""
    period = _period(period)
    _check_period(get_plan(db, plan_id), period)
    unit_ids = list(dict.fromkeys(unit_ids))
    if not unit_ids:
        raise ValidationError("没有选择要生成填报模板的单位。", "no units")
    out_dir = Path(out_dir)
    # every unit is checked before the first file is written
    contents = [_reportable(template_rows(db, plan_id, unit_id, period)) for unit_id in unit_ids]
    taken: set[str] = set()
    names = [_unique(template_file_name(c.unit, period), taken) for c in contents]
    total = len(contents) + (1 if zip_name else 0)
    moment = datetime.now().astimezone()
    written: list[Path] = []
    for done, (content, name) in enumerate(zip(contents, names, strict=True)):
        yield Progress(done, total, f"正在生成 {name}")
        book = _build(db, content, None, None, KIND_TEMPLATE, moment)
        path = out_dir / name
        save_workbook(book, path)
        written.append(path)
    log.info("%d templates for %s written to %s", len(written), period.id, out_dir)
    if zip_name:
        yield Progress(len(contents), total, "正在压缩")
        written.append(_zip(written, out_dir, zip_name))
    yield Progress(total, total, "完成")
    return written


def write_templates(db: Database, plan_id: int, period: Period | str, unit_ids: Sequence[int],
                    out_dir: Path, *, zip_name: str | None = None) -> list[Path]:
    """Write one template per unit into ``out_dir``, optionally also zipped together.

    Each file is ``<period>_<unit code>_<unit short name>.xlsx`` (made safe and unique),
    written to a temporary name and then renamed, so a failure never leaves half a file.

    Returns:
        The workbooks' paths in the order of ``unit_ids``; with ``zip_name``, the zip file's
        path (``out_dir/zip_name``, ``.zip`` added when missing) comes last.

    Raises:
        NotFoundError: no such plan or unit.
        ValidationError: bad period, no units, or a unit with nothing to report.
        PlanDeskError: a file cannot be written.
    """
    return run_job(write_templates_job(db, plan_id, period, unit_ids, out_dir,
                                       zip_name=zip_name))


def _zip(files: Sequence[Path], out_dir: Path, zip_name: str) -> Path:
    name = safe_file_name(Path(zip_name).name)
    if not name.lower().endswith(".zip"):
        name += ".zip"
    path = out_dir / name
    try:
        handle, temp = tempfile.mkstemp(suffix=".zip", dir=out_dir)
        os.close(handle)
        try:
            with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for file in files:
                    archive.write(file, arcname=file.name)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        raise PlanDeskError(
            f"无法写入压缩文件“{path}”：{exc.strerror or exc}。请另选一个有写入权限的文件夹。",
            f"zip {path}: {exc}") from exc
    return path

