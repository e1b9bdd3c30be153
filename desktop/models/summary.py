"""Counts that describe what a database holds (for ``plandesk info`` and the overview page)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlite_utils import Database

from desktop.models.orgunits import UnitType
from desktop.models.store import schema_version


@dataclass(frozen=True)
class DatabaseSummary:
    schema_version: int
    plans: int
    units: int
    units_by_type: dict[str, int] = field(default_factory=dict)
    plan_items: int = 0
    tasks: int = 0
    indicators: int = 0
    data_elements: int = 0
    data_values: int = 0
    users: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PlanSummary:
    plan_items: int
    tasks: int
    boxes: int
    indicators: int
    binding: int
    expected: int
    categories: tuple[str, ...]


def _count(db: Database, sql: str, params: list[object] | None = None) -> int:
    return int(db.execute(sql, params or []).fetchone()[0])


def summarise_database(db: Database) -> DatabaseSummary:
    by_type = {t.value: 0 for t in UnitType}
    for unit_type, n in db.execute(
        "SELECT unit_type, count(*) FROM org_unit GROUP BY unit_type"
    ).fetchall():
        by_type[unit_type] = n
    return DatabaseSummary(
        schema_version=schema_version(db),
        plans=_count(db, "SELECT count(*) FROM plan"),
        units=sum(by_type.values()),
        units_by_type=by_type,
        plan_items=_count(db, "SELECT count(*) FROM plan_item"),
        tasks=_count(db, "SELECT count(*) FROM plan_item WHERE item_type = 'task'"),
        indicators=_count(db, "SELECT count(*) FROM indicator"),
        data_elements=_count(db, "SELECT count(*) FROM data_element"),
        data_values=_count(db, "SELECT count(*) FROM data_value"),
        users=_count(db, "SELECT count(*) FROM app_user"),
    )


def summarise_plan(db: Database, plan_id: int) -> PlanSummary:
    items = dict(db.execute(
        "SELECT item_type, count(*) FROM plan_item WHERE plan_id = ? GROUP BY item_type",
        [plan_id]).fetchall())
    attrs = dict(db.execute(
        "SELECT attribute, count(*) FROM indicator WHERE plan_id = ? GROUP BY attribute",
        [plan_id]).fetchall())
    categories = tuple(r[0] for r in db.execute(
        "SELECT category FROM indicator WHERE plan_id = ? AND category != '' "
        "GROUP BY category ORDER BY min(sort_order)", [plan_id]).fetchall())
    return PlanSummary(
        plan_items=sum(items.values()), tasks=items.get("task", 0), boxes=items.get("box", 0),
        indicators=sum(attrs.values()), binding=attrs.get("binding", 0),
        expected=attrs.get("expected", 0), categories=categories,
    )
