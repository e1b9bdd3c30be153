"""Import a plan's indicator table (专栏) from a workbook: preview every row, then write it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlite_utils import Database

from desktop.excel.reading import Cell, Sheet, column_letter, read_workbook
from desktop.models.errors import ImportFormatError, ImportIssue
from desktop.models.indicators import (
    Attribute,
    Direction,
    Indicator,
    IndicatorSpec,
    Origin,
    TargetType,
    TimeSemantics,
    find_indicator,
    upsert_indicator,
)
from desktop.models.plans import Plan, get_plan
from desktop.models.printed import Comparator, PrintedValue, ValueKind, parse_printed

__all__ = [
    "BINDING_LABEL",
    "EXPECTED_LABEL",
    "HEADER_SCAN_ROWS",
    "IndicatorRow",
    "IndicatorTablePreview",
    "apply_indicator_table",
    "parse_indicator_workbook",
    "plan_year_issues",
    "printed_comparator",
]

#: The header must start on one of the first rows of a sheet (a title and notes may come first).
HEADER_SCAN_ROWS = 20
BINDING_LABEL = Attribute.BINDING.label  # 约束性
EXPECTED_LABEL = Attribute.EXPECTED.label  # 预期性

ERROR = "error"
WARNING = "warning"

# Table columns the importer understands.
SEQ, NAME, BASELINE, TARGET, ATTRIBUTE, CATEGORY, UNIT = (
    "seq", "name", "baseline", "target", "attribute", "category", "unit")
_FIELD_LABELS = {
    SEQ: "序号", NAME: "指标名称", BASELINE: "基期值", TARGET: "目标值", ATTRIBUTE: "指标属性",
    CATEGORY: "类别", UNIT: "单位",
}


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator row of the table as read, with the problems found in its cells.

    ``name`` is the name without its unit and without any whitespace; ``name_printed`` is the
    cell's text with only the surrounding whitespace removed. ``baseline`` and ``target`` keep
    the cell as printed in their ``text`` (edges trimmed, full-width ASCII made half-width; a
    percent-formatted number becomes ``98%``). ``issues`` are this row's doubtful cells (each
    names its column); a row with an error is never written unless fixed and read again.
    """

    sheet: str
    row: int
    seq: int | None
    seq_printed: str
    name: str
    name_printed: str
    unit: str
    category: str
    attribute: str | None  # 约束性 / 预期性, None when not printed
    baseline: PrintedValue
    target: PrintedValue
    code: str
    issues: tuple[ImportIssue, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == ERROR for issue in self.issues)

    @property
    def doubtful_columns(self) -> frozenset[str]:
        """Column letters of the cells the user should look at (errors and warnings)."""
        return frozenset(issue.column for issue in self.issues if issue.column)


@dataclass(frozen=True)
class IndicatorTablePreview:
    """Everything read from a workbook's indicator table, shown to the user before writing."""

    file: str  # the file's name, as used in messages
    path: Path
    sheet: str | None  # the sheet the table was read from
    header_row: int | None  # first row of the header (1-based)
    baseline_year: int | None  # printed in the header (2020), else None
    target_year: int | None
    title: str  # the table's title printed above the header (专栏1：…), or ""
    columns: dict[str, str] = field(default_factory=dict)  # field → column letter
    rows: tuple[IndicatorRow, ...] = ()
    issues: tuple[ImportIssue, ...] = ()  # every issue, the rows' included, in sheet order

    @property
    def errors(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    @property
    def valid_rows(self) -> tuple[IndicatorRow, ...]:
        """The rows without errors: what "import the valid rows" writes."""
        return tuple(row for row in self.rows if not row.has_errors)


# --- public functions ----------------------------------------------------------------------


def parse_indicator_workbook(path: Path | str, sheet: str | None = None) -> IndicatorTablePreview:
    """Read the indicator table of a workbook (.xlsx, .xls or .ods) without writing anything.

    The table is looked for on every sheet (or only on ``sheet``): its header may start on any
    of the first :data:`HEADER_SCAN_ROWS` rows and span two rows. Categories come from a
    category column (merged or filled down) or from rows of their own (一、市场活力); units from
    the name (（万户）, ``%``) or a unit column. Spacer rows are skipped and the table ends at
    its first footnote (注：…, 数据来源：…).

    Args:
        path: The workbook.
        sheet: Read only this sheet (for a workbook where several sheets hold a table).

    Returns:
        The preview: every row read and every issue, errors and warnings.

    Raises:
        ImportFormatError: the file is missing, not a workbook, damaged, encrypted or too large.
    """
    path = Path(path)
    book = read_workbook(path)
    file = path.name
    sheets = book.sheets
    if sheet is not None:
        sheets = [s for s in sheets if s.name == sheet]
        if not sheets:
            names = "、".join(f"“{s.name}”" for s in book.sheets)
            return _empty(file, path, [ImportIssue(
                file, f"工作簿中没有名为“{sheet}”的工作表（现有工作表：{names}）。", sheet)])
    found: list[tuple[Sheet, _Header]] = []
    missing: list[ImportIssue] = []
    for candidate in sheets:
        header = _find_header(candidate)
        if header is None:
            missing.append(ImportIssue(
                file,
                f"工作表“{candidate.name}”的前 {HEADER_SCAN_ROWS} 行中找不到指标表的表头。表头应含"
                "“指标名称”（或“指标”“名称”）列，以及“2025年”（或“目标值”）、“2020年”（或"
                "“基期值”）等列。",
                candidate.name))
            continue
        found.append((candidate, header))
    if not found:
        return _empty(file, path, missing or [ImportIssue(file, "工作簿中没有任何工作表。")])
    parsed = [(s, h, *_parse_sheet(file, s, h)) for s, h in found]
    # The sheet with the most indicator rows; the first of them when several have as many.
    best = max(range(len(parsed)), key=lambda i: (len(parsed[i][2]), -i))
    chosen_sheet, header, rows, sheet_issues = parsed[best]
    issues: list[ImportIssue] = []
    if len(parsed) > 1:
        others = "、".join(f"“{item[0].name}”" for item in parsed if item[0] is not chosen_sheet)
        issues.append(ImportIssue(
            file,
            f"工作簿中有 {len(parsed)} 个工作表含指标表表头，已读取“{chosen_sheet.name}”"
            f"（{len(rows)} 行指标），未读取 {others}。如需导入其他工作表，请指定该工作表。",
            chosen_sheet.name, severity=WARNING))
    issues.extend(sheet_issues)
    issues.extend(issue for row in rows for issue in row.issues)
    issues.sort(key=lambda issue: (issue.row or 0))
    return IndicatorTablePreview(
        file=file, path=path, sheet=chosen_sheet.name, header_row=header.row,
        baseline_year=header.baseline_year, target_year=header.target_year,
        title=_title(chosen_sheet, header),
        columns={key: column_letter(col) for key, col in header.columns.items()},
        rows=tuple(rows), issues=tuple(issues))


def apply_indicator_table(
    db: Database,
    plan_id: int,
    preview: IndicatorTablePreview,
    rows: Sequence[IndicatorRow] | None = None,
) -> dict[str, int]:
    """Write the previewed indicators into a plan, all or nothing.

    An indicator already in the plan with the same name (or, failing that, the same code
    ``I05``) is updated in what the table prints (sequence number, name, category, attribute,
    unit, baseline, target); what the table cannot say (direction, time semantics, formula,
    origin, source) is kept. New indicators get the code ``I{seq:02}`` when a sequence number
    is printed, else a code derived from the name, so importing the same table again updates
    instead of duplicating.

    Args:
        rows: ``None`` to write the whole table, refused when the preview has any error; or
            the rows to write (typically ``preview.valid_rows``), each free of errors.

    Returns:
        How many indicators were ``created``, ``updated`` and ``unchanged``.

    Raises:
        ImportFormatError: the preview has errors (and no rows were chosen) or a chosen row
            has errors; nothing is written.
        NotFoundError: there is no such plan.
    """
    plan = get_plan(db, plan_id)
    if rows is None:
        if preview.errors:
            first = preview.errors[0]
            raise ImportFormatError(
                f"文件“{preview.file}”有 {len(preview.errors)} 处错误，未导入任何指标，"
                f"数据库未作改动。第一处：{first}",
                f"{len(preview.errors)} errors in {preview.file}")
        chosen: Sequence[IndicatorRow] = preview.rows
    else:
        chosen = rows
        bad = [row for row in chosen if row.has_errors or row not in preview.rows]
        if bad:
            raise ImportFormatError(
                f"文件“{preview.file}”第 {bad[0].row} 行有错误（或不属于本次读取的表格），"
                "未导入任何指标，数据库未作改动。",
                f"rows with errors chosen: {[row.row for row in bad]}")
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with db.atomic():
        touched: set[int] = set()
        names: set[str] = set()
        for row in chosen:
            if row.name in names:  # the same row printed twice: written once
                continue
            names.add(row.name)
            existing = _existing(db, plan.id, row, touched)
            spec = _update_spec(row, existing) if existing else _new_spec(
                db, plan.id, row, preview)
            indicator, status = upsert_indicator(db, plan.id, spec)
            touched.add(indicator.id)
            counts[status] += 1
    return counts


def plan_year_issues(preview: IndicatorTablePreview, plan: Plan) -> list[ImportIssue]:
    """Warnings when the years printed in the header are not the plan's baseline and end year."""
    issues = []
    for key, year, expected, label in (
        (BASELINE, preview.baseline_year, plan.baseline_year, "基期年"),
        (TARGET, preview.target_year, plan.end_year, "目标年（规划末年）"),
    ):
        if year is not None and year != expected:
            issues.append(ImportIssue(
                preview.file,
                f"表头中的 {year} 年与规划“{plan.title}”的{label} {expected} 年不一致，"
                "请确认选择了正确的规划。",
                preview.sheet, preview.header_row, preview.columns.get(key), WARNING))
    return issues


def printed_comparator(value: PrintedValue) -> Comparator | None:
    """The comparator as printed: ``None`` for a bare number (parsed as ``=``) and placeholders.

    :func:`parse_printed` reads ``98`` as ``= 98``; a table that prints ``98`` prints no
    comparator, so only an ``=`` (or 等于, 保持…) written in the cell counts as printed.
    """
    if value.comparator is Comparator.EQ and value.kind is ValueKind.NUMBER and not (
            _PRINTED_EQ.search(unicodedata.normalize("NFKC", value.text))):
        return None
    return value.comparator


_PRINTED_EQ = re.compile(r"=|等于|保持|稳定在|维持|为")


# --- header --------------------------------------------------------------------------------

_LABEL_DROP = re.compile(
    r"[\s\u200b\u200c\u200d\u2060\ufeff()\[\]【】<>《》:：,，、.。·*※\"'“”‘’/]")
_SYNONYMS: dict[str, frozenset[str]] = {
    SEQ: frozenset({"序号", "编号", "序", "no"}),
    NAME: frozenset({"指标名称", "指标", "名称", "指标名", "指标项", "指标内容", "主要指标",
                     "指标项目"}),
    BASELINE: frozenset({"基期值", "基期", "现状值", "现状", "基数", "基准值", "基期水平",
                         "基期年"}),
    TARGET: frozenset({"目标值", "目标", "规划目标", "规划目标值", "预期目标", "目标年"}),
    ATTRIBUTE: frozenset({"指标属性", "属性", "指标性质", "性质"}),
    CATEGORY: frozenset({"类别", "分类", "领域", "指标类别", "指标分类", "类型", "方面",
                         "指标领域"}),
    UNIT: frozenset({"单位", "计量单位", "指标单位"}),
}
_YEAR = re.compile(r"(?P<pre>\D*?)(?P<year>(?:19|20)\d{2})(?P<post>\D*)")
_YEAR_WORDS = re.compile(
    r"(?:年|年度|年末|末|指标值|数值|值|基期值?|现状值?|基数|基准值?|实际值?|完成值?|规划目标值?"
    r"|预期目标值?|目标值?|预期值?|规划值|水平)*")
_BASELINE_WORDS = ("基期", "现状", "基数", "基准", "实际", "完成")
_TARGET_WORDS = ("目标", "规划", "预期")


@dataclass
class _Header:
    row: int
    last: int  # the header's last row; data starts below it
    columns: dict[str, int]  # field → 1-based column
    baseline_year: int | None
    target_year: int | None
    annual: list[tuple[int, int]]  # (column, year) of years between baseline and target
    score: int


def _label(text: str) -> str:
    return _LABEL_DROP.sub("", unicodedata.normalize("NFKC", text)).lower()


def _classify(label: str) -> tuple[str, int | None] | None:
    """The field a header label names, and the year it prints (``year`` when only a year)."""
    for key, words in _SYNONYMS.items():
        if label in words:
            return key, None
    match = _YEAR.fullmatch(label)
    if match is None or not (_YEAR_WORDS.fullmatch(match["pre"])
                             and _YEAR_WORDS.fullmatch(match["post"])):
        return None
    printed = match["pre"] + match["post"]
    year = int(match["year"])
    if any(word in printed for word in _BASELINE_WORDS):
        return BASELINE, year
    if any(word in printed for word in _TARGET_WORDS):
        return TARGET, year
    return "year", year


def _evaluate(labels: dict[int, str], row: int, last: int) -> _Header | None:
    columns: dict[str, int] = {}
    years: dict[str, int] = {}
    plain_years: list[tuple[int, int]] = []
    conflicts = 0
    for col in sorted(labels):
        found = _classify(labels[col])
        if found is None:
            continue
        key, year = found
        if key == "year" and year is not None:
            plain_years.append((col, year))
            continue
        if key in columns:
            conflicts += 1
            continue
        columns[key] = col
        if year is not None:
            years[key] = year
    plain_years.sort(key=lambda item: item[1])
    annual: list[tuple[int, int]] = []
    if plain_years:
        if TARGET not in columns:
            col, year = plain_years.pop()
            columns[TARGET], years[TARGET] = col, year
        if BASELINE not in columns and plain_years:
            col, year = plain_years.pop(0)
            columns[BASELINE], years[BASELINE] = col, year
        annual = plain_years
    if NAME not in columns or not ({BASELINE, TARGET} & set(columns)):
        return None
    score = len(columns) - 2 * conflicts
    if score < 3:
        return None
    return _Header(row, last, columns, years.get(BASELINE), years.get(TARGET), annual, score)


def _merge_range(sheet: Sheet, row: int, col: int) -> tuple[int, int, int, int] | None:
    for merged in sheet.merged:
        if merged[0] <= row <= merged[2] and merged[1] <= col <= merged[3]:
            return merged
    return None


def _find_header(sheet: Sheet) -> _Header | None:
    """The best header among the first rows, read as one row or as two rows combined."""
    best: _Header | None = None
    width = max((len(cells) for cells in sheet.rows[: HEADER_SCAN_ROWS + 1]), default=0)
    for row in range(1, min(HEADER_SCAN_ROWS, len(sheet.rows)) + 1):
        top = {col: _label(sheet.merged_value(row, col).text) for col in range(1, width + 1)}
        candidate = _evaluate(top, row, row)
        double = _two_row_header(sheet, row, top)
        if double is not None and (candidate is None or double.score >= candidate.score):
            candidate = double
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    if best is not None and ATTRIBUTE not in best.columns:
        col = _attribute_by_content(sheet, best)
        if col is not None:
            best.columns[ATTRIBUTE] = col
    return best


def _two_row_header(sheet: Sheet, row: int, top: dict[int, str]) -> _Header | None:
    """The header read from this row and the next (指标 over 属性, 2020年 over 基期值).

    Only when every label of the second row joins the first into a label understood: a data
    row or a category row under a one-row header never does.
    """
    if row >= len(sheet.rows) or not any(top.values()):
        return None
    both: dict[int, str] = {}
    own: list[int] = []
    for col, upper in top.items():
        merged = _merge_range(sheet, row, col)
        spans = merged is not None and merged[0] <= row and merged[2] >= row + 1
        lower = "" if spans else _label(sheet.merged_value(row + 1, col).text)
        if lower and lower != upper:
            own.append(col)
            both[col] = upper + lower
        else:
            both[col] = upper
    if not own or any(_classify(both[col]) is None for col in own):
        return None
    return _evaluate(both, row, row + 1)


def _attribute_by_content(sheet: Sheet, header: _Header) -> int | None:
    """A column without a recognised label that holds 约束性 / 预期性 (its header left blank)."""
    used = set(header.columns.values())
    width = max((len(cells) for cells in sheet.rows), default=0)
    for col in range(1, width + 1):
        if col in used:
            continue
        texts = [_compact(sheet.cell(r, col).text)
                 for r in range(header.last + 1, min(header.last + 80, len(sheet.rows)) + 1)]
        texts = [t for t in texts if t]
        hits = sum(1 for t in texts if t in (BINDING_LABEL, EXPECTED_LABEL, "约束", "预期"))
        if hits >= 2 and hits * 2 >= len(texts):
            return col
    return None


def _title(sheet: Sheet, header: _Header) -> str:
    texts = [_strip(cell.text) for cells in sheet.rows[: header.row - 1] for cell in cells]
    texts = [t for t in texts if t]
    for text in texts:
        if "专栏" in text or "指标" in text:
            return text
    return texts[0] if texts else ""


# --- rows ----------------------------------------------------------------------------------

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = re.compile(rf"^[\s{_INVISIBLE}]+|[\s{_INVISIBLE}]+$")
_SPACES = re.compile(rf"[\s{_INVISIBLE}]+")
#: Full-width ASCII (！ … ～) to half-width, for values typed with a Chinese input method.
_HALF_WIDTH = str.maketrans({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
#: Only full-width digits and Latin letters, for names (Chinese brackets and commas stay).
_HALF_ALNUM = str.maketrans({code: code - 0xFEE0 for code in (
    *range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))})
_FOOTNOTE = re.compile(r"^(?:注释?|备注|附注|说明|数据来源|资料来源|来源)\s*[:：0-9]|^[*※]")
_ORDINAL = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十]+[)）]|[0-9]+[、．])")
_SEQ_IN_NAME = re.compile(r"^([0-9]{1,3})[.．、]")
_SCALE = r"(?:十|百|千|万|十万|百万|千万|亿)"
_BASE_UNIT = (
    r"(?:%|‰|个百分点|百分点|工作日|个月|人次|户次|家次|批次|小时|分钟|平方米|公里|千米|千克|公斤"
    r"|户|家|个|件|项|人|次|批|分|元|台|套|名|所|条|张|份|起|倍|天|日|月|年|米|亩|吨|座|处|场"
    r"|篇|本|册|辆|架|株|种|类|例|宗|单|部|门|km|kg|m2|m²)"
)
_UNIT = re.compile(rf"{_SCALE}?{_BASE_UNIT}(?:/每?{_SCALE}?{_BASE_UNIT}){{0,2}}")
_UNIT_IN_NAME = re.compile(r"[(（]([^()（）]{1,12})[)）]?$")
_BARE_PERCENT = re.compile(r"(%|％|‰)$")
_DOUBLED = re.compile(r"[≥≤><=≈~]{2,}")
_REPEATED_SYMBOL = re.compile(r"([%‰/.])\1")
_SIGNED_NUMBER = re.compile(r"[+-][0-9]+(?:\.[0-9]+)?%?")
_FORMULA_START = ("=", "+", "-", "@")


def _strip(text: str) -> str:
    return _EDGES.sub("", text)


def _compact(text: str) -> str:
    """No whitespace at all, full-width ASCII made half-width."""
    return _SPACES.sub("", text.translate(_HALF_WIDTH))


def _value_text(text: str) -> str:
    """A value cell's text as kept: edges trimmed, NBSP as a space, full-width ASCII half-width."""
    return _strip(text.translate(_HALF_WIDTH).replace("\xa0", " ").replace("\u3000", " "))


def _number_text(number: float) -> str:
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = f"{number:.15g}"
    if "e" in text:
        text = f"{number:.15f}".rstrip("0").rstrip(".")
    return text


def _decimals_shown(number_format: str) -> int | None:
    """How many decimals a number format shows, or None for General, text and unknown formats."""
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", section)
    if section.lower() in ("general", "@", "") or not re.search(r"[0#?]", section):
        return None
    match = re.search(r"\.([0#?]*)", section)
    return len(match.group(1)) if match else 0


def _looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would take for a formula; placeholders and signed numbers are not."""
    if not text.startswith(_FORMULA_START):
        return False
    compact = _compact(text)
    return not (parse_printed(compact).placeholder or _SIGNED_NUMBER.fullmatch(compact))


def _name_code(name: str) -> str:
    return "N" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()


class _RowReader:
    """Reads the data rows of one sheet below a header, collecting issues per cell."""

    def __init__(self, file: str, sheet: Sheet, header: _Header) -> None:
        self.file = file
        self.sheet = sheet
        self.header = header
        self.issues: list[ImportIssue] = []
        self.numbered = self._names_are_numbered()

    def _names_are_numbered(self) -> bool:
        """Whether the names carry the sequence numbers (1.市场主体总量), as in seed 001.

        Decided for the whole table, so that 19.96333电梯… is No. 19 there, while a name such
        as 2.5G基站数量 in a table with a sequence column keeps its digits.
        """
        if SEQ in self.header.columns:
            return False
        names = [_compact(self.text(r, NAME)) for r in range(self.header.last + 1,
                                                             len(self.sheet.rows) + 1)
                 if self.text(r, TARGET) or self.text(r, BASELINE)]
        numbered = sum(1 for name in names if _SEQ_IN_NAME.match(name))
        return numbered >= 2 and numbered * 2 >= len(names)

    def issue(self, row: int, col: int | None, message: str, severity: str = ERROR) -> None:
        self.issues.append(ImportIssue(
            self.file, message, self.sheet.name, row,
            column_letter(col) if col else None, severity))

    def cell(self, row: int, key: str) -> Cell | None:
        col = self.header.columns.get(key)
        return self.sheet.merged_value(row, col) if col else None

    def text(self, row: int, key: str) -> str:
        cell = self.cell(row, key)
        return _strip(cell.text) if cell is not None else ""

    def plain(self, row: int, key: str, label: str) -> str:
        """A text cell (name, category, unit, attribute), refusing formulas."""
        cell = self.cell(row, key)
        if cell is None:
            return ""
        text = _strip(cell.text)
        col = self.header.columns[key]
        if cell.formula:
            self.issue(row, col, f"{label}单元格是公式（{text}），PlanDesk 不计算公式。请在 "
                                 "Excel/WPS 中复制后“选择性粘贴 → 数值”，再导入。")
        elif _looks_like_formula(text):
            self.issue(row, col, f"{label}“{text}”以 {text[0]} 开头，在表格软件中会被当作公式，"
                                 "已拒绝。请删除开头的符号后再导入。")
        return text


def _parse_sheet(file: str, sheet: Sheet,
                 header: _Header) -> tuple[list[IndicatorRow], list[ImportIssue]]:
    """The indicator rows under a header, and the issues that concern the sheet as a whole."""
    reader = _RowReader(file, sheet, header)
    sheet_issues: list[ImportIssue] = []
    if sheet.truncated:
        sheet_issues.append(ImportIssue(
            file, f"工作表“{sheet.name}”的行数异常多（超出 PlanDesk 读取上限），只读取了前面的"
            "部分。请删除表格下方的多余内容（或把指标表复制到新工作簿）后另存，再导入。",
            sheet.name, header.row))
    if ATTRIBUTE not in header.columns:
        sheet_issues.append(ImportIssue(
            file, "表中没有“指标属性”列：新建的指标按“预期性”处理，已有指标保持原属性。",
            sheet.name, header.row, severity=WARNING))
    for col, year in header.annual:
        sheet_issues.append(ImportIssue(
            file, f"“{year}年”列（年度目标）未导入；年度目标请在指标页填写。",
            sheet.name, header.row, column_letter(col), WARNING))
    rows: list[IndicatorRow] = []
    category = ""
    for r in range(header.last + 1, len(sheet.rows) + 1):
        texts = [_strip(cell.text) for cell in sheet.rows[r - 1]]
        if not any(texts):
            continue  # spacer row
        first = next(t for t in texts if t)
        if _FOOTNOTE.match(_compact(first)):
            _after_footnote(reader, r)
            break
        before = len(reader.issues)
        in_column = reader.plain(r, CATEGORY, "类别")
        if in_column:
            category = _category(in_column)
        if _is_label_row(reader, r):
            # Text only in a column the table does not use (a remark) is no category.
            label = reader.plain(r, NAME, "类别") or reader.plain(r, SEQ, "类别")
            if label and label != in_column:
                category = _category(label)
            continue
        row = _read_row(reader, r, category)
        if row is not None:
            rows.append(_with_issues(row, reader.issues[before:]))
            del reader.issues[before:]
    if not rows and not any(issue.severity == ERROR for issue in (*sheet_issues, *reader.issues)):
        sheet_issues.append(ImportIssue(
            file, f"工作表“{sheet.name}”第 {header.row} 行的表头下方没有指标行。",
            sheet.name, header.row))
    rows = _check_duplicates(reader, rows)
    sheet_issues.extend(reader.issues)
    return rows, sheet_issues


def _is_label_row(reader: _RowReader, r: int) -> bool:
    """A category row (一、市场活力): no sequence number and nothing in the value columns.

    A text merged across the row also fills the value columns; it is a label all the same.
    """
    columns = reader.header.columns
    name_col = columns[NAME]
    wide = _merge_range(reader.sheet, r, name_col)
    if wide is not None and wide[0] == wide[2] and any(
            wide[1] <= columns[key] <= wide[3] for key in (BASELINE, TARGET) if key in columns):
        return True
    if any(reader.text(r, key) for key in (BASELINE, TARGET, ATTRIBUTE)):
        return False
    if _compact(reader.text(r, SEQ)).isdigit():
        return False
    return not (reader.numbered and _SEQ_IN_NAME.match(_compact(reader.text(r, NAME))))


def _with_issues(row: IndicatorRow, issues: Iterable[ImportIssue]) -> IndicatorRow:
    merged = (*row.issues, *issues)
    return IndicatorRow(row.sheet, row.row, row.seq, row.seq_printed, row.name, row.name_printed,
                        row.unit, row.category, row.attribute, row.baseline, row.target,
                        row.code, merged)


def _after_footnote(reader: _RowReader, footnote: int) -> None:
    """Warn when something that looks like an indicator row follows the table's footnotes."""
    for r in range(footnote + 1, len(reader.sheet.rows) + 1):
        values = [reader.text(r, key) for key in (BASELINE, TARGET)]
        if any(parse_printed(v).kind is ValueKind.NUMBER for v in values if v):
            reader.issue(r, None, f"第 {r} 行在表注（第 {footnote} 行）之后，未作为指标读取；"
                                  "如果它是指标，请把表注移到表格最后。", WARNING)
            return


def _category(text: str) -> str:
    return _ORDINAL.sub("", _SPACES.sub("", text))


def _read_row(reader: _RowReader, r: int, category: str) -> IndicatorRow | None:
    columns = reader.header.columns
    name_printed = reader.plain(r, NAME, "指标名称")
    seq_printed, seq = _read_seq(reader, r)
    work = _SPACES.sub("", name_printed.translate(_HALF_ALNUM))
    if seq is None and reader.numbered and (match := _SEQ_IN_NAME.match(work)):
        seq, seq_printed, work = int(match.group(1)), match.group(1), work[match.end():]
    name, unit = _split_unit(work)
    if not name:
        reader.issue(r, columns[NAME], "指标名称为空，该行无法导入。请填写指标名称。")
        return None
    unit_column = _compact(reader.plain(r, UNIT, "单位"))
    if unit_column:
        if unit and unit_column != unit:
            reader.issue(r, columns[UNIT], f"单位列为“{unit_column}”，指标名称中的单位为“{unit}”，"
                                           "两者不一致，按单位列导入。请核对。", WARNING)
        unit = unit_column
    attribute = _read_attribute(reader, r)
    baseline = _read_value(reader, r, BASELINE, unit)
    target = _read_value(reader, r, TARGET, unit)
    if TARGET in columns and target.placeholder:
        reader.issue(r, columns[TARGET], "没有填写目标值（空白或“--”），导入后请补充。", WARNING)
    return IndicatorRow(
        sheet=reader.sheet.name, row=r, seq=seq, seq_printed=seq_printed, name=name,
        name_printed=name_printed, unit=unit, category=category, attribute=attribute,
        baseline=baseline, target=target, code=f"I{seq:02d}" if seq is not None else "")


def _read_seq(reader: _RowReader, r: int) -> tuple[str, int | None]:
    cell = reader.cell(r, SEQ)
    if cell is None or cell.value is None:
        return "", None
    col = reader.header.columns[SEQ]
    if isinstance(cell.value, bool | datetime | date | time):
        reader.issue(r, col, f"序号“{cell.text}”不是数字，将按指标名称生成编号。", WARNING)
        return _strip(cell.text), None
    text = reader.plain(r, SEQ, "序号")
    digits = _compact(text).strip("()（）.．、")
    if digits.isdigit() and int(digits) > 0:
        return digits, int(digits)
    if text:
        reader.issue(r, col, f"序号“{text}”不是数字，将按指标名称生成编号。", WARNING)
    return text, None


def _split_unit(work: str) -> tuple[str, str]:
    """The name without a unit printed at its end, and that unit (（万户）, (%, 合格率%)."""
    match = _UNIT_IN_NAME.search(work)
    if match and match.start() > 0:
        unit = unicodedata.normalize("NFKC", match.group(1))
        if _UNIT.fullmatch(unit):
            return work[: match.start()], unit
    match = _BARE_PERCENT.search(work)
    if match and match.start() > 0:
        return work[: match.start()], unicodedata.normalize("NFKC", match.group(1))
    return work, ""


def _read_attribute(reader: _RowReader, r: int) -> str | None:
    if ATTRIBUTE not in reader.header.columns:
        return None
    text = _compact(reader.plain(r, ATTRIBUTE, "指标属性"))
    col = reader.header.columns[ATTRIBUTE]
    if not text:
        reader.issue(r, col, "没有填写指标属性（约束性/预期性）：新建的指标按“预期性”处理。",
                     WARNING)
        return None
    if "约束" in text:
        return BINDING_LABEL
    if "预期" in text:
        return EXPECTED_LABEL
    reader.issue(r, col, f"指标属性“{text}”无法识别，应为“约束性”或“预期性”。")
    return None


def _read_value(reader: _RowReader, r: int, key: str, unit: str) -> PrintedValue:
    """A baseline or target cell as a printed value; problems go to the row's issues."""
    cell = reader.cell(r, key)
    if cell is None or cell.value is None:
        return parse_printed("")
    col = reader.header.columns[key]
    label = _FIELD_LABELS[key]
    value = cell.value
    if cell.formula:
        reader.issue(r, col, f"{label}单元格是公式（{cell.text}），PlanDesk 不计算公式。请在 "
                             "Excel/WPS 中复制后“选择性粘贴 → 数值”，再导入。")
        return PrintedValue(cell.text, ValueKind.QUALITATIVE, None, None)
    if isinstance(value, datetime | date | time):
        shown = value.strftime("%Y-%m-%d") if isinstance(value, date) else str(value)
        reader.issue(r, col, f"{label}被表格软件识别成了日期（{shown}），原来输入的可能是"
                             "“4-5”这样的区间。请把单元格设为文本格式后重新输入。")
        return PrintedValue(shown, ValueKind.QUALITATIVE, None, None)
    if isinstance(value, bool):
        reader.issue(r, col, f"{label}“{cell.text}”不是数值。")
        return PrintedValue(cell.text, ValueKind.QUALITATIVE, None, None)
    if isinstance(value, int | float):
        return _number_value(reader, r, col, label, cell, float(value), unit)
    text = _value_text(cell.text)
    if not text:
        return parse_printed("")
    if _looks_like_formula(text):
        reader.issue(r, col, f"{label}“{text}”以 {text[0]} 开头，在表格软件中会被当作公式，"
                             "已拒绝。请删除开头的符号后再导入。")
        return PrintedValue(text, ValueKind.QUALITATIVE, None, None)
    compact = unicodedata.normalize("NFKC", _compact(text)).replace(">=", "≥").replace("<=", "≤")
    parsed = parse_printed(text)
    if _DOUBLED.search(compact):
        reader.issue(r, col, f"{label}“{text}”中的比较符号重复，无法识别。请只写一个符号，"
                             "如“≥98”。")
        return PrintedValue(text, ValueKind.QUALITATIVE, None, None)
    if parsed.kind is ValueKind.QUALITATIVE:
        reader.issue(r, col, f"{label}“{text}”无法识别为数值。请填写数字（可带 ≥、≤、>、< "
                             "等符号或区间如 4-5），没有数值时填“--”。")
        return parsed
    if _REPEATED_SYMBOL.search(parsed.unit):
        reader.issue(r, col, f"{label}“{text}”的单位“{parsed.unit}”有重复的符号，无法识别。")
        return PrintedValue(text, ValueKind.QUALITATIVE, None, None)
    if parsed.unit and unit and parsed.unit != unit:
        reader.issue(r, col, f"{label}“{text}”带的单位“{parsed.unit}”与指标单位“{unit}”不一致，"
                             "请核对。", WARNING)
    return parsed


def _number_value(reader: _RowReader, r: int, col: int, label: str, cell: Cell, number: float,
                  unit: str) -> PrintedValue:
    """A number cell: a percent-formatted 0.98 is printed ``98%`` with the value 98."""
    section = cell.number_format.split(";")[0]
    percent = "%" in section
    # A % inside quotes or escaped (0.0"%") is only shown; a bare % multiplies by 100.
    scaled = "%" in re.sub(r'"[^"]*"|\\.', "", section)
    shown_number = round(number * 100, 10) if scaled else number
    text = _number_text(shown_number) + ("%" if percent else "")
    decimals = _decimals_shown(cell.number_format)
    stored = len(_number_text(shown_number).partition(".")[2])
    if decimals is not None and stored > decimals:
        shown = f"{shown_number:.{decimals}f}" + ("%" if percent else "")
        reader.issue(r, col, f"{label}单元格显示为 {shown}，实际存储的是 {text}，按存储值 {text} "
                             "导入。请核对。", WARNING)
    if not percent and unit == "%" and 0 < abs(number) <= 1:
        reader.issue(r, col, f"{label}为 {text}，而指标单位是 %：如果原意是 "
                             f"{_number_text(round(number * 100, 10))}%，可能是百分比格式的单元格"
                             "（.xls/.ods 文件读不到单元格格式），请核对后改成百分数。", WARNING)
    return parse_printed(text)


def _check_duplicates(reader: _RowReader, rows: list[IndicatorRow]) -> list[IndicatorRow]:
    """Flag indicators printed twice and sequence numbers used twice; give each row its code."""
    extra: dict[int, list[ImportIssue]] = {}
    by_name: dict[str, list[IndicatorRow]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    name_col = reader.header.columns[NAME]
    for name, group in by_name.items():
        if len(group) < 2:
            continue
        where = "、".join(str(row.row) for row in group)
        first = group[0]
        if all(_same_values(first, row) for row in group[1:]):
            for row in group[1:]:
                extra.setdefault(row.row, []).append(ImportIssue(
                    reader.file, f"指标“{name}”与第 {first.row} 行重复（内容相同），只导入一次。",
                    reader.sheet.name, row.row, column_letter(name_col), WARNING))
            continue
        targets = "、".join(f"“{row.target.display()}”" for row in group)
        for row in group:
            extra.setdefault(row.row, []).append(ImportIssue(
                reader.file, f"指标“{name}”在第 {where} 行出现了多次，但数值不同（目标值 "
                f"{targets}），无法判断以哪一行为准。请删除多余的行后再导入。",
                reader.sheet.name, row.row, column_letter(name_col)))
    seq_names: dict[int, set[str]] = {}
    for row in rows:
        if row.seq is not None:
            seq_names.setdefault(row.seq, set()).add(row.name)
    result = []
    for row in rows:
        code = row.code
        if row.seq is not None and len(seq_names[row.seq]) > 1:
            code = ""
            col = reader.header.columns.get(SEQ, name_col)
            extra.setdefault(row.row, []).append(ImportIssue(
                reader.file, f"序号 {row.seq} 被多个指标使用，将按指标名称生成编号。",
                reader.sheet.name, row.row, column_letter(col), WARNING))
        updated = IndicatorRow(row.sheet, row.row, row.seq, row.seq_printed, row.name,
                               row.name_printed, row.unit, row.category, row.attribute,
                               row.baseline, row.target, code or _name_code(row.name),
                               row.issues)
        result.append(_with_issues(updated, extra.get(row.row, [])))
    return result


def _same_values(a: IndicatorRow, b: IndicatorRow) -> bool:
    def key(v: PrintedValue) -> tuple[object, ...]:
        return v.kind, v.comparator, v.value, v.upper

    return (key(a.baseline), key(a.target), a.unit, a.attribute) == (
        key(b.baseline), key(b.target), b.unit, b.attribute)


def _empty(file: str, path: Path, issues: list[ImportIssue]) -> IndicatorTablePreview:
    return IndicatorTablePreview(file=file, path=path, sheet=None, header_row=None,
                                 baseline_year=None, target_year=None, title="",
                                 issues=tuple(issues))


# --- writing -------------------------------------------------------------------------------


def _existing(db: Database, plan_id: int, row: IndicatorRow,
              touched: set[int]) -> Indicator | None:
    """The plan's indicator this row updates: same name, else same code not yet written."""
    found = find_indicator(db, plan_id, name=row.name)
    if found is not None:
        return found
    found = find_indicator(db, plan_id, code=row.code)
    if found is not None and found.id not in touched:
        return found
    return None


def _update_spec(row: IndicatorRow, existing: Indicator) -> IndicatorSpec:
    return IndicatorSpec(
        code=existing.code, seq_printed=row.seq_printed or existing.seq_printed,
        name_printed=row.name_printed, name=row.name,
        category=row.category or existing.category,
        attribute=Attribute.from_label(row.attribute) if row.attribute else existing.attribute,
        baseline_text=row.baseline.text, target_text=row.target.text,
        direction=existing.direction, time_semantics=existing.time_semantics,
        unit_printed=row.unit, unit_canonical=existing.unit_canonical,
        unit_scale=existing.unit_scale, factor=existing.factor,
        source_line=existing.source_line, source_text=existing.source_text,
        note=existing.note, origin=existing.origin, target_type=existing.target_type,
    )


def _new_spec(db: Database, plan_id: int, row: IndicatorRow,
              preview: IndicatorTablePreview) -> IndicatorSpec:
    code = row.code
    if find_indicator(db, plan_id, code=code) is not None:  # taken by another indicator
        code = _name_code(row.name)
    canonical, scale = _canonical_unit(row.unit)
    time_semantics = _guess_time_semantics(row)
    printed = " ".join(t for t in (row.seq_printed, row.name_printed, row.baseline.text,
                                   row.target.text, row.attribute or "") if t)
    return IndicatorSpec(
        code=code, seq_printed=row.seq_printed, name_printed=row.name_printed, name=row.name,
        category=row.category,
        attribute=Attribute.from_label(row.attribute) if row.attribute else Attribute.EXPECTED,
        baseline_text=row.baseline.text, target_text=row.target.text,
        direction=_guess_direction(row), time_semantics=time_semantics,
        unit_printed=row.unit, unit_canonical=canonical, unit_scale=scale,
        source_text=f"工作簿 {preview.file}，工作表“{row.sheet}”，第 {row.row} 行：{printed}",
        origin=Origin.WORKBOOK, target_type=_guess_target_type(row, time_semantics),
    )


_DOWN_WORDS = re.compile(r"死亡|事故|伤亡|不合格|周期|时限|时长|用时|天数|发生率|投诉率")


def _guess_direction(row: IndicatorRow) -> Direction:
    """Proposed for a new indicator (the user checks it): ≤/< targets and deaths go down."""
    if row.target.comparator in (Comparator.LE, Comparator.LT):
        return Direction.DOWN
    if row.target.comparator in (Comparator.GE, Comparator.GT):
        return Direction.UP
    if _DOWN_WORDS.search(row.name):
        return Direction.DOWN
    base, target = row.baseline, row.target
    if (base.kind is ValueKind.NUMBER and target.kind is ValueKind.NUMBER
            and base.value is not None and target.value is not None
            and target.value < base.value):
        return Direction.DOWN
    return Direction.UP


def _guess_time_semantics(row: IndicatorRow) -> TimeSemantics:
    """Proposed for a new indicator: 新增 cumulates, 年平均 averages, rates are yearly flows."""
    name = row.name
    if "年平均" in name or "年均值" in name:
        return TimeSemantics.AVERAGE
    if "年均增长" in name or name.endswith(("增长率", "增速")):
        return TimeSemantics.GROWTH
    if name.startswith("新增") or "累计新增" in name:
        return TimeSemantics.CUMULATIVE
    if row.unit == "%" or name.endswith(("率", "比例", "满意度", "指数", "比重")):
        return TimeSemantics.FLOW
    return TimeSemantics.STOCK


def _guess_target_type(row: IndicatorRow, time_semantics: TimeSemantics) -> TargetType:
    by_kind = {
        ValueKind.RANGE: TargetType.RANGE, ValueKind.MULTIPLE: TargetType.MULTIPLE,
        ValueKind.BREAKTHROUGH: TargetType.BREAKTHROUGH,
        ValueKind.ZERO_EVENT: TargetType.ZERO_EVENT, ValueKind.RANKING: TargetType.RANKING,
    }
    if row.target.kind in by_kind:
        return by_kind[row.target.kind]
    if time_semantics is TimeSemantics.GROWTH:
        return TargetType.GROWTH
    if time_semantics is TimeSemantics.CUMULATIVE:
        return TargetType.CUMULATIVE
    if row.unit == "%" or row.target.percent:
        return TargetType.RATE
    if "/" in row.unit or row.name.startswith(("千人", "万人", "每万", "每千", "每百", "万台")):
        return TargetType.PER_CAPITA
    return TargetType.LEVEL


def _canonical_unit(unit: str) -> tuple[str, float]:
    """万户 is 10,000 户; a unit with a denominator (批次/千人) is kept as printed."""
    if "/" not in unit and len(unit) > 1:
        for prefix, scale in (("亿", 1e8), ("万", 1e4)):
            if unit.startswith(prefix):
                return unit[1:], scale
    return unit, 1.0
