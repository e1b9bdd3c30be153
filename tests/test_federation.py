"""Federation city ← districts ← stations: a city imports district returns like station returns.

Two district databases and a city database hold the same plan (the demo plan, sent out as a plan
workbook). Each district rolls up its own stations and exports its return; the city imports both
with the returns importer. The city's totals must equal the sums over every station of both
districts, and its rates Σnumerator / Σdenominator over every station — never an average of
district or station rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import pytest
from openpyxl import load_workbook
from sqlite_utils import Database

from desktop.excel.plan_workbook import export_plan, import_plan
from desktop.excel.rollup import SHEET_BREAKDOWN, SHEET_SUMMARY, export_return, export_summary
from desktop.models.aggregation import district_values, indicator_values
from desktop.models.indicators import Indicator, list_elements, list_indicators
from desktop.models.orgunits import UnitType, create_unit, get_unit_by_code, list_units
from desktop.models.plans import list_plans
from desktop.models.store import open_database
from desktop.models.values import DataValue, list_values, write_values

returns = pytest.importorskip(
    "desktop.excel.returns", reason="the returns importer (desktop/excel/returns.py) is absent")

PERIOD = "2024"
#: Station figures (complaints received, handled on time): very different sizes and rates, so
#: that a ratio of sums, a mean of station rates and a mean of district rates all differ.
TONGNAN = [(40, 39), (900, 700), (120, 118), (300, 290), (75, 75), (60, 50), (210, 200),
           (500, 480), (33, 30)]
DAZU = [(2000, 1200), (15, 15), (450, 440)]
DISTRICT_FIGURES = {"POP": 690_000, "PATENT_INV": 500, "TM_VALID": 9800, "TM_WELLKNOWN": 2,
                    "IP_SATISFACTION": 81.5, "FOOD_PASS_RATE": 98.6, "FOOD_SATISFACTION": 81.2,
                    "DRUG_PASS_RATE": 98.1, "SE_DEATHS": 0, "SE_UNITS": 6100,
                    "CONSUMER_SATISFACTION": 80.4, "MFG_PASS_RATE": 93.9}


@dataclass
class District:
    db: Database
    code: str
    stations: list[int]
    figures: list[tuple[int, int]]


def station_values(index: int, complaints: int, on_time: int) -> dict[str, float]:
    entities = 4000 + 1700 * index
    return {"ENT_TOTAL": entities, "ENT_COMPANY": entities // 3, "RANDOM_POOL": entities * 0.85,
            "RANDOM_CHECKED": 100 + 13 * index, "FOOD_SAMPLES": 200 + 7 * index,
            "COMPLAINTS": complaints, "COMPLAINTS_ONTIME": on_time}


def fill(district: District, unit_id: int) -> None:
    ids = {e.code: e.id for e in list_elements(district.db)}
    rows = [DataValue(PERIOD, ids[code], unit_id, value)
            for code, value in DISTRICT_FIGURES.items()]
    for index, (station, (complaints, on_time)) in enumerate(
            zip(district.stations, district.figures, strict=True)):
        rows += [DataValue(PERIOD, ids[code], station, value)
                 for code, value in station_values(index, complaints, on_time).items()]
    write_values(district.db, rows)


@pytest.fixture
def plan_book(demo_db: Database, tmp_path: Path) -> Path:
    path = tmp_path / "规划.xlsx"
    export_plan(demo_db, list_plans(demo_db)[0].id, path)
    return path


def new_database(path: Path, plan_book: Path) -> Database:
    db = open_database(path)
    result = import_plan(db, plan_book)
    assert result.ok, [str(i) for i in result.issues]
    return db


@pytest.fixture
def districts(plan_book: Path, tmp_path: Path) -> Iterator[tuple[District, District]]:
    # 潼南区 keeps the plan's own district bureau and its nine stations.
    tongnan_db = new_database(tmp_path / "tongnan.db", plan_book)
    tongnan = District(tongnan_db, "CQ-TN",
                       [u.id for u in list_units(tongnan_db, UnitType.STATION)], TONGNAN)
    fill(tongnan, get_unit_by_code(tongnan_db, "CQ-TN").id)
    # 大足区 holds the same plan, with its own bureau and three stations.
    dazu_db = new_database(tmp_path / "dazu.db", plan_book)
    city = get_unit_by_code(dazu_db, "CQ")
    bureau = create_unit(dazu_db, "CQ-DZ", "大足区市场监督管理局", UnitType.DISTRICT_BUREAU,
                         parent_id=city.id, short_name="大足区局")
    dazu_stations = [create_unit(dazu_db, f"CQ-DZ-S{n}", f"大足区市场监督管理局第{n}所",
                                 UnitType.STATION, parent_id=bureau.id).id for n in (1, 2, 3)]
    dazu = District(dazu_db, "CQ-DZ", dazu_stations, DAZU)
    fill(dazu, bureau.id)
    yield tongnan, dazu
    tongnan_db.close()
    dazu_db.close()


@pytest.fixture
def city(plan_book: Path, tmp_path: Path) -> Iterator[Database]:
    db = new_database(tmp_path / "city.db", plan_book)
    create_unit(db, "CQ-DZ", "大足区市场监督管理局", UnitType.DISTRICT_BUREAU,
                parent_id=get_unit_by_code(db, "CQ").id, short_name="大足区局")
    yield db
    db.close()


def rate_indicator(db: Database) -> Indicator:
    return next(i for i in list_indicators(db, list_plans(db)[0].id)
                if i.name == "消费投诉按期办结率")


def export_returns(districts: tuple[District, District], folder: Path) -> list[Path]:
    paths = []
    for district in districts:
        db = district.db
        path = folder / f"{district.code}-{PERIOD}.xlsx"
        result = export_return(db, list_plans(db)[0].id, PERIOD, path,
                               unit_id=get_unit_by_code(db, district.code).id)
        assert result.values == result.elements == 19
        paths.append(path)
    return paths


def import_into_city(city: Database, paths: list[Path]) -> None:
    preview = returns.preview_returns(city, paths)
    assert [f.status for f in preview.files] == [returns.ReturnStatus.NEW] * 2, \
        [str(i) for f in preview.files for i in f.errors]
    # The only remark: the city cannot check a signature made by another installation.
    assert [len(f.warnings) for f in preview.files] == [1, 1]
    assert all("其他 PlanDesk 安装生成" in f.warnings[0].message for f in preview.files)
    result = returns.apply_returns(city, preview)
    assert result.ok, [o.message for o in result.outcomes]


def test_a_city_imports_district_returns_and_totals_every_station(
        districts: tuple[District, District], city: Database, tmp_path: Path) -> None:
    paths = export_returns(districts, tmp_path)
    import_into_city(city, paths)

    # Each district's figures arrive on the district's unit in the city database.
    for district in districts:
        sent = district_values(district.db, PERIOD, get_unit_by_code(district.db,
                                                                     district.code).id)
        sent_by_code = {e.code: sent[e.id].value for e in list_elements(district.db)}
        unit = get_unit_by_code(city, district.code)
        received = {e.code: v.value for e in list_elements(city)
                    for v in list_values(city, period=PERIOD, org_unit_id=unit.id,
                                         element_id=e.id)}
        assert received == sent_by_code

    # The city's totals are the sums over every station of both districts.
    city_unit = get_unit_by_code(city, "CQ")
    totals = district_values(city, PERIOD, city_unit.id)
    ids = {e.code: e.id for e in list_elements(city)}
    everything = [station_values(i, c, o) for d in districts
                  for i, (c, o) in enumerate(d.figures)]
    for code in ("ENT_TOTAL", "ENT_COMPANY", "RANDOM_POOL", "RANDOM_CHECKED", "FOOD_SAMPLES",
                 "COMPLAINTS", "COMPLAINTS_ONTIME"):
        assert totals[ids[code]].value == pytest.approx(sum(s[code] for s in everything)), code
        assert totals[ids[code]].completeness == "2/2"

    # The city's rate is Σ on time / Σ received over all twelve stations.
    indicator = rate_indicator(city)
    rate = indicator_values(city, list_plans(city)[0].id, totals)[indicator.id]
    all_on_time = sum(o for d in districts for _, o in d.figures)
    all_received = sum(c for d in districts for c, _ in d.figures)
    assert (rate.numerator, rate.denominator) == (all_on_time, all_received)
    assert rate.value == pytest.approx(all_on_time / all_received * 100)
    district_rates = [sum(o for _, o in d.figures) / sum(c for c, _ in d.figures) * 100
                      for d in districts]
    station_rates = [o / c * 100 for d in districts for c, o in d.figures]
    assert rate.value != pytest.approx(mean(district_rates), abs=0.01)
    assert rate.value != pytest.approx(mean(station_rates), abs=0.01)

    # An element that is not aggregated is never summed upwards: the city enters its own.
    population = totals[ids["POP"]]
    assert population.value is None
    per_capita = next(i for i in list_indicators(city, list_plans(city)[0].id)
                      if i.name == "千人拥有企业数量")
    assert indicator_values(city, list_plans(city)[0].id, totals)[per_capita.id].value is None


def test_the_city_summary_rolls_up_its_districts(
        districts: tuple[District, District], city: Database, tmp_path: Path) -> None:
    import_into_city(city, export_returns(districts, tmp_path))
    path = tmp_path / "全市汇总.xlsx"
    city_unit = get_unit_by_code(city, "CQ")
    result = export_summary(city, list_plans(city)[0].id, PERIOD, path, unit_id=city_unit.id)
    assert (result.units_reported, result.units_expected) == (2, 2)
    book = load_workbook(path)
    summary = list(book[SHEET_SUMMARY].iter_rows(values_only=True))
    header = next(r for r in summary if r[0] == "序号" and r[1] == "指标")
    assert header[3] == "全市数值"
    row = next(r for r in summary if r[1] == "消费投诉按期办结率")
    all_on_time = sum(o for d in districts for _, o in d.figures)
    all_received = sum(c for d in districts for c, _ in d.figures)
    assert row[3] == pytest.approx(all_on_time / all_received * 100)
    breakdown = [r[2] for r in book[SHEET_BREAKDOWN].iter_rows(min_row=7, values_only=True)]
    assert sorted(breakdown[:-1]) == ["CQ-DZ", "CQ-TN"]
    assert breakdown[-1] == "CQ"  # the 全市 row


def test_importing_the_same_district_returns_again_changes_nothing(
        districts: tuple[District, District], city: Database, tmp_path: Path) -> None:
    paths = export_returns(districts, tmp_path)
    import_into_city(city, paths)
    again = returns.preview_returns(city, paths)
    assert [f.status for f in again.files] == [returns.ReturnStatus.DUPLICATE] * 2
