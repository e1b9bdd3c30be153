"""Write the indicator-table workbooks in tests/data/workbooks (run by hand, output committed).

The tables are 专栏1 of seed 000 (潼南区, 16 rows, No. 2 skipped) and 专栏 1 of seed 003
(19 rows), as printed, typed the way clerks type them into Excel or WPS: clean, and messy
(title and blank rows above a two-row header, category rows or a merged category column, units
in the name or in a column, percent-formatted cells, numbers stored as text, full-width digits,
NBSP and trailing spaces, spacer and footnote rows, the table on the second sheet or starting
in column B). The .xls and .ods copies are made with LibreOffice::

    .venv/bin/python tests/data/make_indicator_workbooks.py

``soffice`` must be on PATH for the .xls/.ods copies; ``msoffcrypto-tool`` (any Python) for the
password-protected workbook, which is otherwise left as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "workbooks"
FIXED_TIME = datetime(2026, 1, 1)
NBSP = "\xa0"

# (seq, name as printed, baseline, target, attribute); a str starting with "一、" is a category.
TABLE_000: list[tuple[Any, ...] | str] = [
    "一、市场活力",
    (1, "市场主体总量(万户)", 5.3575, 8.8575, "预期性"),
    (3, "千人拥有企业数量(户)", 21.97, 42.4, "预期性"),
    (4, "万人口发明专利拥有量(件)", 5.2, 8, "预期性"),
    (5, "每万户市场主体有效注册商标量(件)", 1153, 1400, "预期性"),
    (6, "累计有效注册商标量(万件)", 0.63, 1.1, "预期性"),
    (7, "驰名商标拥有量", 1, 2, "预期性"),
    (8, "知识产权保护社会满意度", 80.9, 82, "预期性"),
    "二、市场安全",
    (9, "一般事项双随机、一公开抽查比例(%", 3, 5, "约束性"),
    (10, "食品和农产品抽检量(批次/千人)", 4, ">4", "约束性"),
    (11, "食品评价性抽检合格率(%", 98.25, ">98", "预期性"),
    (12, "食品安全综合满意度", 80.94, 82, "预期性"),
    (13, "药品抽检合格率%", 97.18, ">98", "预期性"),
    (14, "万台特种设备死亡人数年平均值(人)", "--", 0.3, "约束性"),
    (15, "消费投诉按期办结率(%", "--", 95, "约束性"),
    (16, "消费者满意度指数", "--", 80.5, "预期性"),
    (17, "制造业产品质量合格率(%", "--", 94, "预期性"),
]

TABLE_003: list[tuple[Any, ...] | str] = [
    "一、市场环境",
    (1, "市场主体总量（万户）", 5.5, 8.6, "预期性"),
    (2, "千人拥有企业数量（户）", 19.3, 35.8, "预期性"),
    (3, "每万人口高价值发明专利拥有量（件）", 3.18, 12, "预期性"),
    (4, "每万户市场主体有效注册商标量（件）", 1451, 2100, "预期性"),
    (5, "一般事项“双随机、一公开”抽查比例（%）", 3, 5, "预期性"),
    "二、质量提升",
    (6, "新增重庆市市长质量管理奖或提名奖企业（个）", 2, 2, "预期性"),
    (7, "制造业产品质量合格率（%）", 94, 95, "预期性"),
    (8, "公共服务质量满意度（分）", 82, 83, "预期性"),
    (9, "新增社会公用计量标准（项）", "—", 1, "预期性"),
    (10, "新增自我声明公开企业标准、团体标准（项）", 713, 1005, "预期性"),
    (11, "新增国家级、市级标准化试点示范建设项目", 5, 7, "预期性"),
    "",  # the blank line printed in the plan
    "三、市场安全",
    (12, "食品和农产品抽检量（批次/千人）", 4, ">4", "约束性"),
    (13, "食品评价性抽检合格率（%）", 98, ">98", "预期性"),
    (14, "食品安全满意度（分）", 80, 82, "预期性"),
    (15, "药品抽检合格率（%）", ">98", ">98", "预期性"),
    (16, "万台特种设备事故死亡率", "-", "<0.05", "约束性"),
    (17, "消费投诉按期办结率（%）", 100, 100, "约束性"),
    "四、科技支撑",
    (18, "智慧监管应用场景（个）", 4, 10, "预期性"),
    (19, "质量基础设施“一站式”服务平台（个）", "-", 1, "预期性"),
]


def rows_of(table: list[tuple[Any, ...] | str]) -> list[tuple[Any, ...]]:
    return [row for row in table if isinstance(row, tuple)]


def split_unit(name: str) -> tuple[str, str]:
    """市场主体总量(万户) → (市场主体总量, 万户); 药品抽检合格率% → (药品抽检合格率, %)."""
    for opening in ("(", "（"):
        if opening in name:
            head, _, unit = name.rpartition(opening)
            return head, unit.rstrip(")）")
    if name.endswith("%"):
        return name[:-1], "%"
    return name, ""


def new_book() -> Any:
    from openpyxl import Workbook

    book = Workbook()
    book.properties.creator = "PlanDesk tests"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    return book


def save(book: Any, name: str) -> Path:
    path = OUT / name
    book.save(path)
    return path


def text(ws: Any, ref: str, value: str) -> None:
    """Write a text cell that stays text even when it looks like a number."""
    ws[ref] = value
    ws[ref].data_type = "s"


# --- 000 ---------------------------------------------------------------------------------


def make_000_clean() -> Path:
    """专栏1 as printed: one-row header, category rows merged across, numbers as numbers."""
    book = new_book()
    ws = book.active
    ws.title = "专栏1"
    ws.append(["序号", "指标名称", 2020, 2025, "指标属性"])
    for item in TABLE_000:
        if isinstance(item, str):
            ws.append([item])
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row,
                           end_column=5)
        else:
            ws.append(list(item))
    return save(book, "indicators_000_clean.xlsx")


def make_000_messy() -> Path:
    """Second sheet; title, blank rows, header on rows 5–6 (指标 over 属性); typed messily."""
    book = new_book()
    notes = book.active
    notes.title = "填表说明"
    notes["A1"] = "本工作簿根据规划专栏1整理，指标名称、2020年和2025年数值按原文填写。"
    notes["A2"] = "第二个工作表为指标表。"
    ws = book.create_sheet("专栏1指标")
    ws["A1"] = "专栏1：“十四五”市场监管现代化主要指标"
    ws.merge_cells("A1:E1")
    for ref, value in (("A5", "序号"), ("B5", "指 标 名 称"), ("C5", 2020), ("D5", 2025),
                       ("E5", "指标"), ("E6", "属性")):
        ws[ref] = value
    for cols in ("A5:A6", "B5:B6", "C5:C6", "D5:D6"):
        ws.merge_cells(cols)
    # Per row: how the clerk typed each cell (None: as in the table).
    messy: dict[int, dict[int, Any]] = {
        1: {0: "1", 1: "市场主体总量(万户) ", 2: "5.3575"},
        3: {1: "千人拥有企业数量(户)" + NBSP, 2: "２１．９７"},
        4: {1: " 万人口发明专利拥有量(件)"},
        5: {2: "1153 ", 3: "1,400"},
        7: {3: "２"},
        8: {4: "预期性 "},
        9: {2: "3", 3: "5"},
        10: {3: "＞4"},
        11: {1: "食品评价性抽检合格率(% "},
        13: {2: "97.18" + NBSP},
        14: {4: "约束性" + NBSP},
        15: {2: "—"},
        16: {2: "-", 3: "80.5 "},
        17: {3: "９４"},
    }
    row = 7
    for item in TABLE_000:
        if isinstance(item, str):
            if item.startswith("二"):
                row += 1  # a spacer row between the two categories
            ws.cell(row=row, column=2, value=item)
        else:
            typed = messy.get(item[0], {})
            for index, value in enumerate(item):
                value = typed.get(index, value)
                cell = ws.cell(row=row, column=index + 1, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="注：序号2“每万人口高价值发明专利拥有量”已调整至专栏3。")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    ws.cell(row=row + 1, column=1, value="数据来源：区市场监管局、区统计局。")
    return save(book, "indicators_000_messy.xlsx")


def make_000_columns() -> Path:
    """Merged category column, units in a column, percent-formatted cells for the % rows."""
    book = new_book()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(["分类", "序号", "指标", "计量单位", "2020年", "2025年", "属性"])
    category = ""
    start = 2
    percent = {  # seq: (baseline format, target format); the cell holds the fraction
        9: ("0%", "0%"), 11: ("0%", None), 13: ("0.00%", None), 15: (None, "0%"),
        17: (None, "0%"),
    }
    for item in TABLE_000:
        if isinstance(item, str):
            if category:
                ws.merge_cells(start_row=start, start_column=1, end_row=ws.max_row,
                               end_column=1)
            category, start = item.split("、")[1], ws.max_row + 1
            continue
        seq, printed, baseline, target, attribute = item
        name, unit = split_unit(printed)
        ws.append([category if ws.max_row + 1 == start else None, seq, name, unit or None,
                   baseline, target, attribute])
        baseline_format, target_format = percent.get(seq, (None, None))
        for column, fmt, value in ((5, baseline_format, baseline), (6, target_format, target)):
            if fmt:
                cell = ws.cell(row=ws.max_row, column=column)
                cell.value = value / 100
                cell.number_format = fmt
    ws.merge_cells(start_row=start, start_column=1, end_row=ws.max_row, end_column=1)
    return save(book, "indicators_000_columns.xlsx")


# --- 003 ---------------------------------------------------------------------------------


def make_003_clean() -> Path:
    """专栏 1 as printed (tab-separated in the text): category rows in column A, a blank row."""
    book = new_book()
    ws = book.active
    ws.title = "专栏1"
    ws.append(["序号", "指标名称", "2020 年", "2025 年", "指标属性"])
    for item in TABLE_003:
        if isinstance(item, str):
            if item:
                ws.append([item])
            else:
                ws.append([])  # the blank row
        else:
            ws.append(list(item))
    return save(book, "indicators_003_clean.xlsx")


def make_003_messy() -> Path:
    """From column B: title, note, blank rows, header on rows 5–6 with 2020年 over 基期值,
    a merged category column, units in a column, numbers as text, full-width digits, NBSP,
    trailing spaces, spacer and footnote rows."""
    book = new_book()
    ws = book.active
    ws.title = "指标"
    ws["B1"] = "专栏 1 市场监管现代化“十四五”主要指标"
    ws.merge_cells("B1:H1")
    ws["B2"] = "填报单位：区市场监管局综合规划科"
    header = {"B5": "类别", "C5": "序号", "D5": "指标名称", "E5": "计量单位", "F5": "2020年",
              "F6": "基期值", "G5": "2025年\n目标值", "H5": "指标属性"}
    for ref, value in header.items():
        ws[ref] = value
    for cols in ("B5:B6", "C5:C6", "D5:D6", "E5:E6", "G5:G6", "H5:H6"):
        ws.merge_cells(cols)
    messy: dict[int, dict[int, Any]] = {
        1: {1: "市场主体总量 ", 2: "5.5"},
        2: {2: "１９．３", 3: "35.8" + NBSP},
        3: {1: "每万人口高价值发明专利拥有量" + NBSP},
        4: {2: "1451", 3: "2100 "},
        6: {0: "6 "},
        8: {3: "８３"},
        10: {2: "713", 3: "1005"},
        12: {3: "> 4"},
        13: {4: " 预期性"},
        15: {2: "＞98", 3: ">98 "},
        16: {3: "＜0.05"},
        17: {2: "100", 3: "１００"},
        19: {2: "－"},
    }
    row = 7
    category, start = "", 7
    for item in TABLE_003:
        if isinstance(item, str):
            if not item:
                continue
            if category:
                ws.merge_cells(start_row=start, start_column=2, end_row=row - 1, end_column=2)
                if category.startswith("二"):
                    row += 1  # a spacer row, outside the merged blocks
            category, start = item, row
            ws.cell(row=row, column=2, value=item)
            continue
        seq, printed, baseline, target, attribute = item
        name, unit = split_unit(printed)
        typed = messy.get(seq, {})
        for index, value in enumerate((seq, name, unit or None, baseline, target, attribute)):
            value = typed.get({0: 0, 1: 1, 3: 2, 4: 3, 5: 4}.get(index, -1), value)
            cell = ws.cell(row=row, column=index + 3, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
        row += 1
    ws.merge_cells(start_row=start, start_column=2, end_row=row - 1, end_column=2)
    row += 1
    for note in ("注：1.“双随机、一公开”抽查比例指一般事项的抽查比例。",
                 "2.高价值发明专利按国家知识产权局口径统计。",
                 "数据来源：区市场监管局。"):
        ws.cell(row=row, column=2, value=note)
        row += 1
    return save(book, "indicators_003_messy.xlsx")


# --- copies --------------------------------------------------------------------------------


def convert(path: Path, fmt: str) -> Path:
    """A copy in another format saved by LibreOffice (as a clerk's WPS/LibreOffice would)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.exit("soffice not found: install libreoffice-calc to make the .xls/.ods copies")
    with tempfile.TemporaryDirectory() as home:
        subprocess.run(
            [soffice, "--headless", "--convert-to", fmt, "--outdir", str(OUT), str(path)],
            check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": home})
    return path.with_suffix(f".{fmt}")


def make_password_protected(source: Path) -> None:
    """An .xlsx with an opening password (plandesk), encrypted as Excel does."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-not-found]
    except ImportError:
        print("msoffcrypto-tool not installed: indicators_password.xlsx left as it is")
        return
    with source.open("rb") as plain, (OUT / "indicators_password.xlsx").open("wb") as out:
        OOXMLFile(plain).encrypt("plandesk", out)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    made = [make_000_clean(), make_000_messy(), make_000_columns(), make_003_clean(),
            make_003_messy()]
    for path in (OUT / "indicators_000_messy.xlsx", OUT / "indicators_003_messy.xlsx",
                 OUT / "indicators_000_columns.xlsx"):
        made.extend(convert(path, fmt) for fmt in ("xls", "ods"))
    make_password_protected(OUT / "indicators_000_clean.xlsx")
    for path in made:
        print(f"{path.relative_to(OUT.parent.parent.parent)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
