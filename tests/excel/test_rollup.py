"""The district summary workbook and the district's own return, read back by meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlite_utils import Database

from desktop.cli import cli
from desktop.excel.rollup import (
    SHEET_BREAKDOWN,
    SHEET_COMPLETENESS,
    SHEET_SUMMARY,
    export_return,
    export_summary,
)
from desktop.excel.template_format import (
    ELEMENT_COMMENT_COLUMN,
    ELEMENT_VALUE_COLUMN,
    KIND_RETURN,
    SHEET_ENTRY,
    SHEET_META,
    TemplateMeta,
)
from desktop.models.aggregation import district_values
from desktop.models.errors import ValidationError
from desktop.models.indicators import list_elements, list_indicators, update_element
from desktop.models.orgunits import OrgUnit, UnitType, get_unit_by_code, list_units
from desktop.models.plans import list_plans
from desktop.models.values import list_values

PERIOD = "2024"


def plan_id(db: Database) -> int:
    return list_plans(db)[0].id


def stations(db: Database) -> list[OrgUnit]:
    return list_units(db, UnitType.STATION)


def codes(db: Database) -> dict[str, int]:
    return {e.code: e.id for e in list_elements(db)}


def station_sum(db: Database, code: str, period: str = PERIOD) -> float:
    element = codes(db)[code]
    ids = {s.id for s in stations(db)}
    return sum(v.value or 0 for v in list_values(db, period=period, element_id=element)
               if v.org_unit_id in ids)


def rows_of(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def table(ws: Any, header_first: str, header_second: str) -> tuple[int, list[str]]:
    """The row number and headers of the table whose header row starts with the two texts."""
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row[0] == header_first and row[1] == header_second:
            return number, [str(c) if c is not None else "" for c in row]
    raise AssertionError(f"no table {header_first}/{header_second}")


def indicator_rows(ws: Any) -> dict[str, dict[str, Any]]:
    start, headers = table(ws, "序号", "指标")
    result = {}
    for row in ws.iter_rows(min_row=start + 1, values_only=True):
        if row[1] is None:
            break
        result[str(row[1])] = dict(zip(headers, row, strict=True))
    return result


def element_rows(ws: Any) -> dict[str, dict[str, Any]]:
    start, headers = table(ws, "序号", "数据项")
    result = {}
    for row in ws.iter_rows(min_row=start + 1, values_only=True):
        if row[1] is None:
            break
        record = dict(zip(headers, row, strict=True))
        result[str(record["代码"])] = record
    return result


@pytest.fixture
def summary(demo_db: Database, tmp_path: Path) -> Any:
    path = tmp_path / "汇总.xlsx"
    export_summary(demo_db, plan_id(demo_db), PERIOD, path)
    return load_workbook(path)


def test_the_summary_has_three_sheets(summary: Any) -> None:
    assert summary.sheetnames == [SHEET_SUMMARY, SHEET_BREAKDOWN, SHEET_COMPLETENESS]
    assert rows_of(summary[SHEET_SUMMARY])[0][0] == "潼南区市场监管“十四五”规划 2024年全区汇总表"


def test_summary_rates_are_recomputed_from_the_sums(demo_db: Database, summary: Any) -> None:
    rows = indicator_rows(summary[SHEET_SUMMARY])
    assert len(rows) == 16
    rate = rows["消费投诉按期办结率"]
    done, total = station_sum(demo_db, "COMPLAINTS_ONTIME"), station_sum(demo_db, "COMPLAINTS")
    assert rate["分子合计"] == done
    assert rate["分母合计"] == total
    assert rate["系数"] == 100
    assert rate["全区数值"] == pytest.approx(done / total * 100)
    assert rate["目标值"] == 95
    assert rate["基期值"] == "--"
    assert "各所求和" in rate["计算说明"]
    checks = rows["一般事项“双随机、一公开”抽查比例"]
    assert checks["全区数值"] == pytest.approx(
        station_sum(demo_db, "RANDOM_CHECKED") / station_sum(demo_db, "RANDOM_POOL") * 100)


def test_summary_values_are_numbers_with_formats(summary: Any) -> None:
    ws = summary[SHEET_SUMMARY]
    start, headers = table(ws, "序号", "指标")
    column = headers.index("全区数值") + 1
    cell = ws.cell(start + 1, column)  # 市场主体总量, 万户
    assert isinstance(cell.value, float)
    assert cell.number_format == "#,##0.0000"
    rate_row = next(r for r in range(start + 1, start + 17) if ws.cell(r, 2).value ==
                    "消费投诉按期办结率")
    assert ws.cell(rate_row, column).number_format == "#,##0.00"


def test_summary_level_indicator_is_in_its_printed_unit(demo_db: Database,
                                                        summary: Any) -> None:
    total = indicator_rows(summary[SHEET_SUMMARY])["市场主体总量"]
    assert total["单位"] == "万户"
    assert total["分子合计"] == station_sum(demo_db, "ENT_TOTAL")
    assert total["全区数值"] == pytest.approx(station_sum(demo_db, "ENT_TOTAL") / 10000)
    assert total["年度目标"] == pytest.approx(8.1575)


def test_summary_elements_show_how_and_who_reported(demo_db: Database, summary: Any) -> None:
    rows = element_rows(summary[SHEET_SUMMARY])
    assert len(rows) == 19
    entities = rows["ENT_TOTAL"]
    assert entities["全区数值"] == station_sum(demo_db, "ENT_TOTAL")
    assert (entities["已报/应报"], entities["汇总方式"], entities["填报层级"]) == \
        ("9/9", "求和", "市场监管所")
    bureau = get_unit_by_code(demo_db, "CQ-TN")
    population = next(v.value for v in list_values(demo_db, period=PERIOD, org_unit_id=bureau.id,
                                                   element_id=codes(demo_db)["POP"]))
    assert (rows["POP"]["全区数值"], rows["POP"]["已报/应报"], rows["POP"]["汇总方式"]) == \
        (population, "1/1", "不汇总")


def test_a_station_that_did_not_report_is_blank_and_counted(demo_db: Database,
                                                            tmp_path: Path) -> None:
    missing = stations(demo_db)[0]
    demo_db.execute("DELETE FROM data_value WHERE org_unit_id = ? AND period = ?",
                    [missing.id, PERIOD])
    path = tmp_path / "汇总.xlsx"
    result = export_summary(demo_db, plan_id(demo_db), PERIOD, path)
    assert (result.units_reported, result.units_expected) == (8, 9)
    book = load_workbook(path)
    elements = element_rows(book[SHEET_SUMMARY])
    assert elements["COMPLAINTS"]["已报/应报"] == "8/9"
    assert elements["COMPLAINTS"]["全区数值"] == station_sum(demo_db, "COMPLAINTS")
    rate = indicator_rows(book[SHEET_SUMMARY])["消费投诉按期办结率"]
    assert "数值不完整" in rate["计算说明"]
    assert "8/9" in rate["计算说明"]
    breakdown = book[SHEET_BREAKDOWN]
    row = next(r for r in rows_of(breakdown) if r[2] == missing.code)
    assert all(value is None for value in row[3:])
    completeness = rows_of(book[SHEET_COMPLETENESS])
    row = next(r for r in completeness if r[2] == missing.code)
    assert (row[4], row[5], row[6]) == (0, 7, 0)


def test_breakdown_lists_each_station_and_the_district_total(demo_db: Database,
                                                             summary: Any) -> None:
    ws = summary[SHEET_BREAKDOWN]
    rows = rows_of(ws)
    code_row = rows[5]
    units = [r for r in rows[6:] if r[2]]
    assert [r[1] for r in units[:-1]] == [s.display_name for s in stations(demo_db)]
    total = units[-1]
    assert (total[1], total[2]) == ("全区", "CQ-TN")
    column = code_row.index("COMPLAINTS")
    own = {v.org_unit_id: v.value for v in list_values(demo_db, period=PERIOD,
                                                       element_id=codes(demo_db)["COMPLAINTS"])}
    for station, row in zip(stations(demo_db), units, strict=False):
        assert row[column] == own[station.id]
    assert total[column] == station_sum(demo_db, "COMPLAINTS")
    assert "POP" not in code_row  # a district-only element has no station column
    rate = next(i for i in list_indicators(demo_db, plan_id(demo_db))
                if i.name == "消费投诉按期办结率")
    rate_column = code_row.index(rate.code)
    first = units[0]
    assert first[rate_column] == pytest.approx(
        first[code_row.index("COMPLAINTS_ONTIME")] / first[column] * 100)
    station_rates = [r[rate_column] for r in units[:-1]]
    assert total[rate_column] == pytest.approx(
        station_sum(demo_db, "COMPLAINTS_ONTIME") / station_sum(demo_db, "COMPLAINTS") * 100)
    assert total[rate_column] != pytest.approx(sum(station_rates) / len(station_rates))
    population = next(i for i in list_indicators(demo_db, plan_id(demo_db))
                      if i.name == "千人拥有企业数量")
    assert population.code not in code_row  # not computable for a station


def test_completeness_shows_each_submission_status(demo_db: Database, tmp_path: Path) -> None:
    first = stations(demo_db)[2]  # returned in the demo's last year
    demo_db.execute("UPDATE submission SET reason = '数值与台账不符' WHERE org_unit_id = ? "
                    "AND period = ?", [first.id, PERIOD])
    path = tmp_path / "汇总.xlsx"
    export_summary(demo_db, plan_id(demo_db), PERIOD, path)
    ws = load_workbook(path)[SHEET_COMPLETENESS]
    start, headers = table(ws, "序号", "单位")
    rows = [dict(zip(headers, r, strict=True))
            for r in ws.iter_rows(min_row=start + 1, values_only=True)]
    assert [r["报送状态"] for r in rows[:9]] == ["已报送", "草稿", "退回"] * 3
    assert rows[2]["备注"] == "退回原因：数值与台账不符"
    assert all((r["已报数值"], r["应报数值"], r["完成率"]) == (7, 7, 1) for r in rows[:9])
    assert rows[9]["单位"] == "潼南区局（区级数据项）"
    assert (rows[9]["已报数值"], rows[9]["应报数值"]) == (12, 12)
    assert rows[0]["最后更新"] is not None
    assert "已报送 3 个，退回 3 个，草稿 3 个" in rows_of(ws)[1][0]


def test_every_sheet_prints_on_a4_landscape(summary: Any) -> None:
    for ws in summary.worksheets:
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows
        assert "&P" in ws.oddFooter.center.text


def test_names_that_look_like_formulas_stay_text(demo_db: Database, tmp_path: Path) -> None:
    update_element(demo_db, codes(demo_db)["COMPLAINTS"], name="=1+1 投诉")
    path = tmp_path / "汇总.xlsx"
    export_summary(demo_db, plan_id(demo_db), PERIOD, path)
    book = load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells
    assert all(c.data_type != "f" for c in cells)


def test_the_summary_refuses_bad_input(demo_db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"应以 \.xlsx 结尾"):
        export_summary(demo_db, plan_id(demo_db), PERIOD, tmp_path / "汇总.xls")
    with pytest.raises(ValidationError, match="写法不正确"):
        export_summary(demo_db, plan_id(demo_db), "2024年", tmp_path / "汇总.xlsx")
    with pytest.raises(ValidationError, match=r"不在规划.*的规划期"):
        export_summary(demo_db, plan_id(demo_db), "2026", tmp_path / "汇总.xlsx")
    station = stations(demo_db)[0]
    with pytest.raises(ValidationError, match="不是区县局或市局"):
        export_summary(demo_db, plan_id(demo_db), PERIOD, tmp_path / "汇总.xlsx",
                       unit_id=station.id)


def read_return(path: Path) -> tuple[TemplateMeta, dict[str, tuple[Any, Any]]]:
    book = load_workbook(path)
    meta = TemplateMeta.from_rows({str(r[0]): str(r[1] or "")
                                   for r in book[SHEET_META].iter_rows(values_only=True)})
    ws = book[SHEET_ENTRY]
    values = {code: (ws.cell(row, ELEMENT_VALUE_COLUMN).value,
                     ws.cell(row, ELEMENT_COMMENT_COLUMN).value)
              for row, code in meta.element_rows.items()}
    return meta, values


def test_the_return_holds_the_district_figures(demo_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "潼南区2024.xlsx"
    result = export_return(demo_db, plan_id(demo_db), PERIOD, path)
    assert (result.unit_code, result.elements, result.values) == ("CQ-TN", 19, 19)
    meta, values = read_return(path)
    assert (meta.kind, meta.unit_code, meta.period) == (KIND_RETURN, "CQ-TN", PERIOD)
    expected = district_values(demo_db, PERIOD, get_unit_by_code(demo_db, "CQ-TN").id)
    by_code = codes(demo_db)
    assert set(values) == {e.code for e in list_elements(demo_db)}
    for code, (value, _) in values.items():
        assert value == expected[by_code[code]].value, code
    assert values["COMPLAINTS"] == (station_sum(demo_db, "COMPLAINTS"),
                                    "由 9/9 个所的数值求和汇总")
    assert values["POP"][1] is None  # entered by the district itself


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_exports_the_summary_and_the_return(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    code, stdout, stderr = run("--db", str(demo_path), "export-summary", "--period", "2024",
                               str(out))
    assert code == 0, stderr
    assert stdout.startswith("已导出“潼南区市场监督管理局”2024年汇总表到")
    assert "指标 16 项（可计算 16 项）" in stdout
    assert "已报 9 个，应报 9 个" in stdout
    assert load_workbook(out).sheetnames[0] == SHEET_SUMMARY
    back = tmp_path / "报表.xlsx"
    code, stdout, stderr = run("--db", str(demo_path), "export-return", "--period", "2024",
                               "--unit", "CQ-TN", str(back))
    assert code == 0, stderr
    assert "（代码 CQ-TN）2024年报表" in stdout
    assert "数据项 19 个，有数值 19 个" in stdout


def test_cli_warns_when_stations_did_not_report(demo_path: Path, tmp_path: Path) -> None:
    code, _, stderr = run("--db", str(demo_path), "export-summary", "--period", "2025",
                          str(tmp_path / "汇总.xlsx"))
    assert code == 0
    assert "有 9 个下级单位本期没有任何数值" in stderr


@pytest.mark.parametrize(("args", "message"), [
    ((), "请用 --period 指定汇总的期间"),
    (("--period", "24"), "期间“24”的写法不正确"),
    (("--period", "2024", "--unit", "NOPE"), "找不到代码为“NOPE”的单位"),
    (("--period", "2024", "--unit", "CQ-TN-S01"), "不是区县局或市局"),
    (("--period", "2024", "--plan", "9"), "找不到编号为 9 的规划"),
])
def test_cli_refuses_bad_input(demo_path: Path, tmp_path: Path, args: tuple[str, ...],
                               message: str) -> None:
    for command in ("export-summary", "export-return"):
        code, _, stderr = run("--db", str(demo_path), command, *args,
                              str(tmp_path / "out.xlsx"))
        assert code == 1
        assert stderr.startswith("错误：")
        assert message in stderr
