"""Aggregating reported values over units, and indicators recomputed after aggregation.

The rule this module exists for: a rate is never summed or averaged across units. Each data
element is aggregated over the reporting units by its own aggregation type (in SQLite, one
``GROUP BY`` per call), and an indicator is then computed once from the aggregated numerator
and denominator: district rate = Σnumerator / Σdenominator × factor.

Within a period, each unit's value is the one stored for the period or, failing that, made of
its months, quarters or halves by the element's time aggregation (a flow adds up, a stock is
the value at the period's end); combining years by an indicator's time semantics is done in
:mod:`desktop.models.evaluation`. Missing values stay missing: they are never taken as 0, and
every aggregate carries how many of the expected units reported it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.indicators import (
    Aggregation,
    DataElement,
    EntryLevel,
    Indicator,
    list_elements,
    list_indicators,
)
from desktop.models.orgunits import OrgUnit, UnitType, get_unit, list_units, open_between
from desktop.models.periods import Period, PeriodType
from desktop.models.plans import get_plan

#: Why a per-unit indicator value is not computed: one of its elements is entered above the unit.
DISTRICT_ONLY_REASON = "区级指标"

#: The unit types that report to a unit of each type that aggregates (federation: city ←
#: district bureaus ← stations).
REPORTING_CHILD_TYPES: dict[UnitType, UnitType] = {
    UnitType.DISTRICT_BUREAU: UnitType.STATION,
    UnitType.CITY: UnitType.DISTRICT_BUREAU,
}


@dataclass(frozen=True)
class AggregatedValue:
    """An element's value over a set of units, and how many of the expected units reported it.

    ``value`` is None when no unit reported it (never 0). For an element that is not aggregated
    (aggregation ``none``) or that is taken from one unit, ``expected`` is 1.
    """

    value: float | None
    reported: int
    expected: int
    #: Units that reported some parts of the period (months, quarters) but not all it needs.
    partial: int = 0

    @property
    def complete(self) -> bool:
        """Whether every expected unit reported."""
        return self.reported >= self.expected

    @property
    def completeness(self) -> str:
        """``已报/应报`` as printed, e.g. ``7/9``."""
        return f"{self.reported}/{self.expected}"


@dataclass(frozen=True)
class IndicatorValue:
    """An indicator computed from (aggregated) element values.

    ``value`` is in the indicator's printed unit (the canonical value divided by
    ``unit_scale``), so that it compares with the printed baseline and target; ``numerator``
    and ``denominator`` are the element values it was computed from. When ``value`` is None,
    ``missing_reason`` says why, in Chinese.
    """

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    missing_reason: str = ""


def period_id(period: str | Period) -> str:
    """The canonical id of a period given as text or :class:`Period`.

    Raises:
        ValidationError: the text is not a period id.
    """
    return period.id if isinstance(period, Period) else Period.parse(period).id


def plan_elements(db: Database, plan_id: int) -> list[DataElement]:
    """The data elements a plan's indicators are computed from, in element order."""
    used = {i for ind in list_indicators(db, plan_id)
            for i in (ind.numerator_id, ind.denominator_id) if i is not None}
    return [e for e in list_elements(db) if e.id in used]


def is_station_element(element: DataElement) -> bool:
    """Whether stations report the element (and a station's own value means something)."""
    return element.entry_level is EntryLevel.STATION and element.aggregation is not Aggregation.NONE


def reporting_units(db: Database, unit_id: int, period: str | Period) -> list[OrgUnit]:
    """The units expected to report to ``unit_id`` for a period, in tree order.

    For a district bureau: its child stations; for a city: its child district bureaus. A unit
    counts when it was open at some time during the period (opened on or before the period's
    last day, not closed before its first day).

    Raises:
        NotFoundError: there is no such unit.
        ValidationError: the unit is neither a district bureau nor a city, or the period id is bad.
    """
    unit = get_unit(db, unit_id)
    child_type = REPORTING_CHILD_TYPES.get(unit.unit_type)
    if child_type is None:
        raise ValidationError(
            f"“{unit.name}”是{unit.unit_type.label}，不是区县局或市局，没有下级单位向它报送数据，"
            "无法汇总。", f"unit {unit_id} is {unit.unit_type}")
    span = Period.parse(period_id(period))
    first, last = span.start.isoformat(), span.end.isoformat()
    return [u for u in list_units(db, child_type)
            if u.parent_id == unit_id and open_between(u, first, last)]


def _common_parent(db: Database, unit_ids: Sequence[int]) -> int | None:
    if not unit_ids:
        return None
    parents = {r[0] for r in db.execute(
        "SELECT DISTINCT parent_id FROM org_unit WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(unit_ids))])}
    return parents.pop() if len(parents) == 1 else None


def _parts(period: Period) -> list[tuple[str, int, int, int]]:
    """The stored periods a period's value may come from, coarsest first:
    ``(period id, grain, parts at that grain, whether it ends with the period)``.

    Grain 0 is the period itself; then its halves, quarters and months (those shorter than it).
    """
    rows = [(period.id, 0, 1, 1)]
    for grain, kind in enumerate((PeriodType.HALF, PeriodType.QUARTER, PeriodType.MONTH), 1):
        children = period.children(kind) if kind is not period.kind else []
        rows.extend((c.id, grain, len(children), int(c.end == period.end)) for c in children)
    return rows


#: Each unit's value of each element for one period, from what is stored (SQLite, one pass).
#: A value stored for the period itself is the record. Otherwise it is made of the period's
#: parts at the coarsest grain that covers the period (halves, quarters, then months), by the
#: element's time aggregation: ``sum`` and ``average`` need every part of that grain; ``last``
#: needs the part that ends with the period. A unit whose parts do not cover the period has
#: no value (a missing month is never taken as 0); it is counted as partial.
_UNIT_VALUES_CTE = """
sub AS MATERIALIZED (
    SELECT json_extract(value, '$[0]') AS period, json_extract(value, '$[1]') AS grain,
        json_extract(value, '$[2]') AS parts, json_extract(value, '$[3]') AS is_end
    FROM json_each(:parts)
),
grains AS MATERIALIZED (
    SELECT grain, max(parts) AS parts FROM sub GROUP BY grain
),
per_grain AS MATERIALIZED (
    SELECT d.element_id, d.org_unit_id, sub.grain, count(*) AS n, sum(d.value) AS total,
        max(CASE WHEN sub.is_end THEN d.value END) AS at_end
    FROM sub JOIN data_value d ON d.period = sub.period
    WHERE d.value IS NOT NULL
      AND d.org_unit_id IN (SELECT value FROM json_each(:units))
      AND (:elements IS NULL OR d.element_id IN (SELECT value FROM json_each(:elements)))
    GROUP BY d.element_id, d.org_unit_id, sub.grain
),
ranked AS MATERIALIZED (
    SELECT element_id, org_unit_id, grain, ok,
        CASE WHEN ok THEN value END AS value,
        row_number() OVER (PARTITION BY element_id, org_unit_id ORDER BY ok DESC, grain)
            AS pick
    FROM (
        SELECT g.element_id, g.org_unit_id, g.grain,
            CASE e.time_aggregation WHEN 'sum' THEN g.total WHEN 'average' THEN g.total / g.n
                ELSE g.at_end END AS value,
            CASE e.time_aggregation WHEN 'last' THEN g.at_end IS NOT NULL
                ELSE g.n = (SELECT parts FROM grains WHERE grains.grain = g.grain) END AS ok
        FROM per_grain g JOIN data_element e ON e.id = g.element_id
    )
),
unit_value AS (
    SELECT element_id, org_unit_id, value, grain FROM ranked WHERE pick = 1
)
"""

_AGGREGATE_SQL = f"""
WITH {_UNIT_VALUES_CTE},
children AS MATERIALIZED (
    SELECT element_id, org_unit_id, value, grain FROM ranked
    WHERE pick = 1 AND org_unit_id IN (SELECT value FROM json_each(:children))
),
agg AS MATERIALIZED (
    SELECT element_id, count(value) AS reported, count(*) - count(value) AS partial,
        sum(value) AS total, avg(value) AS mean, min(value) AS low, max(value) AS high
    FROM children GROUP BY element_id
),
-- For the elements aggregated as ``last`` over units: when each unit's value was updated (the
-- latest of the parts it is made of), read for those elements only.
updated AS MATERIALIZED (
    SELECT d.element_id, d.org_unit_id, sub.grain, max(d.updated_at) AS updated_at
    FROM sub JOIN data_value d ON d.period = sub.period
        AND d.element_id IN (SELECT id FROM data_element WHERE aggregation = 'last')
    WHERE d.value IS NOT NULL
    GROUP BY d.element_id, d.org_unit_id, sub.grain
),
latest AS MATERIALIZED (
    SELECT element_id, value FROM (
        SELECT c.element_id, c.value, row_number() OVER (
            PARTITION BY c.element_id ORDER BY u.updated_at DESC, c.org_unit_id DESC) AS rank
        FROM children c JOIN data_element e ON e.id = c.element_id AND e.aggregation = 'last'
        JOIN updated u ON u.element_id = c.element_id AND u.org_unit_id = c.org_unit_id
            AND u.grain = c.grain
        WHERE c.value IS NOT NULL
    ) WHERE rank = 1
),
parent AS MATERIALIZED (
    SELECT element_id, value FROM ranked WHERE pick = 1 AND org_unit_id = :parent
)
SELECT e.id AS element_id, e.aggregation AS aggregation,
    coalesce(a.reported, 0) AS reported, coalesce(a.partial, 0) AS partial,
    CASE e.aggregation
        WHEN 'sum' THEN a.total
        WHEN 'average' THEN a.mean
        WHEN 'min' THEN a.low
        WHEN 'max' THEN a.high
        WHEN 'last' THEN l.value
    END AS value,
    p.value AS parent_value
FROM data_element e
LEFT JOIN agg a ON a.element_id = e.id
LEFT JOIN latest l ON l.element_id = e.id
LEFT JOIN parent p ON p.element_id = e.id
WHERE :elements IS NULL OR e.id IN (SELECT value FROM json_each(:elements))
ORDER BY e.id
"""


def aggregate_elements(
    db: Database,
    period: str | Period,
    unit_ids: Iterable[int],
    *,
    parent_id: int | None = None,
    element_ids: Iterable[int] | None = None,
) -> dict[int, AggregatedValue]:
    """Every element (or those of ``element_ids``) aggregated over units for one period.

    First each unit's value for the period (see :data:`_UNIT_VALUES_CTE`: the stored value of
    the period, else its months, quarters or halves combined by the element's time
    aggregation). Then each element over the units that have a value, by its aggregation
    type: ``sum``, ``average`` (of the units that reported), ``min``, ``max``, ``last`` (the
    value updated most recently; ties go to the unit with the highest id). An element with
    aggregation ``none`` is never rolled up: its value is the one of ``parent_id`` (by default
    the units' common parent, when they have one), expected once.

    Args:
        unit_ids: the units expected to report; ``expected`` is their number.

    Returns:
        ``{element id: AggregatedValue}``; an element nobody reported has value None.

    Raises:
        ValidationError: the period id is bad.
    """
    units = list(dict.fromkeys(unit_ids))
    if parent_id is None:
        parent_id = _common_parent(db, units)
    wanted = None if element_ids is None else json.dumps(list(element_ids))
    everyone = units + ([parent_id] if parent_id is not None else [])
    span = Period.parse(period_id(period))
    result: dict[int, AggregatedValue] = {}
    for row in db.query(_AGGREGATE_SQL, {
        "parts": json.dumps(_parts(span)), "units": json.dumps(everyone),
        "children": json.dumps(units), "parent": parent_id, "elements": wanted,
    }):
        if row["aggregation"] == Aggregation.NONE.value:
            value = row["parent_value"]
            result[row["element_id"]] = AggregatedValue(
                value, int(value is not None), int(parent_id is not None))
        else:
            result[row["element_id"]] = AggregatedValue(row["value"], row["reported"],
                                                         len(units), row["partial"])
    return result


def district_values(db: Database, period: str | Period,
                    district_unit_id: int) -> dict[int, AggregatedValue]:
    """The values a district reports upwards for a period: one per element.

    Station elements are aggregated over the district's stations (see :func:`reporting_units`)
    by their aggregation type; district-only elements (entry level ``district``) and elements
    that are not aggregated come from the district unit itself. For a city unit, every element
    is aggregated over its district bureaus (which report district-only elements too), and
    elements that are not aggregated come from the city unit.

    Raises:
        NotFoundError: there is no such unit.
        ValidationError: the unit is neither a district bureau nor a city, or the period is bad.
    """
    unit = get_unit(db, district_unit_id)
    children = [u.id for u in reporting_units(db, district_unit_id, period)]
    values = aggregate_elements(db, period, children, parent_id=unit.id)
    if unit.unit_type is UnitType.DISTRICT_BUREAU:
        own = [e.id for e in list_elements(db) if e.entry_level is EntryLevel.DISTRICT]
        values.update(aggregate_elements(db, period, [unit.id], parent_id=unit.id,
                                         element_ids=own))
    return values


def unit_values(db: Database, period: str | Period,
                unit_ids: Iterable[int]) -> dict[int, dict[int, float]]:
    """Each unit's own values for one period: ``{unit id: {element id: value}}``.

    A value stored for the period is taken as is; otherwise it is made of the period's
    months, quarters or halves as :func:`aggregate_elements` does. Units without any value are
    absent; elements a unit has no value of are absent.
    """
    span = Period.parse(period_id(period))
    result: dict[int, dict[int, float]] = {}
    for unit_id, element_id, value in db.execute(
        f"WITH {_UNIT_VALUES_CTE} SELECT org_unit_id, element_id, value FROM unit_value "
        "WHERE value IS NOT NULL",
        {"parts": json.dumps(_parts(span)), "units": json.dumps(list(unit_ids)),
         "elements": None},
    ):
        result.setdefault(unit_id, {})[element_id] = value
    return result


def _plain(value: AggregatedValue | float | None) -> float | None:
    return value.value if isinstance(value, AggregatedValue) else value


def compute_indicator(indicator: Indicator, values: Mapping[int, AggregatedValue | float | None],
                      names: Mapping[int, str]) -> IndicatorValue:
    """One indicator from element values (already aggregated when it is a district figure).

    Args:
        values: ``{element id: value}``, plain numbers or :class:`AggregatedValue`.
        names: element names by id, for the Chinese reasons.
    """
    if indicator.numerator_id is None:
        return IndicatorValue(None, missing_reason="指标未设置数据项，无法计算")
    numerator = _plain(values.get(indicator.numerator_id))
    denominator_id = indicator.denominator_id
    denominator = None if denominator_id is None else _plain(values.get(denominator_id))
    scale = indicator.unit_scale or 1.0
    num_name = names.get(indicator.numerator_id, str(indicator.numerator_id))
    if denominator_id is None:
        if numerator is None:
            return IndicatorValue(None, missing_reason=f"数据项“{num_name}”无数值")
        return IndicatorValue(numerator * indicator.factor / scale, numerator)
    den_name = names.get(denominator_id, str(denominator_id))
    reasons = []
    if numerator is None:
        reasons.append(f"分子数据项“{num_name}”无数值")
    if denominator is None:
        reasons.append(f"分母数据项“{den_name}”无数值")
    elif denominator == 0:
        reasons.append(f"分母数据项“{den_name}”为 0，无法计算")
    if reasons or numerator is None or denominator is None:
        return IndicatorValue(None, numerator, denominator, "；".join(reasons))
    return IndicatorValue(numerator / denominator * indicator.factor / scale,
                          numerator, denominator)


def indicator_values(db: Database, plan_id: int,
                     values: Mapping[int, AggregatedValue | float | None]
                     ) -> dict[int, IndicatorValue]:
    """Every indicator of a plan computed from element values, in printed order.

    A one-element indicator is the element's value × factor; a formula is
    numerator / denominator × factor, computed from the given (aggregated) values, never from
    unit rates. Value None with a Chinese ``missing_reason`` when an element has no value or
    the denominator is 0.
    """
    names = {e.id: e.name for e in list_elements(db)}
    return {ind.id: compute_indicator(ind, values, names) for ind in list_indicators(db, plan_id)}


def unit_indicator_values(db: Database, plan_id: int, period: str | Period,
                          unit_ids: Iterable[int]) -> dict[int, dict[int, IndicatorValue]]:
    """Each unit's own indicator values, where they can be computed from its own values.

    An indicator is computed for a unit only when all its elements are reported by stations
    (see :func:`is_station_element`): a station's rate comes from its own numerator and
    denominator. Other indicators are None with the reason :data:`DISTRICT_ONLY_REASON`.

    Returns:
        ``{unit id: {indicator id: IndicatorValue}}`` for every unit given.
    """
    elements = {e.id: e for e in list_elements(db)}
    names = {i: e.name for i, e in elements.items()}
    indicators = list_indicators(db, plan_id)
    units = list(dict.fromkeys(unit_ids))
    own = unit_values(db, period, units)
    result: dict[int, dict[int, IndicatorValue]] = {}
    for unit_id in units:
        values = own.get(unit_id, {})
        row: dict[int, IndicatorValue] = {}
        for ind in indicators:
            if station_computable(ind, elements):
                row[ind.id] = compute_indicator(ind, values, names)
            else:
                row[ind.id] = IndicatorValue(None, missing_reason=DISTRICT_ONLY_REASON)
        result[unit_id] = row
    return result


def station_computable(indicator: Indicator, elements: Mapping[int, DataElement]) -> bool:
    """Whether a station's own value of the indicator means something (all elements are
    station elements)."""
    ids = [i for i in (indicator.numerator_id, indicator.denominator_id) if i is not None]
    return bool(ids) and all(i in elements and is_station_element(elements[i]) for i in ids)


def default_district(db: Database, plan_id: int) -> OrgUnit:
    """The unit whose figures a plan's roll-up is for: the plan's owner unit when it is a
    district bureau or a city, else the database's only district bureau.

    Raises:
        NotFoundError: there is no such plan.
        ValidationError: no single district bureau can be chosen (the message lists them).
    """
    plan = get_plan(db, plan_id)
    if plan.owner_unit_id is not None:
        owner = get_unit(db, plan.owner_unit_id)
        if owner.unit_type in REPORTING_CHILD_TYPES:
            return owner
    bureaus = list_units(db, UnitType.DISTRICT_BUREAU)
    if len(bureaus) == 1:
        return bureaus[0]
    if not bureaus:
        raise NotFoundError("数据库中没有区县局单位，无法确定汇总哪个单位的数据。",
                            "no district bureau")
    listing = "、".join(f"{u.name}（代码 {u.code}）" for u in bureaus)
    raise ValidationError(
        f"数据库中有 {len(bureaus)} 个区县局：{listing}，"
        "请指定要汇总的单位（命令行用 --unit 代码）。",
        "several district bureaus")
