"""The demo database carries plan 000 as printed and labels its generated figures as demo."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from desktop.models.demo import build_demo, demo_annual_targets
from desktop.models.errors import ValidationError
from desktop.models.indicators import Attribute, Direction, TimeSemantics, list_indicators
from desktop.models.orgunits import UnitType, list_units, townships_served
from desktop.models.plans import ItemType, list_plan_items, list_plans
from desktop.models.printed import Comparator, ValueKind
from desktop.models.progress import run_job
from desktop.models.summary import summarise_database
from desktop.models.values import ValueSource, list_values

PRINTED = [  # (seq, baseline, target, attribute) exactly as 专栏1 prints them
    ("1", "5.3575", "8.8575", "预期性"), ("3", "21.97", "42.4", "预期性"),
    ("4", "5.2", "8", "预期性"), ("5", "1153", "1400", "预期性"), ("6", "0.63", "1.1", "预期性"),
    ("7", "1", "2", "预期性"), ("8", "80.9", "82", "预期性"), ("9", "3", "5", "约束性"),
    ("10", "4", ">4", "约束性"), ("11", "98.25", ">98", "预期性"),
    ("12", "80.94", "82", "预期性"), ("13", "97.18", ">98", "预期性"),
    ("14", "--", "0.3", "约束性"), ("15", "--", "95", "约束性"), ("16", "--", "80.5", "预期性"),
    ("17", "--", "94", "预期性"),
]
STATIONS = ["大佛所", "龙形所", "梓潼所", "桂林所", "塘坝所", "小渡所", "玉溪所", "上和所",
            "卧佛所"]


def plan_id(db: Database) -> int:
    return list_plans(db)[0].id


def test_demo_plan_has_the_real_header(demo_db: Database) -> None:
    plan = list_plans(demo_db)[0]
    assert plan.title == "重庆市潼南区市场监管现代化“十四五”规划(2021-2025年)"
    assert plan.doc_number == "潼南府发〔2022〕2号"
    assert plan.issuer == "潼南区人民政府"
    assert (plan.start_year, plan.end_year, plan.baseline_year) == (2021, 2025, 2020)
    assert plan.is_demo


def test_sixteen_indicators_exactly_as_printed(demo_db: Database) -> None:
    indicators = list_indicators(demo_db, plan_id(demo_db))
    got = [(i.seq_printed, i.baseline.text, i.target.text, i.attribute.label)
           for i in indicators]
    assert got == PRINTED


def test_sequence_two_is_skipped_as_in_the_plan(demo_db: Database) -> None:
    seqs = [i.seq_printed for i in list_indicators(demo_db, plan_id(demo_db))]
    assert "2" not in seqs
    assert seqs[:2] == ["1", "3"]


def test_categories_attributes_and_units(demo_db: Database) -> None:
    by_seq = {i.seq_printed: i for i in list_indicators(demo_db, plan_id(demo_db))}
    assert {i.category for i in by_seq.values()} == {"市场活力", "市场安全"}
    assert [s for s, i in by_seq.items() if i.attribute is Attribute.BINDING] == [
        "9", "10", "14", "15"]
    assert by_seq["1"].unit_printed == "万户"
    assert by_seq["1"].unit_scale == 10000
    assert by_seq["7"].unit_printed == ""  # the table prints no unit
    assert by_seq["10"].unit_printed == "批次/千人"


def test_printed_comparators_are_parsed(demo_db: Database) -> None:
    by_seq = {i.seq_printed: i for i in list_indicators(demo_db, plan_id(demo_db))}
    assert by_seq["10"].target.comparator is Comparator.GT
    assert by_seq["10"].target.value == 4
    assert by_seq["11"].target.comparator is Comparator.GT
    assert by_seq["14"].baseline.kind is ValueKind.PLACEHOLDER
    assert by_seq["1"].target.comparator is Comparator.EQ


def test_semantics_beyond_the_printed_table(demo_db: Database) -> None:
    by_seq = {i.seq_printed: i for i in list_indicators(demo_db, plan_id(demo_db))}
    assert by_seq["14"].direction is Direction.DOWN
    assert by_seq["14"].time_semantics is TimeSemantics.AVERAGE
    assert by_seq["1"].time_semantics is TimeSemantics.STOCK
    ratios = sorted((s for s, i in by_seq.items() if i.is_formula), key=int)
    assert ratios == ["3", "4", "5", "9", "10", "14", "15"]
    assert by_seq["15"].factor == 100


def test_annual_targets_cover_every_plan_year(demo_db: Database) -> None:
    for ind in list_indicators(demo_db, plan_id(demo_db)):
        assert [a.year for a in ind.annual_targets] == [2021, 2022, 2023, 2024, 2025]
        assert ind.annual_targets[-1].target.text == ind.target.text


def test_annual_target_path_runs_from_baseline_to_target() -> None:
    path = demo_annual_targets("3", "5", 2021, 2025)
    assert path == {2021: "3.4", 2022: "3.8", 2023: "4.2", 2024: "4.6", 2025: "5"}
    assert set(demo_annual_targets("4", ">4", 2021, 2025).values()) == {">4"}
    assert set(demo_annual_targets("--", "95", 2021, 2025).values()) == {"95"}


def test_nine_named_stations_serve_distinct_townships(demo_db: Database) -> None:
    stations = list_units(demo_db, UnitType.STATION)
    assert [s.short_name for s in stations] == STATIONS
    served = townships_served(demo_db)
    towns = [t.name for s in stations for t in served[s.id]]
    assert len(towns) == len(set(towns)) == 23
    assert all(t.unit_type is UnitType.TOWNSHIP for s in stations for t in served[s.id])
    bureau = list_units(demo_db, UnitType.DISTRICT_BUREAU)[0]
    assert bureau.name == "潼南区市场监督管理局"
    assert all(s.parent_id == bureau.id for s in stations)


def test_outline_has_82_tasks_and_7_boxes(demo_db: Database) -> None:
    items = list_plan_items(demo_db, plan_id(demo_db))
    assert sum(i.item_type is ItemType.TASK for i in items) == 82
    assert sum(i.item_type is ItemType.BOX for i in items) == 7
    assert len(items) >= 82


def test_values_cover_2021_to_2024_and_are_labelled_demo(demo_db: Database) -> None:
    values = list_values(demo_db)
    assert {v.period for v in values} == {"2021", "2022", "2023", "2024"}
    assert all(v.source is ValueSource.DEMO and v.comment == "演示数据" for v in values)
    station_ids = {s.id for s in list_units(demo_db, UnitType.STATION)}
    reporting = {v.org_unit_id for v in values} - station_ids
    assert len(reporting) == 1  # the district bureau enters the district-only elements


def test_demo_station_total_matches_the_plan_baseline_scale(demo_db: Database) -> None:
    total = demo_db.execute(
        "SELECT sum(v.value) FROM data_value v JOIN data_element e ON e.id = v.element_id "
        "WHERE e.code = 'ENT_TOTAL' AND v.period = '2021'").fetchone()[0]
    assert 53575 < total < 88575


def test_demo_is_reproducible(db: Database) -> None:
    run_job(build_demo(db))
    first = [(v.period, v.element_id, v.org_unit_id, v.value) for v in list_values(db)]
    from desktop.models.store import open_memory_database

    other = open_memory_database()
    run_job(build_demo(other))
    assert first == [(v.period, v.element_id, v.org_unit_id, v.value)
                     for v in list_values(other)]


def test_demo_refuses_a_database_that_already_has_a_plan(demo_db: Database) -> None:
    before = summarise_database(demo_db)
    with pytest.raises(ValidationError, match="空数据库"):
        run_job(build_demo(demo_db))
    assert summarise_database(demo_db) == before


def test_cancelling_the_demo_leaves_the_database_empty(db: Database) -> None:
    job = build_demo(db)
    next(job)
    next(job)
    job.close()
    assert summarise_database(db).plans == 0
    assert summarise_database(db).units == 0


def test_plan_years_are_read_from_the_title_or_file_name() -> None:
    from desktop.models.plans import guess_plan_years

    assert guess_plan_years("某区市场监管“十四五”规划") == (2021, 2025)
    assert guess_plan_years("规划(2021—2025年)") == (2021, 2025)
    assert guess_plan_years("“十五五”市场监管规划") == (2026, 2030)
    assert guess_plan_years("指标表", today=2026) == (2026, 2030)


def test_a_plan_made_for_a_file_gets_a_unique_code(db: Database) -> None:
    from desktop.models.plans import create_plan_for_file

    first = create_plan_for_file(db, "/tmp/铜梁区十四五指标.xlsx")
    second = create_plan_for_file(db, "/tmp/铜梁区十四五指标.xlsx")
    assert first.code != second.code
    assert (first.start_year, first.end_year, first.baseline_year) == (2021, 2025, 2020)
    assert first.source_name == "铜梁区十四五指标.xlsx"
