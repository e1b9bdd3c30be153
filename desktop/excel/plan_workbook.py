"""The plan workbook: a whole plan definition in one .xlsx, exported and read back exactly."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from desktop.excel.cells import write_cell
from desktop.excel.reading import Cell, Sheet, WorkbookData, column_letter, read_workbook
from desktop.models.assignments import (
    ItemAssignments,
    assignments_by_item,
    clear_assignments,
    item_assignment_details,
    set_assignments,
)
from desktop.models.errors import (
    ImportFormatError,
    ImportIssue,
    NotFoundError,
    PlanDeskError,
    ValidationError,
)
from desktop.models.indicators import (
    TIME_AGGREGATION_LABELS,
    TIME_SEMANTICS_LABELS,
    Aggregation,
    Attribute,
    DataElement,
    Direction,
    EntryLevel,
    Indicator,
    IndicatorSpec,
    Origin,
    TargetType,
    TimeAggregation,
    TimeSemantics,
    ValueType,
    add_element,
    add_indicator,
    delete_indicator,
    find_indicator,
    indicator_units,
    list_elements,
    list_indicators,
    set_annual_targets,
    set_indicator_units,
    update_indicator,
)
from desktop.models.orgunits import (
    UNIT_TYPE_LABELS,
    OrgUnit,
    UnitType,
    create_unit,
    find_unit_by_name,
    get_unit_by_code,
    list_units,
    set_townships,
    townships_served,
    update_unit,
)
from desktop.models.permissions import Action, record_acting_event, require_acting
from desktop.models.plans import (
    ITEM_TYPE_LABELS,
    ItemType,
    Plan,
    PlanItem,
    PlanLevel,
    create_plan,
    create_plan_for_file,
    get_plan,
    guess_plan_years,
    list_plan_items,
    list_plans,
)

log = logging.getLogger(__name__)

#: What the hidden sheet 格式 says, so that an import knows the file and its version.
FORMAT_NAME = "PlanDesk 规划工作簿"
FORMAT_VERSION = 1

SHEET_PLAN = "规划"
SHEET_UNITS = "单位"
SHEET_TASKS = "任务分解"
SHEET_INDICATORS = "指标"
SHEET_ELEMENTS = "数据项"
SHEET_ANNUAL = "年度目标"
SHEET_FORMAT = "格式"
PLAN_SHEETS = (SHEET_PLAN, SHEET_UNITS, SHEET_TASKS, SHEET_INDICATORS, SHEET_ELEMENTS,
               SHEET_ANNUAL)

#: Excel's limit on the text of one cell.
MAX_CELL_TEXT = 32_767
#: Separators between unit names in one cell: 、，, ; ； and line breaks.
UNIT_SEPARATORS = re.compile(r"[、，,;；\n\r]+")
_MILESTONE_LINE = re.compile(r"^\s*((?:19|20|21)\d\d)\s*年?\s*[：:]\s*(.*)$", re.DOTALL)
_YEAR_HEADER = re.compile(r"^((?:19|20|21)\d\d)年?$")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Words a district writes for "every station" or "every township" in a unit cell.
_GROUPS = (
    (re.compile(r"^(各|全部|所有)(基层)?(市场监管所|市场监督管理所|监管所|所)$"), UnitType.STATION),
    (re.compile(r"^(各|全部|所有)(镇街|街镇|镇[（(]?街道[）)]?|乡镇[（(]?街道[）)]?)$"),
     UnitType.TOWNSHIP),
)


@dataclass(frozen=True)
class Column:
    """A column of a plan workbook sheet: its header, width and the headers users also write."""

    header: str
    width: float
    aliases: tuple[str, ...] = ()
    wrap: bool = False


TASK_COLUMNS = (
    Column("序号", 7, ("编码",)),
    Column("任务", 40, ("任务名称", "重点任务", "工作任务", "主要任务", "任务内容", "工作内容"),
           wrap=True),
    Column("牵头单位", 18, ("牵头部门", "责任单位", "牵头科室", "责任部门"), wrap=True),
    Column("配合单位", 24, ("配合部门", "协办单位", "配合科室", "参与单位"), wrap=True),
    Column("完成时限", 14, ("完成时间", "时限要求", "时间要求", "完成期限"), wrap=True),
    Column("年度节点", 30, ("年度目标", "节点安排", "进度安排"), wrap=True),
    Column("备注", 16, wrap=True),
    Column("层级", 6),
    Column("类型", 9),
    Column("编号", 9),
    Column("上级序号", 9),
    Column("内容", 60, wrap=True),
    Column("原文行", 8),
    Column("原文", 60, wrap=True),
)
INDICATOR_COLUMNS = (
    Column("序号", 6),
    Column("指标名称", 34, wrap=True),
    Column("单位", 9, ("计量单位",)),
    Column("类别", 12),
    Column("属性", 9, ("指标属性",)),
    Column("基期值", 10),
    Column("目标值", 10),
    Column("方向", 10),
    Column("时间口径", 11),
    Column("分子数据项", 16, ("分子",)),
    Column("分母数据项", 16, ("分母",)),
    Column("系数", 8),
    Column("责任单位", 18, ("牵头单位",), wrap=True),
    Column("配合单位", 20, wrap=True),
    Column("出处", 40, wrap=True),
    Column("代码", 8),
    Column("规范名称", 24),
    Column("标准单位", 10),
    Column("换算系数", 9),
    Column("目标类型", 10),
    Column("来源", 9),
    Column("出处行", 8),
    Column("出处条目", 9),
    Column("重复指标", 9),
    Column("备注", 24, wrap=True),
)
UNIT_COLUMNS = (
    Column("代码", 14),
    Column("名称", 30, ("单位名称", "全称")),
    Column("简称", 14),
    Column("类型", 12, ("单位类型",)),
    Column("上级", 16, ("上级单位",)),
    Column("服务镇街", 30, wrap=True),
    Column("人员", 7, ("人员数", "人数")),
    Column("办公场所", 24, ("办公地址",), wrap=True),
    Column("排序", 7),
    Column("启用日期", 12),
    Column("撤销日期", 12),
    Column("备注", 24, wrap=True),
)
ELEMENT_COLUMNS = (
    Column("代码", 20),
    Column("名称", 28),
    Column("值类型", 9),
    Column("汇总方式", 10),
    Column("时间汇总", 16, ("时间汇总方式",)),  # optional: older workbooks lack it
    Column("填报层级", 12),
    Column("计量单位", 9),
    Column("换算系数", 9),
    Column("说明", 44, wrap=True),
)
PLAN_COLUMNS = (Column("项目", 14), Column("内容", 90, wrap=True))
#: The 项目 of the 规划 sheet, in order.
PLAN_FIELDS = ("规划代码", "规划名称", "简称", "发布机关", "文号", "印发日期", "发布日期", "层级",
               "类型", "起始年", "结束年", "基期年", "编制单位", "来源文件", "来源校验值",
               "演示数据", "备注")

PLAN_LEVEL_LABELS = {PlanLevel.CITY: "市级", PlanLevel.DISTRICT: "区级",
                     PlanLevel.COUNTY: "县级"}
PLAN_KIND_LABELS = {"main": "综合规划", "special": "专项规划"}
VALUE_TYPE_LABELS = {ValueType.INTEGER: "整数", ValueType.NUMBER: "数值",
                     ValueType.PERCENTAGE: "百分比", ValueType.TEXT: "文本",
                     ValueType.BOOLEAN: "是否"}
AGGREGATION_LABELS = {Aggregation.SUM: "求和", Aggregation.AVERAGE: "平均",
                      Aggregation.LAST: "取最新", Aggregation.MIN: "最小值",
                      Aggregation.MAX: "最大值", Aggregation.NONE: "不汇总"}
ENTRY_LEVEL_LABELS = {EntryLevel.STATION: "市场监管所", EntryLevel.DISTRICT: "区局"}
#: Short words for a time aggregation that people write by hand, beside the full labels.
_TIME_AGGREGATION_WORDS = {
    TimeAggregation.SUM: ("期内累加", "累加", "流量"),
    TimeAggregation.LAST: ("取期末值", "期末值", "存量"),
    TimeAggregation.AVERAGE: ("平均",),
}
ATTRIBUTE_LABELS = {a: a.label for a in Attribute}
DIRECTION_LABELS = {d: d.label for d in Direction}
ORIGIN_LABELS = {o: o.label for o in Origin}
_DIRECTION_ALIASES = {"正向": Direction.UP, "逆向": Direction.DOWN, "↑": Direction.UP,
                      "↓": Direction.DOWN, "越大越好": Direction.UP, "越小越好": Direction.DOWN}

E = TypeVar("E", bound=StrEnum)


def _from_label(text: str, labels: Mapping[E, str]) -> E | None:
    """The enumeration member named by its Chinese label or its English code."""
    wanted = "".join(text.split())
    for member, label in labels.items():
        if wanted in (label, member.value):
            return member
    return None


# --------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True)
class PlanExportResult:
    """What :func:`export_plan` wrote."""

    path: Path
    plan_id: int
    plan_title: str
    counts: dict[str, int]
    warnings: tuple[str, ...] = ()


@dataclass
class _SheetData:
    name: str
    columns: Sequence[Column]
    rows: list[list[Any]]


def _number(value: float | int | None) -> float | int | None:
    """A number as a cell shows it best: 10000.0 is written as 10000."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Units with every parent before its children, siblings by sort order."""
    ids = {u.id for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    ordered: list[OrgUnit] = []

    def visit(parent: int | None) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.sort_order, u.id)):
            ordered.append(unit)
            visit(unit.id)

    visit(None)
    return ordered


def unit_labels(units: Sequence[OrgUnit]) -> dict[int, str]:
    """How the workbook names each unit: its 简称, else its name, else its code.

    A 简称 or name is used only when no other unit has it as code, name or 简称, so that
    every label leads back to exactly one unit.
    """
    uses: Counter[str] = Counter()
    for unit in units:
        uses.update({unit.code, unit.name, unit.short_name} - {""})
    labels: dict[int, str] = {}
    for unit in units:
        labels[unit.id] = next(
            (c for c in (unit.short_name, unit.name) if c and uses[c] == 1), unit.code)
    return labels


def _milestone_text(milestones: Sequence[Any]) -> str:
    return "\n".join(f"{m.year}年：{m.description}" for m in milestones)


class _Exporter:
    def __init__(self, db: Database, plan: Plan) -> None:
        self.db = db
        self.plan = plan
        self.warnings: list[str] = []
        self.units = _tree_order(list_units(db))
        self.labels = unit_labels(self.units)
        self.rank = {u.id: index for index, u in enumerate(self.units)}
        self.items = list_plan_items(db, plan.id)
        self.seq = {item.id: index for index, item in enumerate(self.items, start=1)}
        self.indicators = list_indicators(db, plan.id)
        used = {i for ind in self.indicators for i in (ind.numerator_id, ind.denominator_id)
                if i is not None}
        elements = list_elements(db)
        self.elements = [e for e in elements if e.id in used]
        self.element_codes = {e.id: e.code for e in elements}

    def sheets(self) -> list[_SheetData]:
        return [self.plan_sheet(), self.unit_sheet(), self.task_sheet(),
                self.indicator_sheet(), self.element_sheet(), self.annual_sheet()]

    def _label(self, unit_id: int | None) -> str | None:
        return None if unit_id is None else self.labels[unit_id]

    def plan_sheet(self) -> _SheetData:
        p = self.plan
        values: dict[str, Any] = {
            "规划代码": p.code, "规划名称": p.title, "简称": p.short_title, "发布机关": p.issuer,
            "文号": p.doc_number, "印发日期": p.issued_on, "发布日期": p.published_on,
            "层级": PLAN_LEVEL_LABELS[p.level], "类型": PLAN_KIND_LABELS.get(p.kind, p.kind),
            "起始年": p.start_year, "结束年": p.end_year, "基期年": p.baseline_year,
            "编制单位": self._label(p.owner_unit_id), "来源文件": p.source_name,
            "来源校验值": p.source_hash, "演示数据": "是" if p.is_demo else "否", "备注": p.note,
        }
        return _SheetData(SHEET_PLAN, PLAN_COLUMNS, [[k, values[k]] for k in PLAN_FIELDS])

    def unit_sheet(self) -> _SheetData:
        served = townships_served(self.db)
        rows = []
        for u in self.units:
            towns = sorted(served.get(u.id, []), key=lambda t: self.rank[t.id])
            rows.append([
                u.code, u.name, u.short_name, UNIT_TYPE_LABELS[u.unit_type],
                self._label(u.parent_id), "、".join(self.labels[t.id] for t in towns),
                u.staff, u.premises, u.sort_order, u.opened_on, u.closed_on, u.note])
        return _SheetData(SHEET_UNITS, UNIT_COLUMNS, rows)

    def task_sheet(self) -> _SheetData:
        by_item = assignments_by_item(self.db, self.plan.id)
        rows = []
        for item in self.items:
            given: ItemAssignments | None = by_item.get(item.id)
            lead = coop = ""
            deadline: str | None = None
            note = milestones = ""
            if given is not None:
                lead = "、".join(self.labels[d.org_unit_id] for d in given.lead)
                coop = "、".join(self.labels[d.org_unit_id] for d in given.cooperating)
                deadline, note = given.deadline, given.note
                milestones = _milestone_text(given.milestones)
                if not given.uniform:
                    self.warnings.append(
                        f"任务“{item.title[:30]}”各单位的完成时限、备注或年度节点不一致，"
                        "工作簿中写出的是第一个牵头单位的。")
            rows.append([
                self.seq[item.id], item.title, lead, coop, deadline, milestones, note,
                item.level, ITEM_TYPE_LABELS[item.item_type], item.marker,
                self.seq.get(item.parent_id) if item.parent_id is not None else None,
                item.body, item.source_line, item.source_text])
        return _SheetData(SHEET_TASKS, TASK_COLUMNS, rows)

    def indicator_sheet(self) -> _SheetData:
        codes = {ind.id: ind.code for ind in self.indicators}
        rows = []
        for ind in self.indicators:
            units = indicator_units(self.db, ind.id)
            ordered = sorted(units, key=lambda unit_id: self.rank[unit_id])
            lead = "、".join(self.labels[u] for u in ordered if units[u] == "lead")
            coop = "、".join(self.labels[u] for u in ordered if units[u] != "lead")
            duplicate = None
            if ind.duplicate_of is not None:
                duplicate = codes.get(ind.duplicate_of)
                if duplicate is None:
                    self.warnings.append(f"指标“{ind.name}”重复的指标不在本规划中，未写出。")
            rows.append([
                ind.seq_printed, ind.name_printed, ind.unit_printed, ind.category,
                ind.attribute.label, ind.baseline.text, ind.target.text, ind.direction.label,
                ind.time_semantics.label,
                self.element_codes.get(ind.numerator_id) if ind.numerator_id else None,
                self.element_codes.get(ind.denominator_id) if ind.denominator_id else None,
                _number(ind.factor), lead, coop, ind.source_text, ind.code, ind.name,
                ind.unit_canonical, _number(ind.unit_scale), ind.target_type.label,
                ind.origin.label, ind.source_line,
                self.seq.get(ind.source_item_id) if ind.source_item_id else None,
                duplicate, ind.note])
        return _SheetData(SHEET_INDICATORS, INDICATOR_COLUMNS, rows)

    def element_sheet(self) -> _SheetData:
        rows = [[e.code, e.name, VALUE_TYPE_LABELS[e.value_type],
                 AGGREGATION_LABELS[e.aggregation], TIME_AGGREGATION_LABELS[e.time_aggregation],
                 ENTRY_LEVEL_LABELS[e.entry_level], e.unit, _number(e.unit_scale),
                 e.description] for e in self.elements]
        return _SheetData(SHEET_ELEMENTS, ELEMENT_COLUMNS, rows)

    def annual_years(self) -> list[int]:
        years = set(self.plan.years)
        years.update(a.year for ind in self.indicators for a in ind.annual_targets)
        return sorted(years)

    def annual_sheet(self) -> _SheetData:
        years = self.annual_years()
        columns = (Column("序号", 6), Column("代码", 8), Column("指标名称", 34, wrap=True),
                   *(Column(f"{y}年", 10) for y in years), Column("说明", 30, wrap=True))
        rows = []
        for ind in self.indicators:
            by_year = {a.year: a for a in ind.annual_targets}
            notes = [f"{a.year}年：{a.note}" for a in ind.annual_targets if a.note]
            rows.append([ind.seq_printed, ind.code, ind.name_printed,
                         *(by_year[y].target.text if y in by_year else None for y in years),
                         "\n".join(notes)])
        return _SheetData(SHEET_ANNUAL, columns, rows)

    def counts(self) -> dict[str, int]:
        return {
            "units": len(self.units), "plan_items": len(self.items),
            "tasks": sum(1 for i in self.items if i.item_type is ItemType.TASK),
            "indicators": len(self.indicators), "elements": len(self.elements),
            "annual_targets": sum(len(i.annual_targets) for i in self.indicators),
            "assignments": int(self.db.execute(
                "SELECT count(*) FROM assignment a JOIN plan_item p ON p.id = a.plan_item_id "
                "WHERE p.plan_id = ?", [self.plan.id]).fetchone()[0]),
        }


def choose_plan(db: Database, plan_id: int | None) -> Plan:
    """The plan to export: the one asked for, or the only plan of the database.

    Raises:
        NotFoundError: there is no such plan, or the database holds no plan.
        ValidationError: several plans and none chosen (the message lists them).
    """
    if plan_id is not None:
        return get_plan(db, plan_id)
    plans = list_plans(db)
    if not plans:
        raise NotFoundError("数据库中还没有规划，无法导出。", "no plan")
    if len(plans) > 1:
        listing = "；".join(f"{p.id}：{p.title}" for p in plans)
        raise ValidationError(
            f"数据库中有 {len(plans)} 个规划，请指定要导出的规划编号（{listing}）。",
            "several plans")
    return plans[0]


def export_plan(db: Database, plan_id: int, path: Path) -> PlanExportResult:
    """Write a plan's whole definition to one .xlsx workbook.

    Sheets 规划, 单位, 任务分解, 指标, 数据项 and 年度目标 hold the plan, every unit, the outline
    with its assignments, the indicators, the data elements they use and the annual targets;
    a hidden sheet 格式 names the format and its version. Printed values are text.

    Raises:
        NotFoundError: there is no such plan.
        ValidationError: the file name does not end in .xlsx, or a text is longer than a cell
            can hold.
        PlanDeskError: the file cannot be written (for example, it is open in Excel).
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValidationError(f"导出文件名“{path.name}”应以 .xlsx 结尾。", "not .xlsx")
    plan = get_plan(db, plan_id)
    exporter = _Exporter(db, plan)
    sheets = exporter.sheets()
    book = _build_book(sheets, exporter.warnings)
    save_workbook(book, path)
    log.info("plan %s exported to %s", plan.id, path)
    return PlanExportResult(path, plan.id, plan.title, exporter.counts(),
                            tuple(exporter.warnings))


def _clean(value: Any, sheet: str, row: int, column: int, warnings: list[str]) -> Any:
    if not isinstance(value, str):
        return value
    if _ILLEGAL.search(value):
        warnings.append(f"工作表“{sheet}”第 {row} 行 {column_letter(column)} 列含有表格不能保存的"
                        "控制字符，已删去。")
        value = _ILLEGAL.sub("", value)
    if len(value) > MAX_CELL_TEXT:
        raise ValidationError(
            f"工作表“{sheet}”第 {row} 行 {column_letter(column)} 列的文字有 {len(value)} 个字，"
            f"超过了 Excel 单元格的上限 {MAX_CELL_TEXT} 个字，无法导出。",
            "cell text too long")
    return value or None


def _build_book(sheets: list[_SheetData], warnings: list[str]) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for data in sheets:
        ws = book.create_sheet(data.name)
        for index, column in enumerate(data.columns, start=1):
            cell = write_cell(ws, 1, index, column.header)
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            ws.column_dimensions[column_letter(index)].width = column.width
        for r, values in enumerate(data.rows, start=2):
            for c, value in enumerate(values, start=1):
                cell = write_cell(ws, r, c, _clean(value, data.name, r, c, warnings))
                cell.alignment = wrap if data.columns[c - 1].wrap else top
        ws.freeze_panes = "C2" if data.name == SHEET_TASKS else "A2"
        last = column_letter(len(data.columns))
        if data.name != SHEET_PLAN:
            ws.auto_filter.ref = f"A1:{last}{max(len(data.rows) + 1, 1)}"
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = True
        ws.oddFooter.center.text = f"{data.name}  第 &P 页，共 &N 页"
    meta = book.create_sheet(SHEET_FORMAT)
    for r, (key, value) in enumerate(
            (("格式", FORMAT_NAME), ("版本", FORMAT_VERSION),
             ("说明", "本表供 PlanDesk 识别文件，请勿修改或删除。")), start=1):
        write_cell(meta, r, 1, key)
        write_cell(meta, r, 2, value)
    meta.sheet_state = "hidden"
    return book


def save_workbook(book: Any, path: Path) -> None:
    """Save through a temporary file in the same folder, so a failed save leaves no half file."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(suffix=".xlsx", dir=folder)
        os.close(handle)
        try:
            book.save(temp)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        raise PlanDeskError(
            f"无法写入文件“{path}”：{exc.strerror or exc}。如果该文件正在 Excel 或 WPS 中打开，"
            "请先关闭它；或另选一个有写入权限的文件夹。",
            f"save {path}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Import


class ImportMode(StrEnum):
    PLAN_WORKBOOK = "plan_workbook"  # a workbook PlanDesk exported (hidden sheet 格式)
    TASK_TABLE = "task_table"  # a hand-made workbook, at least a 任务分解 sheet

    @property
    def label(self) -> str:
        return "PlanDesk 规划工作簿" if self is ImportMode.PLAN_WORKBOOK else "任务分解表"


#: Counters of :class:`PlanImportResult` with their Chinese labels, in the order shown.
COUNT_LABELS = {
    "units_created": "新建单位", "units_updated": "更新单位",
    "plan_items_created": "新建规划条目", "plan_items_updated": "更新规划条目",
    "plan_items_deleted": "删除规划条目", "assignments": "任务分工",
    "assignments_removed": "取消分工的条目",
    "elements_created": "新建数据项", "indicators_created": "新建指标",
    "indicators_updated": "更新指标", "indicators_deleted": "删除指标",
    "annual_targets": "年度目标",
}


@dataclass(frozen=True)
class PlanImportResult:
    """What an import did (or, in a dry run or when refused, would have done) and its issues."""

    file: str
    dry_run: bool
    mode: ImportMode | None = None
    plan_id: int | None = None  # None when nothing was written
    plan_code: str = ""
    plan_title: str = ""
    plan_created: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    issues: tuple[ImportIssue, ...] = ()

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        """One Chinese sentence saying what happened."""
        if not self.ok:
            return (f"工作簿“{self.file}”有 {len(self.errors)} 处错误，未导入，数据库未作改动。")
        done = "、".join(f"{label} {self.counts[key]}" for key, label in COUNT_LABELS.items()
                        if self.counts.get(key))
        action = "新建" if self.plan_created else "更新"
        head = "试导入（未写入数据库）" if self.dry_run else "已导入"
        return (f"{head}“{self.file}”（{self.mode.label if self.mode else ''}）：{action}规划"
                f"“{self.plan_title}”（代码 {self.plan_code}）；{done or '无改动'}。")

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "dry_run": self.dry_run, "ok": self.ok, "written": self.written,
            "mode": self.mode.value if self.mode else None,
            "plan": {"id": self.plan_id, "code": self.plan_code, "title": self.plan_title,
                     "created": self.plan_created},
            "counts": dict(self.counts), "summary": self.summary(),
            "issues": [i.as_dict() | {"text": str(i)} for i in self.issues],
        }


def _number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def cell_text(cell: Cell) -> str:
    """A cell as the text a user typed: numbers without a trailing .0, dates as 2021-01-04.

    A number shown with a percent format reads as printed (``98.5%``).
    """
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and cell.is_percent_format:
        return _number_text(round(float(value) * 100, 9)) + "%"
    return cell.text


def _squeeze(text: str) -> str:
    return "".join(text.split())


class _Rollback(Exception):  # noqa: N818 - not an error: it undoes a dry run or a refused import
    """Raised inside the import transaction to undo it."""


@dataclass
class _Table:
    """A sheet read as a table: the header row and where each known column is."""

    importer: _Importer
    sheet: Sheet
    header_row: int
    columns: dict[str, int]
    extra: dict[str, int] = field(default_factory=dict)  # e.g. year columns of 年度目标

    def rows(self) -> Iterator[_Row]:
        wanted = [*self.columns.values(), *self.extra.values()]
        for number in range(self.header_row + 1, len(self.sheet.rows) + 1):
            if any(self.sheet.cell(number, c).value not in (None, "") for c in wanted):
                yield _Row(self, number)


@dataclass
class _Row:
    table: _Table
    number: int

    def has(self, header: str) -> bool:
        return header in self.table.columns

    def cell(self, header: str) -> Cell:
        column = self.table.columns.get(header)
        if column is None:
            return Cell(self.number, 0, None)
        return self.table.sheet.merged_value(self.number, column)

    def raw(self, header: str) -> str:
        """The cell's text exactly as it is (for texts that must come back unchanged)."""
        return cell_text(self.cell(header))

    def text(self, header: str) -> str:
        return self.raw(header).strip()

    def issue(self, header: str | None, message: str, severity: str = "error") -> None:
        column = self.table.columns.get(header) if header else None
        self.table.importer.add(message, self.table.sheet.name, self.number,
                                column_letter(column) if column else None, severity)

    def integer(self, header: str, *, minimum: int | None = None) -> int | None:
        cell = self.cell(header)
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
                isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)):
            number = int(value)
        if number is None or (minimum is not None and number < minimum):
            bound = f"不小于 {minimum} 的" if minimum is not None else ""
            self.issue(header, f"“{header}”应填{bound}整数，而这里是“{cell_text(cell)}”。")
            return None
        return number

    def decimal(self, header: str, default: float) -> float:
        cell = self.cell(header)
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            self.issue(header, f"“{header}”应填数字，而这里是“{cell_text(cell)}”。")
            return default

    def choice(self, header: str, labels: Mapping[E, str], default: E) -> E:
        text = self.text(header)
        if not text:
            return default
        found = _from_label(text, labels)
        if found is None:
            allowed = "、".join(labels.values())
            self.issue(header, f"“{header}”应为 {allowed} 之一，而这里是“{text}”。")
            return default
        return found

    def time_aggregation(self, header: str) -> TimeAggregation | None:
        """The time aggregation named by its label, its English code or a short word
        (流量, 存量, 平均 …); None when the cell is empty or the column absent."""
        text = self.text(header)
        if not text:
            return None
        wanted = "".join(text.split()).replace("(", "（").replace(")", "）")
        for member, words in _TIME_AGGREGATION_WORDS.items():
            if wanted in (member.label, member.value, *words):
                return member
        allowed = "、".join(TIME_AGGREGATION_LABELS.values())
        self.issue(header, f"“{header}”应为 {allowed} 之一，而这里是“{text}”。")
        return None

    def date_text(self, header: str) -> str | None:
        text = self.text(header)
        if not text:
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.issue(header, f"“{header}”应为日期（如 2021-01-04），而这里是“{text}”。")
            return None


@dataclass
class _ItemRow:
    row: _Row
    key: str
    parent: int | None  # index of the parent row
    level: int
    item_type: ItemType
    marker: str
    title: str
    body: str
    source_line: int | None
    source_text: str
    item_id: int | None = None


class _Importer:
    """One import: finds the tables, then writes inside a transaction, collecting issues."""

    def __init__(self, db: Database, book: WorkbookData) -> None:
        self.db = db
        self.book = book
        self.file = book.path.name
        self.issues: list[ImportIssue] = []
        self.counts: Counter[str] = Counter()
        self.mode = ImportMode.TASK_TABLE
        self.tables: dict[str, _Table] = {}
        self.plan: Plan | None = None
        self.plan_created = False
        self.unit_keys: dict[str, set[int]] = {}  # code / name / 简称 in the workbook → ids
        self.failed_units: set[str] = set()  # labels of unit rows that were refused
        self.created_names: dict[str, int] = {}  # units created for a hand-made table
        self.units_created: set[int] = set()
        self.units_updated: set[int] = set()
        self.elements: dict[str, int] = {}
        self.items: list[_ItemRow] = []
        self.item_by_key: dict[str, _ItemRow] = {}
        self.item_index: dict[str, int] = {}

    # -- issues -------------------------------------------------------------------------------

    def add(self, message: str, sheet: str | None = None, row: int | None = None,
            column: str | None = None, severity: str = "error") -> None:
        self.issues.append(ImportIssue(self.file, message, sheet, row, column, severity))

    @property
    def error_count(self) -> int:
        return sum(1 for i in self.issues if i.severity == "error")

    @property
    def failed(self) -> bool:
        return self.error_count > 0

    # -- structure ----------------------------------------------------------------------------

    def find_tables(self) -> None:
        sheets = {s.name.strip(): s for s in self.book.sheets}
        meta = sheets.get(SHEET_FORMAT)
        if meta is not None and cell_text(meta.cell(1, 2)).strip() == FORMAT_NAME:
            self.mode = ImportMode.PLAN_WORKBOOK
            version = meta.cell(2, 2).value
            if not isinstance(version, int | float) or version > FORMAT_VERSION:
                self.add(f"该工作簿由更新版本的 PlanDesk 导出（格式版本 {version}），本版本只能读取"
                         f"版本 {FORMAT_VERSION}。请升级 PlanDesk 后再导入。", SHEET_FORMAT, 2, "B")
                return
            for name in PLAN_SHEETS:
                if name not in sheets:
                    self.add(f"缺少工作表“{name}”。PlanDesk 导出的规划工作簿应有 "
                             f"{'、'.join(PLAN_SHEETS)} 六张工作表，请勿删除或改名。", name)
        elif SHEET_TASKS not in sheets:
            first = self.book.sheets[0] if self.book.sheets else None
            known = [n for n in PLAN_SHEETS if n in sheets]
            if first is not None and not known and self._header_row(first, TASK_COLUMNS,
                                                                    ("任务",))[0]:
                sheets[SHEET_TASKS] = first
                self.add(f"没有名为“{SHEET_TASKS}”的工作表，已按第一张工作表“{first.name}”读取"
                         "任务分解表。", first.name, severity="warning")
            else:
                self.add(f"缺少工作表“{SHEET_TASKS}”。手工编制的任务分解表至少要有这张工作表，"
                         "含“序号”“任务”“牵头单位”“配合单位”“完成时限”等列。", SHEET_TASKS)
                return
        required: dict[str, tuple[str, ...]] = {
            SHEET_TASKS: ("序号", "任务"), SHEET_UNITS: ("代码", "名称", "类型"),
            SHEET_INDICATORS: ("指标名称",), SHEET_ELEMENTS: ("代码", "名称"),
            SHEET_ANNUAL: ("指标名称",), SHEET_PLAN: ("项目", "内容"),
        }
        columns: dict[str, Sequence[Column]] = {
            SHEET_TASKS: TASK_COLUMNS, SHEET_UNITS: UNIT_COLUMNS,
            SHEET_INDICATORS: INDICATOR_COLUMNS, SHEET_ELEMENTS: ELEMENT_COLUMNS,
            SHEET_ANNUAL: (Column("序号", 0), Column("代码", 0), Column("指标名称", 0),
                           Column("说明", 0)),
            SHEET_PLAN: PLAN_COLUMNS,
        }
        if self.mode is ImportMode.PLAN_WORKBOOK:
            required[SHEET_INDICATORS] = ("代码", "指标名称")
            required[SHEET_ANNUAL] = ("代码", "指标名称")
        for name, sheet in sheets.items():
            if name not in columns:
                continue
            row, found = self._header_row(sheet, columns[name], required[name])
            if not row:
                missing = [h for h in required[name] if h not in found]
                self.add(f"缺少“{'”“'.join(missing)}”列。表头应在前 10 行内，"
                         f"并含有 {'、'.join(required[name])} 等列。", sheet.name, 1)
                continue
            table = _Table(self, sheet, row, found)
            if name == SHEET_ANNUAL:
                for c, cell in enumerate(sheet.rows[row - 1], start=1):
                    match = _YEAR_HEADER.match(_squeeze(cell_text(cell)))
                    if match:
                        table.extra[match.group(1)] = c
            self.tables[name] = table
        self._check_formulas()
        self._check_keys()

    def _header_row(self, sheet: Sheet, columns: Sequence[Column],
                    required: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The (last) header row, 0 when none, and the column of each header found there.

        A header of two rows, such as 责任单位 spanning 牵头单位 and 配合单位 below it, is read
        as one: the second row's headers refine the first's.
        """
        best: dict[str, int] = {}
        for number in range(1, min(len(sheet.rows), 10) + 1):
            found = self._headers_in(sheet, number, columns)
            if all(h in found for h in required):
                below = self._headers_in(sheet, number + 1, columns)
                key_column = found[required[0]]
                if below and sheet.cell(number + 1, key_column).value in (None, ""):
                    return number + 1, found | below
                return number, found
            if len(found) > len(best):
                best = found
        return 0, best

    @staticmethod
    def _headers_in(sheet: Sheet, number: int, columns: Sequence[Column]) -> dict[str, int]:
        if number > len(sheet.rows):
            return {}
        texts: dict[str, int] = {}
        for cell in sheet.rows[number - 1]:
            if isinstance(cell.value, str):
                texts.setdefault(_squeeze(cell.value), cell.column)
        found: dict[str, int] = {}
        for column in columns:
            for name in (column.header, *column.aliases):
                if name in texts and texts[name] not in found.values():
                    found[column.header] = texts[name]
                    break
        return found

    def _check_formulas(self) -> None:
        for table in self.tables.values():
            wanted = {*table.columns.values(), *table.extra.values()}
            for cells in table.sheet.rows[table.header_row - 1:]:
                for cell in cells:
                    if cell.formula and cell.column in wanted:
                        self.add(f"单元格是公式（{str(cell.value)[:40]}）。PlanDesk 不计算公式，"
                                 "请改为直接填写内容（复制后“选择性粘贴 → 数值”）。",
                                 table.sheet.name, cell.row, column_letter(cell.column))

    def _check_keys(self) -> None:
        for name, header in ((SHEET_TASKS, "序号"), (SHEET_UNITS, "代码"),
                             (SHEET_INDICATORS, "代码"), (SHEET_ELEMENTS, "代码")):
            table = self.tables.get(name)
            if table is None or header not in table.columns:
                continue
            seen: dict[str, int] = {}
            for row in table.rows():
                key = row.text(header)
                if not key:
                    if name != SHEET_INDICATORS:
                        row.issue(header, f"“{header}”不能为空。")
                    continue
                if key in seen:
                    row.issue(header, f"{header}“{key}”与第 {seen[key]} 行重复，"
                                      f"同一张表中的{header}不能重复。")
                else:
                    seen[key] = row.number

    # -- applying -----------------------------------------------------------------------------

    def apply(self) -> None:
        if SHEET_UNITS in self.tables:
            self.apply_units(self.tables[SHEET_UNITS])
        if SHEET_ELEMENTS in self.tables:
            self.apply_elements(self.tables[SHEET_ELEMENTS])
        self.apply_plan(self.tables.get(SHEET_PLAN))
        if self.plan is None:
            return
        existing_items = list_plan_items(self.db, self.plan.id)
        self.read_items(self.tables[SHEET_TASKS])
        self.store_items(existing_items)
        self.apply_assignments()
        if SHEET_INDICATORS in self.tables:
            self.apply_indicators(self.tables[SHEET_INDICATORS])
        if SHEET_ANNUAL in self.tables:
            self.apply_annual(self.tables[SHEET_ANNUAL])
        record_acting_event(self.db, "plan.import", "plan", self.plan.id,
                     new={"file": self.file, "mode": self.mode.value,
                          "created": self.plan_created, "counts": self.result(False).counts})

    # units

    def apply_units(self, table: _Table) -> None:
        rows = list(table.rows())
        sheet_codes = {row.text("代码") for row in rows}
        ids: dict[int, int] = {}  # row number → unit id
        types: dict[int, UnitType] = {}
        for row in rows:
            code, name, short = row.text("代码"), row.text("名称"), row.text("简称")
            errors = self.error_count
            if not name:
                row.issue("名称", "单位名称不能为空。")
            if not row.text("类型"):
                allowed = "、".join(UNIT_TYPE_LABELS.values())
                row.issue("类型", f"单位类型不能为空，应为 {allowed} 之一。")
            unit_type = row.choice("类型", UNIT_TYPE_LABELS, UnitType.DIVISION)
            fields: dict[str, Any] = {
                "short_name": short, "sort_order": row.integer("排序") or 0,
                "opened_on": row.date_text("启用日期"), "closed_on": row.date_text("撤销日期"),
                "note": row.raw("备注"), "staff": row.integer("人员", minimum=0),
                "premises": row.raw("办公场所"),
            }
            if not code or self.error_count > errors:
                self.failed_units.update({code, name, short} - {""})
                continue
            existing = self._db_unit_by_code(code)
            if existing is None:
                try:
                    by_name = find_unit_by_name(self.db, name)
                except ValidationError:
                    by_name = None
                if by_name is not None and by_name.code not in sheet_codes:
                    existing = by_name
                    row.issue("代码", f"数据库中已有同名单位“{by_name.name}”"
                                      f"（代码 {by_name.code}），已按名称对应并沿用其代码。",
                              "warning")
            try:
                with self.db.atomic():
                    if existing is None:
                        unit = create_unit(self.db, code, name, unit_type, **fields)
                        self.units_created.add(unit.id)
                    else:
                        unit = update_unit(self.db, existing.id, name=name,
                                           unit_type=unit_type, **fields)
                        if unit != existing:
                            self.units_updated.add(unit.id)
            except PlanDeskError as exc:
                row.issue("名称", exc.user_message)
                self.failed_units.update({code, name, short} - {""})
                continue
            ids[row.number] = unit.id
            types[row.number] = unit_type
            for key in {code, name, unit.code, short} - {""}:
                self.unit_keys.setdefault(key, set()).add(unit.id)
        looped = self._parent_cycles(rows, ids)
        for row in rows:
            if row.number not in ids or row.number in looped:
                continue
            unit_id = ids[row.number]
            parent_ref = row.text("上级")
            parent_id = self.resolve_unit(parent_ref, row, "上级") if parent_ref else None
            if parent_ref and parent_id is None:
                continue
            try:
                with self.db.atomic():
                    before = self.db.execute("SELECT parent_id FROM org_unit WHERE id = ?",
                                             [unit_id]).fetchone()[0]
                    update_unit(self.db, unit_id, parent_id=parent_id)
            except PlanDeskError as exc:
                row.issue("上级", exc.user_message)
                continue
            if before != parent_id and unit_id not in self.units_created:
                self.units_updated.add(unit_id)
        for row in rows:
            if row.number not in ids or not row.has("服务镇街"):
                continue
            refs = self.split_units(row.text("服务镇街"))
            if types[row.number] is not UnitType.STATION:
                if refs:
                    row.issue("服务镇街", "只有市场监管所才有服务镇街，"
                                          "请清空此格或把类型改为市场监管所。")
                continue
            towns = [self.resolve_unit(ref, row, "服务镇街") for ref in refs]
            if None in towns:
                continue
            try:
                with self.db.atomic():
                    set_townships(self.db, ids[row.number], [t for t in towns if t is not None])
            except PlanDeskError as exc:
                row.issue("服务镇街", exc.user_message)

    def _parent_cycles(self, rows: list[_Row], ids: dict[int, int]) -> set[int]:
        """Rows whose 上级 chain within the sheet comes back to them; each gets an issue."""
        row_of_unit = {unit_id: number for number, unit_id in ids.items()}
        by_number = {row.number: row for row in rows}
        parent: dict[int, int] = {}
        for row in rows:
            ref = row.text("上级")
            keys = self.unit_keys.get(ref) or self.unit_keys.get(_squeeze(ref)) or set()
            if row.number in ids and len(keys) == 1 and next(iter(keys)) in row_of_unit:
                parent[row.number] = row_of_unit[next(iter(keys))]
        looped: set[int] = set()
        for start in parent:
            chain = [start]
            while chain[-1] in parent and parent[chain[-1]] not in chain:
                chain.append(parent[chain[-1]])
            if chain[-1] in parent and parent[chain[-1]] == start:
                looped.update(chain)
        for number in sorted(looped):
            chain, current = [number], parent[number]
            while current != number:
                chain.append(current)
                current = parent[current]
            names = " → ".join(by_number[n].text("名称") for n in [*chain, number])
            by_number[number].issue("上级", f"上级关系成环（{names}），单位树不能成环。"
                                            "请改正其中一个单位的上级。")
        return looped

    def _db_unit_by_code(self, code: str) -> OrgUnit | None:
        try:
            return get_unit_by_code(self.db, code)
        except NotFoundError:
            return None

    @staticmethod
    def split_units(text: str) -> list[str]:
        return [part.strip() for part in UNIT_SEPARATORS.split(text) if part.strip()]

    def resolve_unit(self, ref: str, row: _Row, header: str) -> int | None:
        """The unit a cell names, by code, name or 简称 (spaces ignored); issues when not found.

        A hand-made task table may name units PlanDesk does not know: they are created as
        区级部门 with a warning, once per name.
        """
        if ref in self.failed_units:
            return None
        for key in (ref, _squeeze(ref)):
            ids = self.unit_keys.get(key)
            if ids and len(ids) == 1:
                return next(iter(ids))
            if ids:
                row.issue(header, f"单位“{ref}”在“单位”表中对应多个单位，请改用代码。")
                return None
        squeezed = {k: v for k, v in self.unit_keys.items() if _squeeze(k) == _squeeze(ref)}
        if len({i for ids in squeezed.values() for i in ids}) == 1:
            return next(iter(next(iter(squeezed.values()))))
        found = self._db_unit_by_code(ref)
        if found is not None:
            return found.id
        try:
            unit = find_unit_by_name(self.db, ref)
        except ValidationError as exc:
            row.issue(header, exc.user_message)
            return None
        if unit is not None:
            return unit.id
        if SHEET_UNITS in self.tables:
            row.issue(header, f"找不到单位“{ref}”：它既不在“单位”表中，也不在数据库中。"
                              "请检查名称，或先在“单位”表中添加它。")
            return None
        return self.create_named_unit(ref, row, header)

    def create_named_unit(self, name: str, row: _Row, header: str) -> int | None:
        key = _squeeze(name)
        if key in self.created_names:
            return self.created_names[key]
        number = 1
        while self._db_unit_by_code(f"WB{number:03d}") is not None:
            number += 1
        try:
            with self.db.atomic():
                unit = create_unit(self.db, f"WB{number:03d}", name, UnitType.OUTSIDE_DEPARTMENT,
                                   note=f"导入“{self.file}”时新建")
        except PlanDeskError as exc:
            row.issue(header, exc.user_message)
            return None
        self.created_names[key] = unit.id
        self.units_created.add(unit.id)
        row.issue(header, f"数据库中没有单位“{name}”，已新建为区级部门（代码 {unit.code}）。"
                          "如名称有误或类型不对，请在“单位”页修改。", "warning")
        return unit.id

    # data elements

    def apply_elements(self, table: _Table) -> None:
        known = {e.code: e for e in list_elements(self.db)}
        for row in table.rows():
            code, name = row.text("代码"), row.text("名称")
            if not code:
                continue
            if not name:
                row.issue("名称", "数据项名称不能为空。")
                continue
            value_type = row.choice("值类型", VALUE_TYPE_LABELS, ValueType.INTEGER)
            aggregation = row.choice("汇总方式", AGGREGATION_LABELS, Aggregation.SUM)
            # Absent in workbooks written before PlanDesk knew it: a new element then gets
            # the usual one for its type, an existing one keeps its own.
            time_aggregation = row.time_aggregation("时间汇总")
            entry_level = row.choice("填报层级", ENTRY_LEVEL_LABELS, EntryLevel.STATION)
            unit, scale = row.text("计量单位"), row.decimal("换算系数", 1.0)
            description = row.raw("说明")
            wanted: dict[str, Any] = {
                "name": name, "value_type": value_type, "aggregation": aggregation,
                "entry_level": entry_level, "unit": unit, "unit_scale": scale,
                "description": description}
            if time_aggregation is not None:
                wanted["time_aggregation"] = time_aggregation
            existing = known.get(code)
            if existing is None:
                element = add_element(
                    self.db, code, name, value_type=value_type, aggregation=aggregation,
                    entry_level=entry_level, unit=unit, unit_scale=scale,
                    description=description, time_aggregation=time_aggregation)
                self.counts["elements_created"] += 1
            else:
                element = existing
                differing = [k for k, v in wanted.items() if getattr(existing, k) != v]
                if differing:
                    fields = "、".join(_ELEMENT_FIELD_LABELS[k] for k in differing)
                    row.issue("代码", f"数据项“{code}”已存在，定义与工作簿不同（{fields}），"
                                      "保留数据库中的定义（它可能已被其他规划和已填报的数值使用）。",
                              "warning")
            self.elements[code] = element.id

    def resolve_element(self, ref: str, row: _Row, header: str) -> int | None:
        if ref in self.elements:
            return self.elements[ref]
        elements = list_elements(self.db)
        by_code = [e for e in elements if e.code == ref]
        by_name = [e for e in elements if _squeeze(e.name) == _squeeze(ref)]
        found: list[DataElement] = by_code or by_name
        if len(found) == 1:
            return found[0].id
        why = "（名称对应多个数据项，请写代码）" if found else ""
        row.issue(header, f"找不到数据项“{ref}”{why}。请在“数据项”表中添加它，或改正代码。")
        return None

    # plan

    def apply_plan(self, table: _Table | None) -> None:
        if table is None:
            self.plan = create_plan_for_file(self.db, self.file)
            self.plan_created = True
            self.add(f"没有“{SHEET_PLAN}”工作表，已按文件名新建规划“{self.plan.title}”"
                     f"（{self.plan.period_label}，代码 {self.plan.code}），"
                     "请在规划页核对名称和年份。", severity="warning")
            return
        rows: dict[str, _Row] = {}
        for row in table.rows():
            key = _squeeze(row.text("项目"))
            if key in PLAN_FIELDS:
                rows.setdefault(key, row)
            elif key:
                row.issue("项目", f"不认识的项目“{key}”，已忽略。", "warning")

        def text(key: str) -> str:
            return rows[key].raw("内容") if key in rows else ""

        def stripped(key: str) -> str:
            return text(key).strip()

        def year(key: str) -> int | None:
            return rows[key].integer("内容", minimum=1900) if key in rows else None

        def issue(key: str, message: str) -> None:
            if key in rows:
                rows[key].issue("内容", message)
            else:
                self.add(message, SHEET_PLAN)

        title = stripped("规划名称")
        if not title:
            issue("规划名称", "规划名称不能为空。")
            return
        start, end = year("起始年"), year("结束年")
        if start is None or end is None:
            guessed = guess_plan_years(f"{title} {self.file}")
            start, end = start or guessed[0], end or guessed[1]
        baseline = year("基期年") or start - 1
        level = (_from_label(stripped("层级"), PLAN_LEVEL_LABELS) if stripped("层级")
                 else PlanLevel.DISTRICT)
        if level is None:
            issue("层级", f"层级应为 {'、'.join(PLAN_LEVEL_LABELS.values())} 之一。")
            return
        kind = next((k for k, v in PLAN_KIND_LABELS.items() if stripped("类型") in (k, v)),
                    None) if stripped("类型") else "main"
        if kind is None:
            issue("类型", f"类型应为 {'、'.join(PLAN_KIND_LABELS.values())} 之一。")
            return
        owner: int | None = None
        if stripped("编制单位"):
            owner = self.resolve_unit(stripped("编制单位"), rows["编制单位"], "内容")
        dates: dict[str, str | None] = {}
        for key, column in (("印发日期", "issued_on"), ("发布日期", "published_on")):
            dates[column] = rows[key].date_text("内容") if key in rows else None
        demo = stripped("演示数据")
        if demo not in ("", "是", "否"):
            issue("演示数据", "演示数据应填“是”或“否”。")
        details: dict[str, Any] = {
            "short_title": stripped("简称"), "issuer": stripped("发布机关"),
            "doc_number": stripped("文号"), **dates, "level": level.value, "kind": kind,
            "owner_unit_id": owner, "source_name": text("来源文件"),
            "source_hash": stripped("来源校验值"), "is_demo": int(demo == "是"),
            "note": text("备注"),
        }
        code = stripped("规划代码")
        existing = None
        if code:
            existing = next((p for p in list_plans(self.db) if p.code == code), None)
        if existing is not None and self.mode is ImportMode.TASK_TABLE:
            issue("规划代码", f"数据库中已有代码为“{code}”的规划“{existing.title}”。"
                             "手工编制的任务分解表只能新建规划；要更新已有规划，"
                             "请导入由 PlanDesk 导出的规划工作簿，或删去规划代码以新建。")
            return
        if not (baseline < start <= end):
            issue("起始年", f"年份不正确：基期年 {baseline} 应早于起始年 {start}，"
                           f"起始年应不晚于结束年 {end}。")
            return
        if existing is None:
            code = code or _unique_plan_code(self.db, Path(self.file).stem)
            self.plan = create_plan(self.db, code, title, start_year=start, end_year=end,
                                    baseline_year=baseline, **details)
            self.plan_created = True
            return
        values = {"title": title, "start_year": start, "end_year": end,
                  "baseline_year": baseline, **details}
        self.plan = _update_plan_row(self.db, existing, values)

    # outline

    def read_items(self, table: _Table) -> None:
        stack: list[int] = []  # indexes of the open ancestors (by 层级)
        for row in table.rows():
            key = row.text("序号")
            if not key or key in self.item_by_key:
                continue  # reported by _check_keys
            type_text = row.text("类型")
            item_type = ItemType.TASK
            if type_text:
                found = _from_label(type_text, ITEM_TYPE_LABELS)
                if found is None:
                    row.issue("类型", f"类型应为 {'、'.join(ITEM_TYPE_LABELS.values())} 之一，"
                                      f"而这里是“{type_text}”。")
                else:
                    item_type = found
            title = row.raw("任务")
            if not title.strip() and item_type in (ItemType.TASK, ItemType.CHAPTER,
                                                   ItemType.SECTION, ItemType.HEADING):
                row.issue("任务", "任务（标题）不能为空。")
            level = row.integer("层级", minimum=1)
            parent: int | None = None
            parent_key = row.text("上级序号")
            if parent_key:
                parent = self.item_index.get(parent_key)
                if parent is None:
                    row.issue("上级序号", f"上级序号“{parent_key}”应是本表中本行之前某一行的序号。")
            elif level is not None and not row.has("上级序号"):
                while stack and self.items[stack[-1]].level >= level:
                    stack.pop()
                parent = stack[-1] if stack else None
            if level is None:
                level = self.items[parent].level + 1 if parent is not None else 1
            item = _ItemRow(row, key, parent, level, item_type, row.text("编号"), title,
                            row.raw("内容"), row.integer("原文行", minimum=0), row.raw("原文"))
            self.item_index[key] = len(self.items)
            self.items.append(item)
            self.item_by_key[key] = item
            stack.append(len(self.items) - 1)

    def store_items(self, existing: list[PlanItem]) -> None:
        assert self.plan is not None
        matched = _match_items(existing, self.items)
        keep = {item.id for item in matched.values()}
        dropped = [item for item in existing if item.id not in keep]
        if dropped:
            busy = self.db.execute(
                f"SELECT DISTINCT p.title FROM task_progress t JOIN plan_item p "
                f"ON p.id = t.plan_item_id WHERE p.id IN ({','.join('?' * len(dropped))})",
                [item.id for item in dropped]).fetchall()
            if busy:
                names = "、".join(f"“{r[0][:20]}”" for r in busy[:5])
                self.add(f"规划中的条目 {names}{'等' if len(busy) > 5 else ''}已有进展填报，"
                         "但工作簿中没有它们（或改了它们的上级），导入会删除这些填报。"
                         "请在工作簿中保留这些条目。", SHEET_TASKS)
                return
            for item in dropped:
                self.db.execute("DELETE FROM plan_item WHERE id = ?", [item.id])
            self.counts["plan_items_deleted"] += len(dropped)
        order: Counter[int | None] = Counter()
        for index, row in enumerate(self.items):
            parent_id = self.items[row.parent].item_id if row.parent is not None else None
            sort_order = order[row.parent]
            order[row.parent] += 1
            values = {"parent_id": parent_id, "sort_order": sort_order,
                      "item_type": row.item_type.value, "level": row.level,
                      "marker": row.marker, "title": row.title, "body": row.body,
                      "source_line": row.source_line, "source_text": row.source_text}
            current = matched.get(index)
            if current is None:
                row.item_id = _insert_item(self.db, self.plan.id, values)
                self.counts["plan_items_created"] += 1
            else:
                row.item_id = current.id
                if _update_item_row(self.db, current, values):
                    self.counts["plan_items_updated"] += 1
        if dropped:
            record_acting_event(self.db, "plan_item.delete", "plan", self.plan.id,
                         old=[{"id": i.id, "title": i.title} for i in dropped])

    def resolve_units(self, row: _Row, header: str) -> list[int] | None:
        """The units a cell lists (``None`` when one of them is not found).

        ``各所`` and ``各镇街`` stand for every station or township that is not closed.
        """
        ids: list[int] = []
        complete = True
        for ref in self.split_units(row.text(header)):
            group = next((t for pattern, t in _GROUPS if pattern.match(_squeeze(ref))), None)
            if group is not None:
                members = [u for u in list_units(self.db, group) if not u.closed_on]
                if not members:
                    row.issue(header,
                              f"“{ref}”指全部{group.label}，但数据库中还没有{group.label}。")
                    complete = False
                    continue
                names = "、".join(u.display_name for u in members)
                row.issue(header, f"“{ref}”已展开为 {len(members)} 个{group.label}：{names}。",
                          "warning")
                ids.extend(u.id for u in members)
                continue
            unit_id = self.resolve_unit(ref, row, header)
            if unit_id is None:
                complete = False
            else:
                ids.append(unit_id)
        return list(dict.fromkeys(ids)) if complete else None

    def apply_assignments(self) -> None:
        for item in self.items:
            row = item.row
            lead = self.resolve_units(row, "牵头单位")
            coop = self.resolve_units(row, "配合单位")
            if lead is None or coop is None or item.item_id is None:
                continue
            coop = [u for u in coop if u not in lead]
            milestones = self.read_milestones(row, "年度节点")
            deadline, note = row.text("完成时限") or None, row.raw("备注")
            if not lead and not coop:
                if deadline or milestones or note.strip():
                    row.issue("完成时限" if deadline else "年度节点" if milestones else "备注",
                              "这一行没有牵头单位或配合单位，完成时限、年度节点和备注无处保存，"
                              "已忽略。请填写牵头单位。", "warning")
                if clear_assignments(self.db, item.item_id):
                    self.counts["assignments_removed"] += 1
                continue
            if coop and not lead:
                row.issue("牵头单位", "这项任务只有配合单位，没有牵头单位。", "warning")
            before = item_assignment_details(self.db, item.item_id)
            try:
                with self.db.atomic():
                    after = set_assignments(
                        self.db, item.item_id, lead=lead, cooperating=coop, deadline=deadline,
                        note=note, milestones=milestones)
            except PlanDeskError as exc:
                row.issue("牵头单位" if "牵头" in exc.user_message else "年度节点",
                          exc.user_message)
                continue
            if after != before:
                self.counts["assignments"] += len(after)

    def read_milestones(self, row: _Row, header: str) -> dict[int, str]:
        text = row.raw(header)
        result: dict[int, str] = {}
        current: int | None = None
        for line in text.split("\n"):
            match = _MILESTONE_LINE.match(line)
            if match:
                current = int(match.group(1))
                if current in result:
                    row.issue(header, f"{current} 年写了两次。")
                result[current] = match.group(2)
            elif current is not None:
                result[current] += "\n" + line
            elif line.strip():
                row.issue(header, "应逐行写成“2022年：完成……”的形式，"
                                  f"而这里是“{line.strip()[:30]}”。")
                return {}
        return result

    # indicators

    def apply_indicators(self, table: _Table) -> None:
        assert self.plan is not None
        plan = self.plan
        generated = 0
        seen: list[int] = []
        duplicates: list[tuple[int, _Row]] = []
        given = {row.text("代码") for row in table.rows()} - {""}
        for order, row in enumerate(table.rows(), start=1):
            errors = self.error_count
            name_printed = row.raw("指标名称")
            if not name_printed.strip():
                row.issue("指标名称", "指标名称不能为空。")
                continue
            code = row.text("代码")
            while not code or (code in given and not row.text("代码")):
                generated += 1  # a code for a row without one, used by no other row or plan
                code = f"I{generated:02d}"
                if find_indicator(self.db, plan.id, code=code) is not None:
                    code = ""
            numerator = denominator = None
            if row.text("分子数据项"):
                numerator = self.resolve_element(row.text("分子数据项"), row, "分子数据项")
            if row.text("分母数据项"):
                denominator = self.resolve_element(row.text("分母数据项"), row, "分母数据项")
                if not row.text("分子数据项"):
                    row.issue("分母数据项", "有分母数据项时必须填写分子数据项。")
            source_item = None
            if row.text("出处条目"):
                item = self.item_by_key.get(row.text("出处条目"))
                if item is None:
                    row.issue("出处条目", f"出处条目“{row.text('出处条目')}”"
                                          "应是“任务分解”表中的序号。")
                else:
                    source_item = item.item_id
            spec = IndicatorSpec(
                code=code, seq_printed=row.text("序号"), name_printed=name_printed,
                name=row.raw("规范名称") or name_printed.strip(), category=row.text("类别"),
                attribute=row.choice("属性", ATTRIBUTE_LABELS, Attribute.EXPECTED),
                baseline_text=row.raw("基期值"), target_text=row.raw("目标值"),
                direction=self._direction(row),
                time_semantics=row.choice("时间口径", TIME_SEMANTICS_LABELS, TimeSemantics.STOCK),
                unit_printed=row.raw("单位"), unit_canonical=row.raw("标准单位"),
                unit_scale=row.decimal("换算系数", 1.0), numerator_id=numerator,
                denominator_id=denominator, factor=row.decimal("系数", 1.0),
                source_line=row.integer("出处行", minimum=0),
                source_text=row.raw("出处"), note=row.raw("备注"),
                origin=row.choice("来源", ORIGIN_LABELS, Origin.WORKBOOK),
                target_type=row.choice("目标类型", {t: t.label for t in TargetType},
                                       TargetType.LEVEL),
                source_item_id=source_item)
            if self.error_count > errors:
                continue
            indicator = self._store_indicator(plan.id, order, spec)
            seen.append(indicator.id)
            units: dict[int, str] = {}
            for header, role in (("责任单位", "lead"), ("配合单位", "cooperate")):
                for unit_id in self.resolve_units(row, header) or []:
                    units.setdefault(unit_id, role)
            if units != indicator_units(self.db, indicator.id):
                set_indicator_units(self.db, indicator.id, units)
            duplicates.append((indicator.id, row))
        by_code = {i.code: i for i in list_indicators(self.db, plan.id)}
        for indicator_id, row in duplicates:
            ref = row.text("重复指标")
            target = by_code.get(ref) if ref else None
            if ref and target is None:
                row.issue("重复指标", f"重复指标“{ref}”应是本表中另一项指标的代码。")
                continue
            wanted = target.id if target is not None else None
            current = next(i for i in by_code.values() if i.id == indicator_id)
            if current.duplicate_of != wanted:
                update_indicator(self.db, indicator_id, duplicate_of=wanted)
        if self.mode is ImportMode.PLAN_WORKBOOK and not self.failed:
            for indicator in by_code.values():
                if indicator.id not in seen:
                    delete_indicator(self.db, indicator.id)  # audited there
                    self.counts["indicators_deleted"] += 1

    def _direction(self, row: _Row) -> Direction:
        text = row.text("方向")
        if text in _DIRECTION_ALIASES:
            return _DIRECTION_ALIASES[text]
        return row.choice("方向", DIRECTION_LABELS, Direction.UP)

    def _store_indicator(self, plan_id: int, order: int, spec: IndicatorSpec) -> Indicator:
        existing = find_indicator(self.db, plan_id, code=spec.code)
        if existing is None:
            indicator = add_indicator(self.db, plan_id, order, spec)  # audited there
            self.counts["indicators_created"] += 1
            return indicator
        wanted: dict[str, Any] = {
            "seq_printed": spec.seq_printed, "sort_order": order,
            "name_printed": spec.name_printed, "name": spec.name, "category": spec.category,
            "attribute": spec.attribute, "unit_printed": spec.unit_printed,
            "unit_canonical": spec.unit_canonical, "unit_scale": spec.unit_scale,
            "direction": spec.direction, "time_semantics": spec.time_semantics,
            "numerator_id": spec.numerator_id, "denominator_id": spec.denominator_id,
            "factor": spec.factor, "baseline_text": spec.baseline_text,
            "target_text": spec.target_text, "source_line": spec.source_line,
            "source_text": spec.source_text, "note": spec.note, "origin": spec.origin,
            "target_type": spec.target_type, "source_item_id": spec.source_item_id,
        }
        current: dict[str, Any] = {
            "baseline_text": existing.baseline.text, "target_text": existing.target.text}
        for key in wanted:
            current.setdefault(key, getattr(existing, key, None))
        changed = {k: v for k, v in wanted.items() if current[k] != v}
        if not changed:
            return existing
        indicator = update_indicator(self.db, existing.id, **changed)  # audited there
        self.counts["indicators_updated"] += 1
        return indicator

    # annual targets

    def apply_annual(self, table: _Table) -> None:
        assert self.plan is not None
        plan = self.plan
        indicators = list_indicators(self.db, plan.id)
        by_code = {i.code: i for i in indicators}
        by_name = {_squeeze(i.name_printed): i for i in indicators}
        done: set[int] = set()
        for row in table.rows():
            indicator = by_code.get(row.text("代码")) if row.text("代码") else None
            if indicator is None and not row.text("代码"):
                indicator = by_name.get(_squeeze(row.text("指标名称")))
            if indicator is None:
                row.issue("代码" if row.text("代码") else "指标名称",
                          f"年度目标所属的指标“{row.text('代码') or row.text('指标名称')}”"
                          "不在“指标”表中。")
                continue
            if indicator.id in done:
                row.issue("代码", f"指标“{indicator.name}”的年度目标写了两行。")
                continue
            done.add(indicator.id)
            targets: dict[int, str] = {}
            for year_text, column in sorted(table.extra.items()):
                cell = table.sheet.merged_value(row.number, column)
                text = cell_text(cell)
                if text.strip():
                    targets[int(year_text)] = text
                    if int(year_text) not in plan.years:
                        self.add(f"{year_text} 年不在规划期 {plan.period_label}内，仍按填写保存。",
                                 table.sheet.name, row.number, column_letter(column), "warning")
            notes = self.read_milestones(row, "说明")
            for year in notes:
                if year not in targets:
                    row.issue("说明", f"说明中的 {year} 年没有对应的年度目标。")
            current = {a.year: (a.target.text, a.note) for a in indicator.annual_targets}
            wanted = {y: (t, notes.get(y, "")) for y, t in targets.items()}
            if current != wanted:
                set_annual_targets(self.db, indicator.id, targets, notes)
                self.counts["annual_targets"] += len(targets)
        if self.mode is ImportMode.PLAN_WORKBOOK:
            for indicator in indicators:
                if indicator.id not in done and indicator.annual_targets:
                    set_annual_targets(self.db, indicator.id, {})

    def result(self, dry_run: bool) -> PlanImportResult:
        plan = self.plan
        written = not self.failed and not dry_run
        counts = dict(self.counts)
        counts["units_created"] = len(self.units_created)
        counts["units_updated"] = len(self.units_updated - self.units_created)
        return PlanImportResult(
            file=self.file, dry_run=dry_run, mode=self.mode,
            plan_id=plan.id if plan is not None and written else None,
            plan_code=plan.code if plan else "", plan_title=plan.title if plan else "",
            plan_created=self.plan_created, counts=counts, issues=tuple(self.issues))


_ELEMENT_FIELD_LABELS = {"name": "名称", "value_type": "值类型", "aggregation": "汇总方式",
                         "entry_level": "填报层级", "unit": "计量单位", "unit_scale": "换算系数",
                         "description": "说明", "time_aggregation": "时间汇总"}


def _match_items(existing: list[PlanItem], rows: list[_ItemRow]) -> dict[int, PlanItem]:
    """Which stored item each workbook row is (by row index), so that an update keeps ids.

    Among the children of matched parents, a row is the item with the same type, marker and
    title; failing that, the item of the same type at the same position (a renamed item).
    """
    stored: dict[int | None, list[PlanItem]] = {}
    for item in existing:
        stored.setdefault(item.parent_id, []).append(item)
    given: dict[int | None, list[int]] = {}
    for index, row in enumerate(rows):
        given.setdefault(row.parent, []).append(index)
    matched: dict[int, PlanItem] = {}

    def visit(stored_parent: int | None, row_parent: int | None) -> None:
        candidates = stored.get(stored_parent, [])
        taken: set[int] = set()
        indexes = given.get(row_parent, [])
        for index in indexes:
            row = rows[index]
            for item in candidates:
                if item.id not in taken and (item.item_type, item.marker, item.title) == (
                        row.item_type, row.marker, row.title):
                    matched[index] = item
                    taken.add(item.id)
                    break
        for position, index in enumerate(indexes):
            if index in matched or position >= len(candidates):
                continue
            item = candidates[position]
            if item.id not in taken and item.item_type is rows[index].item_type:
                matched[index] = item
                taken.add(item.id)
        for index in indexes:
            if index in matched:
                visit(matched[index].id, index)

    visit(None, None)
    return matched


# Plan and outline rows are written here until models/plans.py offers update functions.

_ITEM_COLUMNS = ("parent_id", "sort_order", "item_type", "level", "marker", "title", "body",
                 "source_line", "source_text")


def _insert_item(db: Database, plan_id: int, values: dict[str, Any]) -> int:
    cursor = db.execute(
        f"INSERT INTO plan_item (plan_id, {', '.join(_ITEM_COLUMNS)}) "
        f"VALUES (?, {', '.join('?' for _ in _ITEM_COLUMNS)})",
        [plan_id, *(values[c] for c in _ITEM_COLUMNS)])
    return int(cursor.lastrowid or 0)


def _update_item_row(db: Database, item: PlanItem, values: dict[str, Any]) -> bool:
    current = {c: getattr(item, c) for c in _ITEM_COLUMNS}
    current["item_type"] = item.item_type.value
    changed = {c: v for c, v in values.items() if current[c] != v}
    if not changed:
        return False
    db.execute(f"UPDATE plan_item SET {', '.join(f'{c} = ?' for c in changed)} WHERE id = ?",
               [*changed.values(), item.id])
    return True


def _update_plan_row(db: Database, plan: Plan, values: dict[str, Any]) -> Plan:
    current = {k: getattr(plan, k) for k in values}
    current["level"] = plan.level.value
    current["is_demo"] = int(plan.is_demo)
    changed = {k: v for k, v in values.items() if current[k] != v}
    if changed:
        db.execute(f"UPDATE plan SET {', '.join(f'{c} = ?' for c in changed)} WHERE id = ?",
                   [*changed.values(), plan.id])
        record_acting_event(db, "plan.update", "plan", plan.id,
                            old={k: current[k] for k in changed}, new=changed)
    return get_plan(db, plan.id)


def _unique_plan_code(db: Database, stem: str) -> str:
    base = re.sub(r"\W+", "-", stem).strip("-")[:40] or "PLAN"
    code, number = base, 1
    while db.execute("SELECT 1 FROM plan WHERE code = ?", [code]).fetchone():
        number += 1
        code = f"{base}-{number}"
    return code


def import_plan(db: Database, path: Path, *, dry_run: bool = False) -> PlanImportResult:
    """Read a plan workbook (or a hand-made 任务分解表) into the database, all or nothing.

    A workbook exported by :func:`export_plan` creates the plan, or updates the plan with the
    same code: units are matched by code, else by name; outline items by their place, type and
    title; indicators by code. A workbook with only a 任务分解 sheet (序号, 任务, 牵头单位,
    配合单位, 完成时限) sets up a new plan named after the file; units it names that PlanDesk
    does not know are created as 区级部门, each with a warning.

    Nothing is written when any error is found, nor in a dry run; the result lists every
    problem with its file, sheet, row and column.

    Raises:
        PermissionDenied: the user acting on the connection may not edit the plan (checked
            before reading, also for a dry run); audited, nothing written.
    """
    path = Path(path)
    require_acting(db, Action.EDIT_PLAN, what=f"（导入规划工作簿“{path.name}”）")
    try:
        book = read_workbook(path)
    except ImportFormatError as exc:
        issue = ImportIssue(path.name, exc.user_message)
        return PlanImportResult(path.name, dry_run, issues=(issue,))
    importer = _Importer(db, book)
    importer.find_tables()
    if importer.failed:
        return importer.result(dry_run)
    try:
        with db.atomic():
            importer.apply()
            if importer.failed or dry_run:
                raise _Rollback
    except _Rollback:
        log.info("import of %s undone (dry run %s, errors %s)", path, dry_run, importer.failed)
    except PlanDeskError as exc:
        importer.add(exc.user_message)
    result = importer.result(dry_run)
    if result.written:
        log.info("plan workbook %s imported: %s", path, result.counts)
    return result
