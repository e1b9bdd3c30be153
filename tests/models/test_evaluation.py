"""Roll-up over time and units, progress and classes, checked against hand-computed answers.

The plan runs 2021–2025 from a 2020 baseline, so at the end of 2023 three fifths (0.6) of the
plan period have elapsed; the tolerance is the default 5%.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import mean

import pytest
from sqlite_utils import Database

from desktop.models.aggregation import district_values
from desktop.models.auth import Actor, create_user
from desktop.models.errors import PermissionDenied, ValidationError
from desktop.models.evaluation import (
    ProgressClass,
    aggregate_table,
    class_counts,
    dashboard_job,
    evaluate,
    indicator_trend,
    judge,
    set_tolerance,
    station_comparison,
    task_warnings,
)
from desktop.models.indicators import (
    Aggregation,
    Attribute,
    Direction,
    EntryLevel,
    IndicatorSpec,
    TargetType,
    TimeAggregation,
    TimeSemantics,
    ValueType,
    add_element,
    add_indicator,
    set_annual_targets,
)
from desktop.models.orgunits import UnitType, add_unit
from desktop.models.plans import (
    AssignmentRole,
    ItemType,
    OutlineNode,
    assign,
    create_plan,
    list_plan_items,
    store_outline,
)
from desktop.models.progress import run_job
from desktop.models.users import Role
from desktop.models.values import (
    DataValue,
    TaskProgress,
    TaskStatus,
    write_task_progress,
    write_values,
)
from desktop.models.windows import Light


@dataclass
class World:
    db: Database
    plan: int
    district: int
    stations: tuple[int, int, int]
    elements: dict[str, int]

    def put(self, period: str, unit: int, **values: float | None) -> None:
        write_values(self.db, [DataValue(period, self.elements[code], unit, value)
                               for code, value in values.items()])

    def indicator(self, code: str, numerator: str, denominator: str | None = None, *,
                  factor: float = 1, baseline: str = "--", target: str = "100",
                  direction: Direction = Direction.UP,
                  semantics: TimeSemantics = TimeSemantics.FLOW,
                  attribute: Attribute = Attribute.EXPECTED, unit: str = "",
                  target_type: TargetType = TargetType.LEVEL) -> int:
        order = self.db.execute("SELECT count(*) FROM indicator").fetchone()[0] + 1
        return add_indicator(self.db, self.plan, order, IndicatorSpec(
            code=code, seq_printed=str(order), name_printed=code, name=code, category="",
            attribute=attribute, baseline_text=baseline, target_text=target,
            direction=direction, time_semantics=semantics, unit_printed=unit,
            numerator_id=self.elements[numerator],
            denominator_id=self.elements[denominator] if denominator else None,
            factor=factor, target_type=target_type)).id


def _element(db: Database, code: str, aggregation: Aggregation, level: EntryLevel,
             time: TimeAggregation) -> int:
    return add_element(db, code, code, value_type=ValueType.NUMBER, aggregation=aggregation,
                       entry_level=level, time_aggregation=time).id


@pytest.fixture
def world(db: Database) -> World:
    district = add_unit(db, "D", "某区市场监督管理局", UnitType.DISTRICT_BUREAU)
    stations = tuple(add_unit(db, f"D-S{n}", f"第{n}所", UnitType.STATION,
                              parent_id=district.id, sort_order=n).id for n in (1, 2, 3))
    plan = create_plan(db, "P", "某区规划", start_year=2021, end_year=2025,
                       baseline_year=2020, owner_unit_id=district.id)
    station, district_level = EntryLevel.STATION, EntryLevel.DISTRICT
    elements = {code: _element(db, code, agg, level, time) for code, agg, level, time in (
        ("CHECKED", Aggregation.SUM, station, TimeAggregation.SUM),
        ("POOL", Aggregation.SUM, station, TimeAggregation.LAST),
        ("ENTITIES", Aggregation.SUM, station, TimeAggregation.LAST),
        ("NEW", Aggregation.SUM, station, TimeAggregation.SUM),
        ("DEATHS", Aggregation.NONE, district_level, TimeAggregation.SUM),
        ("EQUIPMENT", Aggregation.NONE, district_level, TimeAggregation.LAST),
        ("REVENUE", Aggregation.NONE, district_level, TimeAggregation.SUM),
        ("SCORE", Aggregation.AVERAGE, station, TimeAggregation.AVERAGE),
    )}
    assert len(stations) == 3
    return World(db, plan.id, district.id, (stations[0], stations[1], stations[2]), elements)


def the(evaluations: list, indicator_id: int):  # type: ignore[no-untyped-def, type-arg]
    return next(e for e in evaluations if e.indicator.id == indicator_id)


# across units ------------------------------------------------------------------------------

def test_district_check_rate_is_the_ratio_of_sums_not_the_mean_of_station_rates(
        world: World) -> None:
    rate = world.indicator("RANDOM", "CHECKED", "POOL", factor=100, baseline="3", target="5",
                           unit="%", attribute=Attribute.BINDING)
    s1, s2, s3 = world.stations
    world.put("2023", s1, CHECKED=30, POOL=1000)  # 3 %
    world.put("2023", s2, CHECKED=90, POOL=1500)  # 6 %
    world.put("2023", s3, CHECKED=10, POOL=500)  # 2 %
    result = the(evaluate(world.db, world.plan, 2023), rate)
    assert (result.numerator, result.denominator) == (130, 3000)
    assert result.actual == pytest.approx(130 / 3000 * 100)  # 4.333 %
    station_rates = [e.actual for e in station_comparison(world.db, world.plan, rate, 2023)]
    assert station_rates == pytest.approx([3, 6, 2])
    assert result.actual != pytest.approx(mean(station_rates))  # 3.667 %
    # path 3 → 5, expected at 0.6: 4.2; progress (4.333-3)/2 = 0.667, gap +0.067 > 5 %
    assert result.expected_value == pytest.approx(4.2)
    assert result.progress == pytest.approx(2 / 3)
    assert result.progress_class is ProgressClass.AHEAD
    assert result.completeness == "3/3"


def test_missing_stations_stay_missing_with_the_completeness_beside_them(world: World) -> None:
    rate = world.indicator("RANDOM", "CHECKED", "POOL", factor=100, baseline="3", target="5")
    s1, s2, _ = world.stations
    world.put("2023", s1, CHECKED=30, POOL=1000)
    world.put("2023", s2, CHECKED=90, POOL=1500)
    result = the(evaluate(world.db, world.plan, 2023), rate)
    assert result.actual == pytest.approx(120 / 2500 * 100)  # of the two that reported
    assert (result.reported, result.expected) == (2, 3)
    table = aggregate_table(world.db, world.plan, "2023")
    checked = next(r for r in table.elements if r.code == "CHECKED")
    assert (checked.value, checked.completeness) == (120, "2/3")
    new = next(r for r in table.elements if r.code == "POOL")
    assert new.value == 2500
    # nobody reported the year: missing, not 0, and unclassified
    empty = the(evaluate(world.db, world.plan, 2024), rate)
    assert empty.actual is None
    assert empty.progress_class is None
    assert empty.actual_text == "缺数"
    assert (empty.reported, empty.expected) == (0, 3)


# across time -------------------------------------------------------------------------------

def test_a_stock_rolls_up_from_months_to_the_year_end_and_a_flow_adds_up(world: World) -> None:
    stock = world.indicator("ENT", "ENTITIES", semantics=TimeSemantics.STOCK, baseline="100",
                            target="200")
    flow = world.indicator("NEW", "NEW", semantics=TimeSemantics.FLOW, target="50")
    s1, s2, s3 = world.stations
    for month in range(1, 13):
        world.put(f"2023{month:02d}", s1, ENTITIES=50 + month, NEW=1)  # December: 62
        world.put(f"2023{month:02d}", s2, ENTITIES=100 + 2 * month, NEW=2)  # December: 124
    for month in range(1, 12):  # station 3 sent eleven months: no year-end, no full year
        world.put(f"2023{month:02d}", s3, ENTITIES=1000, NEW=100)
    values = district_values(world.db, "2023", world.district)
    assert values[world.elements["ENTITIES"]].value == 62 + 124
    assert values[world.elements["NEW"]].value == 12 + 24  # never 11 × 100 + 0
    assert values[world.elements["NEW"]].partial == 1
    evaluations = evaluate(world.db, world.plan, 2023)
    assert the(evaluations, stock).actual == 186
    assert the(evaluations, flow).actual == 36
    assert the(evaluations, stock).completeness == "2/3"
    # quarters: Q1 is the sum of three months; the stock is March's value
    q1 = district_values(world.db, "2023Q1", world.district)
    assert q1[world.elements["NEW"]].value == 3 * 1 + 3 * 2 + 3 * 100
    assert q1[world.elements["ENTITIES"]].value == 53 + 106 + 1000


def test_a_value_stored_for_the_year_wins_over_its_months(world: World) -> None:
    world.indicator("NEW", "NEW", target="50")
    s1, _, _ = world.stations
    for month in range(1, 13):
        world.put(f"2023{month:02d}", s1, NEW=1)
    world.put("2023", s1, NEW=20)  # the return for the year is the record
    assert district_values(world.db, "2023", world.district)[world.elements["NEW"]].value == 20


def test_a_cumulative_new_indicator_adds_up_the_plan_years(world: World) -> None:
    new = world.indicator("NEW", "NEW", semantics=TimeSemantics.CUMULATIVE, target="5000",
                          unit="户")
    s1, s2, s3 = world.stations
    for year, amount in ((2021, 900), (2022, 1100), (2023, 1300)):
        world.put(str(year), s1, NEW=amount / 2)
        world.put(str(year), s2, NEW=amount / 2)
        world.put(str(year), s3, NEW=0)
    result = the(evaluate(world.db, world.plan, 2023), new)
    assert result.actual == 3300
    assert result.baseline == 0
    assert result.expected_value == pytest.approx(3000)  # 0.6 × 5000
    assert result.progress == pytest.approx(0.66)
    assert result.progress_class is ProgressClass.AHEAD  # +6 % > 5 %
    trend = indicator_trend(world.db, world.plan, new)
    assert [p.actual for p in trend.points if p.year <= 2023] == [0, 900, 2000, 3300]
    # reaching the target early is 提前实现: a cumulative total stays reached
    world.put("2024", s1, NEW=1700)
    world.put("2024", s2, NEW=0)
    world.put("2024", s3, NEW=0)
    reached = the(evaluate(world.db, world.plan, 2024), new)
    assert reached.actual == 5000
    assert reached.progress_class is ProgressClass.ACHIEVED


def test_a_cumulative_indicator_with_a_missing_year_is_missing(world: World) -> None:
    new = world.indicator("NEW", "NEW", semantics=TimeSemantics.CUMULATIVE, target="5000")
    for station in world.stations:
        world.put("2021", station, NEW=100)
        world.put("2023", station, NEW=100)
    result = the(evaluate(world.db, world.plan, 2023), new)
    assert result.actual is None
    assert "2022" in result.note
    assert result.progress_class is None


def test_an_average_growth_target_from_the_2020_value(world: World) -> None:
    growth = world.indicator("GROWTH", "REVENUE", semantics=TimeSemantics.GROWTH,
                             baseline="6.5", target="≥7", unit="%")
    world.put("2020", world.district, REVENUE=100)
    world.put("2022", world.district, REVENUE=112)
    world.put("2023", world.district, REVENUE=125)
    fast = the(evaluate(world.db, world.plan, 2023), growth)
    assert fast.actual == pytest.approx((1.25 ** (1 / 3) - 1) * 100)  # 7.72 % a year
    assert fast.expected_value == 7
    assert fast.progress_class is ProgressClass.AHEAD  # (7.72 - 7) / 7 = +10.3 %
    slow = the(evaluate(world.db, world.plan, 2022), growth)
    assert slow.actual == pytest.approx((1.12 ** (1 / 2) - 1) * 100)  # 5.83 %
    assert slow.progress_class is ProgressClass.BEHIND  # -16.7 %
    world.db.execute("DELETE FROM data_value WHERE period = '2020'")
    no_base = the(evaluate(world.db, world.plan, 2023), growth)
    assert no_base.actual is None
    assert "2020" in no_base.note


def test_a_lower_is_better_rate_of_deaths_per_ten_thousand_units(world: World) -> None:
    deaths = world.indicator("DEATHS", "DEATHS", "EQUIPMENT", factor=10000, baseline="0.3",
                             target="≤0.1", direction=Direction.DOWN,
                             attribute=Attribute.BINDING, unit="人")
    world.put("2023", world.district, DEATHS=1, EQUIPMENT=50000)  # 0.2 per 10,000 units
    result = the(evaluate(world.db, world.plan, 2023), deaths)
    assert result.actual == pytest.approx(0.2)
    # path 0.3 → 0.1: expected 0.18 at 0.6; progress (0.2-0.3)/(0.1-0.3) = 0.5; gap -0.1
    assert result.expected_value == pytest.approx(0.18)
    assert result.progress == pytest.approx(0.5)
    assert result.progress_class is ProgressClass.BEHIND
    assert result.warning is Light.RED
    world.put("2023", world.district, DEATHS=0)
    better = the(evaluate(world.db, world.plan, 2023), deaths)
    assert better.actual == 0
    assert better.progress_class is ProgressClass.AHEAD  # a yearly rate: not 提前实现 mid-plan
    assert better.warning is Light.GREEN
    world.put("2025", world.district, DEATHS=0, EQUIPMENT=60000)
    final = the(evaluate(world.db, world.plan, 2025), deaths)
    assert final.progress_class is ProgressClass.ACHIEVED


def test_strict_targets_are_not_met_at_the_bound(world: World) -> None:
    strict = world.indicator("STRICT", "DEATHS", baseline="3", target="<1",
                             direction=Direction.DOWN)
    loose = world.indicator("LOOSE", "DEATHS", baseline="3", target="≤1",
                            direction=Direction.DOWN)
    world.put("2025", world.district, DEATHS=1)
    final = evaluate(world.db, world.plan, 2025)
    assert the(final, strict).progress_class is ProgressClass.BEHIND
    assert the(final, loose).progress_class is ProgressClass.ACHIEVED


def test_the_four_classes_and_both_warning_colours(world: World) -> None:
    ids = {name: world.indicator(name, "ENTITIES", semantics=TimeSemantics.STOCK,
                                 baseline="100", target="200", attribute=Attribute.BINDING)
           for name in ("A", "B", "C", "D", "E")}
    # five indicators on one element: at 2023 the path expects 160 (0.6 of 100 → 200)
    world.put("2023", world.district, ENTITIES=0)  # ignored: a station element
    s1, s2, s3 = world.stations
    cases = {205: ProgressClass.ACHIEVED, 170: ProgressClass.AHEAD, 162: ProgressClass.ON_TRACK,
             157: ProgressClass.ON_TRACK, 150: ProgressClass.BEHIND}
    lights = {205: Light.GREEN, 170: Light.GREEN, 162: Light.GREEN, 157: Light.YELLOW,
              150: Light.RED}
    for total, expected_class in cases.items():
        world.put("2023", s1, ENTITIES=total - 20)
        world.put("2023", s2, ENTITIES=10)
        world.put("2023", s3, ENTITIES=10)
        result = the(evaluate(world.db, world.plan, 2023), ids["A"])
        assert result.actual == total
        assert result.progress_class is expected_class, (total, result.note)
        assert result.warning is lights[total], (total, result.note)
    counts = class_counts(evaluate(world.db, world.plan, 2023))
    assert counts[ProgressClass.BEHIND] == 5
    assert counts[None] == 0


def test_an_annual_target_replaces_the_linear_path(world: World) -> None:
    stock = world.indicator("ENT", "ENTITIES", semantics=TimeSemantics.STOCK, baseline="100",
                            target="200")
    set_annual_targets(world.db, stock, {2023: "140"})  # a plan that starts slowly
    s1, s2, s3 = world.stations
    world.put("2023", s1, ENTITIES=145)
    world.put("2023", s2, ENTITIES=0)
    world.put("2023", s3, ENTITIES=0)
    result = the(evaluate(world.db, world.plan, 2023), stock)
    assert result.expected_value == 140
    # linear 160 would call it 滞后; against the annual target it is +5 % of the way: on track
    assert result.progress_class is ProgressClass.ON_TRACK
    assert result.annual_target is not None
    assert result.annual_target.text == "140"


def test_the_tolerance_is_configurable_and_audited(world: World) -> None:
    stock = world.indicator("ENT", "ENTITIES", semantics=TimeSemantics.STOCK, baseline="100",
                            target="200")
    s1, s2, s3 = world.stations
    world.put("2023", s1, ENTITIES=150)  # gap -0.1
    world.put("2023", s2, ENTITIES=0)
    world.put("2023", s3, ENTITIES=0)
    assert the(evaluate(world.db, world.plan, 2023), stock).progress_class is \
        ProgressClass.BEHIND
    set_tolerance(world.db, Actor.command_line(), 0.15)
    assert the(evaluate(world.db, world.plan, 2023), stock).progress_class is \
        ProgressClass.ON_TRACK
    event = world.db.execute("SELECT new_value FROM audit_event WHERE action = "
                             "'evaluation.tolerance'").fetchone()
    assert event is not None
    assert "15" in event[0]
    with pytest.raises(ValidationError, match="容差"):
        set_tolerance(world.db, Actor.command_line(), 0.8)


def test_a_zero_event_target_is_behind_as_soon_as_an_event_happens(world: World) -> None:
    zero = world.indicator("ZERO", "DEATHS", target="不发生重大事故", direction=Direction.DOWN,
                           attribute=Attribute.BINDING, target_type=TargetType.ZERO_EVENT)
    world.put("2022", world.district, DEATHS=0)
    world.put("2023", world.district, DEATHS=1)
    assert the(evaluate(world.db, world.plan, 2022), zero).progress_class is \
        ProgressClass.ON_TRACK
    bad = the(evaluate(world.db, world.plan, 2023), zero)
    assert bad.progress_class is ProgressClass.BEHIND
    assert bad.warning is Light.RED


def test_a_ranking_target_is_judged_by_the_reviewer(world: World) -> None:
    rank = world.indicator("RANK", "SCORE", target="全市前列", target_type=TargetType.RANKING)
    world.put("2023", world.stations[0], SCORE=90)
    before = the(evaluate(world.db, world.plan, 2023), rank)
    assert before.progress_class is None
    assert "待审核员评判" in before.note
    admin = Actor.command_line()
    reviewer = Actor.of(create_user(world.db, admin, "shenhe", "long-password-1", Role.REVIEWER,
                                    display_name="审核员甲"))
    clerk = Actor.of(create_user(world.db, admin, "s01", "long-password-2", Role.CLERK,
                                 org_unit_id=world.stations[0]))
    with pytest.raises(ValidationError, match="依据"):
        judge(world.db, reviewer, rank, world.district, 2023, ProgressClass.AHEAD, "")
    with pytest.raises(PermissionDenied):
        judge(world.db, clerk, rank, world.district, 2023, ProgressClass.AHEAD, "市排名第2")
    judge(world.db, reviewer, rank, world.district, 2023, ProgressClass.AHEAD, "市排名第2")
    after = the(evaluate(world.db, world.plan, 2023), rank)
    assert after.progress_class is ProgressClass.AHEAD
    assert after.judged_by == "审核员甲"
    assert "市排名第2" in after.note


def test_overdue_and_near_tasks_warn_red_and_yellow(world: World) -> None:
    store_outline(world.db, world.plan, [OutlineNode(ItemType.TASK, 1, "1.", "建成智慧监管平台"),
                                         OutlineNode(ItemType.TASK, 1, "2.", "完成标准化建设"),
                                         OutlineNode(ItemType.TASK, 1, "3.", "已完成的任务")])
    first, second, third = [i.id for i in list_plan_items(world.db, world.plan)]
    s1 = world.stations[0]
    assign(world.db, first, s1, AssignmentRole.LEAD, deadline="2023-06-30")
    assign(world.db, second, s1, AssignmentRole.LEAD, deadline="2023-07-03")
    assign(world.db, third, s1, AssignmentRole.LEAD, deadline="2023-06-01")
    write_task_progress(world.db, [TaskProgress(third, s1, "2023", TaskStatus.COMPLETED)])
    found = task_warnings(world.db, world.plan, today=date(2023, 7, 1))
    assert [(w.plan_item_id, w.light) for w in found] == [(first, Light.RED),
                                                          (second, Light.YELLOW)]
    assert "逾期 1 天" in found[0].detail
    data = run_job(dashboard_job(world.db, world.plan, 2023, today=date(2023, 7, 1)))
    assert [w.light for w in data.warnings] == [Light.RED, Light.YELLOW]


def test_the_demo_dashboard(demo_db: Database) -> None:
    plan = demo_db.execute("SELECT id FROM plan").fetchone()[0]
    data = run_job(dashboard_job(demo_db, plan, 2024, today=date(2026, 11, 23)))
    assert len(data.evaluations) == 16
    assert sum(data.counts().values()) == 16
    assert all(e.progress_class is not None for e in data.evaluations)
    assert len(data.completeness) == 9
    assert all(c.reported == c.expected for c in data.completeness)
    binding = [e for e in data.evaluations if e.indicator.attribute is Attribute.BINDING]
    assert all(e.warning is not Light.NONE for e in binding)
    assert data.warnings[0].light is Light.RED


def test_a_year_outside_the_plan_is_refused_in_chinese(world: World) -> None:
    with pytest.raises(ValidationError, match="2019 年不在规划"):
        evaluate(world.db, world.plan, 2019)



def test_a_station_is_judged_on_ratios_not_on_its_share_of_a_district_total(
        world: World) -> None:
    rate = world.indicator("RANDOM", "CHECKED", "POOL", factor=100, baseline="3", target="5")
    total = world.indicator("ENT", "ENTITIES", semantics=TimeSemantics.STOCK, baseline="100",
                            target="200")
    s1, _, _ = world.stations
    world.put("2023", s1, CHECKED=30, POOL=1000, ENTITIES=60)
    own = evaluate(world.db, world.plan, 2023, unit_id=s1)
    assert the(own, rate).actual == pytest.approx(3)
    assert the(own, rate).progress_class is ProgressClass.BEHIND  # 3 % against 4.2 %
    share = the(own, total)
    assert share.actual == 60
    assert share.progress_class is None  # 60 of a district's 200 is not 滞后
    assert "不按全区目标" in share.note
    trend = indicator_trend(world.db, world.plan, total, unit_id=s1)
    assert trend.final_target is None
    assert all(p.expected is None and p.annual_target is None for p in trend.points)
    assert indicator_trend(world.db, world.plan, rate, unit_id=s1).final_target == 5
