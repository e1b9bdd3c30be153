"""Evaluating a plan's indicators: values over the years, progress against the targets, the
class of each indicator (提前实现 / 快于预期 / 基本符合预期 / 滞后) and the early warnings (预警).

Years combine by each indicator's time semantics (the within-year roll-up from months and
across units is :mod:`desktop.models.aggregation`):

* stock, flow: the year's own value;
* cumulative: the numerator summed over the plan's years so far (a denominator, if any, is
  the year's); every year must have a value;
* average: the mean of the yearly values of the plan's years so far that have one;
* growth: the average annual growth from the baseline year's value, in percent.

Classification (see docs/ARCHITECTURE.md, “进度评价”), with tolerance τ (default 5%):

1. A target the numbers cannot judge (a ranking, a qualitative state) takes the reviewer's
   judgement; without one it stays unclassified.
2. A zero-event target (不发生…) is on track while the count is 0, achieved at the final year,
   behind as soon as an event happened.
3. An actual that meets the final target is 提前实现 when the target, once reached, stays
   reached (stock and cumulative indicators), and at the final year for every indicator.
4. Otherwise the actual is compared with where the indicator should be this year: the year's
   annual target when one is set, else the linear path from the baseline to the final target
   (stock, flow and cumulative indicators with a baseline), else the final target itself. On a
   path the gap is measured as a share of the way from baseline to target (progress − expected
   progress); without one, relative to the expected value. gap > τ: 快于预期; −τ ≤ gap ≤ τ:
   基本符合预期; gap < −τ: 滞后. At the final year an unmet target is 滞后.

Warnings concern binding (约束性) indicators: red when 滞后, yellow when below the expected
value within the tolerance or when the data are missing; and tasks: red past their deadline
and not completed, yellow within the warning days before it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from desktop.models.aggregation import (
    AggregatedValue,
    IndicatorValue,
    compute_indicator,
    default_district,
    district_values,
    is_station_element,
    reporting_units,
    station_computable,
    unit_values,
)
from desktop.models.audit import record_event
from desktop.models.auth import Actor
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.indicators import (
    DataElement,
    Direction,
    Indicator,
    TargetType,
    TimeSemantics,
    get_indicator,
    list_elements,
    list_indicators,
)
from desktop.models.orgunits import OrgUnit, UnitType, get_unit
from desktop.models.periods import Period
from desktop.models.permissions import Action, require
from desktop.models.plans import Plan, get_plan, list_plan_items
from desktop.models.printed import Comparator, PrintedValue, ValueKind
from desktop.models.progress import Job, Progress, run_job
from desktop.models.settings import get_setting, set_setting
from desktop.models.windows import Light, light, stored_day, warn_days

TOLERANCE_SETTING = "evaluation.tolerance"
DEFAULT_TOLERANCE = 0.05
UNCLASSIFIED_LABEL = "未评价"
MISSING_TEXT = "缺数"


class ProgressClass(StrEnum):
    ACHIEVED = "achieved"
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"

    @property
    def label(self) -> str:
        return _CLASS_LABELS[self]


_CLASS_LABELS = {ProgressClass.ACHIEVED: "提前实现", ProgressClass.AHEAD: "快于预期",
                 ProgressClass.ON_TRACK: "基本符合预期", ProgressClass.BEHIND: "滞后"}
CLASS_ORDER: tuple[ProgressClass, ...] = tuple(ProgressClass)


def class_from_label(text: str) -> ProgressClass:
    """The class printed as ``text`` (提前实现 …) or named by its value (``achieved`` …).

    Raises:
        ValidationError: no class has that name.
    """
    wanted = text.strip()
    for cls in ProgressClass:
        if wanted in (cls.value, cls.label):
            return cls
    names = "、".join(c.label for c in ProgressClass)
    raise ValidationError(f"“{text}”不是进度类别，应为 {names} 之一。", f"bad class {text!r}")


@dataclass(frozen=True)
class Evaluation:
    """One indicator of one unit at the end of one year, judged against its targets."""

    indicator: Indicator
    unit_id: int
    unit_name: str
    year: int
    actual: float | None
    numerator: float | None
    denominator: float | None
    reported: int
    expected: int
    baseline: float | None
    annual_target: PrintedValue | None
    final_target: PrintedValue
    expected_value: float | None
    progress: float | None
    elapsed: float
    progress_class: ProgressClass | None
    warning: Light
    note: str
    judged_by: str = ""
    #: The target is a ranking or a state the numbers cannot judge: a reviewer classifies it.
    needs_judgement: bool = False

    @property
    def completeness(self) -> str:
        return f"{self.reported}/{self.expected}"

    @property
    def class_label(self) -> str:
        return self.progress_class.label if self.progress_class else UNCLASSIFIED_LABEL

    @property
    def actual_text(self) -> str:
        if self.actual is None:
            return MISSING_TEXT
        unit = "%" if self.indicator.time_semantics is TimeSemantics.GROWTH \
            else self.indicator.unit_printed
        return f"{format_number(self.actual)}{unit}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (for ``plandesk evaluate --json``)."""
        ind = self.indicator
        return {
            "indicator_id": ind.id, "code": ind.code, "seq": ind.seq_printed, "name": ind.name,
            "attribute": ind.attribute.label, "time_semantics": ind.time_semantics.label,
            "unit": self.unit_name, "year": self.year, "actual": self.actual,
            "numerator": self.numerator, "denominator": self.denominator,
            "completeness": self.completeness, "baseline": self.baseline,
            "annual_target": self.annual_target.text if self.annual_target else None,
            "final_target": self.final_target.text, "expected_value": self.expected_value,
            "progress": self.progress, "elapsed": self.elapsed,
            "class": self.progress_class.value if self.progress_class else None,
            "class_label": self.class_label, "warning": self.warning.value,
            "note": self.note, "judged_by": self.judged_by,
            "needs_judgement": self.needs_judgement,
        }


class WarningKind(StrEnum):
    INDICATOR = "indicator"
    TASK = "task"


@dataclass(frozen=True)
class WarningItem:
    """An early warning (预警): a binding indicator behind schedule or a task near or past its
    deadline."""

    kind: WarningKind
    light: Light
    title: str
    unit_id: int
    unit_name: str
    detail: str
    indicator_id: int | None = None
    plan_item_id: int | None = None
    deadline: date | None = None


@dataclass(frozen=True)
class TrendPoint:
    year: int
    actual: float | None
    annual_target: float | None
    expected: float | None


@dataclass(frozen=True)
class Trend:
    """An indicator's values over the plan period, with its path and targets (for a chart)."""

    indicator: Indicator
    unit_id: int
    unit_name: str
    baseline_year: int
    start_year: int
    end_year: int
    baseline: float | None
    final_target: float | None
    points: tuple[TrendPoint, ...]
    actual_label: str


@dataclass(frozen=True)
class UnitCompleteness:
    unit_id: int
    unit_code: str
    unit_name: str
    reported: int
    expected: int


@dataclass(frozen=True)
class DashboardData:
    plan_id: int
    year: int
    unit_id: int
    unit_name: str
    tolerance: float
    evaluations: tuple[Evaluation, ...]
    warnings: tuple[WarningItem, ...]
    completeness: tuple[UnitCompleteness, ...]

    def counts(self) -> dict[ProgressClass | None, int]:
        """How many indicators are in each class (every class a key, ``None``: unclassified)."""
        return class_counts(self.evaluations)


def class_counts(evaluations: Sequence[Evaluation]) -> dict[ProgressClass | None, int]:
    counts: dict[ProgressClass | None, int] = dict.fromkeys(CLASS_ORDER, 0)
    counts[None] = 0
    for e in evaluations:
        counts[e.progress_class] += 1
    return counts


def format_number(value: float) -> str:
    """A figure as tables print it: integers without decimals, others with up to 2 (4 when
    small)."""
    if math.isfinite(value) and value == round(value) and abs(value) < 1e15:
        return str(round(value))
    digits = 4 if abs(value) < 1 else 2
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


# settings ----------------------------------------------------------------------------------

def get_tolerance(db: Database) -> float:
    """The tolerance of 基本符合预期 as a fraction (setting ``evaluation.tolerance``, in %)."""
    text = get_setting(db, TOLERANCE_SETTING)
    try:
        value = float(text) / 100 if text is not None else DEFAULT_TOLERANCE
    except ValueError:
        return DEFAULT_TOLERANCE
    return value if 0 <= value <= 1 else DEFAULT_TOLERANCE


def set_tolerance(db: Database, actor: Actor, value: float) -> None:
    """Set the tolerance (a fraction, 0.05 = 5%); audited ``evaluation.tolerance``.

    Raises:
        PermissionDenied: the actor may not edit the plan.
        ValidationError: the value is not between 0 and 50%.
    """
    require(db, actor, Action.EDIT_PLAN, what="进度评价的容差")
    if not (0 <= value <= 0.5) or math.isnan(value):
        raise ValidationError(f"容差 {value * 100:g}% 不在 0% 到 50% 之间。", "bad tolerance")
    old = get_tolerance(db)
    if abs(old - value) < 1e-12:
        return
    with db.atomic():
        set_setting(db, TOLERANCE_SETTING, f"{value * 100:g}")
        record_event(db, "evaluation.tolerance", "setting", TOLERANCE_SETTING,
                     old={"percent": old * 100}, new={"percent": value * 100},
                     user_id=actor.user_id, username=actor.username,
                     source="cli" if actor.user_id is None else "keyboard")


# judgements --------------------------------------------------------------------------------

def judge(db: Database, actor: Actor, indicator_id: int, unit_id: int, year: int,
          progress_class: ProgressClass | None, note: str = "") -> None:
    """Record (or with ``None`` withdraw) the reviewer's class of an indicator whose target the
    numbers cannot judge; audited ``indicator.judge``.

    Raises:
        PermissionDenied: the actor may not judge (only reviewers and administrators may).
        NotFoundError: no such indicator or unit.
        ValidationError: the year is outside the plan, or a judgement without a note.
    """
    indicator = get_indicator(db, indicator_id)
    unit = get_unit(db, unit_id)
    require(db, actor, Action.JUDGE, unit_id, what=f"指标“{indicator.name}”的评价")
    plan = get_plan(db, indicator.plan_id)
    if year not in plan.years:
        raise ValidationError(f"{year} 年不在规划期 {plan.period_label}内。", "year outside plan")
    if progress_class is not None and not note.strip():
        raise ValidationError(f"请写明把“{indicator.name}”评为“{progress_class.label}”的依据。",
                              "judgement without note")
    old = db.execute("SELECT progress_class, note FROM indicator_judgement WHERE indicator_id "
                     "= ? AND org_unit_id = ? AND year = ?",
                     [indicator_id, unit_id, year]).fetchone()
    with db.atomic():
        if progress_class is None:
            db.execute("DELETE FROM indicator_judgement WHERE indicator_id = ? AND org_unit_id = ? "
                       "AND year = ?", [indicator_id, unit_id, year])
        else:
            db.execute(
                "INSERT INTO indicator_judgement (indicator_id, org_unit_id, year, progress_class,"
                " note, judged_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "progress_class = excluded.progress_class, note = excluded.note, "
                "judged_by = excluded.judged_by, judged_at = excluded.judged_at",
                [indicator_id, unit_id, year, progress_class.value, note.strip(),
                 actor.user_id])
        record_event(db, "indicator.judge", "indicator", f"{indicator_id}/{unit.id}/{year}",
                     old={"class": old[0], "note": old[1]} if old else None,
                     new={"class": progress_class.value, "note": note.strip()}
                     if progress_class else None,
                     user_id=actor.user_id, username=actor.username,
                     source="cli" if actor.user_id is None else "keyboard")


def _judgements(db: Database, plan_id: int, unit_id: int,
                year: int) -> dict[int, tuple[ProgressClass, str, str]]:
    return {r[0]: (ProgressClass(r[1]), r[2], r[3] or "") for r in db.execute(
        "SELECT j.indicator_id, j.progress_class, j.note, "
        "coalesce(nullif(u.display_name, ''), u.username) FROM indicator_judgement j "
        "JOIN indicator i ON i.id = j.indicator_id LEFT JOIN app_user u ON u.id = j.judged_by "
        "WHERE i.plan_id = ? AND j.org_unit_id = ? AND j.year = ?", [plan_id, unit_id, year])}


# values over the years ---------------------------------------------------------------------

def plan_years(db: Database, plan_id: int) -> list[int]:
    """The plan's years, first to last."""
    return get_plan(db, plan_id).years


def default_year(db: Database, plan_id: int, today: date) -> int:
    """The year an evaluation opens on: the latest plan year up to today that has any value
    (yearly or of a part of the year), else the plan's first year."""
    plan = get_plan(db, plan_id)
    last = min(plan.end_year, today.year)
    row = db.execute(
        "SELECT max(CAST(substr(period, 1, 4) AS INTEGER)) FROM data_value "
        "WHERE value IS NOT NULL AND CAST(substr(period, 1, 4) AS INTEGER) BETWEEN ? AND ?",
        [plan.start_year, last]).fetchone()
    return int(row[0]) if row and row[0] is not None else plan.start_year


class _OwnValues:
    """Several units' own yearly values, read for all of them in one statement per year."""

    def __init__(self, db: Database, unit_ids: Sequence[int]) -> None:
        self.db = db
        self.unit_ids = list(unit_ids)
        self._years: dict[int, dict[int, dict[int, float]]] = {}

    def of(self, unit_id: int, year: int) -> dict[int, float]:
        if year not in self._years:
            self._years[year] = unit_values(self.db, str(year), self.unit_ids)
        return self._years[year].get(unit_id, {})


class _Values:
    """A unit's yearly element values, read once per year and kept."""

    def __init__(self, db: Database, unit: OrgUnit, elements: Mapping[int, DataElement],
                 own: _OwnValues | None = None) -> None:
        self.db = db
        self.unit = unit
        self.elements = elements
        self.names = {i: e.name for i, e in elements.items()}
        self.aggregates = unit.unit_type in (UnitType.DISTRICT_BUREAU, UnitType.CITY)
        self._own = own or _OwnValues(db, [unit.id])
        self._years: dict[int, Mapping[int, AggregatedValue]] = {}
        self._indicators: dict[tuple[int, int], IndicatorValue] = {}

    def year(self, year: int) -> Mapping[int, AggregatedValue]:
        if year not in self._years:
            if self.aggregates:
                self._years[year] = district_values(self.db, str(year), self.unit.id)
            else:
                own = self._own.of(self.unit.id, year)
                self._years[year] = {i: AggregatedValue(own.get(i), int(i in own), 1)
                                     for i in self.elements}
        return self._years[year]

    def indicator(self, indicator: Indicator, year: int) -> IndicatorValue:
        key = (indicator.id, year)
        if key not in self._indicators:
            self._indicators[key] = compute_indicator(indicator, self.year(year), self.names)
        return self._indicators[key]

    def completeness(self, indicator: Indicator, year: int | str,
                     values: Mapping[int, AggregatedValue] | None = None) -> tuple[int, int]:
        """(reported, expected) of the indicator's elements for the year: the least complete."""
        if values is None:
            values = self.year(int(year))
        parts = [values[i] for i in (indicator.numerator_id, indicator.denominator_id)
                 if i is not None and i in values]
        if not parts:
            return 0, 1
        worst = min(parts, key=lambda v: (v.reported / v.expected if v.expected else 1))
        return worst.reported, worst.expected


@dataclass(frozen=True)
class _Actual:
    value: float | None
    numerator: float | None
    denominator: float | None
    note: str


def _actual(indicator: Indicator, values: _Values, plan: Plan, year: int) -> _Actual:
    """The indicator's value checked against its targets at the end of ``year``."""
    semantics = indicator.time_semantics
    if semantics in (TimeSemantics.STOCK, TimeSemantics.FLOW):
        iv = values.indicator(indicator, year)
        return _Actual(iv.value, iv.numerator, iv.denominator, iv.missing_reason)
    years = list(range(plan.start_year, year + 1))
    if semantics is TimeSemantics.CUMULATIVE:
        return _cumulative(indicator, values, years)
    if semantics is TimeSemantics.AVERAGE:
        yearly = {y: values.indicator(indicator, y) for y in years}
        present = [v.value for v in yearly.values() if v.value is not None]
        missing = [y for y, v in yearly.items() if v.value is None]
        if yearly[year].value is None:
            return _Actual(None, None, None,
                           f"{year}年无数值，无法求平均：{yearly[year].missing_reason}")
        note = (f"{'、'.join(map(str, missing))}年缺数，按其余 {len(present)} 年平均"
                if missing else f"{plan.start_year}—{year}年 {len(present)} 年平均")
        return _Actual(sum(present) / len(present), None, None, note)
    # growth: the average annual growth of the level since the baseline year
    now = values.indicator(indicator, year)
    base = values.indicator(indicator, plan.baseline_year)
    span = year - plan.baseline_year
    if now.value is None:
        return _Actual(None, now.numerator, now.denominator,
                       f"{year}年无数值：{now.missing_reason}")
    if base.value is None:
        return _Actual(None, now.numerator, now.denominator,
                       f"缺少基期（{plan.baseline_year}年）数值，无法计算年均增长")
    if base.value <= 0 or now.value < 0 or span <= 0:
        return _Actual(None, now.numerator, now.denominator,
                       f"基期（{plan.baseline_year}年）数值为 {format_number(base.value)}，"
                       "无法计算年均增长")
    growth = ((now.value / base.value) ** (1 / span) - 1) * 100
    return _Actual(growth, now.value, base.value,
                   f"{plan.baseline_year}年 {format_number(base.value)} → {year}年 "
                   f"{format_number(now.value)}，{span} 年年均增长")


def _cumulative(indicator: Indicator, values: _Values, years: list[int]) -> _Actual:
    if indicator.numerator_id is None:
        return _Actual(None, None, None, "指标未设置数据项，无法计算")
    name = values.names.get(indicator.numerator_id, str(indicator.numerator_id))
    total = 0.0
    missing: list[int] = []
    for y in years:
        v = values.year(y).get(indicator.numerator_id)
        if v is None or v.value is None:
            missing.append(y)
        else:
            total += v.value
    if missing:
        return _Actual(None, None, None,
                       f"数据项“{name}”{'、'.join(map(str, missing))}年无数值，无法累计")
    scale = indicator.unit_scale or 1.0
    if indicator.denominator_id is None:
        return _Actual(total * indicator.factor / scale, total, None,
                       f"{years[0]}—{years[-1]}年累计")
    den = values.year(years[-1]).get(indicator.denominator_id)
    if den is None or not den.value:
        return _Actual(None, total, None, f"分母数据项{years[-1]}年无数值或为 0，无法计算")
    return _Actual(total / den.value * indicator.factor / scale, total, den.value,
                   f"{years[0]}—{years[-1]}年累计")


# judging -----------------------------------------------------------------------------------

_PATH_SEMANTICS = (TimeSemantics.STOCK, TimeSemantics.FLOW, TimeSemantics.CUMULATIVE)
_STAYS_REACHED = (TimeSemantics.STOCK, TimeSemantics.CUMULATIVE)
_EPSILON = 1e-9


def _numbers_cannot_judge(indicator: Indicator) -> bool:
    return (indicator.target.kind in (ValueKind.RANKING, ValueKind.QUALITATIVE,
                                      ValueKind.PLACEHOLDER)
            or indicator.target_type in (TargetType.RANKING, TargetType.QUALITATIVE))


def target_number(target: PrintedValue, direction: Direction,
                  baseline: float | None) -> float | None:
    """The number a printed target sets for the indicator's value (None: not numeric)."""
    kind = target.kind
    if kind is ValueKind.MULTIPLE:
        return None if target.value is None or baseline is None else target.value * baseline
    if kind is ValueKind.RANGE:
        return target.upper if direction is Direction.DOWN and target.upper is not None \
            else target.value
    if kind in (ValueKind.NUMBER, ValueKind.ZERO_EVENT, ValueKind.BREAKTHROUGH):
        return target.value
    return None


def meets(actual: float, target: PrintedValue, number: float, direction: Direction) -> bool:
    """Whether ``actual`` meets a target, by its comparator (strict or not) and direction."""
    comparator = target.comparator
    if target.kind is ValueKind.BREAKTHROUGH:
        comparator = Comparator.GE
    if target.kind is ValueKind.ZERO_EVENT:
        comparator = Comparator.LE
    tol = _EPSILON * max(1.0, abs(number))
    if comparator is Comparator.GT:
        return actual > number + tol
    if comparator is Comparator.LT:
        return actual < number - tol
    if comparator is Comparator.GE:
        return actual >= number - tol
    if comparator is Comparator.LE:
        return actual <= number + tol
    if direction is Direction.DOWN:
        return actual <= number + tol
    return actual >= number - tol


def _baseline(indicator: Indicator, values: _Values, plan: Plan) -> tuple[float | None, str]:
    """The number progress is measured from, and where it came from."""
    semantics = indicator.time_semantics
    if semantics is TimeSemantics.CUMULATIVE:
        return 0.0, "累计从 0 起算"
    if semantics not in _PATH_SEMANTICS:
        return None, ""
    printed = indicator.baseline
    if printed.kind in (ValueKind.NUMBER, ValueKind.RANGE) and printed.value is not None:
        return printed.value, "规划基期值"
    data = values.indicator(indicator, plan.baseline_year).value
    if data is not None:
        return data, f"{plan.baseline_year}年数据"
    return None, ""


def _has_path(indicator: Indicator, baseline: float | None, final: float | None) -> bool:
    """Whether progress is measured along the way from baseline to target: for stock, flow and
    cumulative indicators whose target lies beyond the baseline in the good direction."""
    if baseline is None or final is None or indicator.time_semantics not in _PATH_SEMANTICS:
        return False
    sign = 1.0 if indicator.direction is Direction.UP else -1.0
    return (final - baseline) * sign > _EPSILON * max(1.0, abs(final))


def _evaluate(indicator: Indicator, values: _Values, plan: Plan, year: int, tolerance: float,
              judgements: Mapping[int, tuple[ProgressClass, str, str]]) -> Evaluation:
    actual = _actual(indicator, values, plan, year)
    reported, expected = values.completeness(indicator, year)
    baseline, baseline_source = _baseline(indicator, values, plan)
    direction = indicator.direction
    annual_printed = next((a.target for a in indicator.annual_targets if a.year == year), None)
    final_number = target_number(indicator.target, direction, baseline)
    annual_number = (target_number(annual_printed, direction, baseline)
                     if annual_printed is not None else None)
    span = plan.end_year - plan.baseline_year
    elapsed = min(1.0, max(0.0, (year - plan.baseline_year) / span)) if span > 0 else 1.0
    final_year = year >= plan.end_year
    sign = 1.0 if direction is Direction.UP else -1.0

    path = _has_path(indicator, baseline, final_number)
    if annual_number is not None:
        expected_value: float | None = annual_number
        expectation = f"年度目标 {annual_printed.text if annual_printed else ''}"
    elif path and baseline is not None and final_number is not None:
        expected_value = baseline + elapsed * (final_number - baseline)
        expectation = f"按时间进度应达 {format_number(expected_value)}"
    else:
        expected_value = final_number
        expectation = f"规划目标 {indicator.target.text.strip()}"
    progress = None
    if path and actual.value is not None and baseline is not None and final_number is not None:
        progress = (actual.value - baseline) / (final_number - baseline)

    cls: ProgressClass | None = None
    judged_by = ""
    note = actual.note
    below_expected = False
    if final_number is None or _numbers_cannot_judge(indicator):
        judged = judgements.get(indicator.id)
        if judged is not None:
            cls, reason, judged_by = judged
            note = f"审核员评判：{reason}"
        else:
            note = "目标为定性或排名，待审核员评判"
    elif actual.value is None:
        pass
    elif indicator.target.kind is ValueKind.ZERO_EVENT:
        if actual.value <= _EPSILON:
            cls = ProgressClass.ACHIEVED if final_year else ProgressClass.ON_TRACK
            note = "未发生" + ("，规划期目标实现" if final_year else "，符合要求")
        else:
            cls = ProgressClass.BEHIND
            note = f"已发生 {format_number(actual.value)} 起，目标为不发生"
    elif meets(actual.value, indicator.target, final_number, direction) and (
            final_year or indicator.time_semantics in _STAYS_REACHED):
        cls = ProgressClass.ACHIEVED
        note = f"已达到规划目标 {indicator.target.text.strip()}"
    elif final_year:
        cls = ProgressClass.BEHIND
        note = f"规划期末未达到规划目标 {indicator.target.text.strip()}"
    elif expected_value is not None:
        if path and baseline is not None and final_number is not None:
            gap = (actual.value - expected_value) / (final_number - baseline)
            measure = "进度差"
        else:
            scale = abs(expected_value) if abs(expected_value) > _EPSILON else 1.0
            gap = sign * (actual.value - expected_value) / scale
            measure = "相对差"
        if annual_printed is not None and annual_number is not None and meets(
                actual.value, annual_printed, annual_number, direction):
            gap = max(gap, 0.0)
        below_expected = gap < 0
        if gap > tolerance:
            cls = ProgressClass.AHEAD
        elif gap >= -tolerance:
            cls = ProgressClass.ON_TRACK
        else:
            cls = ProgressClass.BEHIND
        note = f"{expectation}，{measure} {gap * 100:+.1f}%（容差 ±{tolerance * 100:g}%）"
    if baseline_source and cls is not None and not judged_by and \
            indicator.target.kind is not ValueKind.ZERO_EVENT:
        note = f"{note}；基期 {format_number(baseline or 0)}（{baseline_source}）"
    if actual.note and cls is not None and not judged_by and \
            indicator.time_semantics not in (TimeSemantics.STOCK, TimeSemantics.FLOW):
        note = f"{actual.note}；{note}"

    warning = Light.NONE
    if indicator.attribute.value == "binding":
        if cls is ProgressClass.BEHIND:
            warning = Light.RED
        elif actual.value is None or below_expected or (
                cls is None and final_number is not None and not _numbers_cannot_judge(indicator)):
            warning = Light.YELLOW
        else:
            warning = Light.GREEN
    return Evaluation(
        indicator=indicator, unit_id=values.unit.id, unit_name=values.unit.name, year=year,
        actual=actual.value, numerator=actual.numerator, denominator=actual.denominator,
        reported=reported, expected=expected, baseline=baseline, annual_target=annual_printed,
        final_target=indicator.target, expected_value=expected_value, progress=progress,
        elapsed=elapsed, progress_class=cls, warning=warning, note=note, judged_by=judged_by,
        needs_judgement=final_number is None or _numbers_cannot_judge(indicator))


def _check_year(plan: Plan, year: int) -> None:
    if year not in plan.years:
        raise ValidationError(
            f"{year} 年不在规划“{plan.title}”的规划期 {plan.period_label}内，"
            f"请选择 {plan.start_year}—{plan.end_year} 之间的年份。", "year outside plan")


def _unit_for(db: Database, plan_id: int, unit_id: int | None) -> OrgUnit:
    if unit_id is None:
        return default_district(db, plan_id)
    unit = get_unit(db, unit_id)
    if unit.unit_type not in (UnitType.DISTRICT_BUREAU, UnitType.CITY, UnitType.STATION):
        raise ValidationError(
            f"“{unit.name}”是{unit.unit_type.label}，不报送指标数据；请选择区县局、市局或"
            "市场监管所。", f"unit {unit_id} is {unit.unit_type}")
    return unit


def evaluate(db: Database, plan_id: int, year: int, *, unit_id: int | None = None,
             tolerance: float | None = None) -> list[Evaluation]:
    """Every indicator of a plan for a unit (default: the plan's district) at the end of a
    year, in printed order. For a station, indicators not computable from a station's own
    figures are left out.

    Raises:
        NotFoundError: no such plan or unit.
        ValidationError: the year is outside the plan, or the unit reports no indicators.
    """
    return run_job(_evaluations(db, plan_id, year, unit_id, tolerance))


def _evaluations(db: Database, plan_id: int, year: int, unit_id: int | None,
                 tolerance: float | None) -> Job[list[Evaluation]]:
    plan = get_plan(db, plan_id)
    _check_year(plan, year)
    unit = _unit_for(db, plan_id, unit_id)
    tol = get_tolerance(db) if tolerance is None else tolerance
    elements = {e.id: e for e in list_elements(db)}
    values = _Values(db, unit, elements)
    judgements = _judgements(db, plan_id, unit.id, year)
    indicators = list_indicators(db, plan_id)
    if unit.unit_type is UnitType.STATION:
        indicators = [i for i in indicators if station_computable(i, elements)]
    result: list[Evaluation] = []
    for n, indicator in enumerate(indicators):
        yield Progress(n, len(indicators), f"评价指标：{indicator.name}")
        judged = _evaluate(indicator, values, plan, year, tol, judgements)
        if unit.unit_type is UnitType.STATION and not _size_free(indicator, elements):
            judged = _unclassified(judged, SUM_NOTE)
        result.append(judged)
    return result


def evaluate_job(db: Database, plan_id: int, year: int, *, unit_id: int | None = None,
                 tolerance: float | None = None) -> Job[list[Evaluation]]:
    """:func:`evaluate` as a job that yields progress per indicator."""
    return _evaluations(db, plan_id, year, unit_id, tolerance)


def station_comparison(db: Database, plan_id: int, indicator_id: int, year: int, *,
                       tolerance: float | None = None) -> list[Evaluation]:
    """The indicator for each station reporting to the plan's district, in tree order; empty
    when the indicator is not computable from a station's own figures (district-only, or a
    sum whose district target means nothing for one station).

    A station's class is judged against the district's targets only for indicators whose
    value does not grow with the size of the unit (ratios, averages): for the others it is
    left unclassified.
    """
    indicator = get_indicator(db, indicator_id)
    if indicator.plan_id != plan_id:
        raise NotFoundError(f"指标“{indicator.name}”不属于该规划。", "indicator of another plan")
    plan = get_plan(db, plan_id)
    _check_year(plan, year)
    elements = {e.id: e for e in list_elements(db)}
    if not station_computable(indicator, elements):
        return []
    district = default_district(db, plan_id)
    tol = get_tolerance(db) if tolerance is None else tolerance
    intensive = _size_free(indicator, elements)
    result = []
    stations = reporting_units(db, district.id, str(year))
    own = _OwnValues(db, [s.id for s in stations])
    for station in stations:
        values = _Values(db, station, elements, own)
        judged = _evaluate(indicator, values, plan, year, tol,
                           _judgements(db, plan_id, station.id, year))
        if not intensive:
            judged = _unclassified(judged, SUM_NOTE)
        result.append(judged)
    return result


#: Why a station's share of a district total is shown but not judged.
SUM_NOTE = "各所数值相加才是全区数值，不按全区目标评价单个所"


def _size_free(indicator: Indicator, elements: Mapping[int, DataElement]) -> bool:
    """Whether the indicator's value does not grow with the unit's size (a ratio, an average),
    so that a station can be judged against the district's targets."""
    return indicator.is_formula or (
        indicator.numerator_id is not None and indicator.numerator_id in elements
        and elements[indicator.numerator_id].aggregation.value in ("average", "min", "max"))


def _unclassified(evaluation: Evaluation, note: str) -> Evaluation:
    from dataclasses import replace

    return replace(evaluation, progress_class=None, warning=Light.NONE, progress=None,
                   expected_value=None, note=note)


def indicator_trend(db: Database, plan_id: int, indicator_id: int, *,
                    unit_id: int | None = None) -> Trend:
    """The indicator from the baseline year to the plan's last year (by its time semantics:
    a cumulative indicator shows its running total, a growth indicator its average growth so
    far), with the baseline-to-target path and the annual targets."""
    indicator = get_indicator(db, indicator_id)
    plan = get_plan(db, plan_id)
    unit = _unit_for(db, plan_id, unit_id)
    values = _Values(db, unit, {e.id: e for e in list_elements(db)})
    baseline, _ = _baseline(indicator, values, plan)
    direction = indicator.direction
    final = target_number(indicator.target, direction, baseline)
    targets = indicator.annual_targets
    if unit.unit_type is UnitType.STATION and not _size_free(indicator, values.elements):
        baseline = final = None  # the district's path and targets are not the station's
        targets = ()
    path = _has_path(indicator, baseline, final)
    span = plan.end_year - plan.baseline_year
    points = []
    for y in range(plan.baseline_year, plan.end_year + 1):
        if y < plan.start_year:
            actual = (None if indicator.time_semantics is TimeSemantics.GROWTH
                      else values.indicator(indicator, y).value)
            if indicator.time_semantics is TimeSemantics.CUMULATIVE:
                actual = 0.0
        else:
            actual = _actual(indicator, values, plan, y).value
        annual = next((a.target for a in targets if a.year == y), None)
        annual_number = target_number(annual, direction, baseline) if annual else None
        expected = (baseline + (y - plan.baseline_year) / span * (final - baseline)
                    if path and baseline is not None and final is not None and span > 0
                    else None)
        points.append(TrendPoint(y, actual, annual_number, expected))
    labels = {TimeSemantics.CUMULATIVE: "规划期累计", TimeSemantics.AVERAGE: "规划期年平均",
              TimeSemantics.GROWTH: "年均增长率"}
    return Trend(indicator, unit.id, unit.name, plan.baseline_year, plan.start_year,
                 plan.end_year, baseline, final, tuple(points),
                 labels.get(indicator.time_semantics, "实际值"))


# warnings ----------------------------------------------------------------------------------

def task_warnings(db: Database, plan_id: int, *, today: date) -> list[WarningItem]:
    """Assigned tasks past their deadline and not completed (red), or within the warning days
    before it (yellow), by the latest progress each unit entered."""
    items = {i.id: i for i in list_plan_items(db, plan_id)}
    latest: dict[tuple[int, int], str] = {}
    for item_id, unit_id, status in db.execute(
            "SELECT t.plan_item_id, t.org_unit_id, t.status FROM task_progress t "
            "JOIN plan_item p ON p.id = t.plan_item_id WHERE p.plan_id = ? "
            "ORDER BY t.updated_at, t.id", [plan_id]):
        latest[(item_id, unit_id)] = status
    days = warn_days(db)
    result = []
    for item_id, unit_id, unit_name, deadline_text in db.execute(
            "SELECT a.plan_item_id, a.org_unit_id, u.name, a.deadline FROM assignment a "
            "JOIN plan_item p ON p.id = a.plan_item_id JOIN org_unit u ON u.id = a.org_unit_id "
            "WHERE p.plan_id = ? AND a.deadline IS NOT NULL AND a.deadline != '' "
            "ORDER BY a.deadline, u.sort_order, u.code", [plan_id]):
        deadline = stored_day(deadline_text)
        status = latest.get((item_id, unit_id))
        lamp = light(deadline, today, done=status == "completed", warn_days=days)
        if lamp not in (Light.RED, Light.YELLOW) or deadline is None:
            continue
        item = items.get(item_id)
        title = (item.title.strip() or item.body.strip()[:40]) if item else str(item_id)
        if lamp is Light.RED:
            detail = f"截止 {deadline.isoformat()}，已逾期 {(today - deadline).days} 天，尚未完成"
        else:
            detail = f"截止 {deadline.isoformat()}，还有 {(deadline - today).days} 天"
        result.append(WarningItem(WarningKind.TASK, lamp, title, unit_id, unit_name, detail,
                                  plan_item_id=item_id, deadline=deadline))
    return result


def indicator_warnings(evaluations: Sequence[Evaluation]) -> list[WarningItem]:
    """The binding indicators with a yellow or red light."""
    result = []
    for e in evaluations:
        if e.warning not in (Light.RED, Light.YELLOW):
            continue
        if e.actual is None:
            detail = f"{e.year}年缺少数据，无法判断进度：{e.note}"
        else:
            detail = f"{e.year}年 {e.actual_text}，{e.class_label}：{e.note}"
        result.append(WarningItem(WarningKind.INDICATOR, e.warning, e.indicator.name,
                                  e.unit_id, e.unit_name, detail, indicator_id=e.indicator.id))
    return result


def warnings(evaluations: Sequence[Evaluation], tasks: Sequence[WarningItem]) -> list[WarningItem]:
    """Indicator and task warnings, red first, indicators before tasks."""
    every = indicator_warnings(evaluations) + list(tasks)
    rank = {Light.RED: 0, Light.YELLOW: 1}
    return sorted(every, key=lambda w: (rank.get(w.light, 2), w.kind != WarningKind.INDICATOR))


def unit_completeness(db: Database, plan_id: int, year: int,
                      district_id: int) -> list[UnitCompleteness]:
    """For each station reporting to the district: how many of the plan's station elements
    have a value for the year (from the year itself or its months, quarters, halves)."""
    elements = {e.id: e for e in list_elements(db)}
    used = {i for ind in list_indicators(db, plan_id)
            for i in (ind.numerator_id, ind.denominator_id) if i is not None}
    station_elements = [i for i in used if i in elements and is_station_element(elements[i])]
    stations = reporting_units(db, district_id, str(year))
    own = unit_values(db, str(year), [s.id for s in stations])
    return [UnitCompleteness(s.id, s.code, s.name,
                             sum(1 for i in station_elements if i in own.get(s.id, {})),
                             len(station_elements)) for s in stations]


def dashboard_job(db: Database, plan_id: int, year: int, *, unit_id: int | None = None,
                  today: date) -> Job[DashboardData]:
    """Everything the dashboard shows for a year: evaluations, warnings, completeness."""
    unit = _unit_for(db, plan_id, unit_id)
    evaluations = yield from _evaluations(db, plan_id, year, unit.id, None)
    yield Progress(len(evaluations), len(evaluations) + 2, "检查任务期限")
    tasks = task_warnings(db, plan_id, today=today)
    if unit.unit_type is UnitType.STATION:
        tasks = [t for t in tasks if t.unit_id == unit.id]
    yield Progress(len(evaluations) + 1, len(evaluations) + 2, "统计报送完整性")
    district = unit if unit.unit_type is not UnitType.STATION else default_district(db, plan_id)
    complete = unit_completeness(db, plan_id, year, district.id) \
        if district.unit_type is UnitType.DISTRICT_BUREAU else []
    if unit.unit_type is UnitType.STATION:
        complete = [c for c in complete if c.unit_id == unit.id]
    return DashboardData(plan_id, year, unit.id, unit.name, get_tolerance(db),
                         tuple(evaluations), tuple(warnings(evaluations, tasks)), tuple(complete))


# the aggregate table (CLI) -----------------------------------------------------------------

@dataclass(frozen=True)
class AggregateRow:
    kind: str  # "element" or "indicator"
    id: int
    code: str
    name: str
    unit: str
    value: float | None
    numerator: float | None
    denominator: float | None
    reported: int
    expected: int
    partial: int
    note: str

    @property
    def completeness(self) -> str:
        return f"{self.reported}/{self.expected}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "code": self.code, "name": self.name,
                "unit": self.unit, "value": self.value, "numerator": self.numerator,
                "denominator": self.denominator, "reported": self.reported,
                "expected": self.expected, "completeness": self.completeness,
                "partial": self.partial, "note": self.note}


@dataclass(frozen=True)
class AggregateTable:
    unit_id: int
    unit_code: str
    unit_name: str
    period: str
    period_label: str
    elements: tuple[AggregateRow, ...]
    indicators: tuple[AggregateRow, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"unit": {"id": self.unit_id, "code": self.unit_code, "name": self.unit_name},
                "period": self.period, "period_label": self.period_label,
                "elements": [r.as_dict() for r in self.elements],
                "indicators": [r.as_dict() for r in self.indicators]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def aggregate_table(db: Database, plan_id: int, period: str, *,
                    unit_id: int | None = None) -> AggregateTable:
    """Every element and indicator of a plan for a unit (default: the plan's district) and a
    period, with value, numerator, denominator and completeness. A station's own figures are
    shown for a station."""
    span = Period.parse(period)
    unit = _unit_for(db, plan_id, unit_id)
    elements = {e.id: e for e in list_elements(db)}
    values = _Values(db, unit, elements)
    if unit.unit_type is UnitType.STATION:
        own = unit_values(db, span.id, [unit.id]).get(unit.id, {})
        aggregated: Mapping[int, AggregatedValue] = {
            i: AggregatedValue(own.get(i), int(i in own), 1) for i in elements}
    else:
        aggregated = district_values(db, span.id, unit.id)
    used = {i for ind in list_indicators(db, plan_id)
            for i in (ind.numerator_id, ind.denominator_id) if i is not None}
    element_rows = []
    for element_id in sorted(used):
        element = elements.get(element_id)
        agg = aggregated.get(element_id)
        if element is None or agg is None:
            continue
        if unit.unit_type is UnitType.STATION and not is_station_element(element):
            continue
        note = "" if agg.value is not None else "无数值"
        if agg.partial:
            note = (note + "；" if note else "") + f"{agg.partial} 个单位只报了部分月份/季度"
        element_rows.append(AggregateRow(
            "element", element.id, element.code, element.name, element.unit, agg.value, None,
            None, agg.reported, agg.expected, agg.partial, note))
    indicator_rows = []
    for indicator in list_indicators(db, plan_id):
        if unit.unit_type is UnitType.STATION and not station_computable(indicator, elements):
            continue
        iv = compute_indicator(indicator, aggregated, values.names)
        reported, expected = values.completeness(indicator, span.id, aggregated)
        parts = [aggregated[i] for i in (indicator.numerator_id, indicator.denominator_id)
                 if i is not None and i in aggregated]
        indicator_rows.append(AggregateRow(
            "indicator", indicator.id, indicator.code, indicator.name, indicator.unit_printed,
            iv.value, iv.numerator, iv.denominator, reported, expected,
            max((p.partial for p in parts), default=0), iv.missing_reason))
    return AggregateTable(unit.id, unit.code, unit.name, span.id, span.label,
                          tuple(element_rows), tuple(indicator_rows))
