"""Indicator tables typed into Excel/WPS by clerks: every row previewed, then written once."""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from desktop.excel.indicator_table import (
    IndicatorRow,
    IndicatorTablePreview,
    apply_indicator_table,
    parse_indicator_workbook,
    plan_year_issues,
    printed_comparator,
)
from desktop.models.errors import ImportFormatError, NotFoundError
from desktop.models.indicators import (
    Attribute,
    Direction,
    Origin,
    TargetType,
    TimeSemantics,
    list_indicators,
)
from desktop.models.plans import create_plan, list_plans
from desktop.models.printed import Comparator, ValueKind

WORKBOOKS = Path(__file__).resolve().parent.parent / "data" / "workbooks"
EQ, GT, LT = Comparator.EQ, Comparator.GT, Comparator.LT
DASH = None  # a placeholder: no comparator, no value

# Seed 000, 专栏1 (No. 2 is not printed): seq, name, name as printed, unit, category,
# attribute, baseline (text, comparator, value), target (text, comparator, value).
TABLE_000: list[tuple[Any, ...]] = [
    (1, "市场主体总量", "市场主体总量(万户)", "万户", "市场活力", "预期性",
     ("5.3575", EQ, 5.3575), ("8.8575", EQ, 8.8575)),
    (3, "千人拥有企业数量", "千人拥有企业数量(户)", "户", "市场活力", "预期性",
     ("21.97", EQ, 21.97), ("42.4", EQ, 42.4)),
    (4, "万人口发明专利拥有量", "万人口发明专利拥有量(件)", "件", "市场活力", "预期性",
     ("5.2", EQ, 5.2), ("8", EQ, 8)),
    (5, "每万户市场主体有效注册商标量", "每万户市场主体有效注册商标量(件)", "件", "市场活力",
     "预期性", ("1153", EQ, 1153), ("1400", EQ, 1400)),
    (6, "累计有效注册商标量", "累计有效注册商标量(万件)", "万件", "市场活力", "预期性",
     ("0.63", EQ, 0.63), ("1.1", EQ, 1.1)),
    (7, "驰名商标拥有量", "驰名商标拥有量", "", "市场活力", "预期性",
     ("1", EQ, 1), ("2", EQ, 2)),
    (8, "知识产权保护社会满意度", "知识产权保护社会满意度", "", "市场活力", "预期性",
     ("80.9", EQ, 80.9), ("82", EQ, 82)),
    (9, "一般事项双随机、一公开抽查比例", "一般事项双随机、一公开抽查比例(%", "%", "市场安全",
     "约束性", ("3", EQ, 3), ("5", EQ, 5)),
    (10, "食品和农产品抽检量", "食品和农产品抽检量(批次/千人)", "批次/千人", "市场安全",
     "约束性", ("4", EQ, 4), (">4", GT, 4)),
    (11, "食品评价性抽检合格率", "食品评价性抽检合格率(%", "%", "市场安全", "预期性",
     ("98.25", EQ, 98.25), (">98", GT, 98)),
    (12, "食品安全综合满意度", "食品安全综合满意度", "", "市场安全", "预期性",
     ("80.94", EQ, 80.94), ("82", EQ, 82)),
    (13, "药品抽检合格率", "药品抽检合格率%", "%", "市场安全", "预期性",
     ("97.18", EQ, 97.18), (">98", GT, 98)),
    (14, "万台特种设备死亡人数年平均值", "万台特种设备死亡人数年平均值(人)", "人", "市场安全",
     "约束性", ("--", DASH, None), ("0.3", EQ, 0.3)),
    (15, "消费投诉按期办结率", "消费投诉按期办结率(%", "%", "市场安全", "约束性",
     ("--", DASH, None), ("95", EQ, 95)),
    (16, "消费者满意度指数", "消费者满意度指数", "", "市场安全", "预期性",
     ("--", DASH, None), ("80.5", EQ, 80.5)),
    (17, "制造业产品质量合格率", "制造业产品质量合格率(%", "%", "市场安全", "预期性",
     ("--", DASH, None), ("94", EQ, 94)),
]

# Seed 003, 专栏 1 (tab-separated in the text).
TABLE_003: list[tuple[Any, ...]] = [
    (1, "市场主体总量", "市场主体总量（万户）", "万户", "市场环境", "预期性",
     ("5.5", EQ, 5.5), ("8.6", EQ, 8.6)),
    (2, "千人拥有企业数量", "千人拥有企业数量（户）", "户", "市场环境", "预期性",
     ("19.3", EQ, 19.3), ("35.8", EQ, 35.8)),
    (3, "每万人口高价值发明专利拥有量", "每万人口高价值发明专利拥有量（件）", "件", "市场环境",
     "预期性", ("3.18", EQ, 3.18), ("12", EQ, 12)),
    (4, "每万户市场主体有效注册商标量", "每万户市场主体有效注册商标量（件）", "件", "市场环境",
     "预期性", ("1451", EQ, 1451), ("2100", EQ, 2100)),
    (5, "一般事项“双随机、一公开”抽查比例", "一般事项“双随机、一公开”抽查比例（%）", "%",
     "市场环境", "预期性", ("3", EQ, 3), ("5", EQ, 5)),
    (6, "新增重庆市市长质量管理奖或提名奖企业", "新增重庆市市长质量管理奖或提名奖企业（个）",
     "个", "质量提升", "预期性", ("2", EQ, 2), ("2", EQ, 2)),
    (7, "制造业产品质量合格率", "制造业产品质量合格率（%）", "%", "质量提升", "预期性",
     ("94", EQ, 94), ("95", EQ, 95)),
    (8, "公共服务质量满意度", "公共服务质量满意度（分）", "分", "质量提升", "预期性",
     ("82", EQ, 82), ("83", EQ, 83)),
    (9, "新增社会公用计量标准", "新增社会公用计量标准（项）", "项", "质量提升", "预期性",
     ("—", DASH, None), ("1", EQ, 1)),
    (10, "新增自我声明公开企业标准、团体标准", "新增自我声明公开企业标准、团体标准（项）", "项",
     "质量提升", "预期性", ("713", EQ, 713), ("1005", EQ, 1005)),
    (11, "新增国家级、市级标准化试点示范建设项目", "新增国家级、市级标准化试点示范建设项目", "",
     "质量提升", "预期性", ("5", EQ, 5), ("7", EQ, 7)),
    (12, "食品和农产品抽检量", "食品和农产品抽检量（批次/千人）", "批次/千人", "市场安全",
     "约束性", ("4", EQ, 4), (">4", GT, 4)),
    (13, "食品评价性抽检合格率", "食品评价性抽检合格率（%）", "%", "市场安全", "预期性",
     ("98", EQ, 98), (">98", GT, 98)),
    (14, "食品安全满意度", "食品安全满意度（分）", "分", "市场安全", "预期性",
     ("80", EQ, 80), ("82", EQ, 82)),
    (15, "药品抽检合格率", "药品抽检合格率（%）", "%", "市场安全", "预期性",
     (">98", GT, 98), (">98", GT, 98)),
    (16, "万台特种设备事故死亡率", "万台特种设备事故死亡率", "", "市场安全", "约束性",
     ("-", DASH, None), ("<0.05", LT, 0.05)),
    (17, "消费投诉按期办结率", "消费投诉按期办结率（%）", "%", "市场安全", "约束性",
     ("100", EQ, 100), ("100", EQ, 100)),
    (18, "智慧监管应用场景", "智慧监管应用场景（个）", "个", "科技支撑", "预期性",
     ("4", EQ, 4), ("10", EQ, 10)),
    (19, "质量基础设施“一站式”服务平台", "质量基础设施“一站式”服务平台（个）", "个", "科技支撑",
     "预期性", ("-", DASH, None), ("1", EQ, 1)),
]


def expected(table: list[tuple[Any, ...]], rows: Iterable[int], *, printed_names: bool = True,
             texts: dict[tuple[int, str], str] | None = None) -> list[tuple[Any, ...]]:
    """The table as a variant should read: its sheet rows, names as typed, cell texts as kept."""
    texts = texts or {}
    result = []
    for row, (seq, name, printed, unit, category, attribute, base, target) in zip(
            rows, table, strict=True):
        base = (texts.get((seq, "baseline"), base[0]), *base[1:])
        target = (texts.get((seq, "target"), target[0]), *target[1:])
        result.append((row, seq, name, printed if printed_names else name, unit, category,
                       attribute, base, target))
    return result


def observed(preview: IndicatorTablePreview) -> list[tuple[Any, ...]]:
    return [(r.row, r.seq, r.name, r.name_printed, r.unit, r.category, r.attribute,
             (r.baseline.text, r.baseline.comparator, r.baseline.value),
             (r.target.text, r.target.comparator, r.target.value)) for r in preview.rows]


ROWS_000_CLEAN = [*range(3, 10), *range(11, 20)]
ROWS_000_MESSY = [*range(8, 15), *range(17, 26)]
ROWS_003_CLEAN = [*range(3, 8), *range(9, 15), *range(17, 23), 24, 25]
ROWS_003_MESSY = [*range(7, 18), *range(19, 27)]
MESSY_000_TEXTS = {(5, "target"): "1,400", (15, "baseline"): "—", (16, "baseline"): "-"}

VARIANTS = {
    "indicators_000_clean.xlsx": ("专栏1", 1, expected(TABLE_000, ROWS_000_CLEAN)),
    "indicators_000_messy.xlsx": ("专栏1指标", 5, expected(
        TABLE_000, ROWS_000_MESSY, texts=MESSY_000_TEXTS)),
    "indicators_000_messy.xls": ("专栏1指标", 5, expected(
        TABLE_000, ROWS_000_MESSY, texts=MESSY_000_TEXTS)),
    "indicators_000_messy.ods": ("专栏1指标", 5, expected(
        TABLE_000, ROWS_000_MESSY, texts=MESSY_000_TEXTS)),
    "indicators_000_columns.xlsx": ("Sheet1", 1, expected(
        TABLE_000, range(2, 18), printed_names=False, texts={
            (9, "baseline"): "3%", (9, "target"): "5%", (11, "baseline"): "98.25%",
            (13, "baseline"): "97.18%", (15, "target"): "95%", (17, "target"): "94%"})),
    "indicators_003_clean.xlsx": ("专栏1", 1, expected(TABLE_003, ROWS_003_CLEAN)),
    "indicators_003_messy.xlsx": ("指标", 5, expected(
        TABLE_003, ROWS_003_MESSY, printed_names=False, texts={(12, "target"): "> 4"})),
    "indicators_003_messy.xls": ("指标", 5, expected(
        TABLE_003, ROWS_003_MESSY, printed_names=False, texts={(12, "target"): "> 4"})),
    "indicators_003_messy.ods": ("指标", 5, expected(
        TABLE_003, ROWS_003_MESSY, printed_names=False, texts={(12, "target"): "> 4"})),
}


@pytest.mark.parametrize("file", list(VARIANTS))
def test_every_field_of_every_indicator_is_read(file: str) -> None:
    sheet, header_row, rows = VARIANTS[file]
    preview = parse_indicator_workbook(WORKBOOKS / file)
    assert (preview.sheet, preview.header_row) == (sheet, header_row)
    assert (preview.baseline_year, preview.target_year) == (2020, 2025)
    assert observed(preview) == rows
    assert all(row.sheet == sheet for row in preview.rows)
    assert [row.code for row in preview.rows] == [f"I{row[1]:02d}" for row in rows]
    assert [row.seq_printed for row in preview.rows] == [str(row[1]) for row in rows]
    for row in preview.rows:
        placeholder = row.baseline.text in ("--", "—", "-")
        assert (row.baseline.kind is ValueKind.PLACEHOLDER) == placeholder
        assert row.target.kind is ValueKind.NUMBER
    if "columns" not in file:
        assert preview.issues == ()


def test_messy_typing_reads_like_the_clean_table() -> None:
    """NBSP, trailing spaces, full-width digits and numbers stored as text change nothing."""
    clean = parse_indicator_workbook(WORKBOOKS / "indicators_003_clean.xlsx")
    messy = parse_indicator_workbook(WORKBOOKS / "indicators_003_messy.xlsx")
    for a, b in zip(clean.rows, messy.rows, strict=True):
        assert (a.name, a.unit, a.category, a.attribute, a.code) == (
            b.name, b.unit, b.category, b.attribute, b.code)
        assert (a.baseline.kind, a.baseline.comparator, a.baseline.value) == (
            b.baseline.kind, b.baseline.comparator, b.baseline.value)
        assert (a.target.kind, a.target.comparator, a.target.value) == (
            b.target.kind, b.target.comparator, b.target.value)


def test_title_above_the_header_is_kept_for_the_preview() -> None:
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_messy.xlsx")
    assert preview.title == "专栏1：“十四五”市场监管现代化主要指标"
    assert preview.columns == {"seq": "A", "name": "B", "baseline": "C", "target": "D",
                               "attribute": "E"}


def test_percent_cells_are_printed_as_percent_with_the_value_in_percent() -> None:
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_columns.xlsx")
    row = next(r for r in preview.rows if r.seq == 9)
    assert (row.baseline.text, row.baseline.value, row.baseline.percent) == ("3%", 3, True)
    assert (row.target.text, row.target.value, row.target.percent) == ("5%", 5, True)


def test_percent_cell_showing_fewer_decimals_is_imported_as_stored_and_flagged() -> None:
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_columns.xlsx")
    assert [(i.severity, i.sheet, i.row, i.column) for i in preview.issues] == [
        ("warning", "Sheet1", 11, "E")]
    assert "显示为 98%" in preview.issues[0].message
    assert "98.25%" in preview.issues[0].message
    row = next(r for r in preview.rows if r.seq == 11)
    assert row.doubtful_columns == {"E"}
    assert row.baseline.value == 98.25
    assert not row.has_errors


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_percent_cells_saved_as_xls_or_ods_are_flagged_not_rescaled(suffix: str) -> None:
    """.xls/.ods give no number formats: 3% arrives as 0.03, is kept and shown as doubtful."""
    preview = parse_indicator_workbook(WORKBOOKS / f"indicators_000_columns.{suffix}")
    flagged = [(i.row, i.column) for i in preview.issues]
    assert flagged == [(9, "E"), (9, "F"), (11, "E"), (13, "E"), (15, "F"), (17, "F")]
    assert all(i.severity == "warning" for i in preview.issues)
    assert "3%" in preview.issues[0].message
    row = next(r for r in preview.rows if r.seq == 9)
    assert (row.baseline.text, row.baseline.value) == ("0.03", 0.03)
    assert row.doubtful_columns == {"E", "F"}
    assert len(preview.valid_rows) == 16


def test_json_comparator_is_null_unless_printed() -> None:
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_003_clean.xlsx")
    by_seq = {row.seq: row for row in preview.rows}
    assert by_seq[1].target.comparator is Comparator.EQ  # what parse_printed says
    assert printed_comparator(by_seq[1].target) is None  # what the table printed
    assert printed_comparator(by_seq[12].target) is Comparator.GT
    assert printed_comparator(by_seq[16].target) is Comparator.LT
    assert printed_comparator(by_seq[16].baseline) is None


# --- small workbooks made for one test -----------------------------------------------------

HEADER = ["序号", "指标名称", "2020年", "2025年", "指标属性"]


def workbook(path: Path, *sheets: tuple[str, list[list[Any]]],
             edit: Callable[[Any], None] | None = None) -> Path:
    """Write sheets of rows; strings are stored as text, never as formulas."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
        if edit is not None:
            edit(ws)
    book.save(path)
    return path


def table(path: Path, rows: list[list[Any]], header: list[Any] | None = None) -> Path:
    return workbook(path, ("指标", [header or HEADER, *rows]))


def issues(preview: IndicatorTablePreview) -> list[tuple[str, int | None, str | None]]:
    return [(i.severity, i.row, i.column) for i in preview.issues]


def test_category_rows_and_category_column_give_the_same_categories(tmp_path: Path) -> None:
    rows = [["一、市场活力"], [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
            ["（二）市场安全"], [2, "药品抽检合格率(%)", ">98", ">98", "预期性"]]
    by_rows = parse_indicator_workbook(table(tmp_path / "a.xlsx", rows))
    assert [r.category for r in by_rows.rows] == ["市场活力", "市场安全"]
    by_column = parse_indicator_workbook(table(tmp_path / "b.xlsx", [
        ["市场活力", 1, "市场主体总量", "万户", 5.5, 8.6, "预期性"],
        [None, 2, "千人拥有企业数量", "户", 19.3, 35.8, "预期性"],
        ["市场安全", 3, "药品抽检合格率", "%", ">98", ">98", "预期性"],
    ], header=["领域", "序号", "名称", "单位", "基期", "目标", "属性"]))
    assert [r.category for r in by_column.rows] == ["市场活力", "市场活力", "市场安全"]
    assert (by_column.baseline_year, by_column.target_year) == (None, None)


def test_header_synonyms_and_years_of_another_plan_period(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        ["1", "市场主体总量", "万户", "8.6", "10", "预期性"],
    ], header=["编号", "指标", "计量单位", "2025年基期值", "2030年目标值", "指标性质"]))
    assert (preview.baseline_year, preview.target_year) == (2025, 2030)
    row = preview.rows[0]
    assert (row.seq, row.name, row.unit, row.baseline.value, row.target.value) == (
        1, "市场主体总量", "万户", 8.6, 10)


def test_annual_columns_between_baseline_and_target_are_reported(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 6, 7, 8.6, "预期性"],
    ], header=["序号", "指标名称", 2020, 2021, 2022, 2025, "属性"]))
    assert (preview.baseline_year, preview.target_year) == (2020, 2025)
    assert preview.rows[0].target.value == 8.6
    assert issues(preview) == [("warning", 1, "D"), ("warning", 1, "E")]
    assert "2021年" in preview.issues[0].message


def test_table_of_seed_001_with_numbers_in_names_and_a_blank_attribute_header(
        tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        ["市场活力", "1.市场主体总量(万户)", 55, 80, "预期性"],
        [None, "4.市地方标准平均制定周期(个月)", 24, 12, "约束性"],
        ["市场秩序", "18.万台特种设备死亡率", "≤0.1", "≤0.1", "约束性"],
        [None, "19.96333电梯应急处置平台覆盖率(%)", 60, 100, "预期性"],
    ], header=["类别", "指标", "2020年", "2025年", None]))
    assert [(r.seq, r.name, r.unit, r.category, r.attribute) for r in preview.rows] == [
        (1, "市场主体总量", "万户", "市场活力", "预期性"),
        (4, "市地方标准平均制定周期", "个月", "市场活力", "约束性"),
        (18, "万台特种设备死亡率", "", "市场秩序", "约束性"),
        (19, "96333电梯应急处置平台覆盖率", "%", "市场秩序", "预期性"),
    ]
    assert preview.rows[2].target.comparator is Comparator.LE
    assert preview.issues == ()


def test_unit_in_name_is_split_only_when_it_is_a_unit(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "中国质量奖(提名奖)", 3, 7, "预期性"],
        [2, "中国质量奖（提名奖）创建量（个）", 3, 7, "预期性"],
        [3, "食品抽检量 ( 批次/千人 )", 4, 4, "约束性"],
        [4, "群众满意度％", 80, 82, "预期性"],
    ]))
    assert [(r.name, r.unit) for r in preview.rows] == [
        ("中国质量奖(提名奖)", ""), ("中国质量奖（提名奖）创建量", "个"),
        ("食品抽检量", "批次/千人"), ("群众满意度", "%")]


def test_table_on_any_sheet_and_several_tables_are_reported(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        ("说明", [["本表为指标表"]]),
        ("旧版", [HEADER, [1, "市场主体总量(万户)", 5.5, 8, "预期性"]]),
        ("新版", [HEADER, [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
                  [2, "千人拥有企业数量(户)", 19.3, 35.8, "预期性"]]),
    )
    preview = parse_indicator_workbook(path)
    assert preview.sheet == "新版"
    assert len(preview.rows) == 2
    assert issues(preview) == [("warning", None, None)]
    assert "“旧版”" in preview.issues[0].message
    chosen = parse_indicator_workbook(path, sheet="旧版")
    assert (chosen.sheet, chosen.rows[0].target.value, chosen.issues) == ("旧版", 8, ())


def test_spacer_rows_footnotes_and_rows_after_them(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
        [],
        [None, "\xa0", " "],
        [2, "千人拥有企业数量(户)", 19.3, 35.8, "预期性"],
        ["注：1.市场主体含个体工商户。"],
        ["2.千人拥有企业数量按常住人口计算。"],
        ["数据来源：区统计局。"],
        [3, "每万人口发明专利拥有量(件)", 3, 12, "预期性"],
    ]))
    assert [r.seq for r in preview.rows] == [1, 2]
    assert issues(preview) == [("warning", 9, None)]
    assert "表注" in preview.issues[0].message


# --- bad input: reported with file, sheet, row and column; nothing written -----------------


def test_file_that_is_not_a_workbook_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "指标表.xlsx"
    path.write_text("序号,指标名称,2020,2025\n1,市场主体总量,5.5,8.6\n", encoding="utf-8")
    with pytest.raises(ImportFormatError) as caught:
        parse_indicator_workbook(path)
    assert "指标表.xlsx" in caught.value.user_message
    assert "不是 Excel 工作簿" in caught.value.user_message


def test_truncated_workbook_is_refused(tmp_path: Path) -> None:
    whole = (WORKBOOKS / "indicators_000_clean.xlsx").read_bytes()
    path = tmp_path / "半截.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImportFormatError) as caught:
        parse_indicator_workbook(path)
    assert "半截.xlsx" in caught.value.user_message
    assert "不完整或已损坏" in caught.value.user_message


def test_password_protected_workbook_is_refused() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_indicator_workbook(WORKBOOKS / "indicators_password.xlsx")
    assert "indicators_password.xlsx" in caught.value.user_message
    assert "密码" in caught.value.user_message


def test_sheet_without_a_recognisable_header_is_an_error(tmp_path: Path, db: Database) -> None:
    path = workbook(tmp_path / "a.xlsx", ("数据", [["单位", "数值"], ["大佛所", 3]]))
    preview = parse_indicator_workbook(path)
    assert preview.rows == ()
    assert [(i.severity, i.file, i.sheet) for i in preview.issues] == [
        ("error", "a.xlsx", "数据")]
    assert "找不到指标表的表头" in preview.issues[0].message
    plan = create_plan(db, "P", "规划", start_year=2021, end_year=2025)
    with pytest.raises(ImportFormatError):
        apply_indicator_table(db, plan.id, preview)


def test_header_without_rows_is_an_error(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [["注：暂无"]]))
    assert issues(preview) == [("error", 1, None)]


def test_duplicate_indicator_with_different_targets_is_an_error_on_both_rows(
        tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
        [2, "药品抽检合格率(%)", 97, ">98", "预期性"],
        [3, "市场主体总量（万户）", 5.5, 9, "预期性"],
    ]))
    assert issues(preview) == [("error", 2, "B"), ("error", 4, "B")]
    assert "第 2、4 行" in preview.issues[0].message
    assert [r.seq for r in preview.valid_rows] == [2]


def test_the_same_row_printed_twice_is_a_warning_and_written_once(tmp_path: Path,
                                                                  db: Database) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
        [None, "市场主体总量(万户)", "5.5", "8.6", "预期性"],
    ]))
    assert issues(preview) == [("warning", 3, "B")]
    plan = create_plan(db, "P", "规划", start_year=2021, end_year=2025)
    assert apply_indicator_table(db, plan.id, preview) == {
        "created": 1, "updated": 0, "unchanged": 0}


@pytest.mark.parametrize(("text", "reason"), [
    ("大约九十", "无法识别为数值"),
    ("≥≥5", "比较符号重复"),
    ("98%%", "重复的符号"),
    ("基本建成", "无法识别为数值"),
])
def test_unparseable_target_is_an_error_at_its_cell(tmp_path: Path, text: str,
                                                    reason: str) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
        [2, "食品抽检合格率(%)", 97, text, "预期性"],
    ]))
    assert issues(preview) == [("error", 3, "D")]
    issue = preview.issues[0]
    assert (issue.file, issue.sheet) == ("a.xlsx", "指标")
    assert text in issue.message
    assert reason in issue.message
    assert str(issue).startswith("文件 a.xlsx，工作表“指标”，第 3 行 D 列：")
    assert preview.rows[1].target.text == text
    assert [r.seq for r in preview.valid_rows] == [1]


def test_unknown_attribute_is_an_error_and_a_blank_one_a_warning(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "必须完成"],
        [2, "千人拥有企业数量(户)", 19.3, 35.8, None],
        [3, "药品抽检合格率(%)", 97, ">98", "约束"],
    ]))
    assert issues(preview) == [("error", 2, "E"), ("warning", 3, "E")]
    assert [r.attribute for r in preview.rows] == [None, None, "约束性"]


def test_formula_cells_and_formula_like_text_are_refused(tmp_path: Path) -> None:
    def formulas(ws: Any) -> None:
        ws["D2"] = "=C2*2"  # a real formula
        ws["D5"] = "=HYPERLINK(\"http://x\",\"98\")"

    path = workbook(tmp_path / "a.xlsx", ("指标", [
        HEADER,
        [1, "市场主体总量(万户)", 5.5, None, "预期性"],
        [2, "千人拥有企业数量(户)", "@SUM(A1)", 35.8, "预期性"],
        [3, "=1+1", 1, 2, "预期性"],
        [4, "食品抽检合格率(%)", 97, None, "预期性"],
        [5, "药品抽检合格率(%)", "-", "+98", "预期性"],
        [6, "万台特种设备死亡率", "-0.1", "-", "约束性"],
        [7, "驰名商标拥有量", "--", "-cmd|'/c calc'!A1", "预期性"],
    ]), edit=formulas)
    preview = parse_indicator_workbook(path)
    errors = [(i.row, i.column) for i in preview.errors]
    assert errors == [(2, "D"), (3, "C"), (4, "B"), (5, "D"), (8, "D")]
    assert "公式" in preview.errors[0].message
    assert "以 @ 开头" in preview.errors[1].message
    # A dash alone is a placeholder and a plain signed number is a number, not a formula.
    by_seq = {r.seq: r for r in preview.rows}
    assert by_seq[5].baseline.kind is ValueKind.PLACEHOLDER
    assert (by_seq[5].target.value, by_seq[6].baseline.value) == (98, -0.1)
    assert by_seq[6].target.kind is ValueKind.PLACEHOLDER
    assert not by_seq[5].has_errors
    assert not by_seq[6].has_errors


def test_value_turned_into_a_date_by_excel_is_an_error(tmp_path: Path) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "新增检验检测机构(家)", 2, datetime(2025, 4, 5), "预期性"],
    ]))
    assert issues(preview) == [("error", 2, "D")]
    assert "日期" in preview.issues[0].message


def _claim_rows(path: Path, out: Path, extra_row: str = "") -> Path:
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:Z1000000"/>',
                              data)
                data = data.replace(b"</sheetData>", extra_row.encode() + b"</sheetData>")
            dest.writestr(info, data)
    return out


def test_sheet_claiming_a_million_rows_reads_its_real_rows_quickly(tmp_path: Path) -> None:
    path = _claim_rows(WORKBOOKS / "indicators_000_clean.xlsx", tmp_path / "big.xlsx")
    assert b'ref="A1:Z1000000"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    started = time.monotonic()
    preview = parse_indicator_workbook(path)
    assert time.monotonic() - started < 5
    assert len(preview.rows) == 16
    assert preview.issues == ()


def test_sheet_with_a_cell_a_million_rows_down_is_refused_quickly(tmp_path: Path,
                                                                  db: Database) -> None:
    far = ('<row r="1000000"><c r="Z1000000" t="inlineStr"><is><t>x</t></is></c></row>')
    path = _claim_rows(WORKBOOKS / "indicators_000_clean.xlsx", tmp_path / "big.xlsx", far)
    started = time.monotonic()
    preview = parse_indicator_workbook(path)
    assert time.monotonic() - started < 5
    assert issues(preview) == [("error", 1, None)]
    assert "行数异常多" in preview.issues[0].message
    plan = create_plan(db, "P", "规划", start_year=2021, end_year=2025)
    with pytest.raises(ImportFormatError):
        apply_indicator_table(db, plan.id, preview)
    assert list_indicators(db, plan.id) == []


# --- writing -------------------------------------------------------------------------------


@pytest.fixture
def plan_id(db: Database) -> int:
    return create_plan(db, "TN", "潼南区市场监管现代化“十四五”规划", start_year=2021,
                       end_year=2025).id


def test_import_writes_every_indicator_as_printed(db: Database, plan_id: int) -> None:
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_clean.xlsx")
    assert apply_indicator_table(db, plan_id, preview) == {
        "created": 16, "updated": 0, "unchanged": 0}
    stored = list_indicators(db, plan_id)
    assert [(i.code, i.seq_printed, i.name, i.name_printed, i.unit_printed, i.category,
             i.attribute.label, i.baseline.text, i.target.text) for i in stored] == [
        (f"I{seq:02d}", str(seq), name, printed, unit, category, attribute, base[0], target[0])
        for seq, name, printed, unit, category, attribute, base, target in TABLE_000]
    assert {i.origin for i in stored} == {Origin.WORKBOOK}
    first = stored[0]
    assert first.source_text.startswith("工作簿 indicators_000_clean.xlsx，工作表“专栏1”，第 3 行")
    assert (first.unit_canonical, first.unit_scale) == ("户", 10000)
    assert stored[9].target.comparator is Comparator.GT


def test_new_indicators_get_proposed_direction_and_time_semantics(db: Database,
                                                                  plan_id: int) -> None:
    apply_indicator_table(db, plan_id,
                          parse_indicator_workbook(WORKBOOKS / "indicators_003_clean.xlsx"))
    by_code = {i.code: i for i in list_indicators(db, plan_id)}
    assert by_code["I16"].direction is Direction.DOWN  # <0.05 deaths
    assert by_code["I01"].direction is Direction.UP
    assert by_code["I01"].time_semantics is TimeSemantics.STOCK
    assert by_code["I07"].time_semantics is TimeSemantics.FLOW  # a rate
    assert by_code["I07"].target_type is TargetType.RATE
    assert by_code["I06"].time_semantics is TimeSemantics.CUMULATIVE  # 新增
    assert by_code["I12"].target_type is TargetType.PER_CAPITA


def test_reimport_updates_instead_of_duplicating(db: Database, plan_id: int) -> None:
    clean = parse_indicator_workbook(WORKBOOKS / "indicators_000_clean.xlsx")
    apply_indicator_table(db, plan_id, clean)
    assert apply_indicator_table(db, plan_id, clean) == {
        "created": 0, "updated": 0, "unchanged": 16}
    messy = parse_indicator_workbook(WORKBOOKS / "indicators_000_messy.ods")
    assert apply_indicator_table(db, plan_id, messy) == {
        "created": 0, "updated": 3, "unchanged": 13}
    stored = list_indicators(db, plan_id)
    assert len(stored) == 16
    assert {i.code: i.target.text for i in stored}["I05"] == "1,400"
    assert {i.code: i.baseline.text for i in stored}["I15"] == "—"


def test_reimport_keeps_what_the_table_does_not_print(demo_db: Database) -> None:
    """Into the demo plan: direction, time semantics and formulas stay; no duplicates."""
    plan = list_plans(demo_db)[0]
    before = {i.code: i for i in list_indicators(demo_db, plan.id)}
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_clean.xlsx")
    counts = apply_indicator_table(demo_db, plan.id, preview)
    after = {i.code: i for i in list_indicators(demo_db, plan.id)}
    assert sum(counts.values()) == 16
    assert counts["created"] == 0
    assert set(after) == set(before)
    assert after["I09"].name == "一般事项双随机、一公开抽查比例"  # matched by its code
    for code, old in before.items():
        new = after[code]
        assert (new.direction, new.time_semantics, new.numerator_id, new.denominator_id,
                new.origin, new.unit_canonical) == (
            old.direction, old.time_semantics, old.numerator_id, old.denominator_id,
            old.origin, old.unit_canonical)
    assert after["I14"].direction is Direction.DOWN


def test_rows_without_a_sequence_number_get_a_stable_code(tmp_path: Path, db: Database,
                                                         plan_id: int) -> None:
    path = table(tmp_path / "a.xlsx", [["市场主体总量(万户)", 5.5, 8.6, "预期性"],
                                       ["千人拥有企业数量(户)", 19.3, 35.8, "预期性"]],
                 header=["指标名称", "2020年", "2025年", "指标属性"])
    first = parse_indicator_workbook(path)
    assert [r.seq for r in first.rows] == [None, None]
    codes = [r.code for r in first.rows]
    assert all(code.startswith("N") for code in codes)
    assert len(set(codes)) == 2
    apply_indicator_table(db, plan_id, first)
    assert apply_indicator_table(db, plan_id, parse_indicator_workbook(path)) == {
        "created": 0, "updated": 0, "unchanged": 2}
    assert sorted(i.code for i in list_indicators(db, plan_id)) == sorted(codes)


def test_preview_with_errors_is_refused_and_nothing_is_written(tmp_path: Path, db: Database,
                                                               plan_id: int) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
        [2, "千人拥有企业数量(户)", 19.3, "大约九十", "预期性"],
    ]))
    with pytest.raises(ImportFormatError) as caught:
        apply_indicator_table(db, plan_id, preview)
    assert "a.xlsx" in caught.value.user_message
    assert "未导入" in caught.value.user_message
    assert list_indicators(db, plan_id) == []


def test_valid_rows_can_be_imported_when_chosen_explicitly(tmp_path: Path, db: Database,
                                                           plan_id: int) -> None:
    preview = parse_indicator_workbook(table(tmp_path / "a.xlsx", [
        [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
        [2, "千人拥有企业数量(户)", 19.3, "大约九十", "预期性"],
        [3, "药品抽检合格率(%)", 97, ">98", "预期性"],
    ]))
    assert apply_indicator_table(db, plan_id, preview, rows=preview.valid_rows) == {
        "created": 2, "updated": 0, "unchanged": 0}
    assert [i.code for i in list_indicators(db, plan_id)] == ["I01", "I03"]
    with pytest.raises(ImportFormatError):
        apply_indicator_table(db, plan_id, preview, rows=preview.rows)


def test_failure_half_way_leaves_the_plan_as_it_was(db: Database, plan_id: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.excel.indicator_table as module

    real = module.upsert_indicator
    calls = []

    def failing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("disk unplugged")
        return real(*args)

    monkeypatch.setattr(module, "upsert_indicator", failing)
    with pytest.raises(RuntimeError):
        apply_indicator_table(db, plan_id,
                              parse_indicator_workbook(WORKBOOKS / "indicators_000_clean.xlsx"))
    assert list_indicators(db, plan_id) == []


def test_unknown_plan_is_refused(db: Database) -> None:
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_clean.xlsx")
    with pytest.raises(NotFoundError):
        apply_indicator_table(db, 99, preview)


def test_header_years_that_are_not_the_plans_are_reported(db: Database) -> None:
    plan = create_plan(db, "P15", "“十五五”规划", start_year=2026, end_year=2030)
    preview = parse_indicator_workbook(WORKBOOKS / "indicators_000_messy.xlsx")
    found = plan_year_issues(preview, plan)
    assert [(i.severity, i.sheet, i.row, i.column) for i in found] == [
        ("warning", "专栏1指标", 5, "C"), ("warning", "专栏1指标", 5, "D")]
    assert "2020 年" in found[0].message
    assert "2025 年" in found[0].message
    same = create_plan(db, "P14", "“十四五”规划", start_year=2021, end_year=2025)
    assert plan_year_issues(preview, same) == []


def test_rows_are_frozen_records() -> None:
    row = parse_indicator_workbook(WORKBOOKS / "indicators_000_clean.xlsx").rows[0]
    assert isinstance(row, IndicatorRow)
    with pytest.raises(AttributeError):
        row.name = "x"  # type: ignore[misc]
    assert Attribute.from_label(row.attribute or "") is Attribute.EXPECTED


def test_percent_sign_written_into_the_format_does_not_rescale(tmp_path: Path) -> None:
    def formats(ws: Any) -> None:
        ws["C2"].number_format = '0.0"%"'  # shows 97.5%: the cell holds 97.5
        ws["D2"].number_format = "0.0%"  # shows 98.0%: the cell holds 0.98

    preview = parse_indicator_workbook(workbook(tmp_path / "a.xlsx", ("指标", [
        HEADER, [1, "药品抽检合格率(%)", 97.5, 0.98, "预期性"]]), edit=formats))
    row = preview.rows[0]
    assert (row.baseline.text, row.baseline.value) == ("97.5%", 97.5)
    assert (row.target.text, row.target.value) == ("98%", 98)
    assert preview.issues == ()


def test_two_row_header_under_a_merged_group_label(tmp_path: Path) -> None:
    def header(ws: Any) -> None:
        for ref, label in (("A1", "序号"), ("B1", "指标名称"), ("C1", "指标值"),
                           ("E1", "指标\n属性"), ("C2", "2020年"), ("D2", "2025年")):
            ws[ref] = label
        for cells in ("A1:A2", "B1:B2", "C1:D1", "E1:E2"):
            ws.merge_cells(cells)

    preview = parse_indicator_workbook(workbook(tmp_path / "a.xlsx", ("指标", [
        [], [], [1, "市场主体总量（万户）", 5.5, 8.6, "预期性"]]), edit=header))
    assert (preview.header_row, preview.baseline_year, preview.target_year) == (1, 2020, 2025)
    row = preview.rows[0]
    assert (row.row, row.name, row.unit, row.baseline.value, row.target.value,
            row.attribute) == (3, "市场主体总量", "万户", 5.5, 8.6, "预期性")
