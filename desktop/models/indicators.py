"""Data elements (raw reported figures) and plan indicators (printed targets over formulas)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.permissions import Action, record_acting_event, require_acting
from desktop.models.printed import Comparator, PrintedValue, ValueKind, parse_printed, with_unit


class ValueType(StrEnum):
    INTEGER = "integer"
    NUMBER = "number"
    PERCENTAGE = "percentage"
    TEXT = "text"
    BOOLEAN = "boolean"


class Aggregation(StrEnum):
    """How an element adds up across the unit tree."""

    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    MIN = "min"
    MAX = "max"
    NONE = "none"  # entered once at the level it applies to; never rolled up


class TimeAggregation(StrEnum):
    """How an element's values for the parts of a period make up the period's value."""

    SUM = "sum"  # an amount in the period (flow): the months add up
    LAST = "last"  # a count at the period's end (stock): the value at the last day
    AVERAGE = "average"  # a score or rate reported each part: the mean of the parts

    @property
    def label(self) -> str:
        return TIME_AGGREGATION_LABELS[self]


TIME_AGGREGATION_LABELS = {
    TimeAggregation.SUM: "期内累加（流量）",
    TimeAggregation.LAST: "取期末值（存量）",
    TimeAggregation.AVERAGE: "期内平均",
}


class EntryLevel(StrEnum):
    STATION = "station"
    DISTRICT = "district"


class Attribute(StrEnum):
    BINDING = "binding"
    EXPECTED = "expected"

    @property
    def label(self) -> str:
        return "约束性" if self is Attribute.BINDING else "预期性"

    @classmethod
    def from_label(cls, text: str) -> Attribute:
        return cls.BINDING if "约束" in text else cls.EXPECTED


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"

    @property
    def label(self) -> str:
        return "越高越好" if self is Direction.UP else "越低越好"


class TimeSemantics(StrEnum):
    """How an indicator's values over the years make up the value checked against the target."""

    STOCK = "stock"  # the value at the end of the period (year-end count)
    FLOW = "flow"  # the period's own value (a yearly amount or a yearly rate)
    CUMULATIVE = "cumulative"  # summed since the plan's first year ("新增")
    AVERAGE = "average"  # average of the plan's years so far
    GROWTH = "growth"  # average annual growth from the baseline year's value

    @property
    def label(self) -> str:
        return TIME_SEMANTICS_LABELS[self]


TIME_SEMANTICS_LABELS = {
    TimeSemantics.STOCK: "期末存量",
    TimeSemantics.FLOW: "当期流量",
    TimeSemantics.CUMULATIVE: "规划期累计",
    TimeSemantics.AVERAGE: "年平均值",
    TimeSemantics.GROWTH: "年均增长",
}


class Origin(StrEnum):
    """Where an indicator came from."""

    TABLE = "table"  # an indicator table (专栏) of the plan's document
    SENTENCE = "sentence"  # a target written in a sentence of the plan
    WORKBOOK = "workbook"  # a workbook (indicator table or plan workbook)
    MANUAL = "manual"  # typed in by a user
    DEMO = "demo"

    @property
    def label(self) -> str:
        return {"table": "指标表", "sentence": "正文语句", "workbook": "工作簿",
                "manual": "手工录入", "demo": "演示"}[self.value]


class TargetType(StrEnum):
    """What kind of target an indicator sets (chosen when it is made from a sentence)."""

    LEVEL = "level"  # a level to reach (总量、数量)
    RATE = "rate"  # a percentage or rate (合格率、比例)
    PER_CAPITA = "per_capita"  # per 1,000 / 10,000 people or units
    ANNUAL_FLOW = "annual_flow"  # an amount each year
    CUMULATIVE = "cumulative"  # added up over the plan period (新增、累计)
    GROWTH = "growth"  # an average growth rate
    RANGE = "range"  # between two values (4-5家)
    MULTIPLE = "multiple"  # a multiple of the baseline (翻番)
    BREAKTHROUGH = "breakthrough"  # from zero to at least one (零突破)
    ZERO_EVENT = "zero_event"  # no event of a kind (不发生…事故)
    RANKING = "ranking"  # a rank among peers (全市前列)
    QUALITATIVE = "qualitative"  # a state judged by the reviewer (基本建成)

    @property
    def label(self) -> str:
        return TARGET_TYPE_LABELS[self]


TARGET_TYPE_LABELS = {
    TargetType.LEVEL: "水平值", TargetType.RATE: "比率", TargetType.PER_CAPITA: "人均/千人/万人",
    TargetType.ANNUAL_FLOW: "年度量", TargetType.CUMULATIVE: "累计量", TargetType.GROWTH: "增长率",
    TargetType.RANGE: "区间", TargetType.MULTIPLE: "倍数（翻番）",
    TargetType.BREAKTHROUGH: "零突破", TargetType.ZERO_EVENT: "零事件（不发生）",
    TargetType.RANKING: "排名",
    TargetType.QUALITATIVE: "定性",
}


@dataclass(frozen=True)
class DataElement:
    """A raw figure a unit reports, such as the number of market entities."""

    id: int
    code: str
    name: str
    value_type: ValueType
    aggregation: Aggregation
    entry_level: EntryLevel
    unit: str = ""
    unit_scale: float = 1.0
    description: str = ""
    time_aggregation: TimeAggregation = TimeAggregation.LAST


@dataclass(frozen=True)
class AnnualTarget:
    year: int
    target: PrintedValue
    note: str = ""  # why the path is not linear, when it is not


@dataclass(frozen=True)
class Indicator:
    """A plan's indicator exactly as printed, with the semantics needed to evaluate it."""

    id: int
    plan_id: int
    code: str
    seq_printed: str
    sort_order: int
    name_printed: str
    name: str
    category: str
    attribute: Attribute
    unit_printed: str
    unit_canonical: str
    unit_scale: float
    direction: Direction
    time_semantics: TimeSemantics
    numerator_id: int | None
    denominator_id: int | None
    factor: float
    baseline: PrintedValue
    target: PrintedValue
    source_line: int | None = None
    source_text: str = ""
    note: str = ""
    annual_targets: tuple[AnnualTarget, ...] = field(default=())
    origin: Origin = field(default_factory=lambda: Origin.MANUAL)
    target_type: TargetType = field(default_factory=lambda: TargetType.LEVEL)
    source_item_id: int | None = None
    duplicate_of: int | None = None

    @property
    def is_formula(self) -> bool:
        """Whether the indicator is a ratio computed from two elements after aggregation."""
        return self.denominator_id is not None

    def shown(self, value: PrintedValue) -> str:
        """One of the indicator's printed values with its unit when the text has none."""
        return with_unit(value, self.unit_printed)

    def annual_target_shown(self, year: int) -> str:
        """The year's printed target with the indicator's unit; "" when none is set."""
        target = next((a.target for a in self.annual_targets if a.year == year), None)
        return self.shown(target) if target else ""


@dataclass(frozen=True)
class IndicatorSpec:
    """What a caller supplies to create an indicator; printed texts are parsed on insert."""

    code: str
    seq_printed: str
    name_printed: str
    name: str
    category: str
    attribute: Attribute
    baseline_text: str
    target_text: str
    direction: Direction = Direction.UP
    time_semantics: TimeSemantics = TimeSemantics.STOCK
    unit_printed: str = ""
    unit_canonical: str = ""
    unit_scale: float = 1.0
    numerator_id: int | None = None
    denominator_id: int | None = None
    factor: float = 1.0
    source_line: int | None = None
    source_text: str = ""
    note: str = ""
    annual_targets: dict[int, str] = field(default_factory=dict)
    origin: Origin = field(default_factory=lambda: Origin.MANUAL)
    target_type: TargetType = field(default_factory=lambda: TargetType.LEVEL)
    source_item_id: int | None = None


def add_element(
    db: Database,
    code: str,
    name: str,
    *,
    value_type: ValueType = ValueType.INTEGER,
    aggregation: Aggregation = Aggregation.SUM,
    entry_level: EntryLevel = EntryLevel.STATION,
    unit: str = "",
    unit_scale: float = 1.0,
    description: str = "",
    time_aggregation: TimeAggregation | None = None,
) -> DataElement:
    """Insert a data element and return it; audited.

    ``time_aggregation`` defaults to :func:`default_time_aggregation` of the value type.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"中的数据项“{name}”")
    cursor = db.execute(
        "INSERT INTO data_element (code, name, value_type, aggregation, entry_level, unit, "
        "unit_scale, description, time_aggregation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [code, name, value_type.value, aggregation.value, entry_level.value, unit, unit_scale,
         description, (time_aggregation or default_time_aggregation(value_type, unit)).value],
    )
    element = get_element(db, int(cursor.lastrowid or 0))
    record_acting_event(db, "element.create", "data_element", element.id,
                        new={"code": code, "name": name})
    return element


def _element(row: dict[str, Any]) -> DataElement:
    return DataElement(
        id=row["id"], code=row["code"], name=row["name"],
        value_type=ValueType(row["value_type"]), aggregation=Aggregation(row["aggregation"]),
        entry_level=EntryLevel(row["entry_level"]), unit=row["unit"],
        unit_scale=row["unit_scale"], description=row["description"],
        time_aggregation=TimeAggregation(row["time_aggregation"]),
    )


def default_time_aggregation(value_type: ValueType, unit: str = "") -> TimeAggregation:
    """The usual time aggregation of a new element: percentages and scores average, other
    figures are taken at the period's end (a count of what exists). Amounts in a period
    (checks made, complaints received) must be set to ``sum`` by whoever defines them."""
    if value_type is ValueType.PERCENTAGE or unit.strip() in ("%", "分"):
        return TimeAggregation.AVERAGE
    return TimeAggregation.LAST


def get_element(db: Database, element_id: int) -> DataElement:
    rows = list(db.query("SELECT * FROM data_element WHERE id = ?", [element_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {element_id} 的数据项。", f"element {element_id}")
    return _element(rows[0])


def list_elements(db: Database) -> list[DataElement]:
    return [_element(r) for r in db.query("SELECT * FROM data_element ORDER BY id")]


def add_indicator(db: Database, plan_id: int, sort_order: int, spec: IndicatorSpec) -> Indicator:
    """Insert an indicator for a plan, parsing its printed baseline, target and annual targets.

    Audited as ``indicator.create``.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"中的指标“{spec.name}”")
    baseline = parse_printed(spec.baseline_text)
    target = parse_printed(spec.target_text)
    cursor = db.execute(
        """INSERT INTO indicator (plan_id, code, seq_printed, sort_order, name_printed, name,
        category, attribute, unit_printed, unit_canonical, unit_scale, direction, time_semantics,
        numerator_id, denominator_id, factor,
        baseline_text, baseline_comparator, baseline_value, baseline_upper, baseline_kind,
        target_text, target_comparator, target_value, target_upper, target_kind,
        source_line, source_text, note, origin, target_type, source_item_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
        ?, ?, ?, ?, ?)""",
        [plan_id, spec.code, spec.seq_printed, sort_order, spec.name_printed, spec.name,
         spec.category, spec.attribute.value, spec.unit_printed, spec.unit_canonical,
         spec.unit_scale, spec.direction.value, spec.time_semantics.value,
         spec.numerator_id, spec.denominator_id, spec.factor,
         *_printed_columns(baseline), *_printed_columns(target),
         spec.source_line, spec.source_text, spec.note, spec.origin.value,
         spec.target_type.value, spec.source_item_id],
    )
    indicator_id = int(cursor.lastrowid or 0)
    _write_annual_targets(db, indicator_id, spec.annual_targets, {})
    record_acting_event(db, "indicator.create", "indicator", indicator_id,
                        new={"plan_id": plan_id, "code": spec.code, "name": spec.name,
                             "target": spec.target_text})
    return get_indicator(db, indicator_id)


def _indicator_label(db: Database, indicator_id: int) -> str:
    """“中的指标“名称”” for a refusal message (``不能修改规划中的指标“…”``)."""
    row = db.execute("SELECT name FROM indicator WHERE id = ?", [indicator_id]).fetchone()
    return f"中的指标“{row[0]}”" if row else "中的指标"


def _indicator_key(db: Database, indicator_id: int) -> dict[str, object]:
    """What names an indicator in the audit trail: its plan, code and name."""
    row = db.execute("SELECT plan_id, code, name FROM indicator WHERE id = ?",
                     [indicator_id]).fetchone()
    return {"plan_id": row[0], "code": row[1], "name": row[2]} if row else {}


def set_annual_targets(db: Database, indicator_id: int, targets: dict[int, str],
                       notes: dict[int, str] | None = None) -> None:
    """Replace an indicator's annual targets with ``{year: printed text}`` (and notes).

    Audited as ``indicator.annual_targets`` when they change.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"{_indicator_label(db, indicator_id)}的年度目标")
    notes = notes or {}
    old = {str(r[0]): [r[1], r[2]] for r in db.execute(
        "SELECT year, target_text, note FROM indicator_annual_target WHERE indicator_id = ? "
        "ORDER BY year", [indicator_id])}
    new = {str(year): [text, notes.get(year, "")] for year, text in sorted(targets.items())}
    if old == new:
        return
    _write_annual_targets(db, indicator_id, targets, notes)
    record_acting_event(db, "indicator.annual_targets", "indicator", indicator_id,
                        old=old, new=_indicator_key(db, indicator_id) | {"targets": new})


def _write_annual_targets(db: Database, indicator_id: int, targets: dict[int, str],
                          notes: dict[int, str]) -> None:
    db.execute("DELETE FROM indicator_annual_target WHERE indicator_id = ?", [indicator_id])
    for year, text in sorted(targets.items()):
        parsed = parse_printed(text)
        db.execute(
            "INSERT INTO indicator_annual_target (indicator_id, year, target_text, comparator, "
            "value, upper, kind, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [indicator_id, year, *_printed_columns(parsed), notes.get(year, "")],
        )


def _printed_columns(value: PrintedValue) -> tuple[object, ...]:
    comparator = value.comparator.value if value.comparator is not None else None
    return (value.text, comparator, value.value, value.upper, value.kind.value)


def _printed(text: str, comparator: str | None, value: float | None, upper: float | None,
             kind: str) -> PrintedValue:
    """Rebuild a printed value from its stored columns; unit and percent come from the text."""
    parsed = parse_printed(text)
    return PrintedValue(
        text=text, kind=ValueKind(kind),
        comparator=Comparator(comparator) if comparator is not None else None,
        value=value, upper=upper, unit=parsed.unit, percent=parsed.percent,
    )


def _indicator(row: dict[str, Any], annual: Iterable[dict[str, Any]]) -> Indicator:
    return Indicator(
        id=row["id"], plan_id=row["plan_id"], code=row["code"], seq_printed=row["seq_printed"],
        sort_order=row["sort_order"], name_printed=row["name_printed"], name=row["name"],
        category=row["category"], attribute=Attribute(row["attribute"]),
        unit_printed=row["unit_printed"], unit_canonical=row["unit_canonical"],
        unit_scale=row["unit_scale"], direction=Direction(row["direction"]),
        time_semantics=TimeSemantics(row["time_semantics"]),
        numerator_id=row["numerator_id"], denominator_id=row["denominator_id"],
        factor=row["factor"],
        baseline=_printed(row["baseline_text"], row["baseline_comparator"],
                          row["baseline_value"], row["baseline_upper"], row["baseline_kind"]),
        target=_printed(row["target_text"], row["target_comparator"], row["target_value"],
                        row["target_upper"], row["target_kind"]),
        source_line=row["source_line"], source_text=row["source_text"], note=row["note"],
        annual_targets=tuple(
            AnnualTarget(a["year"], _printed(a["target_text"], a["comparator"], a["value"],
                                             a["upper"], a["kind"]), a["note"])
            for a in annual
        ),
        origin=Origin(row["origin"]), target_type=TargetType(row["target_type"]),
        source_item_id=row["source_item_id"], duplicate_of=row["duplicate_of"],
    )


def get_indicator(db: Database, indicator_id: int) -> Indicator:
    rows = list(db.query("SELECT * FROM indicator WHERE id = ?", [indicator_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {indicator_id} 的指标。", f"indicator {indicator_id}")
    annual = db.query(
        "SELECT * FROM indicator_annual_target WHERE indicator_id = ? ORDER BY year",
        [indicator_id])
    return _indicator(rows[0], annual)


def list_indicators(db: Database, plan_id: int) -> list[Indicator]:
    """A plan's indicators in printed order, with their annual targets."""
    annual: dict[int, list[dict[str, Any]]] = {}
    for row in db.query(
        "SELECT a.* FROM indicator_annual_target a JOIN indicator i ON i.id = a.indicator_id "
        "WHERE i.plan_id = ? ORDER BY a.year", [plan_id]
    ):
        annual.setdefault(row["indicator_id"], []).append(row)
    return [
        _indicator(row, annual.get(row["id"], []))
        for row in db.query(
            "SELECT * FROM indicator WHERE plan_id = ? ORDER BY sort_order, id", [plan_id])
    ]


#: Columns a caller may change with :func:`update_indicator`; printed texts are re-parsed.
_EDITABLE = frozenset({
    "seq_printed", "sort_order", "name_printed", "name", "category", "attribute", "unit_printed",
    "unit_canonical", "unit_scale", "direction", "time_semantics", "numerator_id",
    "denominator_id", "factor", "baseline_text", "target_text", "source_line", "source_text",
    "note", "origin", "target_type", "source_item_id", "duplicate_of",
})


def update_indicator(db: Database, indicator_id: int, **changes: Any) -> Indicator:
    """Change some fields of an indicator; a new baseline or target text is parsed again.

    Audited as ``indicator.update`` with the fields that changed, old and new.

    Raises:
        NotFoundError: there is no such indicator.
        TypeError: a field is not editable.
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_indicator_label(db, indicator_id))
    get_indicator(db, indicator_id)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    row = next(db.query("SELECT * FROM indicator WHERE id = ?", [indicator_id]))
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    for key, value in changes.items():
        plain = value.value if isinstance(value, StrEnum) else value
        if row[key] == plain:
            continue
        old[key], new[key] = row[key], plain
        if key in ("baseline_text", "target_text"):
            prefix = key.removesuffix("_text")
            text, comparator, number, upper, kind = _printed_columns(parse_printed(value))
            columns.update({f"{prefix}_text": text, f"{prefix}_comparator": comparator,
                            f"{prefix}_value": number, f"{prefix}_upper": upper,
                            f"{prefix}_kind": kind})
        else:
            columns[key] = plain
    if columns:
        assignments = ", ".join(f"{c} = ?" for c in columns)
        db.execute(f"UPDATE indicator SET {assignments} WHERE id = ?",
                   [*columns.values(), indicator_id])
        record_acting_event(db, "indicator.update", "indicator", indicator_id,
                            old=_indicator_key(db, indicator_id) | old, new=new)
    return get_indicator(db, indicator_id)


def delete_indicator(db: Database, indicator_id: int) -> None:
    """Delete an indicator (its annual targets and units go with it); audited.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_indicator_label(db, indicator_id))
    key = _indicator_key(db, indicator_id)
    if not key:
        return
    db.execute("UPDATE indicator SET duplicate_of = NULL WHERE duplicate_of = ?", [indicator_id])
    db.execute("DELETE FROM indicator WHERE id = ?", [indicator_id])
    record_acting_event(db, "indicator.delete", "indicator", indicator_id, old=key)


def find_indicator(db: Database, plan_id: int, *, code: str | None = None,
                   name: str | None = None) -> Indicator | None:
    """The plan's indicator with this code, or else with this name (spaces ignored)."""
    if code is not None:
        row = db.execute("SELECT id FROM indicator WHERE plan_id = ? AND code = ?",
                         [plan_id, code]).fetchone()
        if row:
            return get_indicator(db, row[0])
    if name is not None:
        wanted = "".join(name.split())
        for row in db.execute("SELECT id, name FROM indicator WHERE plan_id = ?", [plan_id]):
            if "".join(row[1].split()) == wanted:
                return get_indicator(db, row[0])
    return None


def upsert_indicator(db: Database, plan_id: int, spec: IndicatorSpec) -> tuple[Indicator, str]:
    """Create the indicator, or update the one with the same code (or name) in the plan.

    Returns:
        The indicator and what happened: ``"created"``, ``"updated"`` or ``"unchanged"``.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"中的指标“{spec.name}”")
    existing = find_indicator(db, plan_id, code=spec.code, name=spec.name)
    if existing is None:
        return add_indicator(db, plan_id, next_indicator_order(db, plan_id), spec), "created"
    changes = {
        key: getattr(spec, key) for key in (
            "seq_printed", "name_printed", "name", "category", "attribute", "unit_printed",
            "unit_canonical", "unit_scale", "direction", "time_semantics", "factor",
            "baseline_text", "target_text", "source_line", "source_text", "origin",
            "target_type")
    }
    current = {
        "seq_printed": existing.seq_printed, "name_printed": existing.name_printed,
        "name": existing.name, "category": existing.category, "attribute": existing.attribute,
        "unit_printed": existing.unit_printed, "unit_canonical": existing.unit_canonical,
        "unit_scale": existing.unit_scale, "direction": existing.direction,
        "time_semantics": existing.time_semantics, "factor": existing.factor,
        "baseline_text": existing.baseline.text, "target_text": existing.target.text,
        "source_line": existing.source_line, "source_text": existing.source_text,
        "origin": existing.origin, "target_type": existing.target_type,
    }
    for key in ("numerator_id", "denominator_id", "source_item_id"):
        if getattr(spec, key) is not None:
            changes[key] = getattr(spec, key)
            current[key] = getattr(existing, key)
    differing = {k: v for k, v in changes.items() if current.get(k) != v}
    if spec.annual_targets:
        old = {a.year: a.target.text for a in existing.annual_targets}
        if old != spec.annual_targets:
            set_annual_targets(db, existing.id, spec.annual_targets)
            differing.setdefault("annual_targets", spec.annual_targets)
    if not differing:
        return existing, "unchanged"
    differing.pop("annual_targets", None)
    return update_indicator(db, existing.id, **differing), "updated"


def propose_annual_targets(baseline: str, target: str, start: int, end: int,
                           time_semantics: TimeSemantics = TimeSemantics.STOCK) -> dict[int, str]:
    """Annual targets proposed from the baseline, the final target and the time semantics.

    A level (stock, flow, average, growth) moves evenly from the baseline to the target, the last
    year as printed; a cumulative target is shared evenly between the years as a running total.
    A target printed with a comparator (``>4``), a range, a placeholder baseline or a text target
    keeps the printed text every year. Users edit every year afterwards.
    """
    base, final = parse_printed(baseline), parse_printed(target)
    years = list(range(start, end + 1))
    numeric_target = final.kind is ValueKind.NUMBER and final.comparator is Comparator.EQ
    if time_semantics is TimeSemantics.CUMULATIVE and numeric_target and final.value is not None:
        step = final.value / len(years)
        return {y: (target if y == end else _format_like(step * i, target))
                for i, y in enumerate(years, start=1)}
    if not numeric_target or base.value is None or final.value is None or base.placeholder:
        return dict.fromkeys(years, target)
    result: dict[int, str] = {}
    for index, year in enumerate(years, start=1):
        value = base.value + (final.value - base.value) * index / len(years)
        result[year] = target if year == end else _format_like(
            value, target, extra=abs(final.value - base.value) < len(years))
    return result


def _format_like(value: float, printed: str, *, extra: bool = False) -> str:
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    if extra:
        decimals = max(decimals, 1)
    return f"{value:.{decimals}f}"


def set_indicator_units(db: Database, indicator_id: int, units: dict[int, str]) -> None:
    """Replace the units responsible for an indicator: ``{unit id: 'lead' | 'cooperate'}``.

    Audited as ``indicator.units`` when they change.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"{_indicator_label(db, indicator_id)}的责任单位")
    old = indicator_units(db, indicator_id)
    if old == units:
        return
    db.execute("DELETE FROM indicator_unit WHERE indicator_id = ?", [indicator_id])
    for unit_id, role in units.items():
        db.execute("INSERT INTO indicator_unit (indicator_id, org_unit_id, role) "
                   "VALUES (?, ?, ?)", [indicator_id, unit_id, role])
    record_acting_event(db, "indicator.units", "indicator", indicator_id,
                        old={str(u): r for u, r in old.items()},
                        new=_indicator_key(db, indicator_id)
                        | {"units": {str(u): r for u, r in units.items()}})


def indicator_units(db: Database, indicator_id: int) -> dict[int, str]:
    return {r[0]: r[1] for r in db.execute(
        "SELECT org_unit_id, role FROM indicator_unit WHERE indicator_id = ? "
        "ORDER BY role DESC, org_unit_id", [indicator_id])}


def snapshot_indicator(db: Database, indicator_id: int) -> dict[str, Any]:
    """Every stored row of an indicator, to restore it exactly (undo of a delete)."""
    row = next(db.query("SELECT * FROM indicator WHERE id = ?", [indicator_id]), None)
    if row is None:
        raise NotFoundError(f"找不到编号为 {indicator_id} 的指标。", f"indicator {indicator_id}")
    return {
        "indicator": row,
        "annual": list(db.query(
            "SELECT * FROM indicator_annual_target WHERE indicator_id = ?", [indicator_id])),
        "units": list(db.query(
            "SELECT * FROM indicator_unit WHERE indicator_id = ?", [indicator_id])),
        "duplicates": [r[0] for r in db.execute(
            "SELECT id FROM indicator WHERE duplicate_of = ?", [indicator_id])],
    }


def restore_indicator(db: Database, snapshot: dict[str, Any]) -> Indicator:
    """Put back an indicator taken by :func:`snapshot_indicator`, with the same id; audited.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    row = snapshot["indicator"]
    require_acting(db, Action.EDIT_PLAN, what=f"中的指标“{row['name']}”")
    db.execute(f"INSERT INTO indicator ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
               list(row.values()))
    for table, rows in (("indicator_annual_target", snapshot["annual"]),
                        ("indicator_unit", snapshot["units"])):
        for item in rows:
            db.execute(f"INSERT INTO {table} ({', '.join(item)}) "
                       f"VALUES ({', '.join('?' * len(item))})", list(item.values()))
    for duplicate in snapshot["duplicates"]:
        db.execute("UPDATE indicator SET duplicate_of = ? WHERE id = ?", [row["id"], duplicate])
    record_acting_event(db, "indicator.restore", "indicator", row["id"],
                        new=_indicator_key(db, row["id"]))
    return get_indicator(db, row["id"])


def editable_fields(indicator: Indicator) -> dict[str, Any]:
    """The fields of an indicator that :func:`update_indicator` takes, as they are now."""
    return {
        "seq_printed": indicator.seq_printed, "name_printed": indicator.name_printed,
        "name": indicator.name, "category": indicator.category,
        "attribute": indicator.attribute, "unit_printed": indicator.unit_printed,
        "unit_canonical": indicator.unit_canonical, "unit_scale": indicator.unit_scale,
        "direction": indicator.direction, "time_semantics": indicator.time_semantics,
        "numerator_id": indicator.numerator_id, "denominator_id": indicator.denominator_id,
        "factor": indicator.factor, "baseline_text": indicator.baseline.text,
        "target_text": indicator.target.text, "source_line": indicator.source_line,
        "source_text": indicator.source_text, "note": indicator.note,
        "origin": indicator.origin, "target_type": indicator.target_type,
        "source_item_id": indicator.source_item_id, "duplicate_of": indicator.duplicate_of,
    }


def next_indicator_order(db: Database, plan_id: int) -> int:
    """The sort order that places a new indicator after the plan's last one."""
    return int(db.execute("SELECT coalesce(max(sort_order), 0) + 1 FROM indicator "
                          "WHERE plan_id = ?", [plan_id]).fetchone()[0])


def new_indicator_code(db: Database, plan_id: int, prefix: str = "S") -> str:
    """A code not yet used in the plan (``S1``, ``S2`` … for indicators made from sentences)."""
    used = {r[0] for r in db.execute("SELECT code FROM indicator WHERE plan_id = ?", [plan_id])}
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def annual_notes(indicator: Indicator) -> dict[int, str]:
    return {a.year: a.note for a in indicator.annual_targets if a.note}


_ELEMENT_FIELDS = frozenset({"code", "name", "value_type", "aggregation", "entry_level", "unit",
                             "unit_scale", "description", "time_aggregation"})


def update_element(db: Database, element_id: int, **changes: Any) -> DataElement:
    """Change fields of a data element.

    Audited as ``element.update`` with the fields that changed.

    Raises:
        ValidationError: the new code is used by another element.
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_element_label(db, element_id))
    before = get_element(db, element_id)
    unknown = set(changes) - _ELEMENT_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "code" in changes and db.execute(
        "SELECT 1 FROM data_element WHERE code = ? AND id != ?", [changes["code"], element_id]
    ).fetchone():
        raise ValidationError(f"数据项代码“{changes['code']}”已被其他数据项使用，请换一个。",
                              "duplicate element code")
    values = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in changes.items()}
    old = {k: (v.value if isinstance(v, StrEnum) else v)
           for k, v in ((k, getattr(before, k)) for k in values)}
    values = {k: v for k, v in values.items() if old[k] != v}
    if values:
        db.execute(f"UPDATE data_element SET {', '.join(f'{k} = ?' for k in values)} "
                   "WHERE id = ?", [*values.values(), element_id])
        record_acting_event(db, "element.update", "data_element", element_id,
                            old={"code": before.code} | {k: old[k] for k in values},
                            new=values)
    return get_element(db, element_id)


def _element_label(db: Database, element_id: int) -> str:
    row = db.execute("SELECT name FROM data_element WHERE id = ?", [element_id]).fetchone()
    return f"中的数据项“{row[0]}”" if row else "中的数据项"


def element_usage(db: Database, element_id: int) -> tuple[list[str], int]:
    """The names of indicators computed from an element, and how many values it holds."""
    names = [r[0] for r in db.execute(
        "SELECT name FROM indicator WHERE numerator_id = ? OR denominator_id = ? ORDER BY id",
        [element_id, element_id])]
    values = int(db.execute("SELECT count(*) FROM data_value WHERE element_id = ?",
                            [element_id]).fetchone()[0])
    return names, values


def delete_element(db: Database, element_id: int) -> None:
    """Delete an element that no indicator uses and that holds no values.

    Raises:
        ValidationError: it is still used; the message names what uses it.
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_element_label(db, element_id))
    element = get_element(db, element_id)
    names, values = element_usage(db, element_id)
    if names or values:
        uses = []
        if names:
            uses.append(f"指标 {'、'.join(names[:5])}{' 等' if len(names) > 5 else ''}")
        if values:
            uses.append(f"{values} 条已录数值")
        raise ValidationError(
            f"数据项“{element.name}”仍被使用（{'；'.join(uses)}），不能删除。", "element in use")
    db.execute("DELETE FROM data_element WHERE id = ?", [element_id])
    record_acting_event(db, "element.delete", "data_element", element_id,
                        old={"code": element.code, "name": element.name})


def new_element_code(db: Database, prefix: str = "E") -> str:
    used = {r[0] for r in db.execute("SELECT code FROM data_element")}
    n = 1
    while f"{prefix}{n:03d}" in used:
        n += 1
    return f"{prefix}{n:03d}"
