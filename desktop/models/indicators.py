"""Data elements (raw reported figures) and plan indicators (printed targets over formulas)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from desktop.models.errors import NotFoundError
from desktop.models.printed import Comparator, PrintedValue, ValueKind, parse_printed


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


@dataclass(frozen=True)
class AnnualTarget:
    year: int
    target: PrintedValue


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

    @property
    def is_formula(self) -> bool:
        """Whether the indicator is a ratio computed from two elements after aggregation."""
        return self.denominator_id is not None


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
) -> DataElement:
    """Insert a data element and return it."""
    cursor = db.execute(
        "INSERT INTO data_element (code, name, value_type, aggregation, entry_level, unit, "
        "unit_scale, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [code, name, value_type.value, aggregation.value, entry_level.value, unit, unit_scale,
         description],
    )
    return get_element(db, int(cursor.lastrowid or 0))


def _element(row: dict[str, Any]) -> DataElement:
    return DataElement(
        id=row["id"], code=row["code"], name=row["name"],
        value_type=ValueType(row["value_type"]), aggregation=Aggregation(row["aggregation"]),
        entry_level=EntryLevel(row["entry_level"]), unit=row["unit"],
        unit_scale=row["unit_scale"], description=row["description"],
    )


def get_element(db: Database, element_id: int) -> DataElement:
    rows = list(db.query("SELECT * FROM data_element WHERE id = ?", [element_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {element_id} 的数据项。", f"element {element_id}")
    return _element(rows[0])


def list_elements(db: Database) -> list[DataElement]:
    return [_element(r) for r in db.query("SELECT * FROM data_element ORDER BY id")]


def add_indicator(db: Database, plan_id: int, sort_order: int, spec: IndicatorSpec) -> Indicator:
    """Insert an indicator for a plan, parsing its printed baseline, target and annual targets."""
    baseline = parse_printed(spec.baseline_text)
    target = parse_printed(spec.target_text)
    cursor = db.execute(
        """INSERT INTO indicator (plan_id, code, seq_printed, sort_order, name_printed, name,
        category, attribute, unit_printed, unit_canonical, unit_scale, direction, time_semantics,
        numerator_id, denominator_id, factor,
        baseline_text, baseline_comparator, baseline_value, baseline_upper, baseline_kind,
        target_text, target_comparator, target_value, target_upper, target_kind,
        source_line, source_text, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
        ?, ?)""",
        [plan_id, spec.code, spec.seq_printed, sort_order, spec.name_printed, spec.name,
         spec.category, spec.attribute.value, spec.unit_printed, spec.unit_canonical,
         spec.unit_scale, spec.direction.value, spec.time_semantics.value,
         spec.numerator_id, spec.denominator_id, spec.factor,
         *_printed_columns(baseline), *_printed_columns(target),
         spec.source_line, spec.source_text, spec.note],
    )
    indicator_id = int(cursor.lastrowid or 0)
    set_annual_targets(db, indicator_id, spec.annual_targets)
    return get_indicator(db, indicator_id)


def set_annual_targets(db: Database, indicator_id: int, targets: dict[int, str]) -> None:
    """Replace an indicator's annual targets with ``{year: printed text}``."""
    db.execute("DELETE FROM indicator_annual_target WHERE indicator_id = ?", [indicator_id])
    for year, text in sorted(targets.items()):
        parsed = parse_printed(text)
        db.execute(
            "INSERT INTO indicator_annual_target (indicator_id, year, target_text, comparator, "
            "value, upper, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [indicator_id, year, *_printed_columns(parsed)],
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
                                             a["upper"], a["kind"]))
            for a in annual
        ),
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
