"""Elements aggregate over units by their own type; indicators are computed after aggregation."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean

import pytest
from sqlite_utils import Database

from desktop.models.aggregation import (
    DISTRICT_ONLY_REASON,
    AggregatedValue,
    aggregate_elements,
    default_district,
    district_values,
    indicator_values,
    plan_elements,
    reporting_units,
    unit_indicator_values,
)
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.indicators import (
    Aggregation,
    Attribute,
    EntryLevel,
    IndicatorSpec,
    ValueType,
    add_element,
    add_indicator,
    list_elements,
    list_indicators,
)
from desktop.models.orgunits import UnitType, add_unit, list_units, update_unit
from desktop.models.plans import create_plan, list_plans
from desktop.models.values import DataValue, list_values, write_values


@dataclass(frozen=True)
class World:
    """A district bureau with three stations and a division, one plan, a few elements."""

    plan: int
    district: int
    stations: tuple[int, ...]
    division: int
    elements: dict[str, int]
    indicators: dict[str, int]


def build_world(db: Database) -> World:
    city = add_unit(db, "C", "某市市场监督管理局", UnitType.CITY)
    district = add_unit(db, "D", "某区市场监督管理局", UnitType.DISTRICT_BUREAU, parent_id=city.id)
    stations = tuple(
        add_unit(db, f"D-S{n}", f"第{n}所", UnitType.STATION, parent_id=district.id,
                 sort_order=n).id for n in (1, 2, 3))
    division = add_unit(db, "D-K1", "综合科", UnitType.DIVISION, parent_id=district.id).id
    elements = {
        code: add_element(db, code, name, aggregation=aggregation, entry_level=level,
                          value_type=value_type).id
        for code, name, aggregation, level, value_type in (
            ("DONE", "按期办结件数", Aggregation.SUM, EntryLevel.STATION, ValueType.INTEGER),
            ("ALL", "受理件数", Aggregation.SUM, EntryLevel.STATION, ValueType.INTEGER),
            ("STAFF", "在岗人数", Aggregation.AVERAGE, EntryLevel.STATION, ValueType.INTEGER),
            ("LATEST", "最新核定数", Aggregation.LAST, EntryLevel.STATION, ValueType.NUMBER),
            ("LOW", "最低得分", Aggregation.MIN, EntryLevel.STATION, ValueType.NUMBER),
            ("HIGH", "最高得分", Aggregation.MAX, EntryLevel.STATION, ValueType.NUMBER),
            ("POP", "常住人口", Aggregation.NONE, EntryLevel.DISTRICT, ValueType.INTEGER),
            ("EQUIP", "检测设备台数", Aggregation.SUM, EntryLevel.DISTRICT, ValueType.INTEGER),
        )
    }
    plan = create_plan(db, "P", "某区规划", start_year=2021, end_year=2025,
                       owner_unit_id=district.id)

    def indicator(code: str, order: int, numerator: str, denominator: str | None,
                  factor: float, unit: str = "", scale: float = 1) -> int:
        return add_indicator(db, plan.id, order, IndicatorSpec(
            code=code, seq_printed=str(order), name_printed=code, name=code, category="",
            attribute=Attribute.EXPECTED, baseline_text="--", target_text="95",
            unit_printed=unit, unit_scale=scale, numerator_id=elements[numerator],
            denominator_id=elements[denominator] if denominator else None, factor=factor)).id

    indicators = {
        "RATE": indicator("RATE", 1, "DONE", "ALL", 100, "%"),
        "PER_CAPITA": indicator("PER_CAPITA", 2, "ALL", "POP", 10000, "件/万人"),
        "TOTAL": indicator("TOTAL", 3, "ALL", None, 1, "万件", 10000),
        "EQUIP": indicator("EQUIP", 4, "EQUIP", None, 1, "台"),
    }
    return World(plan.id, district.id, stations, division, elements,
                 indicators)


def put(db: Database, world: World, period: str, unit_id: int, **values: float | None) -> None:
    write_values(db, [DataValue(period, world.elements[code], unit_id, value)
                      for code, value in values.items()])


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def test_district_rate_is_ratio_of_sums(db: Database, world: World) -> None:
    s1, s2, s3 = world.stations
    put(db, world, "2024", s1, DONE=9, ALL=10)  # 90 %
    put(db, world, "2024", s2, DONE=50, ALL=100)  # 50 %
    put(db, world, "2024", s3, DONE=1, ALL=1000)  # 0.1 %
    values = district_values(db, "2024", world.district)
    rate = indicator_values(db, world.plan, values)[world.indicators["RATE"]]
    assert (rate.numerator, rate.denominator) == (60, 1110)
    assert rate.value == pytest.approx(60 / 1110 * 100)
    station_rates = unit_indicator_values(db, world.plan, "2024", world.stations)
    by_station = [station_rates[s][world.indicators["RATE"]].value for s in world.stations]
    assert by_station == pytest.approx([90, 50, 0.1])
    assert rate.value != pytest.approx(mean(v for v in by_station if v is not None))


def test_demo_complaint_rate_is_ratio_of_sums_not_the_mean_of_station_rates(
        demo_db: Database) -> None:
    plan = list_plans(demo_db)[0].id
    district = default_district(demo_db, plan)
    values = district_values(demo_db, "2023", district.id)
    indicator = next(i for i in list_indicators(demo_db, plan) if i.name == "消费投诉按期办结率")
    result = indicator_values(demo_db, plan, values)[indicator.id]
    stations = [u.id for u in reporting_units(demo_db, district.id, "2023")]
    rows = {(v.org_unit_id, v.element_id): v.value or 0.0
            for v in list_values(demo_db, period="2023")}
    assert indicator.numerator_id is not None
    assert indicator.denominator_id is not None
    done = sum(rows[(s, indicator.numerator_id)] for s in stations)
    total = sum(rows[(s, indicator.denominator_id)] for s in stations)
    assert result.value == pytest.approx(done / total * 100)
    station_rates = unit_indicator_values(demo_db, plan, "2023", stations)
    rates = [station_rates[s][indicator.id].value for s in stations]
    assert all(r is not None for r in rates)
    assert result.value != pytest.approx(mean(r for r in rates if r is not None), abs=1e-9)


def test_each_aggregation_type(db: Database, world: World) -> None:
    s1, s2, s3 = world.stations
    put(db, world, "2024", s1, ALL=10, STAFF=4, LATEST=1.5, LOW=80, HIGH=80)
    put(db, world, "2024", s2, ALL=20, STAFF=6, LATEST=2.5, LOW=70, HIGH=95)
    put(db, world, "2024", s3, ALL=30, STAFF=11, LATEST=3.5, LOW=90, HIGH=85)
    latest = world.elements["LATEST"]
    for unit_id, moment in ((s1, "2024-03-01T10:00:00"), (s2, "2024-05-01T10:00:00"),
                            (s3, "2024-04-01T10:00:00")):
        db.execute("UPDATE data_value SET updated_at = ? WHERE element_id = ? AND org_unit_id = ?",
                   [moment, latest, unit_id])
    values = aggregate_elements(db, "2024", world.stations)
    e = world.elements
    assert values[e["ALL"]] == AggregatedValue(60, 3, 3)
    assert values[e["STAFF"]].value == pytest.approx(7)
    assert values[e["LATEST"]].value == 2.5  # s2 was updated last
    assert values[e["LOW"]].value == 70
    assert values[e["HIGH"]].value == 95


def test_missing_values_are_missing_not_zero(db: Database, world: World) -> None:
    s1, s2, _ = world.stations
    put(db, world, "2024", s1, ALL=10, STAFF=4, LOW=80)
    put(db, world, "2024", s2, ALL=20, STAFF=6, LOW=70, DONE=None)  # a stored empty value
    values = aggregate_elements(db, "2024", world.stations)
    e = world.elements
    assert values[e["ALL"]] == AggregatedValue(30, 2, 3)
    assert not values[e["ALL"]].complete
    assert values[e["ALL"]].completeness == "2/3"
    assert values[e["STAFF"]].value == pytest.approx(5)  # the mean of two, not of three
    assert values[e["LOW"]].value == 70  # not 0
    assert values[e["DONE"]] == AggregatedValue(None, 0, 3)
    rate = indicator_values(db, world.plan, values)[world.indicators["RATE"]]
    assert rate.value is None
    assert rate.missing_reason == "分子数据项“按期办结件数”无数值"


def test_only_the_period_and_the_given_units_count(db: Database, world: World) -> None:
    s1, s2, s3 = world.stations
    put(db, world, "2024", s1, ALL=10)
    put(db, world, "2024Q1", s2, ALL=1000)  # one quarter does not make a year: partial
    put(db, world, "2023", s3, ALL=1000)
    put(db, world, "2024", world.division, ALL=1000)
    assert district_values(db, "2024", world.district)[world.elements["ALL"]] == \
        AggregatedValue(10, 1, 3, partial=1)
    assert aggregate_elements(db, "2024Q1", [s2])[world.elements["ALL"]].value == 1000


def test_district_only_elements_come_from_the_district_unit(db: Database, world: World) -> None:
    s1, s2, s3 = world.stations
    put(db, world, "2024", world.district, POP=200_000, EQUIP=12)
    put(db, world, "2024", s1, ALL=30, POP=5, EQUIP=100)  # stray station values are ignored
    put(db, world, "2024", s2, ALL=10)
    put(db, world, "2024", s3, ALL=0)
    values = district_values(db, "2024", world.district)
    e = world.elements
    assert values[e["POP"]] == AggregatedValue(200_000, 1, 1)
    assert values[e["EQUIP"]] == AggregatedValue(12, 1, 1)
    results = indicator_values(db, world.plan, values)
    assert results[world.indicators["PER_CAPITA"]].value == pytest.approx(40 / 200_000 * 10000)
    assert results[world.indicators["EQUIP"]].value == 12
    # Aggregating the stations alone takes a "none" element from their common parent.
    assert aggregate_elements(db, "2024", world.stations)[e["POP"]].value == 200_000


def test_a_missing_district_element_is_reported_as_missing(db: Database, world: World) -> None:
    put(db, world, "2024", world.stations[0], ALL=30)
    values = district_values(db, "2024", world.district)
    assert values[world.elements["POP"]] == AggregatedValue(None, 0, 1)
    result = indicator_values(db, world.plan, values)[world.indicators["PER_CAPITA"]]
    assert result.value is None
    assert result.numerator == 30
    assert result.missing_reason == "分母数据项“常住人口”无数值"


def test_a_zero_denominator_gives_no_rate(db: Database, world: World) -> None:
    for station in world.stations:
        put(db, world, "2024", station, DONE=0, ALL=0)
    result = indicator_values(db, world.plan, district_values(db, "2024", world.district))
    rate = result[world.indicators["RATE"]]
    assert rate.value is None
    assert rate.missing_reason == "分母数据项“受理件数”为 0，无法计算"


def test_a_level_indicator_is_shown_in_its_printed_unit(db: Database, world: World) -> None:
    put(db, world, "2024", world.stations[0], ALL=25_000)
    put(db, world, "2024", world.stations[1], ALL=15_000)
    values = district_values(db, "2024", world.district)
    total = indicator_values(db, world.plan, values)[world.indicators["TOTAL"]]
    assert total.value == pytest.approx(4.0)  # 万件
    assert total.numerator == 40_000


def test_station_indicators_only_where_the_station_reports_every_element(
        db: Database, world: World) -> None:
    s1, s2, _ = world.stations
    put(db, world, "2024", s1, DONE=8, ALL=10)
    put(db, world, "2024", s2, ALL=10)
    put(db, world, "2024", world.district, POP=1000)
    result = unit_indicator_values(db, world.plan, "2024", world.stations)
    assert result[s1][world.indicators["RATE"]].value == pytest.approx(80)
    assert result[s2][world.indicators["RATE"]].value is None
    assert "无数值" in result[s2][world.indicators["RATE"]].missing_reason
    assert result[s1][world.indicators["PER_CAPITA"]].missing_reason == DISTRICT_ONLY_REASON
    assert result[s1][world.indicators["EQUIP"]].missing_reason == DISTRICT_ONLY_REASON


def test_stations_closed_before_or_opened_after_the_period_are_not_expected(
        db: Database, world: World) -> None:
    s1, s2, s3 = world.stations
    update_unit(db, s2, closed_on="2023-06-30")
    update_unit(db, s3, opened_on="2025-01-01")
    assert [u.id for u in reporting_units(db, world.district, "2024")] == [s1]
    assert [u.id for u in reporting_units(db, world.district, "2023")] == [s1, s2]
    assert [u.id for u in reporting_units(db, world.district, "2025Q1")] == [s1, s3]
    put(db, world, "2024", s2, ALL=99)
    assert district_values(db, "2024", world.district)[world.elements["ALL"]] == \
        AggregatedValue(None, 0, 1)


def test_a_city_aggregates_over_its_district_bureaus(db: Database, world: World) -> None:
    city = next(u for u in list_units(db, UnitType.CITY))
    other = add_unit(db, "D2", "另一区局", UnitType.DISTRICT_BUREAU, parent_id=city.id)
    put(db, world, "2024", world.district, ALL=100, EQUIP=3, POP=10)
    put(db, world, "2024", other.id, ALL=50, EQUIP=4)
    put(db, world, "2024", city.id, POP=1000)
    values = district_values(db, "2024", city.id)
    e = world.elements
    assert values[e["ALL"]] == AggregatedValue(150, 2, 2)
    assert values[e["EQUIP"]] == AggregatedValue(7, 2, 2)  # district-only, summed upwards
    assert values[e["POP"]] == AggregatedValue(1000, 1, 1)  # never rolled up


def test_only_district_bureaus_and_cities_roll_up(db: Database, world: World) -> None:
    with pytest.raises(ValidationError, match="不是区县局或市局"):
        reporting_units(db, world.stations[0], "2024")
    with pytest.raises(ValidationError, match="期间“2024-1”的写法不正确"):
        district_values(db, "2024-1", world.district)


def test_the_default_district_is_the_owner_or_the_only_bureau(db: Database, world: World) -> None:
    assert default_district(db, world.plan).id == world.district
    db.execute("UPDATE plan SET owner_unit_id = NULL")
    assert default_district(db, world.plan).id == world.district
    add_unit(db, "D2", "另一区局", UnitType.DISTRICT_BUREAU)
    with pytest.raises(ValidationError, match="有 2 个区县局"):
        default_district(db, world.plan)
    with pytest.raises(NotFoundError):
        default_district(db, 999)


def test_plan_elements_are_those_its_indicators_use(db: Database, world: World) -> None:
    codes = {e.code for e in plan_elements(db, world.plan)}
    assert codes == {"DONE", "ALL", "POP", "EQUIP"}
    assert len(list_elements(db)) == 8
