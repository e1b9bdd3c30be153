"""Importing the returns stations send back: preview, checks, tolerant values, atomic writes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from desktop.excel.reading import read_values, read_workbook
from desktop.excel.returns import (
    CellChange,
    ImportOutcome,
    ReturnFile,
    ReturnsPreview,
    ReturnStatus,
    apply_returns,
    import_returns_job,
    parse_reported_value,
    preview_returns,
    preview_returns_job,
)
from desktop.excel.template_format import SHEET_ENTRY, SHEET_META, TemplateMeta
from desktop.excel.templates import build_template
from desktop.models.errors import ImportFormatError
from desktop.models.indicators import ValueType
from desktop.models.orgunits import get_unit_by_code
from desktop.models.plans import list_plans
from desktop.models.progress import Progress, run_job
from desktop.models.settings import set_setting
from desktop.models.store import open_database
from desktop.models.values import ensure_submission

STATION = "CQ-TN-S01"
OTHER_STATION = "CQ-TN-S02"
BUREAU = "CQ-TN"
PERIOD = "2025"  # nothing is stored for 2025 in the demo
ENTRY_SHEET_PART = "xl/worksheets/sheet1.xml"


# --- helpers ----------------------------------------------------------------------------------


def plan_id(db: Database) -> int:
    return list_plans(db)[0].id


def unit_id(db: Database, code: str = STATION) -> int:
    return get_unit_by_code(db, code).id


def template_book(db: Database, code: str = STATION, period: str = PERIOD) -> Any:
    return build_template(db, plan_id(db), unit_id(db, code), period)


def layout(book: Any) -> tuple[dict[str, int], dict[int, int]]:
    """(element code → row, plan item id → row) from the workbook's metadata sheet."""
    rows = {str(k): "" if v is None else str(v)
            for k, v in book[SHEET_META].iter_rows(values_only=True)}
    meta = TemplateMeta.from_rows(rows)
    return ({code: row for row, code in meta.element_rows.items()},
            {item: row for row, item in meta.task_rows.items()})


def stored_numbers(db: Database, code: str = STATION, period: str = "2024") -> dict[str, float]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT e.code, v.value FROM data_value v JOIN data_element e ON e.id = v.element_id "
        "WHERE v.org_unit_id = ? AND v.period = ?", [unit_id(db, code), period])}


def plausible(db: Database, code: str = STATION) -> dict[str, Any]:
    """Figures 5% above the unit's 2024 ones: no jump, every share below 100%."""
    return {key: round(value * 1.05) for key, value in stored_numbers(db, code).items()}


def fill(book: Any, values: dict[str, Any] | None = None,
         comments: dict[str, Any] | None = None,
         tasks: dict[int, tuple[Any, ...]] | None = None) -> Any:
    """Type into the input cells as a station would (openpyxl, no protection)."""
    ws = book[SHEET_ENTRY]
    element_rows, task_rows = layout(book)
    for code, value in (values or {}).items():
        ws.cell(element_rows[code], 5).value = value
    for code, text in (comments or {}).items():
        ws.cell(element_rows[code], 6).value = text
    for item, cells in (tasks or {}).items():
        for offset, value in enumerate(cells):
            ws.cell(task_rows[item], 5 + offset).value = value
    return book


def first_tasks(book: Any, count: int = 2) -> list[int]:
    return sorted(layout(book)[1], key=lambda item: layout(book)[1][item])[:count]


def filled_return(db: Database, folder: Path, code: str = STATION, period: str = PERIOD, *,
                  name: str | None = None, values: dict[str, Any] | None = None,
                  change: Callable[[Any], None] | None = None) -> Path:
    """A template filled with plausible figures, a comment and two tasks' progress."""
    book = template_book(db, code, period)
    items = first_tasks(book)
    fill(book, values if values is not None else plausible(db, code),
         comments={"ENT_TOTAL": "含个体工商户"},
         tasks={items[0]: ("推进中", 60, "已完成摸底排查", "人手不足", "年底前完成"),
                items[1]: ("已完成", 100, "已建立协作机制", None, None)})
    if change is not None:
        change(book)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{period}_{code}.xlsx")
    book.save(path)
    return path


def only(preview: ReturnsPreview) -> ReturnFile:
    assert len(preview.files) == 1, [f.name for f in preview.files]
    return preview.files[0]


def messages(item: ReturnFile, severity: str | None = None) -> str:
    return "\n".join(str(i) for i in item.issues if severity is None or i.severity == severity)


def value_count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM data_value").fetchone()[0])


def backups(db_path: Path) -> list[Path]:
    folder = db_path.parent / "backups"
    return sorted(folder.glob("*import-returns*")) if folder.exists() else []


def rewrite(src: Path, dst: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """Copy a workbook, changing one part's XML."""
    with zipfile.ZipFile(src) as source, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data)
            out.writestr(info.filename, data)
    return dst


def column_name(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- a filled template, imported --------------------------------------------------------------


def test_a_filled_template_is_previewed_as_new_then_imported(
        demo_db: Database, demo_path: Path, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    before = value_count(demo_db)
    preview = preview_returns(demo_db, [path])
    item = only(preview)
    assert item.status is ReturnStatus.NEW, messages(item)
    assert (item.unit_code, item.period, item.plan_code) == (STATION, PERIOD, "TN-SCJG-14")
    assert item.identified_by == "metadata"
    assert item.counts()["values"] == 7
    assert item.counts()["tasks"] == 2
    assert not item.errors
    assert value_count(demo_db) == before  # a preview writes nothing
    assert backups(demo_path) == []

    result = apply_returns(demo_db, preview)
    assert result.ok
    assert [o.outcome for o in result.outcomes] == [ImportOutcome.IMPORTED]
    assert result.backup is not None
    assert result.backup.exists()
    stored = {r["code"]: r for r in demo_db.query(
        "SELECT e.code, v.value, v.comment, v.source, v.import_id FROM data_value v "
        "JOIN data_element e ON e.id = v.element_id WHERE v.org_unit_id = ? AND v.period = ?",
        [unit_id(demo_db), PERIOD])}
    expected = plausible(demo_db)
    assert {code: row["value"] for code, row in stored.items()} == expected
    assert stored["ENT_TOTAL"]["comment"] == "含个体工商户"
    assert {row["source"] for row in stored.values()} == {"workbook"}
    event = demo_db.execute("SELECT id, action, new_value FROM audit_event "
                            "WHERE action = 'returns.import'").fetchone()
    assert event is not None
    assert '"values": 7' in event[2]
    assert {row["import_id"] for row in stored.values()} == {event[0]}
    tasks = list(demo_db.query(
        "SELECT status, percent, progress_text, problems_text, next_steps_text "
        "FROM task_progress WHERE org_unit_id = ? AND period = ? ORDER BY percent",
        [unit_id(demo_db), PERIOD]))
    assert [(t["status"], t["percent"]) for t in tasks] == [("in_progress", 60),
                                                             ("completed", 100)]
    assert tasks[0]["problems_text"] == "人手不足"
    submission = next(demo_db.query(
        "SELECT status, submitted_at FROM submission WHERE plan_id = ? AND org_unit_id = ? "
        "AND period = ?", [plan_id(demo_db), unit_id(demo_db), PERIOD]))
    assert submission["status"] == "submitted"
    assert submission["submitted_at"]


def test_importing_the_same_file_again_changes_nothing(
        demo_db: Database, demo_path: Path, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    first = apply_returns(demo_db, preview_returns(demo_db, [path]))
    assert first.ok
    snapshot = list(demo_db.query("SELECT * FROM data_value ORDER BY 1, 2, 3"))
    events = demo_db.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    again = preview_returns(demo_db, [path])
    assert only(again).status is ReturnStatus.DUPLICATE
    second = apply_returns(demo_db, again)
    assert second.ok
    assert [o.outcome for o in second.outcomes] == [ImportOutcome.DUPLICATE]
    assert second.backup is None
    assert list(demo_db.query("SELECT * FROM data_value ORDER BY 1, 2, 3")) == snapshot
    assert demo_db.execute("SELECT count(*) FROM audit_event").fetchone()[0] == events
    # Applying the first preview once more is just as harmless.
    third = apply_returns(demo_db, preview_returns(demo_db, [path]))
    assert [o.outcome for o in third.outcomes] == [ImportOutcome.DUPLICATE]
    assert len(backups(demo_path)) == 1


def test_a_resubmission_lists_each_changed_cell_and_needs_confirmation(
        demo_db: Database, tmp_path: Path) -> None:
    apply_returns(demo_db, preview_returns(demo_db, [filled_return(demo_db, tmp_path / "a")]))
    figures = plausible(demo_db)
    figures["ENT_TOTAL"] += 10
    second = filled_return(demo_db, tmp_path / "b", values=figures,
                           change=lambda book: fill(book, comments={"ENT_TOTAL": "已核实"}))
    item = only(preview_returns(demo_db, [second]))
    assert item.status is ReturnStatus.RESUBMISSION
    element_rows, _ = layout(template_book(demo_db))
    row = element_rows["ENT_TOTAL"]
    old = plausible(demo_db)["ENT_TOTAL"]
    assert CellChange(f"E{row}", "市场主体数", "本期数值", str(old), str(old + 10)) in item.changes
    assert CellChange(f"F{row}", "市场主体数", "说明", "含个体工商户", "已核实") in item.changes
    assert len(item.changes) == 2
    assert str(item.changes[0]).startswith(f"E{row} 市场主体数（本期数值）：")

    result = apply_returns(demo_db, preview_returns(demo_db, [second]))
    assert not result.ok
    assert result.outcomes[0].outcome is ImportOutcome.UNCONFIRMED
    assert "需要确认" in result.outcomes[0].message
    assert stored_numbers(demo_db, period=PERIOD)["ENT_TOTAL"] == old

    confirmed = apply_returns(demo_db, preview_returns(demo_db, [second]),
                              confirm_resubmissions=True)
    assert confirmed.ok
    assert stored_numbers(demo_db, period=PERIOD)["ENT_TOTAL"] == old + 10


def test_an_approved_period_is_never_overwritten(demo_db: Database, tmp_path: Path) -> None:
    # The demo approved every station's 2021–2023 returns.
    path = filled_return(demo_db, tmp_path, period="2023")
    before = stored_numbers(demo_db, period="2023")
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.REJECTED
    assert "该期间已审核锁定，不能覆盖" in messages(item)
    result = apply_returns(demo_db, preview_returns(demo_db, [path]), confirm_resubmissions=True)
    assert result.outcomes[0].outcome is ImportOutcome.REFUSED
    assert stored_numbers(demo_db, period="2023") == before


def test_a_period_approved_between_preview_and_import_is_not_written(
        demo_db: Database, tmp_path: Path) -> None:
    preview = preview_returns(demo_db, [filled_return(demo_db, tmp_path)])
    submission = ensure_submission(demo_db, plan_id(demo_db), unit_id(demo_db), PERIOD)
    # Approved by another user of the database meanwhile (the workflow itself would refuse
    # to approve an empty return; this is the state the writer must not overwrite).
    demo_db.execute("UPDATE submission SET status = 'approved' WHERE id = ?", [submission.id])
    result = apply_returns(demo_db, preview)
    assert result.outcomes[0].outcome is ImportOutcome.REFUSED
    assert "已审核锁定" in result.outcomes[0].message
    assert stored_numbers(demo_db, period=PERIOD) == {}


def test_a_returned_return_can_be_resubmitted_and_becomes_submitted(
        demo_db: Database, tmp_path: Path) -> None:
    code = "CQ-TN-S03"  # the demo returned this station's 2024 return
    path = filled_return(demo_db, tmp_path, code=code, period="2024")
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.RESUBMISSION  # the demo holds 2024 figures
    assert apply_returns(demo_db, preview_returns(demo_db, [path]),
                         confirm_resubmissions=True).ok
    status = demo_db.execute(
        "SELECT status, reason FROM submission WHERE org_unit_id = ? AND period = '2024'",
        [unit_id(demo_db, code)]).fetchone()
    assert status == ("submitted", "")


# --- identification and signature --------------------------------------------------------------


def test_a_changed_locked_cell_is_detected_by_the_signature(
        demo_db: Database, tmp_path: Path) -> None:
    def rename(book: Any) -> None:
        rows, _ = layout(book)
        book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 3).value = "市场主体户数"

    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, change=rename)]))
    assert item.status is ReturnStatus.REJECTED
    text = messages(item, "error")
    assert "锁定单元格被改动" in text
    row = layout(template_book(demo_db))[0]["ENT_TOTAL"]
    assert f"C{row}" in text

    def rebase(book: Any) -> None:
        rows, _ = layout(book)
        book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 10).value = "5万户"

    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path / "b",
                                                        change=rebase)]))
    assert "锁定单元格被改动" in messages(item, "error")


def test_a_template_of_another_installation_imports_with_a_warning(
        demo_template: Path, demo_db: Database, tmp_path: Path) -> None:
    other_path = tmp_path / "other.db"
    shutil.copy(demo_template, other_path)
    other = open_database(other_path)
    try:
        path = filled_return(other, tmp_path / "out")
    finally:
        other.close()
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.NEW
    assert "无法校验签名" in messages(item, "warning")


def test_a_template_of_another_plan_version_is_refused(demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    demo_db.execute("UPDATE data_element SET name = '市场主体总户数' WHERE code = 'ENT_TOTAL'")
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.REJECTED
    assert "模板来自规划的其他版本" in messages(item)


def test_a_template_still_imports_after_an_elements_time_aggregation_is_corrected(
        demo_db: Database, tmp_path: Path) -> None:
    # what a unit enters for one period does not depend on how periods combine afterwards
    path = filled_return(demo_db, tmp_path)
    current = demo_db.execute(
        "SELECT time_aggregation FROM data_element WHERE code = 'ENT_TOTAL'").fetchone()[0]
    other = "sum" if current != "sum" else "last"
    demo_db.execute("UPDATE data_element SET time_aggregation = ? WHERE code = 'ENT_TOTAL'",
                    [other])
    preview = preview_returns(demo_db, [path])
    item = only(preview)
    assert item.status is ReturnStatus.NEW, messages(item)
    assert apply_returns(demo_db, preview).ok
    assert stored_numbers(demo_db, period=PERIOD) == plausible(demo_db)

def test_a_header_copied_from_another_unit_is_refused(demo_db: Database, tmp_path: Path) -> None:
    def relabel(book: Any) -> None:
        book[SHEET_ENTRY]["D2"] = OTHER_STATION

    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, change=relabel)]))
    assert item.status is ReturnStatus.REJECTED
    error = item.errors[0]
    assert (error.sheet, error.row, error.column) == (SHEET_ENTRY, 2, "D")
    assert "单位代码" in error.message
    assert OTHER_STATION in error.message


def test_files_of_another_unit_or_period_than_asked_for_are_refused(
        demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    item = only(preview_returns(demo_db, [path], unit_codes={OTHER_STATION}))
    assert item.status is ReturnStatus.REJECTED
    assert "不是本次导入的单位" in messages(item)
    item = only(preview_returns(demo_db, [path], period="2024"))
    assert item.status is ReturnStatus.REJECTED
    assert "不是本次导入的2024年" in messages(item)


def test_an_unknown_unit_is_refused(demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    demo_db.execute("UPDATE org_unit SET code = 'CQ-TN-S99' WHERE code = ?", [STATION])
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.REJECTED
    assert f"没有代码为“{STATION}”的单位" in messages(item)


def test_without_the_hidden_sheet_the_visible_header_identifies_the_workbook(
        demo_db: Database, tmp_path: Path) -> None:
    def drop_metadata(book: Any) -> None:
        book.security = None
        book.remove(book[SHEET_META])

    path = filled_return(demo_db, tmp_path, change=drop_metadata)
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.NEW, messages(item)
    assert item.identified_by == "header"
    assert "没有隐藏的模板信息" in messages(item, "warning")
    assert item.counts()["values"] == 7
    assert item.counts()["tasks"] == 2
    assert apply_returns(demo_db, preview_returns(demo_db, [path])).ok


def test_a_workbook_that_is_no_template_is_refused(tmp_path: Path, demo_db: Database) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "数据"
    book.active.append(["单位", "数值"])
    path = tmp_path / "随手做的表.xlsx"
    book.save(path)
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.REJECTED
    assert "没有“填报”工作表" in messages(item)


def test_a_header_only_workbook_with_a_period_outside_the_plan_is_refused(
        demo_db: Database, tmp_path: Path) -> None:
    def later(book: Any) -> None:
        book.security = None
        book.remove(book[SHEET_META])
        book[SHEET_ENTRY]["H2"] = "2031"

    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, change=later)]))
    assert item.status is ReturnStatus.REJECTED
    error = item.errors[0]
    assert (error.row, error.column) == (2, "H")
    assert "不在规划" in error.message


# --- values read tolerantly, validated ---------------------------------------------------------


@pytest.mark.parametrize(("raw", "value_type", "percent", "expected"), [
    (1234.0, ValueType.INTEGER, False, 1234.0),
    ("1234", ValueType.INTEGER, False, 1234.0),
    (" 1,234 ", ValueType.INTEGER, False, 1234.0),
    ("1,234.5", ValueType.NUMBER, False, 1234.5),
    ("１２３４", ValueType.INTEGER, False, 1234.0),
    ("１，２３４．５", ValueType.NUMBER, False, 1234.5),
    ("1234户", ValueType.INTEGER, False, 1234.0),
    ("12%", ValueType.PERCENTAGE, False, 12.0),
    ("12.5 %", ValueType.PERCENTAGE, False, 12.5),
    ("１２．５％", ValueType.PERCENTAGE, False, 12.5),
    (0.985, ValueType.PERCENTAGE, True, 98.5),
    (98.5, ValueType.PERCENTAGE, False, 98.5),
    (0, ValueType.INTEGER, False, 0.0),
    ("0", ValueType.NUMBER, False, 0.0),
    ("—", ValueType.INTEGER, False, None),
    ("-", ValueType.NUMBER, False, None),
    ("--", ValueType.PERCENTAGE, False, None),
    ("——", ValueType.INTEGER, False, None),
    ("/", ValueType.INTEGER, False, None),
    ("   ", ValueType.INTEGER, False, None),
    (None, ValueType.INTEGER, False, None),
    ("是", ValueType.BOOLEAN, False, 1.0),
    ("否", ValueType.BOOLEAN, False, 0.0),
])
def test_reported_values_are_read_tolerantly(raw: Any, value_type: ValueType, percent: bool,
                                             expected: float | None) -> None:
    parsed = parse_reported_value(raw, value_type, percent_format=percent, unit="户")
    assert parsed.error is None
    assert parsed.value == expected


def test_no_value_is_not_zero() -> None:
    assert parse_reported_value("—", ValueType.INTEGER).empty
    assert not parse_reported_value(0, ValueType.INTEGER).empty
    assert parse_reported_value("0", ValueType.INTEGER).value == 0.0


@pytest.mark.parametrize(("raw", "value_type", "percent", "words"), [
    ("12.5", ValueType.INTEGER, False, "不是整数"),
    (-3, ValueType.INTEGER, False, "负数"),
    ("约1200", ValueType.INTEGER, False, "无法识别为数值"),
    ("无", ValueType.INTEGER, False, "为零时填 0"),
    ("12%", ValueType.INTEGER, False, "不是百分比"),
    (0.5, ValueType.INTEGER, True, "百分比格式"),
    ("120%", ValueType.PERCENTAGE, False, "大于 100%"),
    (True, ValueType.NUMBER, False, "不是数值"),
    ("1,23", ValueType.NUMBER, False, "无法识别为数值"),
    ("5万", ValueType.INTEGER, False, "无法识别为数值"),
    ("1e30", ValueType.NUMBER, False, "超出合理范围"),
    ("a\x01b", ValueType.TEXT, False, "控制字符"),
    ("也许", ValueType.BOOLEAN, False, "“是”或“否”"),
])
def test_unreadable_values_are_refused_with_a_reason(raw: Any, value_type: ValueType,
                                                     percent: bool, words: str) -> None:
    parsed = parse_reported_value(raw, value_type, percent_format=percent, unit="户")
    assert parsed.error is not None
    assert words in parsed.error


def test_a_date_typed_for_a_range_is_refused() -> None:
    from datetime import datetime

    parsed = parse_reported_value(datetime(2024, 4, 5), ValueType.INTEGER)
    assert parsed.error is not None
    assert "日期" in parsed.error


def test_a_small_percentage_without_percent_sign_is_questioned() -> None:
    parsed = parse_reported_value(0.985, ValueType.PERCENTAGE)
    assert parsed.value == 0.985
    assert parsed.warning is not None
    assert "98.5" in parsed.warning


def test_the_bureau_return_reads_percentages_and_placeholders(
        demo_db: Database, tmp_path: Path) -> None:
    book = template_book(demo_db, BUREAU)
    rows, _ = layout(book)
    ws = book[SHEET_ENTRY]
    fill(book, {"FOOD_PASS_RATE": "98.5%", "DRUG_PASS_RATE": "97.6 %", "POP": "７２０，５００",
                "PATENT_INV": "520件", "SE_DEATHS": 0, "TM_WELLKNOWN": "—",
                "IP_SATISFACTION": "81.5"})
    ws.cell(rows["MFG_PASS_RATE"], 5).value = 0.942
    ws.cell(rows["MFG_PASS_RATE"], 5).number_format = "0.0%"
    path = tmp_path / "bureau.xlsx"
    book.save(path)
    item = only(preview_returns(demo_db, [path]))
    assert not item.errors, messages(item)
    got = {v.code: v.value for v in item.values}
    assert got["FOOD_PASS_RATE"] == 98.5
    assert got["DRUG_PASS_RATE"] == 97.6
    assert got["MFG_PASS_RATE"] == 94.2
    assert got["POP"] == 720500
    assert got["PATENT_INV"] == 520
    assert got["SE_DEATHS"] == 0.0
    assert got["TM_WELLKNOWN"] is None
    assert got["IP_SATISFACTION"] == 81.5


def test_bad_values_are_located_by_sheet_row_and_column(demo_db: Database,
                                                        tmp_path: Path) -> None:
    figures = plausible(demo_db)
    figures.update(ENT_TOTAL="约5000", ENT_COMPANY=12.5)
    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, values=figures)]))
    assert item.status is ReturnStatus.REJECTED
    rows, _ = layout(template_book(demo_db))
    located = {(i.sheet, i.row, i.column) for i in item.errors}
    assert (SHEET_ENTRY, rows["ENT_TOTAL"], "E") in located
    assert (SHEET_ENTRY, rows["ENT_COMPANY"], "E") in located
    text = str(item.errors[0])
    assert text.startswith(f"文件 {item.name}，工作表“填报”，第 {rows['ENT_TOTAL']} 行 E 列：")
    assert "“市场主体数”的本期数值" in text


def test_numbers_typed_as_text_and_full_width_digits_are_imported(
        demo_db: Database, tmp_path: Path) -> None:
    figures: dict[str, Any] = plausible(demo_db)
    ent = figures["ENT_TOTAL"]
    figures["ENT_TOTAL"] = f"{ent:,}"
    figures["ENT_COMPANY"] = str(figures["ENT_COMPANY"]).translate(
        {ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    figures["FOOD_SAMPLES"] = f"{figures['FOOD_SAMPLES']}批次"
    path = filled_return(demo_db, tmp_path, values=figures)
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.NEW, messages(item)
    assert {v.code: v.value for v in item.values} == plausible(demo_db)


def test_a_dash_means_no_value_and_zero_is_stored_as_zero(demo_db: Database,
                                                           tmp_path: Path) -> None:
    figures: dict[str, Any] = plausible(demo_db)
    figures.update(FOOD_SAMPLES="—", COMPLAINTS_ONTIME=0)
    path = filled_return(demo_db, tmp_path, values=figures)
    assert apply_returns(demo_db, preview_returns(demo_db, [path])).ok
    stored = stored_numbers(demo_db, period=PERIOD)
    assert "FOOD_SAMPLES" not in stored
    assert stored["COMPLAINTS_ONTIME"] == 0.0


def test_a_jump_against_last_period_is_flagged(demo_db: Database, tmp_path: Path) -> None:
    figures = plausible(demo_db)
    figures["FOOD_SAMPLES"] = figures["FOOD_SAMPLES"] * 3
    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, values=figures)]))
    assert item.status is ReturnStatus.NEW
    row = layout(template_book(demo_db))[0]["FOOD_SAMPLES"]
    jumps = [i for i in item.warnings if "上期" in i.message]
    assert [(i.row, i.column) for i in jumps] == [(row, "E")]
    assert "2024年" in jumps[0].message
    assert "50%" in jumps[0].message
    set_setting(demo_db, "returns.jump_share", "5")
    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, values=figures)]))
    assert not [i for i in item.warnings if "上期" in i.message]


def test_a_numerator_above_its_denominator_is_refused(demo_db: Database,
                                                     tmp_path: Path) -> None:
    figures = plausible(demo_db)
    figures["COMPLAINTS_ONTIME"] = figures["COMPLAINTS"] + 1
    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, values=figures)]))
    assert item.status is ReturnStatus.REJECTED
    error = next(i for i in item.errors if "超过 100%" in i.message)
    assert error.row == layout(template_book(demo_db))[0]["COMPLAINTS_ONTIME"]
    assert "消费投诉按期办结率" in error.message


def test_a_formula_where_a_value_belongs_is_refused(demo_db: Database, tmp_path: Path) -> None:
    def formula(book: Any) -> None:
        rows, _ = layout(book)
        book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 5).value = "=SUM(1000,2000)"

    item = only(preview_returns(demo_db, [filled_return(demo_db, tmp_path, change=formula)]))
    assert item.status is ReturnStatus.REJECTED
    error = item.errors[0]
    assert error.column == "E"
    assert "是公式（=SUM(1000,2000)）" in error.message


def test_task_progress_is_read_tolerantly(demo_db: Database, tmp_path: Path) -> None:
    book = template_book(demo_db)
    items = first_tasks(book, 3)
    fill(book, plausible(demo_db), tasks={items[0]: (None, "40%", "按计划推进"),
                                          items[1]: ("滞后", 0.3),
                                          items[2]: ("搁置", 10)})
    path = tmp_path / "tasks.xlsx"
    book.save(path)
    item = only(preview_returns(demo_db, [path]))
    by_item = {t.plan_item_id: t for t in item.tasks}
    assert by_item[items[0]].percent == 40
    assert by_item[items[0]].status.value == "in_progress"
    assert "没有选择状态" in messages(item, "warning")
    assert by_item[items[1]].status.value == "delayed"
    assert "0.3" in messages(item, "warning")
    assert any("“搁置”无法识别" in i.message for i in item.errors)


# --- batches: folders, archives, duplicates ---------------------------------------------------


def test_folders_are_searched_recursively_and_archives_read_in_memory(
        demo_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "收到的报表"
    filled_return(demo_db, folder / "大佛所", STATION)
    second = filled_return(demo_db, tmp_path / "zip", OTHER_STATION)
    (folder / "说明.txt").write_text("请查收", encoding="utf-8")
    (folder / "~$2025_CQ-TN-S01.xlsx").write_bytes(b"lock")
    archive = folder / "第二批.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(second, f"宝龙所/{second.name}")
        out.writestr("readme.txt", "x")
    preview = preview_returns(demo_db, [folder])
    names = [f.name for f in preview.files]
    assert names == [f"收到的报表/大佛所/2025_{STATION}.xlsx",
                     f"收到的报表/第二批.zip/宝龙所/2025_{OTHER_STATION}.xlsx"]
    assert [f.status for f in preview.files] == [ReturnStatus.NEW, ReturnStatus.NEW]
    assert preview.files[1].member == f"宝龙所/2025_{OTHER_STATION}.xlsx"
    assert "收到的报表/说明.txt" in preview.skipped
    assert apply_returns(demo_db, preview).ok
    assert stored_numbers(demo_db, OTHER_STATION, PERIOD) == plausible(demo_db, OTHER_STATION)


def test_gbk_member_names_of_chinese_windows_archives_are_decoded(
        demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    gbk = "大佛所.xlsx".encode("gbk")
    placeholder = b"X" * (len(gbk) - 5) + b".xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.write(path, placeholder.decode())
    archive = tmp_path / "windows.zip"
    archive.write_bytes(buffer.getvalue().replace(placeholder, gbk))
    item = only(preview_returns(demo_db, [archive]))
    assert item.name == "windows.zip/大佛所.xlsx"
    assert item.status is ReturnStatus.NEW


def test_unsafe_archive_members_are_refused(demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(path, "../../etc/evil.xlsx")
        out.writestr("bomb.xlsx", b"\0" * (40 * 1024 * 1024))
        out.write(path, "macro.xlsm")
        out.writestr("inner.zip", b"PK\x05\x06" + b"\0" * 18)
    started = time.monotonic()
    preview = preview_returns(demo_db, [archive])
    assert time.monotonic() - started < 5
    reasons = {f.name: messages(f) for f in preview.files}
    assert all(f.status is ReturnStatus.REJECTED for f in preview.files)
    assert "“..”或绝对路径" in reasons["bad.zip/../../etc/evil.xlsx"]
    assert "压缩炸弹" in reasons["bad.zip/bomb.xlsx"]
    assert ".xlsm" in reasons["bad.zip/macro.xlsm"]
    assert "压缩包中的压缩包" in reasons["bad.zip/inner.zip"]
    assert not (tmp_path / "etc").exists()


def test_two_files_for_the_same_unit_and_period_are_not_both_imported(
        demo_db: Database, tmp_path: Path) -> None:
    first = filled_return(demo_db, tmp_path / "a")
    copy = tmp_path / "b" / first.name
    copy.parent.mkdir()
    shutil.copy(first, copy)
    figures = plausible(demo_db)
    figures["ENT_TOTAL"] += 1
    different = filled_return(demo_db, tmp_path / "c", values=figures)
    preview = preview_returns(demo_db, [first, copy, different])
    assert [f.status for f in preview.files] == [ReturnStatus.NEW, ReturnStatus.DUPLICATE,
                                                 ReturnStatus.REJECTED]
    assert "内容相同" in messages(preview.files[1])
    assert "内容不同，无法判断以哪个为准" in messages(preview.files[2])
    assert preview.files[1].name == str(copy)  # same file name: the path tells them apart
    result = apply_returns(demo_db, preview)
    assert [o.outcome for o in result.outcomes] == [
        ImportOutcome.IMPORTED, ImportOutcome.DUPLICATE, ImportOutcome.REFUSED]
    assert stored_numbers(demo_db, period=PERIOD) == plausible(demo_db)


def test_only_the_chosen_files_are_written(demo_db: Database, tmp_path: Path) -> None:
    one = filled_return(demo_db, tmp_path, STATION)
    two = filled_return(demo_db, tmp_path, OTHER_STATION)
    preview = preview_returns(demo_db, [one, two])
    result = apply_returns(demo_db, preview, files={two.name})
    assert [o.outcome for o in result.outcomes] == [ImportOutcome.NOT_SELECTED,
                                                    ImportOutcome.IMPORTED]
    assert stored_numbers(demo_db, STATION, PERIOD) == {}


# --- foreign and damaged files ----------------------------------------------------------------


def _soffice() -> str:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return soffice


def _convert(soffice: str, source: Path, fmt: str, out: Path, home: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home))
    subprocess.run([soffice, f"-env:UserInstallation={home.as_uri()}/lo", "--headless",
                    "--convert-to", fmt, "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180, env=env)
    converted = out / f"{source.stem}.{fmt}"
    assert converted.exists()
    return converted


def test_a_libreoffice_round_trip_still_imports(demo_db: Database, tmp_path: Path) -> None:
    soffice = _soffice()
    home = tmp_path / "home"
    original = filled_return(demo_db, tmp_path / "station")
    resaved = _convert(soffice, original, "xlsx", tmp_path / "xlsx", home)
    ods = _convert(soffice, original, "ods", tmp_path / "ods", home)
    back = _convert(soffice, ods, "xlsx", tmp_path / "back", home)
    for path in (resaved, ods, back):
        item = only(preview_returns(demo_db, [path]))
        assert item.status is ReturnStatus.NEW, (path, messages(item))
        assert not [i for i in item.warnings if "签名" in i.message or "无法校验" in i.message]
        assert {v.code: v.value for v in item.values} == plausible(demo_db)
        assert {t.percent for t in item.tasks} == {60, 100}
        assert {v.comment for v in item.values if v.comment} == {"含个体工商户"}
    assert apply_returns(demo_db, preview_returns(demo_db, [back])).ok
    # The original, imported after the LibreOffice copy, is the same return.
    assert only(preview_returns(demo_db, [original])).status is ReturnStatus.DUPLICATE


def test_an_xls_saved_by_libreoffice_imports(demo_db: Database, tmp_path: Path) -> None:
    soffice = _soffice()
    xls = _convert(soffice, filled_return(demo_db, tmp_path / "station"), "xls",
                   tmp_path / "xls", tmp_path / "home")
    item = only(preview_returns(demo_db, [xls]))
    assert item.status is ReturnStatus.NEW, messages(item)
    assert item.identified_by == "metadata"
    assert {v.code: v.value for v in item.values} == plausible(demo_db)


def test_a_locked_cell_changed_in_libreoffice_is_still_detected(
        demo_db: Database, tmp_path: Path) -> None:
    soffice = _soffice()
    home = tmp_path / "home"

    def rename(book: Any) -> None:
        rows, _ = layout(book)
        book[SHEET_ENTRY].cell(rows["COMPLAINTS"], 3).value = "投诉件数"

    ods = _convert(soffice, filled_return(demo_db, tmp_path / "a", change=rename), "ods",
                   tmp_path / "ods", home)
    item = only(preview_returns(demo_db, [ods]))
    assert item.status is ReturnStatus.REJECTED
    assert "锁定单元格被改动" in messages(item)


def test_a_zip_bomb_member_and_a_lying_size_are_refused_quickly(
        demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path)
    # A sheet whose directory entry says 1 KB while its data inflates to 50 MB.
    bomb = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == ENTRY_SHEET_PART:
                data = data.replace(b"</worksheet>", b" " * (50 * 1024 * 1024) + b"</worksheet>")
            out.writestr(info.filename, data)
    raw = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo(ENTRY_SHEET_PART)
    real = info.file_size.to_bytes(4, "little")
    fake = (1024).to_bytes(4, "little")
    for match in [m.start() for m in re.finditer(re.escape(ENTRY_SHEET_PART.encode()), raw)]:
        header = raw.rfind(b"PK", 0, match)
        offset = 22 if raw[header + 2:header + 4] == b"\x03\x04" else 24
        assert raw[header + offset:header + offset + 4] == real
        raw[header + offset:header + offset + 4] = fake
    bomb.write_bytes(bytes(raw))
    started = time.monotonic()
    item = only(preview_returns(demo_db, [bomb]))
    assert time.monotonic() - started < 5
    assert item.status is ReturnStatus.REJECTED
    assert "异常巨大" in messages(item)


BAD_INPUTS: dict[str, tuple[str, str]] = {
    # name: (how it is made, words the refusal must contain)
    "not-a-workbook": ("text", "不是 Excel 工作簿"),
    "truncated": ("truncate", "不完整或已损坏"),
    "password": ("encrypted", "设有打开密码"),
    "entity-bomb": ("entity", "XML 实体"),
    "external-entity": ("external", "XML 实体"),
    "far-row": ("far_row", "一直到第 1048576 行"),
    "ten-thousand-columns": ("columns", "一直到第 10000 列"),
    "control-characters": ("control", "控制字符"),
    "five-mb-text": ("long_text", "超过 2,000 字的上限"),
    "macro-workbook": ("vba", ".xlsm"),
}


def _bad_input(kind: str, good: Path, out: Path) -> Path:
    path = out / f"{kind}.xlsx"
    if kind == "text":
        path.write_text("单位,数值\n大佛所,12\n", encoding="utf-8")
    elif kind == "truncate":
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "encrypted":
        ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
        path.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 2048
                         + "EncryptedPackage".encode("utf-16-le"))
    elif kind in ("entity", "external"):
        if kind == "entity":
            levels = "".join(
                f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
            dtd = f'<!DOCTYPE worksheet [<!ENTITY l0 "lol">{levels}]>'.encode()
            reference = b"&l9;"
        else:
            dtd = b'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            reference = b"&e;"

        def add_dtd(xml: bytes) -> bytes:
            start = xml.index(b"<worksheet")
            body = xml[start:].replace(b"<t>", b"<t>" + reference, 1)
            return xml[:start] + dtd + body

        rewrite(good, path, ENTRY_SHEET_PART, add_dtd)
    elif kind == "far_row":
        rewrite(good, path, ENTRY_SHEET_PART, lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is>'
                             b"</c></row></sheetData>"))
    elif kind == "columns":
        cells = b"".join(f'<c r="{column_name(c)}4"><v>{c}</v></c>'.encode()
                         for c in range(1, 10_001))
        rewrite(good, path, ENTRY_SHEET_PART, lambda xml: xml.replace(
            b'<row r="5"', b'<row r="4">' + cells + b'</row><row r="5"', 1))
    elif kind == "control":
        from openpyxl import load_workbook

        book = load_workbook(good)
        rows, _ = layout(book)
        book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 6).value = "Note-ABC"
        book.save(out / "plain.xlsx")
        rewrite(out / "plain.xlsx", path, ENTRY_SHEET_PART,
                lambda xml: xml.replace(b"Note-ABC", b"Note_x0007_ABC"))
    elif kind == "long_text":
        from openpyxl import load_workbook

        book = load_workbook(good)
        rows, _ = layout(book)
        book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 6).value = "很长的说明" * 1_048_576
        book.save(path)
    elif kind == "vba":
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info.filename))
            target.writestr("xl/vbaProject.bin", b"\0" * 64)
    return path


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_inputs_are_refused_quickly_with_a_reason_and_nothing_written(
        case: str, demo_db: Database, demo_path: Path, tmp_path: Path) -> None:
    kind, words = BAD_INPUTS[case]
    good = filled_return(demo_db, tmp_path / "good")
    (tmp_path / "bad").mkdir()
    bad = _bad_input(kind, good, tmp_path / "bad")
    before = value_count(demo_db)
    started = time.monotonic()
    preview = preview_returns(demo_db, [bad])
    result = apply_returns(demo_db, preview)
    assert time.monotonic() - started < 10
    item = only(preview)
    assert item.status is ReturnStatus.REJECTED
    text = messages(item, "error")
    assert words in text, text
    assert bad.name in text
    assert [o.outcome for o in result.outcomes] == [ImportOutcome.REFUSED]
    assert value_count(demo_db) == before
    assert backups(demo_path) == []


def test_a_sheet_claiming_the_whole_grid_is_read_as_it_is(demo_db: Database,
                                                          tmp_path: Path) -> None:
    good = filled_return(demo_db, tmp_path / "good")
    claimed = rewrite(good, tmp_path / "claimed.xlsx", ENTRY_SHEET_PART, lambda xml: re.sub(
        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml))
    started = time.monotonic()
    item = only(preview_returns(demo_db, [claimed]))
    assert time.monotonic() - started < 5
    assert item.status is ReturnStatus.NEW, messages(item)
    assert "A1:XFD1048576" in messages(item, "warning")


def test_openpyxl_refuses_an_entity_bomb_quickly_through_defusedxml(
        demo_db: Database, tmp_path: Path) -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML
    bomb = _bad_input("entity", filled_return(demo_db, tmp_path / "good"), tmp_path)
    started = time.monotonic()
    with pytest.raises(ImportFormatError) as caught:
        read_workbook(bomb)
    assert time.monotonic() - started < 5
    assert bomb.name in caught.value.user_message


def test_read_values_reports_formulas_and_percent_formats(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "填报"
    ws["B2"] = 0.25
    ws["B2"].number_format = "0.0%"
    ws["C3"] = "=B2*2"
    path = tmp_path / "f.xlsx"
    book.save(path)
    read = read_values(path)
    sheet = read.sheets["填报"]
    assert sheet.value(2, 2) == 0.25
    assert sheet.formats == {(2, 2): "0.0%"}
    assert sheet.formulas == {(3, 3): "=B2*2"}
    assert sheet.cell(3, 3).formula
    assert len(read.digest) == 64


def _ods(path: Path, rows: str) -> Path:
    """A minimal OpenDocument spreadsheet with one table 填报 holding ``rows`` (XML)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="填报">' + rows
        + "</table:table></office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>"))
    return path


def _ods_cell(value: float, extra: str = "", kind: str = "float") -> str:
    return (f'<table:table-cell office:value-type="{kind}" office:value="{value}"{extra}>'
            f"<text:p>{value}</text:p></table:table-cell>")


def test_read_values_finds_formulas_and_percentages_in_an_ods(tmp_path: Path) -> None:
    path = _ods(tmp_path / "small.ods", "<table:table-row>" + _ods_cell(1) + _ods_cell(
        3, ' table:formula="of:=1+2"') + _ods_cell(0.5, kind="percentage")
        + "</table:table-row>")
    sheet = read_values(path).sheets["填报"]
    assert [sheet.value(1, c) for c in (1, 2, 3)] == [1.0, 3.0, 0.5]
    assert sheet.formulas == {(1, 2): "=1+2"}
    assert sheet.formats == {(1, 3): "0%"}


def test_an_ods_with_content_repeated_far_down_is_refused_before_calamine(
        tmp_path: Path) -> None:
    # calamine would allocate 100 million cells for this and abort the whole process.
    rows = ("<table:table-row>" + _ods_cell(1) + "</table:table-row>"
            '<table:table-row table:number-rows-repeated="1000000">'
            + _ods_cell(2, ' table:number-columns-repeated="100"') + "</table:table-row>")
    path = _ods(tmp_path / "wide.ods", rows)
    started = time.monotonic()
    with pytest.raises(ImportFormatError) as caught:
        read_workbook(path)
    assert "异常巨大" in caught.value.user_message
    with pytest.raises(ImportFormatError) as caught:
        read_values(path)
    assert "一直到第 100 列" in caught.value.user_message
    assert time.monotonic() - started < 5


def test_a_macro_workbook_is_refused_by_its_name(demo_db: Database, tmp_path: Path) -> None:
    path = filled_return(demo_db, tmp_path, name="报表.xlsm")
    item = only(preview_returns(demo_db, [path]))
    assert item.status is ReturnStatus.REJECTED
    assert "含宏的工作簿" in messages(item)


def test_a_missing_file_is_refused_by_name(demo_db: Database, tmp_path: Path) -> None:
    item = only(preview_returns(demo_db, [tmp_path / "没有这个文件.xlsx"]))
    assert item.status is ReturnStatus.REJECTED
    assert "找不到文件" in messages(item)


# --- jobs: progress and cancel ----------------------------------------------------------------


def test_the_preview_job_reports_progress_per_file(demo_path: Path, demo_db: Database,
                                                   tmp_path: Path) -> None:
    paths = [filled_return(demo_db, tmp_path, code) for code in (STATION, OTHER_STATION)]
    job = preview_returns_job(demo_path, paths)
    steps: list[Progress] = []
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            preview: ReturnsPreview = stop.value
            break
    assert [(p.done, p.total) for p in steps] == [(0, 2), (1, 2), (2, 2)]
    assert paths[0].name in steps[0].label
    assert [f.status for f in preview.files] == [ReturnStatus.NEW, ReturnStatus.NEW]


def test_cancelling_the_import_job_keeps_whole_files_only(
        demo_path: Path, demo_db: Database, tmp_path: Path) -> None:
    codes = (STATION, OTHER_STATION, "CQ-TN-S04")
    paths = [filled_return(demo_db, tmp_path, code) for code in codes]
    job = import_returns_job(demo_path, paths)
    next(job)  # about to read the first file
    next(job)  # the first file is written; about to read the second
    job.close()
    assert stored_numbers(demo_db, STATION, PERIOD) == plausible(demo_db, STATION)
    assert stored_numbers(demo_db, OTHER_STATION, PERIOD) == {}
    assert stored_numbers(demo_db, "CQ-TN-S04", PERIOD) == {}
    result = run_job(import_returns_job(demo_path, paths))
    assert [o.outcome for o in result.outcomes] == [
        ImportOutcome.DUPLICATE, ImportOutcome.IMPORTED, ImportOutcome.IMPORTED]
    assert result.ok


def test_the_import_job_backs_up_once_and_writes_each_file(
        demo_path: Path, demo_db: Database, tmp_path: Path) -> None:
    paths = [filled_return(demo_db, tmp_path, code) for code in (STATION, OTHER_STATION)]
    result = run_job(import_returns_job(demo_path, paths))
    assert result.ok
    assert result.backup is not None
    assert len(backups(demo_path)) == 1
    events = demo_db.execute("SELECT count(*) FROM audit_event "
                             "WHERE action = 'returns.import'").fetchone()[0]
    assert events == 2


# --- reader processes: large batches are checked on all cores ---------------------------------


def mixed_batch(db: Database, folder: Path) -> Path:
    """Returns of three stations, an identical copy, a damaged file, a zipped return, a
    resubmission of stored figures and a return of another period."""
    for code in (STATION, OTHER_STATION, "CQ-TN-S04"):
        filled_return(db, folder, code)
    shutil.copy(folder / f"{PERIOD}_{STATION}.xlsx", folder / "副本.xlsx")
    (folder / "损坏.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 200)
    zipped = filled_return(db, folder.parent / "zip", "CQ-TN-S05")
    with zipfile.ZipFile(folder / "第二批.zip", "w", zipfile.ZIP_DEFLATED) as out:
        out.write(zipped, f"新胜所/{zipped.name}")
    filled_return(db, folder, STATION, "2024", values={"ENT_TOTAL": 1})
    return folder


def test_reader_processes_read_a_batch_exactly_as_one_process_does(
        demo_path: Path, demo_db: Database, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = mixed_batch(demo_db, tmp_path / "批次")
    monkeypatch.setenv("PLANDESK_READERS", "0")
    alone = run_job(preview_returns_job(demo_path, [folder]))
    monkeypatch.setenv("PLANDESK_READERS", "2")
    pooled = run_job(preview_returns_job(demo_path, [folder]))
    assert pooled.as_dict() == alone.as_dict()
    statuses = {f.name.split("/")[-1]: f.status for f in pooled.files}
    assert statuses[f"{PERIOD}_{STATION}.xlsx"] is ReturnStatus.NEW
    assert statuses["副本.xlsx"] is ReturnStatus.DUPLICATE
    assert statuses["损坏.xlsx"] is ReturnStatus.REJECTED
    assert statuses[f"{PERIOD}_CQ-TN-S05.xlsx"] is ReturnStatus.NEW
    assert statuses[f"2024_{STATION}.xlsx"] is ReturnStatus.RESUBMISSION


def test_an_import_with_reader_processes_writes_every_file_and_cancels_between_files(
        demo_path: Path, demo_db: Database, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANDESK_READERS", "2")
    folder = mixed_batch(demo_db, tmp_path / "批次")
    codes = (STATION, OTHER_STATION, "CQ-TN-S04", "CQ-TN-S05")
    expected = {code: plausible(demo_db, code) for code in codes}
    job = import_returns_job(demo_path, [folder])
    next(job)  # about to handle 2024_CQ-TN-S01.xlsx, an unconfirmed resubmission
    next(job)  # about to write 2025_CQ-TN-S01.xlsx
    next(job)  # that one is written; the next ones are being checked
    job.close()
    written = [code for code in codes if stored_numbers(demo_db, code, PERIOD)]
    assert written == [STATION]
    assert stored_numbers(demo_db, STATION, "2024")["ENT_TOTAL"] != 1
    result = run_job(import_returns_job(demo_path, [folder], confirm_resubmissions=True))
    by_name = {o.file.name.split("/")[-1]: o.outcome for o in result.outcomes}
    assert by_name["损坏.xlsx"] is ImportOutcome.REFUSED
    assert by_name["副本.xlsx"] is ImportOutcome.DUPLICATE
    assert by_name[f"2024_{STATION}.xlsx"] is ImportOutcome.IMPORTED
    for code in codes:
        assert stored_numbers(demo_db, code, PERIOD) == expected[code]
    assert stored_numbers(demo_db, STATION, "2024")["ENT_TOTAL"] == 1


CRASHING_READER = """
import json, os, sys
from pathlib import Path
from desktop.excel import returns

check = returns._Checker.check
def crash_on(self, source):
    if source.name.endswith("崩溃.xlsx"):
        os._exit(7)  # as a parser crashing on a forged file would
    return check(self, source)
returns._Checker.check = crash_on
returns.start_method = lambda: "fork"  # the patch reaches the readers only through a fork

from desktop.models.progress import run_job
result = run_job(returns.import_returns_job(Path(sys.argv[1]), [Path(sys.argv[2])]))
print(json.dumps({o.file.name.split("/")[-1]: [o.outcome.value, o.message]
                  for o in result.outcomes}, ensure_ascii=False))
"""


def test_a_reader_process_that_dies_refuses_only_its_file(
        demo_path: Path, demo_db: Database, tmp_path: Path) -> None:
    folder = mixed_batch(demo_db, tmp_path / "批次")
    shutil.copy(folder / f"{PERIOD}_{OTHER_STATION}.xlsx", folder / "崩溃.xlsx")
    demo_db.close()
    env = {**os.environ, "PLANDESK_READERS": "2"}
    done = subprocess.run([sys.executable, "-c", CRASHING_READER, str(demo_path), str(folder)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcomes["崩溃.xlsx"][0] == "refused"
    assert "读取进程意外终止" in outcomes["崩溃.xlsx"][1]
    assert outcomes[f"{PERIOD}_{STATION}.xlsx"][0] == "imported"
    assert outcomes[f"{PERIOD}_{OTHER_STATION}.xlsx"][0] == "imported"
    assert outcomes[f"{PERIOD}_CQ-TN-S05.xlsx"][0] == "imported"
    assert outcomes["损坏.xlsx"][0] == "refused"
