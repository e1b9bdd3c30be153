"""The plan workbook: exact round trips, hand-made task tables, formula-safe text, refused files."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from desktop.excel.cells import write_cell
from desktop.excel.plan_workbook import (
    FORMAT_VERSION,
    PLAN_SHEETS,
    SHEET_FORMAT,
    export_plan,
    import_plan,
)
from desktop.models.assignments import assignments_by_item, set_assignments
from desktop.models.audit import list_events
from desktop.models.indicators import (
    TimeAggregation,
    default_time_aggregation,
    find_indicator,
    indicator_units,
    list_elements,
    list_indicators,
    set_annual_targets,
    set_indicator_units,
    update_element,
    update_indicator,
)
from desktop.models.orgunits import UnitType, get_unit_by_code, list_units, update_unit
from desktop.models.plans import ItemType, PlanItem, list_plan_items, list_plans
from desktop.models.store import open_memory_database
from desktop.models.values import TaskProgress, TaskStatus, write_task_progress

TRICKY = {
    "title": "=SUM(A1:A3) 不是公式，是任务名称",
    "note": "+86 023-1234567 联系人",
    "premises": "@城关镇 解放路12号",
    "deadline": "-（长期坚持）",
}


# --- helpers ----------------------------------------------------------------------------------


def sheet_values(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, trailing empty cells and rows dropped (as a user compares)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    result: dict[str, list[list[Any]]] = {}
    for ws in book.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            values = list(row)
            while values and values[-1] in (None, ""):
                values.pop()
            rows.append(values)
        while rows and not rows[-1]:
            rows.pop()
        result[ws.title] = rows
    return result


def column_of(ws: Any, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no column {header}")


def row_of(ws: Any, header: str, value: object) -> int:
    column = column_of(ws, header)
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, column).value == value:
            return row
    raise AssertionError(f"no row with {header} = {value}")


def edit(path: Path, target: Path, changes: Any) -> Path:
    """Open a workbook with openpyxl, let ``changes(book)`` edit it, save it as ``target``."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    changes(book)
    book.save(target)
    return target


def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: list(db.query(f"SELECT * FROM [{t}]")) for t in tables}


def task(db: Database, title_start: str) -> PlanItem:
    return next(i for i in list_plan_items(db, 1) if i.title.startswith(title_start))


def enrich(db: Database) -> None:
    """Give the demo plan what the demo lacks: assignments, milestones, station details,
    responsible units of indicators, a duplicate, annual notes and text a spreadsheet would
    take for a formula."""
    division = get_unit_by_code(db, "CQ-TN-K05")
    stations = list_units(db, UnitType.STATION)
    planning = get_unit_by_code(db, "CQ-TN-K02")
    police = get_unit_by_code(db, "CQ-TN-D05")
    tasks = [i for i in list_plan_items(db, 1) if i.item_type is ItemType.TASK]
    set_assignments(db, tasks[0].id, lead=[planning.id], cooperating=[s.id for s in stations[:3]],
                    deadline="2025年12月底前", note="每半年报送进展",
                    milestones={2022: "完成平台企业摸底", 2023: "=建立台账（非公式）",
                                2024: "第一行\n第二行"})
    set_assignments(db, tasks[1].id, lead=[division.id, stations[4].id],
                    cooperating=[police.id], deadline=TRICKY["deadline"], note=TRICKY["note"])
    set_assignments(db, tasks[2].id, lead=[stations[8].id])
    db.execute("UPDATE plan_item SET title = ? WHERE id = ?", [TRICKY["title"], tasks[3].id])
    set_assignments(db, tasks[3].id, lead=[planning.id], note="-3 表示比上年减少")
    update_unit(db, stations[0].id, staff=7, premises=TRICKY["premises"],
                opened_on="2019-03-01")
    update_unit(db, stations[1].id, staff=0, closed_on="2024-06-30")
    indicators = list_indicators(db, 1)
    set_indicator_units(db, indicators[0].id, {get_unit_by_code(db, "CQ-TN-K03").id: "lead",
                                               stations[2].id: "cooperate",
                                               get_unit_by_code(db, "CQ-TN-GOV").id: "cooperate"})
    update_indicator(db, indicators[5].id, duplicate_of=indicators[4].id, note="=与第5项同源",
                     source_item_id=tasks[0].id)
    targets = {a.year: a.target.text for a in indicators[1].annual_targets}
    set_annual_targets(db, indicators[1].id, targets, {2023: "受疫情影响，年度目标放缓"})


@pytest.fixture
def rich_db(demo_db: Database) -> Database:
    enrich(demo_db)
    return demo_db


@pytest.fixture
def exported(rich_db: Database, tmp_path: Path) -> Path:
    return export_plan(rich_db, 1, tmp_path / "规划.xlsx").path


def round_trip(source: Path, folder: Path) -> tuple[Path, Database]:
    fresh = open_memory_database()
    result = import_plan(fresh, source)
    assert result.ok, [str(i) for i in result.issues]
    assert result.plan_id is not None
    again = export_plan(fresh, result.plan_id, folder / "again.xlsx").path
    return again, fresh


def hand_made(path: Path, rows: list[list[Any]], *, title: bool = True,
              sheet: str = "任务分解") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    lines: list[list[Any]] = [["潼南区市场监管“十四五”规划重点任务分解表"]] if title else []
    lines += [["序号", "任务", "牵头单位", "配合单位", "完成时限"], *rows]
    for r, values in enumerate(lines, start=1):
        for c, value in enumerate(values, start=1):
            if isinstance(value, str) and value.startswith("FORMULA"):
                ws.cell(r, c).value = value.removeprefix("FORMULA")  # a real formula
            else:
                write_cell(ws, r, c, value)
    if title:
        ws.merge_cells("A1:E1")
    book.save(path)
    return path


# --- round trips ------------------------------------------------------------------------------


def test_demo_plan_comes_back_cell_by_cell(demo_db: Database, tmp_path: Path) -> None:
    first = export_plan(demo_db, 1, tmp_path / "demo.xlsx")
    assert first.counts["indicators"] == 16
    assert first.counts["plan_items"] == 178
    again, fresh = round_trip(first.path, tmp_path)
    assert sheet_values(again) == sheet_values(first.path)
    assert [p.code for p in list_plans(fresh)] == ["TN-SCJG-14"]


def test_assignments_units_and_notes_come_back_cell_by_cell(
        exported: Path, tmp_path: Path) -> None:
    again, fresh = round_trip(exported, tmp_path)
    assert sheet_values(again) == sheet_values(exported)
    by_item = assignments_by_item(fresh, 1)
    first = by_item[task(fresh, "强化平台经济监管").id]
    assert [d.unit_display_name for d in first.lead] == ["综合规划科"]
    assert sorted(d.unit_display_name for d in first.cooperating) == sorted(
        ["大佛所", "龙形所", "梓潼所"])
    assert first.deadline == "2025年12月底前"
    assert [(m.year, m.description) for m in first.milestones] == [
        (2022, "完成平台企业摸底"), (2023, "=建立台账（非公式）"), (2024, "第一行\n第二行")]
    station = get_unit_by_code(fresh, "CQ-TN-S01")
    assert (station.staff, station.premises, station.opened_on) == (7, TRICKY["premises"],
                                                                     "2019-03-01")
    indicators = list_indicators(fresh, 1)
    assert indicators[5].duplicate_of == indicators[4].id
    assert indicators[1].annual_targets[2].note == "受疫情影响，年度目标放缓"
    assert sorted(indicator_units(fresh, indicators[0].id).values()) == [
        "cooperate", "cooperate", "lead"]


def test_printed_values_are_text_in_the_workbook(exported: Path) -> None:
    from openpyxl import load_workbook

    ws = load_workbook(exported)["指标"]
    baseline, target = column_of(ws, "基期值"), column_of(ws, "目标值")
    first = row_of(ws, "指标名称", "市场主体总量(万户)")
    assert ws.cell(first, baseline).value == "5.3575"
    assert ws.cell(first, baseline).data_type == "s"
    food = row_of(ws, "指标名称", "食品评价性抽检合格率(%")
    assert ws.cell(food, target).value == ">98"
    deaths = row_of(ws, "代码", "I14")
    assert ws.cell(deaths, baseline).value == "--"
    annual = load_workbook(exported)["年度目标"]
    assert annual.cell(2, column_of(annual, "2021年")).value == "6.0575"


def test_text_that_looks_like_a_formula_stays_text(exported: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(exported)
    tasks = book["任务分解"]
    row = row_of(tasks, "任务", TRICKY["title"])
    for header, text in (("任务", TRICKY["title"]), ("备注", "-3 表示比上年减少")):
        cell = tasks.cell(row, column_of(tasks, header))
        assert cell.data_type != "f"
        assert cell.value == text
    units = book["单位"]
    cell = units.cell(row_of(units, "代码", "CQ-TN-S01"), column_of(units, "办公场所"))
    assert (cell.data_type, cell.value) == ("s", TRICKY["premises"])
    assert all(c.data_type != "f" for ws in book.worksheets for r in ws.iter_rows() for c in r)
    _, fresh = round_trip(exported, tmp_path)
    imported = task(fresh, "=SUM")
    assert imported.title == TRICKY["title"]
    by_item = assignments_by_item(fresh, 1)
    assert by_item[task(fresh, "加强新经济发展监管").id].note == TRICKY["note"]
    assert by_item[task(fresh, "加强新经济发展监管").id].deadline == TRICKY["deadline"]


def test_sheets_are_laid_out_for_reading_and_printing(exported: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(exported)
    assert book.sheetnames == [*PLAN_SHEETS, SHEET_FORMAT]
    meta = book[SHEET_FORMAT]
    assert meta.sheet_state == "hidden"
    assert meta["B2"].value == FORMAT_VERSION
    tasks = book["任务分解"]
    headers = [c.value for c in tasks[1]]
    assert headers[:6] == ["序号", "任务", "牵头单位", "配合单位", "完成时限", "年度节点"]
    assert {"层级", "类型", "编号", "原文行", "原文"} <= set(headers)
    assert [c.value for c in book["指标"][1]][:9] == [
        "序号", "指标名称", "单位", "类别", "属性", "基期值", "目标值", "方向", "时间口径"]
    assert [c.value for c in book["单位"][1]][:8] == [
        "代码", "名称", "简称", "类型", "上级", "服务镇街", "人员", "办公场所"]
    for ws in book.worksheets[:6]:
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes in ("A2", "C2")
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert tasks.column_dimensions["B"].width >= 30
    assert book["规划"].column_dimensions["B"].width >= 60
    first_task = row_of(tasks, "任务", "强化平台经济监管")
    assert tasks.cell(first_task, column_of(tasks, "配合单位")).value == "大佛所、龙形所、梓潼所"
    assert tasks.cell(first_task, column_of(tasks, "年度节点")).value.startswith(
        "2022年：完成平台企业摸底\n2023年：")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed on this machine")
@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_a_workbook_saved_again_by_libreoffice_comes_back_the_same(
        exported: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "lo"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    subprocess.run(["soffice", "--headless", "--convert-to", suffix, "--outdir", str(out),
                    str(exported)], check=True, capture_output=True, env=env, timeout=240)
    resaved = out / exported.with_suffix(f".{suffix}").name
    assert resaved.exists()
    again, _ = round_trip(resaved, tmp_path)
    assert sheet_values(again) == sheet_values(exported)


def test_reimporting_an_edited_workbook_updates_the_plan_in_place(
        rich_db: Database, exported: Path, tmp_path: Path) -> None:
    renamed = task(rich_db, "加强新经济发展监管")

    def changes(book: Any) -> None:
        tasks = book["任务分解"]
        row = row_of(tasks, "任务", "加强新经济发展监管")
        tasks.cell(row, column_of(tasks, "任务")).value = "加强新经济新业态监管"
        tasks.cell(row, column_of(tasks, "配合单位")).value = "区公安局、区商务委"
        indicators = book["指标"]
        row = row_of(indicators, "代码", "I16")
        indicators.cell(row, column_of(indicators, "目标值")).value = "≥81"
        indicators.delete_rows(row_of(indicators, "代码", "I17"))
        annual = book["年度目标"]
        annual.delete_rows(row_of(annual, "代码", "I17"))

    edited = edit(exported, tmp_path / "改.xlsx", changes)
    result = import_plan(rich_db, edited)
    assert result.ok, [str(i) for i in result.issues]
    assert not result.plan_created
    assert result.counts["plan_items_updated"] == 1
    assert result.counts["indicators_updated"] == 1
    assert result.counts["indicators_deleted"] == 1
    assert len(list_plans(rich_db)) == 1
    item = task(rich_db, "加强新经济新业态监管")
    assert item.id == renamed.id
    cooperating = assignments_by_item(rich_db, 1)[item.id].cooperating
    assert [d.unit_name for d in cooperating] == ["区商务委", "区公安局"]  # in tree order
    changed = find_indicator(rich_db, 1, code="I16")
    assert changed is not None
    assert changed.target.text == "≥81"
    assert find_indicator(rich_db, 1, code="I17") is None
    actions = {e.action for e in list_events(rich_db, 100)}
    assert {"plan.import", "indicator.update", "indicator.delete", "assignment.set"} <= actions
    unchanged = import_plan(rich_db, edited)
    assert unchanged.ok
    assert unchanged.summary().endswith("无改动。")


def test_an_update_that_would_drop_reported_progress_is_refused(
        rich_db: Database, exported: Path, tmp_path: Path) -> None:
    item = task(rich_db, "着力要素市场交易监管")
    station = get_unit_by_code(rich_db, "CQ-TN-S01")
    write_task_progress(rich_db, [TaskProgress(item.id, station.id, "2024",
                                               TaskStatus.COMPLETED, progress_text="已完成")])
    before = snapshot(rich_db)

    def changes(book: Any) -> None:
        tasks = book["任务分解"]
        tasks.delete_rows(row_of(tasks, "任务", "着力要素市场交易监管"))

    result = import_plan(rich_db, edit(exported, tmp_path / "删.xlsx", changes))
    assert not result.ok
    assert "已有进展填报" in result.errors[0].message
    assert result.errors[0].sheet == "任务分解"
    assert snapshot(rich_db) == before


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(exported: Path) -> None:
    fresh = open_memory_database()
    before = snapshot(fresh)
    result = import_plan(fresh, exported, dry_run=True)
    assert result.ok
    assert result.plan_id is None
    assert result.counts["plan_items_created"] == 178
    assert result.counts["units_created"] == 49
    assert "试导入" in result.summary()
    assert snapshot(fresh) == before


# --- hand-made task tables --------------------------------------------------------------------


def test_a_hand_made_task_table_sets_up_a_new_plan(demo_db: Database, tmp_path: Path) -> None:
    path = hand_made(tmp_path / "潼南区2026—2030年重点任务分解表.xlsx", [
        [1, "开展食品安全示范创建", "大佛所", "区发展改革委、区商务委，区公安局;区卫生健康委",
         "2027年底前"],
        [2, "推进智慧监管平台建设", "潼南区市场监督管理局 龙形所", "区教委", datetime(2028, 6, 30)],
        [3, "=开展“双随机”抽查", "综合规划科", "", "长期坚持"],
    ])
    before_units = len(list_units(demo_db))
    result = import_plan(demo_db, path)
    assert result.ok, [str(i) for i in result.issues]
    assert result.plan_created
    plan = next(p for p in list_plans(demo_db) if p.id == result.plan_id)
    assert (plan.start_year, plan.end_year) == (2026, 2030)
    items = list_plan_items(demo_db, plan.id)
    assert [i.title for i in items] == ["开展食品安全示范创建", "推进智慧监管平台建设",
                                        "=开展“双随机”抽查"]
    assert all(i.item_type is ItemType.TASK for i in items)
    by_item = assignments_by_item(demo_db, plan.id)
    first = by_item[items[0].id]
    assert [d.unit_short_name or d.unit_name for d in first.lead] == ["大佛所"]
    assert [d.unit_name for d in first.cooperating] == [  # in tree order
        "区发展改革委", "区商务委", "区卫生健康委", "区公安局"]
    second = by_item[items[1].id]
    assert second.lead[0].unit_short_name == "龙形所"
    assert second.deadline == "2028-06-30"
    created = [u for u in list_units(demo_db) if u.name == "区教委"]
    assert [u.unit_type for u in created] == [UnitType.OUTSIDE_DEPARTMENT]
    assert len(list_units(demo_db)) == before_units + 1
    warning = next(i for i in result.warnings if "区教委" in i.message)
    assert (warning.sheet, warning.row, warning.column) == ("任务分解", 4, "D")


def test_every_station_or_township_can_be_named_at_once(
        demo_db: Database, tmp_path: Path) -> None:
    path = hand_made(tmp_path / "各所.xlsx", [
        [1, "开展“双随机、一公开”抽查", "信用监督管理科", "各所", "每年"],
        [2, "推进食品安全示范镇创建", "大佛所", "各 市场监管所、各镇街", "2025年底前"],
    ])
    result = import_plan(demo_db, path)
    assert result.ok, [str(i) for i in result.issues]
    items = list_plan_items(demo_db, result.plan_id or 0)
    by_item = assignments_by_item(demo_db, result.plan_id or 0)
    assert len(by_item[items[0].id].cooperating) == 9
    second = by_item[items[1].id]
    assert [d.unit_short_name for d in second.lead] == ["大佛所"]
    assert len(second.cooperating) == 8 + 23
    assert any("已展开为 9 个市场监管所" in i.message for i in result.warnings)
    assert not [u for u in list_units(demo_db) if u.name.startswith("各")]


def test_a_two_row_header_and_merged_cells_are_read_as_a_person_reads_them(
        demo_db: Database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "任务分解"
    ws.append(["序号", "重点任务", "责任单位", None, "完成时限"])
    ws.append([None, None, "牵头单位", "配合单位", None])
    ws.append([1, "推进放心消费创建", "大佛所", "龙形所、梓潼所", "2025年"])
    ws.append([2, "加强广告监测", None, None, None])
    for cells in ("A1:A2", "B1:B2", "C1:D1", "E1:E2", "C3:C4", "E3:E4"):
        ws.merge_cells(cells)
    path = tmp_path / "两行表头.xlsx"
    book.save(path)
    result = import_plan(demo_db, path)
    assert result.ok, [str(i) for i in result.issues]
    items = list_plan_items(demo_db, result.plan_id or 0)
    by_item = assignments_by_item(demo_db, result.plan_id or 0)
    assert [i.title for i in items] == ["推进放心消费创建", "加强广告监测"]
    for item in items:
        assert [d.unit_short_name for d in by_item[item.id].lead] == ["大佛所"]
        assert by_item[item.id].deadline == "2025年"
    assert [d.unit_short_name for d in by_item[items[0].id].cooperating] == ["龙形所", "梓潼所"]


def test_a_hand_made_indicator_sheet_keeps_values_as_printed(
        demo_db: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = hand_made(tmp_path / "指标.xlsx", [[1, "推进放心消费创建", "大佛所", "", ""]])
    book = load_workbook(path)
    ws = book.create_sheet("指标")
    for row in (["序号", "指标名称", "单位", "属性", "基期值", "目标值", "代码"],
                [1, "消费投诉按期办结率", "%", "约束性", "--", 0.95, ""],
                [2, "食品抽检量", "批次/千人", "预期性", 4, ">4", "I01"]):
        ws.append(row)
    ws["F2"].number_format = "0%"
    annual = book.create_sheet("年度目标")
    annual.append(["指标名称", "2026年", "2027年"])
    annual.append(["消费投诉按期办结率", "91", "92"])
    book.save(path)
    result = import_plan(demo_db, path)
    assert result.ok, [str(i) for i in result.issues]
    indicators = {i.code: i for i in list_indicators(demo_db, result.plan_id or 0)}
    assert sorted(indicators) == ["I01", "I02"]
    rate = indicators["I02"]
    assert (rate.name, rate.attribute.label, rate.baseline.text, rate.target.text) == (
        "消费投诉按期办结率", "约束性", "--", "95%")
    assert [(a.year, a.target.text) for a in rate.annual_targets] == [(2026, "91"), (2027, "92")]
    assert indicators["I01"].target.text == ">4"


def test_a_hand_made_table_on_an_unnamed_sheet_is_read_with_a_warning(
        demo_db: Database, tmp_path: Path) -> None:
    path = hand_made(tmp_path / "任务.xlsx", [[1, "推进放心消费创建", "大佛所", "", ""]],
                     title=False, sheet="Sheet1")
    result = import_plan(demo_db, path)
    assert result.ok
    assert any("Sheet1" in i.message for i in result.warnings)


def test_a_station_receives_its_plan_from_the_district(exported: Path) -> None:
    station_db = open_memory_database()
    result = import_plan(station_db, exported)
    assert result.ok
    station = get_unit_by_code(station_db, "CQ-TN-S01")
    mine = [d for item in assignments_by_item(station_db, 1).values()
            for d in (*item.lead, *item.cooperating) if d.org_unit_id == station.id]
    assert mine  # the demo gives 大佛所 a part in several tasks
    assert {d.role.label for d in mine} == {"配合"}
    towns = {u.name for u in list_units(station_db, UnitType.TOWNSHIP)}
    assert "大佛街道" in towns



# --- the elements' time aggregation -------------------------------------------------------------


def element_times(db: Database) -> dict[str, TimeAggregation]:
    return {e.code: e.time_aggregation for e in list_elements(db)}


def test_the_elements_time_aggregation_comes_back_from_the_workbook(
        demo_db: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    elements = list_elements(demo_db)
    # against the default of each element's type, so that a lost column would show
    update_element(demo_db, elements[0].id, time_aggregation=TimeAggregation.SUM)
    update_element(demo_db, elements[1].id, time_aggregation=TimeAggregation.AVERAGE)
    path = export_plan(demo_db, 1, tmp_path / "规划.xlsx").path
    ws = load_workbook(path)["数据项"]
    column = column_of(ws, "时间汇总")
    assert ws.cell(row_of(ws, "代码", elements[0].code), column).value == "期内累加（流量）"
    assert ws.cell(row_of(ws, "代码", elements[1].code), column).value == "期内平均"
    again, fresh = round_trip(path, tmp_path)
    used = {str(ws.cell(r, 1).value) for r in range(2, ws.max_row + 1)}
    expected = {c: t for c, t in element_times(demo_db).items() if c in used}
    assert len(set(expected.values())) == 3  # all three kinds travel
    assert element_times(fresh) == expected
    assert sheet_values(again) == sheet_values(path)


def test_a_workbook_without_the_time_aggregation_column_still_imports(
        demo_db: Database, tmp_path: Path) -> None:
    path = export_plan(demo_db, 1, tmp_path / "规划.xlsx").path

    def drop_column(book: Any) -> None:  # as PlanDesk wrote it before the column existed
        ws = book["数据项"]
        ws.delete_cols(column_of(ws, "时间汇总"))

    old = edit(path, tmp_path / "旧版.xlsx", drop_column)
    fresh = open_memory_database()
    result = import_plan(fresh, old)
    assert result.ok, [str(i) for i in result.issues]
    elements = list_elements(fresh)
    assert elements
    for element in elements:
        assert element.time_aggregation is default_time_aggregation(element.value_type,
                                                                     element.unit)
    # and into the database that has the elements: they keep their own, without a warning
    again = import_plan(demo_db, old)
    assert again.ok
    assert not [i for i in again.warnings if "数据项" in i.message and "已存在" in i.message]


def test_time_aggregation_may_be_written_in_short_words(
        demo_db: Database, tmp_path: Path) -> None:
    path = export_plan(demo_db, 1, tmp_path / "规划.xlsx").path
    codes: list[str] = []

    def hand_written(book: Any) -> None:
        ws = book["数据项"]
        column = column_of(ws, "时间汇总")
        for row, text in zip(range(2, 6), ("流量", " 存量 ", "期内累加(流量)", "average"),
                             strict=True):
            ws.cell(row, column).value = text
            codes.append(str(ws.cell(row, 1).value))
        ws.cell(6, column).value = None  # empty: the usual one for the type

    edited = edit(path, tmp_path / "手写.xlsx", hand_written)
    fresh = open_memory_database()
    result = import_plan(fresh, edited)
    assert result.ok, [str(i) for i in result.issues]
    times = element_times(fresh)
    assert [times[c] for c in codes] == [TimeAggregation.SUM, TimeAggregation.LAST,
                                         TimeAggregation.SUM, TimeAggregation.AVERAGE]


def test_a_changed_time_aggregation_of_a_known_element_is_a_warning(
        demo_db: Database, tmp_path: Path) -> None:
    path = export_plan(demo_db, 1, tmp_path / "规划.xlsx").path
    element = list_elements(demo_db)[0]
    other = next(t for t in TimeAggregation if t is not element.time_aggregation)

    def changes(book: Any) -> None:
        ws = book["数据项"]
        ws.cell(row_of(ws, "代码", element.code), column_of(ws, "时间汇总")).value = other.label

    result = import_plan(demo_db, edit(path, tmp_path / "改.xlsx", changes))
    assert result.ok
    assert any("时间汇总" in i.message and element.code in i.message for i in result.warnings)
    assert element_times(demo_db)[element.code] is element.time_aggregation

# --- refused files ----------------------------------------------------------------------------


def assert_refused(db: Database, path: Path, sheet: str | None, row: int | None,
                   column: str | None, words: str) -> None:
    """The import fails, names the place and the problem, and leaves the database as it was."""
    before = snapshot(db)
    result = import_plan(db, path)
    assert not result.ok
    assert result.plan_id is None
    places = [(i.file, i.sheet, i.row, i.column) for i in result.errors if words in i.message]
    assert (path.name, sheet, row, column) in places, [str(i) for i in result.issues]
    assert "未导入" in result.summary()
    assert snapshot(db) == before


def test_a_file_that_is_not_a_workbook_is_refused(demo_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "规划.xlsx"
    path.write_text("这不是工作簿", encoding="utf-8")
    assert_refused(demo_db, path, None, None, None, "不是 Excel 工作簿")


def test_a_plan_workbook_missing_a_sheet_is_refused(
        demo_db: Database, exported: Path, tmp_path: Path) -> None:
    path = edit(exported, tmp_path / "缺表.xlsx", lambda book: book.remove(book["指标"]))
    assert_refused(demo_db, path, "指标", None, None, "缺少工作表“指标”")


def test_a_sheet_missing_a_column_is_refused(demo_db: Database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "任务分解"
    ws.append(["序号", "工作", "牵头单位"])
    ws.append([1, "推进放心消费创建", "大佛所"])
    path = tmp_path / "缺列.xlsx"
    book.save(path)
    assert_refused(demo_db, path, "任务分解", 1, None, "缺少“任务”列")


def test_an_unknown_unit_in_a_plan_workbook_is_refused(
        demo_db: Database, exported: Path, tmp_path: Path) -> None:
    def changes(book: Any) -> None:
        tasks = book["任务分解"]
        row = row_of(tasks, "任务", "强化平台经济监管")
        tasks.cell(row, column_of(tasks, "牵头单位")).value = "综合规划科、不存在的科"

    path = edit(exported, tmp_path / "错单位.xlsx", changes)
    fresh = open_memory_database()
    from openpyxl import load_workbook

    ws = load_workbook(path)["任务分解"]
    row = row_of(ws, "任务", "强化平台经济监管")
    assert_refused(fresh, path, "任务分解", row, "C", "找不到单位“不存在的科”")
    assert_refused(demo_db, path, "任务分解", row, "C", "找不到单位“不存在的科”")


def test_a_duplicate_sequence_number_is_refused(demo_db: Database, tmp_path: Path) -> None:
    path = hand_made(tmp_path / "重复.xlsx", [
        [1, "推进放心消费创建", "大佛所", "", ""],
        [1, "推进智慧监管", "龙形所", "", ""],
    ])
    assert_refused(demo_db, path, "任务分解", 4, "A", "与第 3 行重复")


def test_a_formula_cell_is_refused(demo_db: Database, tmp_path: Path) -> None:
    path = hand_made(tmp_path / "公式.xlsx", [
        [1, "推进放心消费创建", "大佛所", "", ""],
        ["FORMULA=A3+1", "推进智慧监管", "龙形所", "", ""],
    ])
    assert_refused(demo_db, path, "任务分解", 4, "A", "单元格是公式")


def test_milestones_must_be_written_year_by_year(
        demo_db: Database, exported: Path, tmp_path: Path) -> None:
    def changes(book: Any) -> None:
        tasks = book["任务分解"]
        row = row_of(tasks, "任务", "强化平台经济监管")
        tasks.cell(row, column_of(tasks, "年度节点")).value = "每年完成一次摸底"

    path = edit(exported, tmp_path / "节点.xlsx", changes)
    from openpyxl import load_workbook

    ws = load_workbook(path)["任务分解"]
    row = row_of(ws, "任务", "强化平台经济监管")
    assert_refused(open_memory_database(), path, "任务分解", row, "F", "应逐行写成")


def test_a_workbook_from_a_newer_plandesk_is_refused(exported: Path, tmp_path: Path) -> None:
    def changes(book: Any) -> None:
        book[SHEET_FORMAT]["B2"].value = FORMAT_VERSION + 1

    path = edit(exported, tmp_path / "新版.xlsx", changes)
    assert_refused(open_memory_database(), path, SHEET_FORMAT, 2, "B", "更新版本的 PlanDesk")


def test_a_unit_cycle_in_the_units_sheet_is_refused(exported: Path, tmp_path: Path) -> None:
    def changes(book: Any) -> None:
        units = book["单位"]
        row = row_of(units, "代码", "CQ")
        units.cell(row, column_of(units, "上级")).value = "大佛所"

    path = edit(exported, tmp_path / "成环.xlsx", changes)
    from openpyxl import load_workbook

    ws = load_workbook(path)["单位"]
    assert_refused(open_memory_database(), path, "单位", row_of(ws, "代码", "CQ"), "E",
                   "不能成环")


def test_a_hand_made_table_cannot_overwrite_an_existing_plan(
        demo_db: Database, tmp_path: Path) -> None:
    path = hand_made(tmp_path / "任务.xlsx", [[1, "推进放心消费创建", "大佛所", "", ""]])

    def changes(book: Any) -> None:
        plan = book.create_sheet("规划")
        plan.append(["项目", "内容"])
        plan.append(["规划代码", "TN-SCJG-14"])
        plan.append(["规划名称", "潼南区市场监管规划"])

    path = edit(path, tmp_path / "覆盖.xlsx", changes)
    assert_refused(demo_db, path, "规划", 2, "B", "只能新建规划")


def test_an_unknown_time_aggregation_is_refused_at_its_cell(
        demo_db: Database, exported: Path, tmp_path: Path) -> None:
    from openpyxl.utils import get_column_letter

    place: dict[str, Any] = {}

    def changes(book: Any) -> None:
        ws = book["数据项"]
        place["column"] = get_column_letter(column_of(ws, "时间汇总"))
        ws.cell(3, column_of(ws, "时间汇总")).value = "按季度"

    path = edit(exported, tmp_path / "错时间汇总.xlsx", changes)
    assert_refused(open_memory_database(), path, "数据项", 3, place["column"],
                   "“时间汇总”应为 期内累加（流量）、取期末值（存量）、期内平均 之一")
