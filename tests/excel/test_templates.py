"""Reporting templates: layout, locking, validation, signature, print set-up, read back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from desktop.excel.template_format import (
    ELEMENT_HEADER_ROW,
    ELEMENT_HEADERS,
    ELEMENT_INPUT_COLUMNS,
    FIRST_ELEMENT_ROW,
    KIND_RETURN,
    META_KEYS,
    SHEET_ENTRY,
    SHEET_HELP,
    SHEET_META,
    SIGNATURE_LABELS,
    TASK_HEADERS,
    TASK_INPUT_COLUMNS,
    TASK_SECTION_TITLE,
    TASK_STATUS_LABELS,
    TEMPLATE_VERSION,
    TemplateMeta,
    cell_text,
    is_input_cell,
    plan_version_hash,
    signed_payload,
    verify,
)
from desktop.excel.templates import (
    build_template,
    reporting_stations,
    safe_file_name,
    template_file_name,
    template_rows,
    write_templates,
    write_templates_job,
)
from desktop.models.assignments import list_plan_assignments
from desktop.models.demo import demo_resources
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.indicators import list_elements
from desktop.models.orgunits import OrgUnit, UnitType, get_unit_by_code, list_units, update_unit
from desktop.models.plans import list_plans
from desktop.models.settings import installation_id, installation_key
from desktop.models.values import (
    DataValue,
    SubmissionStatus,
    TaskProgress,
    TaskStatus,
    ensure_submission,
    list_values,
    write_values,
)

STATION = "CQ-TN-S02"
BUREAU = "CQ-TN"


# --- helpers ----------------------------------------------------------------------------------


def plan_id(db: Database) -> int:
    return list_plans(db)[0].id


def unit(db: Database, code: str = STATION) -> OrgUnit:
    return get_unit_by_code(db, code)


def demo_spec() -> dict[str, Any]:
    spec_path, _ = demo_resources()
    result: dict[str, Any] = json.loads(spec_path.read_text(encoding="utf-8"))
    return result


def used_codes(level: str | None) -> list[str]:
    """Element codes the demo's indicators use (numerator or denominator), of one entry level."""
    spec = demo_spec()
    levels = {e["code"]: e["entry_level"] for e in spec["elements"]}
    codes: list[str] = []
    for row in spec["indicators"]:
        for code in (row["numerator"], row["denominator"]):
            if code and code not in codes and (level is None or levels[code] == level):
                codes.append(code)
    return codes


def saved(book: Any, path: Path) -> Any:
    """The workbook as a reader sees it: saved, then loaded again with openpyxl."""
    from openpyxl import load_workbook

    book.save(path)
    return load_workbook(path)


def template(db: Database, tmp_path: Path, code: str = STATION, period: str = "2024",
             **options: Any) -> Any:
    book = build_template(db, plan_id(db), unit(db, code).id, period, **options)
    return saved(book, tmp_path / f"{code}-{period}.xlsx")


def read_meta(book: Any) -> TemplateMeta:
    rows = {str(key): "" if value is None else str(value)
            for key, value in book[SHEET_META].iter_rows(values_only=True)}
    return TemplateMeta.from_rows(rows)


def locked_cells(ws: Any, meta: TemplateMeta) -> list[tuple[str, str]]:
    return [(cell.coordinate, cell_text(cell.value)) for row in ws.iter_rows() for cell in row
            if cell.value is not None and not is_input_cell(meta, cell.row, cell.column)]


def signature_ok(db: Database, book: Any) -> bool:
    meta = read_meta(book)
    return verify(installation_key(db), signed_payload(meta, locked_cells(book[SHEET_ENTRY], meta)),
                  meta.signature)


def row_values(ws: Any, row: int) -> list[Any]:
    return [ws.cell(row, column).value for column in range(1, 12)]


def task_header_row(ws: Any) -> int:
    for row in range(FIRST_ELEMENT_ROW, ws.max_row + 1):
        if ws.cell(row, 1).value == TASK_SECTION_TITLE:
            return row + 1
    raise AssertionError("no task section")


def validations_at(ws: Any, ref: str) -> list[Any]:
    return [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]


# --- content ----------------------------------------------------------------------------------


def test_the_identification_rows_name_unit_period_and_plan(demo_db: Database,
                                                         tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    ws = book[SHEET_ENTRY]
    plan = list_plans(demo_db)[0]
    station = unit(demo_db)
    assert ws["A1"].value == f"{plan.short_title} 数据填报表"
    assert "A1:K1" in {str(r) for r in ws.merged_cells.ranges}
    assert row_values(ws, 2)[:8] == ["填报单位", station.name, "单位代码", STATION, "填报期间",
                                     "2024年", "期间代码", "2024"]
    assert row_values(ws, 3)[:6] == ["规划", plan.title, "规划代码", plan.code, "模板版本",
                                     str(TEMPLATE_VERSION)]
    assert book.sheetnames == [SHEET_ENTRY, SHEET_HELP, SHEET_META]


def test_a_station_gets_exactly_the_station_elements_its_indicators_use(
        demo_db: Database, tmp_path: Path) -> None:
    expected = used_codes("station")
    assert len(expected) == 7
    ws = template(demo_db, tmp_path)[SHEET_ENTRY]
    assert [ws.cell(ELEMENT_HEADER_ROW, c).value for c in range(1, 12)] == list(ELEMENT_HEADERS)
    rows = range(FIRST_ELEMENT_ROW, FIRST_ELEMENT_ROW + len(expected))
    assert [ws.cell(r, 2).value for r in rows] == expected
    assert [ws.cell(r, 1).value for r in rows] == list(range(1, 8))
    assert ws.cell(FIRST_ELEMENT_ROW + len(expected), 2).value is None
    names = {e.code: e for e in list_elements(demo_db)}
    assert [ws.cell(r, 3).value for r in rows] == [names[c].name for c in expected]
    assert [ws.cell(r, 4).value for r in rows] == [names[c].unit for c in expected]
    meta = read_meta(template(demo_db, tmp_path))
    assert meta.element_rows == dict(zip(rows, expected, strict=True))


def test_the_district_bureau_enters_district_elements_or_all_of_them(demo_db: Database) -> None:
    bureau = unit(demo_db, BUREAU).id
    entry = template_rows(demo_db, plan_id(demo_db), bureau, "2024")
    assert [e.code for e in entry.elements] == used_codes("district")
    everything = template_rows(demo_db, plan_id(demo_db), bureau, "2024", elements="all")
    assert [e.code for e in everything.elements] == used_codes(None)
    assert len(everything.elements) == len(list_elements(demo_db)) == 19


def test_an_element_shows_its_indicators_with_baseline_target_and_the_years_target(
        demo_db: Database, tmp_path: Path) -> None:
    ws = template(demo_db, tmp_path)[SHEET_ENTRY]
    company = FIRST_ELEMENT_ROW + used_codes("station").index("ENT_COMPANY")
    assert row_values(ws, company)[7:] == ["千人拥有企业数量（分子）", "38.3户", "21.97户",
                                           "42.4户"]
    total = FIRST_ELEMENT_ROW + used_codes("station").index("ENT_TOTAL")
    assert ws.cell(total, 8).value == "市场主体总量\n每万户市场主体有效注册商标量（分母）"
    assert ws.cell(total, 9).value.splitlines()[0] == "市场主体总量：8.1575万户"
    assert ws.cell(total, 10).value.splitlines()[0] == "市场主体总量：5.3575万户"


def test_task_rows_are_the_tasks_assigned_to_the_station(demo_db: Database,
                                                         tmp_path: Path) -> None:
    station = unit(demo_db)
    assigned = [d for d in list_plan_assignments(demo_db, plan_id(demo_db))
                if d.org_unit_id == station.id]
    assert assigned
    ws = template(demo_db, tmp_path)[SHEET_ENTRY]
    header = task_header_row(ws)
    assert [ws.cell(header, c).value for c in range(1, 11)] == list(TASK_HEADERS)
    rows = range(header + 1, header + 1 + len(assigned))
    assert [ws.cell(r, 2).value for r in rows] == [d.plan_item_id for d in assigned]
    assert {ws.cell(r, 4).value for r in rows} == {"配合"}
    assert {ws.cell(r, 10).value for r in rows} == {"2025-12-31"}
    assert ws.cell(header + 1 + len(assigned), 2).value is None
    meta = read_meta(template(demo_db, tmp_path))
    assert meta.task_rows == {r: d.plan_item_id for r, d in zip(rows, assigned, strict=True)}


def test_a_lead_division_gets_its_tasks_and_no_elements(demo_db: Database) -> None:
    division = next(u for u in list_units(demo_db, UnitType.DIVISION) if u.name == "综合规划科")
    content = template_rows(demo_db, plan_id(demo_db), division.id, "2024")
    assert content.elements == ()
    assert content.tasks
    assert {t.role.label for t in content.tasks} == {"牵头"}


def test_the_signature_lines_close_the_sheet(demo_db: Database, tmp_path: Path) -> None:
    ws = template(demo_db, tmp_path)[SHEET_ENTRY]
    texts = [cell.value for row in ws.iter_rows(min_row=ws.max_row - 1) for cell in row
             if cell.value is not None]
    assert texts == list(SIGNATURE_LABELS)
    meta = read_meta(template(demo_db, tmp_path))
    assert ws.max_row - 1 >= max(meta.task_rows) + 3  # two blank rows before them


def test_the_help_sheet_says_how_to_fill_in_what_not_to_change_and_how_to_send(
        demo_db: Database, tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    text = "\n".join(str(v) for (v,) in book[SHEET_HELP].iter_rows(values_only=True) if v)
    for words in ("怎样填写", "不得改动", "怎样报送", "浅黄色", "签字", "盖章", "校验码",
                  "2023年已审核", *TASK_STATUS_LABELS):
        assert words in text
    assert "报送潼南区市场监督管理局" in text  # a station sends its return to its bureau
    assert book[SHEET_HELP].sheet_state == "visible"


# --- last approved value ----------------------------------------------------------------------


def test_the_last_approved_value_comes_from_the_approved_2023_return(
        demo_db: Database, tmp_path: Path) -> None:
    station = unit(demo_db)
    ws = template(demo_db, tmp_path)[SHEET_ENTRY]
    ids = {e.code: e.id for e in list_elements(demo_db)}
    values_2023 = {v.element_id: v.value for v in list_values(demo_db, period="2023",
                                                              org_unit_id=station.id)}
    for offset, code in enumerate(used_codes("station")):
        shown = ws.cell(FIRST_ELEMENT_ROW + offset, 7).value
        assert shown == values_2023[ids[code]]


def test_an_unapproved_return_is_skipped_for_the_last_approved_one(demo_db: Database) -> None:
    # the demo's 2024 returns are submitted, draft or returned: 2025 shows 2023's figures
    station = unit(demo_db)
    content = template_rows(demo_db, plan_id(demo_db), station.id, "2025")
    assert content.previous_period is not None
    assert content.previous_period.id == "2023"
    first = template_rows(demo_db, plan_id(demo_db), station.id, "2021")
    assert first.previous_period is None
    assert {e.last_value for e in first.elements} == {None}


def test_the_last_approved_value_comes_from_a_period_of_the_same_type(demo_db: Database) -> None:
    station = unit(demo_db)
    total = next(e for e in list_elements(demo_db) if e.code == "ENT_TOTAL")
    write_values(demo_db, [DataValue("2024Q1", total.id, station.id, 1234.0)])
    ensure_submission(demo_db, plan_id(demo_db), station.id, "2024Q1", SubmissionStatus.APPROVED)
    content = template_rows(demo_db, plan_id(demo_db), station.id, "2024Q2")
    assert content.previous_period is not None
    assert content.previous_period.id == "2024Q1"
    assert next(e for e in content.elements if e.code == "ENT_TOTAL").last_value == 1234.0
    assert template_rows(demo_db, plan_id(demo_db), station.id, "2024Q1").previous_period is None


# --- protection and validation ----------------------------------------------------------------


def test_only_input_cells_are_unlocked_and_the_sheet_is_protected(demo_db: Database,
                                                                  tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    ws = book[SHEET_ENTRY]
    meta = read_meta(book)
    assert ws.protection.sheet
    assert ws.protection.password
    unlocked = {(cell.row, cell.column) for row in ws.iter_rows() for cell in row
                if not cell.protection.locked}
    expected = {(r, c) for r in meta.element_rows for c in ELEMENT_INPUT_COLUMNS}
    expected |= {(r, c) for r in meta.task_rows for c in TASK_INPUT_COLUMNS}
    assert unlocked == expected
    assert book[SHEET_META].protection.sheet


def test_data_validations_guard_the_input_cells_with_chinese_prompts(
        demo_db: Database, tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    ws = book[SHEET_ENTRY]
    meta = read_meta(book)
    for row in meta.element_rows:
        (value,) = validations_at(ws, f"E{row}")
        assert (value.type, value.operator, value.formula1) == ("whole", "greaterThanOrEqual", "0")
        assert value.showInputMessage
        assert "请填写" in value.prompt
        assert validations_at(ws, f"F{row}")[0].prompt
    for row in meta.task_rows:
        (status,) = validations_at(ws, f"E{row}")
        assert status.type == "list"
        assert status.formula1 == '"' + ",".join(TASK_STATUS_LABELS) + '"'
        (percent,) = validations_at(ws, f"F{row}")
        assert (percent.type, percent.operator, percent.formula1, percent.formula2) == (
            "decimal", "between", "0", "100")
        for column in "GHI":
            assert "请" in validations_at(ws, f"{column}{row}")[0].prompt
    for dv in ws.data_validations.dataValidation:
        assert dv.showInputMessage
        assert dv.promptTitle == "填报提示"
        assert dv.showErrorMessage
        assert dv.error


def test_decimal_elements_accept_decimals_and_integer_elements_whole_numbers(
        demo_db: Database, tmp_path: Path) -> None:
    book = template(demo_db, tmp_path, BUREAU)
    ws = book[SHEET_ENTRY]
    types = {e.code: e.value_type.value for e in list_elements(demo_db)}
    for row, code in read_meta(book).element_rows.items():
        (value,) = validations_at(ws, f"E{row}")
        expected = "whole" if types[code] == "integer" else "decimal"
        assert (value.type, value.formula1) == (expected, "0"), code
    assert {types[c] for c in read_meta(book).element_rows.values()} >= {"integer", "number",
                                                                         "percentage"}


# --- metadata and signature -------------------------------------------------------------------


def test_the_metadata_sheet_is_very_hidden_and_holds_every_key(demo_db: Database,
                                                               tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    sheet = book[SHEET_META]
    assert sheet.sheet_state == "veryHidden"
    keys = [key for (key, _) in sheet.iter_rows(values_only=True)]
    assert keys == list(META_KEYS)
    meta = read_meta(book)
    plan = plan_id(demo_db)
    assert (meta.plan_id, meta.unit_code, meta.period, meta.kind) == (plan, STATION, "2024",
                                                                      "template")
    assert meta.plan_hash == plan_version_hash(demo_db, plan)
    assert meta.generator == installation_id(demo_db)
    assert meta.version == TEMPLATE_VERSION
    assert meta.generated_at[:4].isdigit()
    assert len(meta.signature) == 64


def test_the_signature_verifies_after_save_and_reload(demo_db: Database, tmp_path: Path) -> None:
    assert signature_ok(demo_db, template(demo_db, tmp_path))
    assert signature_ok(demo_db, template(demo_db, tmp_path, BUREAU))


@pytest.mark.parametrize("ref", ["B2", "D2", "H2", "B3", "A1", "B7", "C8", "G7", "I7", "K9"])
def test_changing_a_locked_cell_breaks_the_signature(demo_db: Database, tmp_path: Path,
                                                     ref: str) -> None:
    book = template(demo_db, tmp_path)
    cell = book[SHEET_ENTRY][ref]
    cell.value = f"{cell.value}1" if isinstance(cell.value, str) else (cell.value or 0) + 1
    assert not signature_ok(demo_db, saved(book, tmp_path / "changed.xlsx"))


def test_changing_a_task_row_or_the_metadata_breaks_the_signature(demo_db: Database,
                                                                  tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    first_task = min(read_meta(book).task_rows)
    book[SHEET_ENTRY].cell(first_task, 2).value = 9999
    assert not signature_ok(demo_db, saved(book, tmp_path / "task.xlsx"))
    book = template(demo_db, tmp_path)
    for row in book[SHEET_META].iter_rows():
        if row[0].value == "period":
            row[1].value = "2025"
    assert not signature_ok(demo_db, saved(book, tmp_path / "meta.xlsx"))


def test_filling_in_the_input_cells_keeps_the_signature(demo_db: Database,
                                                        tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    ws = book[SHEET_ENTRY]
    meta = read_meta(book)
    for row in meta.element_rows:
        ws.cell(row, 5).value = 123
        ws.cell(row, 6).value = "含新设立个体户"
    for row in meta.task_rows:
        ws.cell(row, 5).value = "推进中"
        ws.cell(row, 6).value = 40
        ws.cell(row, 7).value = "已完成摸底"
    assert signature_ok(demo_db, saved(book, tmp_path / "filled.xlsx"))


def test_another_installation_cannot_verify_the_signature(demo_db: Database,
                                                          tmp_path: Path) -> None:
    from desktop.models.store import open_memory_database

    book = template(demo_db, tmp_path)
    other = open_memory_database()
    assert not signature_ok(other, book)


def test_a_return_is_prefilled_and_signed(demo_db: Database, tmp_path: Path) -> None:
    bureau = unit(demo_db, BUREAU)
    values = list_values(demo_db, period="2024", org_unit_id=bureau.id)
    item = next(d.plan_item_id for d in list_plan_assignments(demo_db, plan_id(demo_db))
                if d.unit_code == "CQ-TN-K02")
    division = unit(demo_db, "CQ-TN-K02")
    progress = [TaskProgress(item, division.id, "2024", TaskStatus.DELAYED, 35.5, "=已开展调研",
                             "资金未到位", "-下季度完成招标")]
    book = saved(build_template(demo_db, plan_id(demo_db), bureau.id, "2024", values=values,
                                kind=KIND_RETURN),
                 tmp_path / "return.xlsx")
    ws = book[SHEET_ENTRY]
    meta = read_meta(book)
    assert meta.kind == KIND_RETURN
    by_id = {e.id: e.code for e in list_elements(demo_db)}
    expected = {by_id[v.element_id]: v.value for v in values}
    for row, code in meta.element_rows.items():
        assert ws.cell(row, 5).value == expected[code]
        assert ws.cell(row, 6).value == "演示数据"
    assert signature_ok(demo_db, book)
    book = saved(build_template(demo_db, plan_id(demo_db), division.id, "2024",
                                task_progress=progress, kind=KIND_RETURN),
                 tmp_path / "division.xlsx")
    ws = book[SHEET_ENTRY]
    row = next(r for r, i in read_meta(book).task_rows.items() if i == item)
    assert [ws.cell(row, c).value for c in range(5, 10)] == [
        "滞后", 35.5, "=已开展调研", "资金未到位", "-下季度完成招标"]
    assert ws.cell(row, 7).data_type == "s"
    assert signature_ok(demo_db, book)


# --- formula-like text ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=SUM(A1)", "+86 023-1234567", "-（长期坚持）", "@城关镇"])
def test_text_that_looks_like_a_formula_stays_text(demo_db: Database, tmp_path: Path,
                                                   text: str) -> None:
    station = unit(demo_db)
    update_unit(demo_db, station.id, name=text)
    item = next(d.plan_item_id for d in list_plan_assignments(demo_db, plan_id(demo_db))
                if d.org_unit_id == station.id)
    demo_db.execute("UPDATE plan_item SET title = ? WHERE id = ?", [text, item])
    book = template(demo_db, tmp_path)
    ws = book[SHEET_ENTRY]
    assert ws["B2"].value == text
    assert ws["B2"].data_type == "s"
    row = next(r for r, i in read_meta(book).task_rows.items() if i == item)
    assert ws.cell(row, 3).value == text
    assert ws.cell(row, 3).data_type == "s"
    assert signature_ok(demo_db, book)


def test_an_ampersand_in_a_unit_name_is_printed_in_the_page_header(demo_db: Database,
                                                                    tmp_path: Path) -> None:
    update_unit(demo_db, unit(demo_db).id, name="龙形&双江所")
    ws = template(demo_db, tmp_path)[SHEET_ENTRY]
    assert ws["B2"].value == "龙形&双江所"
    assert ws.oddHeader.left.text == "龙形&&双江所"  # && prints one &


# --- print set-up -----------------------------------------------------------------------------


def test_the_entry_sheet_prints_on_a4_fit_to_width_with_unit_and_period(
        demo_db: Database, tmp_path: Path) -> None:
    book = template(demo_db, tmp_path)
    ws = book[SHEET_ENTRY]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$3"
    header = f"{ws.oddHeader.left.text} {ws.oddHeader.center.text} {ws.oddHeader.right.text}"
    assert unit(demo_db).name in header
    assert "2024年" in header
    assert "&P" in ws.oddFooter.center.text
    assert ws.print_area is not None
    help_sheet = book[SHEET_HELP]
    assert int(help_sheet.page_setup.paperSize) == 9
    assert help_sheet.page_setup.orientation == "portrait"


# --- refusals ---------------------------------------------------------------------------------


def test_a_period_outside_the_plan_or_malformed_is_refused(demo_db: Database) -> None:
    station = unit(demo_db).id
    with pytest.raises(ValidationError, match="不在规划"):
        build_template(demo_db, plan_id(demo_db), station, "2030")
    with pytest.raises(ValidationError, match="写法不正确"):
        build_template(demo_db, plan_id(demo_db), station, "2024-1")


def test_a_unit_with_nothing_to_report_is_refused(demo_db: Database) -> None:
    township = list_units(demo_db, UnitType.TOWNSHIP)[0]
    with pytest.raises(ValidationError, match="没有需要填报的数据项"):
        build_template(demo_db, plan_id(demo_db), township.id, "2024")


def test_an_unknown_unit_is_refused(demo_db: Database) -> None:
    with pytest.raises(NotFoundError):
        build_template(demo_db, plan_id(demo_db), 99999, "2024")


# --- files ------------------------------------------------------------------------------------


def test_file_names_are_safe(demo_db: Database) -> None:
    station = unit(demo_db)
    assert template_file_name(station, "2024Q3") == "2024Q3_CQ-TN-S02_龙形所.xlsx"
    assert safe_file_name('龙形/所:*?"<>|\\名\n') == "龙形_所_名_"
    assert safe_file_name("CON") == "_CON"
    assert safe_file_name("...") == "_"


def test_one_file_per_unit_with_safe_unique_names(demo_db: Database, tmp_path: Path) -> None:
    stations = list_units(demo_db, UnitType.STATION)[:2]
    demo_db.execute("UPDATE org_unit SET code = ?, short_name = ? WHERE id = ?",
                    ["S/1", "所:一", stations[0].id])
    demo_db.execute("UPDATE org_unit SET code = ?, short_name = ? WHERE id = ?",
                    ["S:1", "所/一", stations[1].id])
    paths = write_templates(demo_db, plan_id(demo_db), "2024", [u.id for u in stations],
                            tmp_path / "out")
    assert [p.name for p in paths] == ["2024_S_1_所_一.xlsx", "2024_S_1_所_一_2.xlsx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    from openpyxl import load_workbook

    codes = [read_meta(load_workbook(p)).unit_code for p in paths]
    assert codes == ["S/1", "S:1"]


def test_templates_can_be_zipped_together(demo_db: Database, tmp_path: Path) -> None:
    stations = reporting_stations(demo_db, "2024")
    out = tmp_path / "out"
    paths = write_templates(demo_db, plan_id(demo_db), "2024", [u.id for u in stations], out,
                            zip_name="2024年模板")
    archive = paths[-1]
    assert archive == out / "2024年模板.zip"
    books = paths[:-1]
    assert len(books) == 9
    with zipfile.ZipFile(archive) as zipped:
        assert sorted(zipped.namelist()) == sorted(p.name for p in books)
        assert zipped.read(books[0].name) == books[0].read_bytes()
    leftovers = {p.name for p in out.iterdir()} - {p.name for p in paths}
    assert leftovers == set()  # no temporary files


def test_closed_stations_do_not_report(demo_db: Database) -> None:
    stations = list_units(demo_db, UnitType.STATION)
    update_unit(demo_db, stations[0].id, closed_on="2023-06-30")
    assert [u.code for u in reporting_stations(demo_db, "2024")] == [
        u.code for u in stations[1:]]
    assert len(reporting_stations(demo_db, "2023")) == 9


# --- LibreOffice ------------------------------------------------------------------------------


def test_a_libreoffice_round_trip_keeps_identification_values_and_input_cells(
        demo_db: Database, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    from openpyxl import load_workbook

    station = unit(demo_db)
    source = tmp_path / "in" / template_file_name(station, "2024")
    source.parent.mkdir()
    build_template(demo_db, plan_id(demo_db), station.id, "2024").save(source)
    original = load_workbook(source)
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "out"
    subprocess.run([soffice, "--headless", "--convert-to", "xlsx", "--outdir", str(out),
                    str(source)], check=True, capture_output=True, timeout=180,
                   env={**os.environ, "HOME": str(home)})
    book = load_workbook(out / source.name)
    ws, before = book[SHEET_ENTRY], original[SHEET_ENTRY]
    for row in (2, 3):
        assert row_values(ws, row) == row_values(before, row)
    meta = read_meta(book)
    assert meta == read_meta(original)
    assert book[SHEET_META].sheet_state in ("hidden", "veryHidden")
    for row in meta.element_rows:
        assert row_values(ws, row) == row_values(before, row)
        assert [ws.cell(row, c).protection.locked for c in ELEMENT_INPUT_COLUMNS] == [False] * 2
    for row in meta.task_rows:
        assert [ws.cell(row, c).protection.locked for c in TASK_INPUT_COLUMNS] == [False] * 5
    assert ws.protection.sheet
    assert signature_ok(demo_db, book)


def test_a_batch_with_a_unit_that_reports_nothing_writes_no_file(demo_db: Database,
                                                                 tmp_path: Path) -> None:
    township = list_units(demo_db, UnitType.TOWNSHIP)[0]
    out = tmp_path / "out"
    with pytest.raises(ValidationError, match=township.name):
        write_templates(demo_db, plan_id(demo_db), "2024", [unit(demo_db).id, township.id], out)
    assert not out.exists() or not list(out.iterdir())


def test_writing_templates_reports_progress(demo_db: Database, tmp_path: Path) -> None:
    stations = [u.id for u in reporting_stations(demo_db, "2024")[:3]]
    job = write_templates_job(demo_db, plan_id(demo_db), "2024", stations, tmp_path,
                              zip_name="all.zip")
    steps = []
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            paths = stop.value
            break
    assert [(p.done, p.total) for p in steps] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert steps[0].label.startswith("正在生成 2024_CQ-TN-S01")
    assert [p.name for p in paths][-1] == "all.zip"
