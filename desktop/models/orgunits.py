"""Organisation units: the tree of city, district bureau, divisions, stations and townships."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from desktop.models.errors import NotFoundError


class UnitType(StrEnum):
    CITY = "city"
    DISTRICT_BUREAU = "district_bureau"
    DIVISION = "division"
    STATION = "station"
    TOWNSHIP = "township"
    OUTSIDE_DEPARTMENT = "outside_department"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return UNIT_TYPE_LABELS[self]


UNIT_TYPE_LABELS: dict[UnitType, str] = {
    UnitType.CITY: "市局",
    UnitType.DISTRICT_BUREAU: "区县局",
    UnitType.DIVISION: "科室",
    UnitType.STATION: "市场监管所",
    UnitType.TOWNSHIP: "镇街",
    UnitType.OUTSIDE_DEPARTMENT: "区级部门",
    UnitType.COUNTY: "区县",
}


@dataclass(frozen=True)
class OrgUnit:
    """A unit that reports, reviews or is assessed."""

    id: int
    code: str
    name: str
    unit_type: UnitType
    parent_id: int | None = None
    short_name: str = ""
    sort_order: int = 0
    opened_on: str | None = None
    closed_on: str | None = None
    note: str = ""

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


def _unit(row: dict[str, Any]) -> OrgUnit:
    return OrgUnit(
        id=int(row["id"]),
        code=str(row["code"]),
        name=str(row["name"]),
        unit_type=UnitType(str(row["unit_type"])),
        parent_id=row["parent_id"],
        short_name=str(row["short_name"]),
        sort_order=int(row["sort_order"]),
        opened_on=row["opened_on"],
        closed_on=row["closed_on"],
        note=str(row["note"]),
    )


def add_unit(
    db: Database,
    code: str,
    name: str,
    unit_type: UnitType,
    *,
    parent_id: int | None = None,
    short_name: str = "",
    sort_order: int = 0,
    note: str = "",
) -> OrgUnit:
    """Insert a unit and return it."""
    cursor = db.execute(
        "INSERT INTO org_unit (code, name, short_name, unit_type, parent_id, sort_order, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [code, name, short_name, unit_type.value, parent_id, sort_order, note],
    )
    return get_unit(db, int(cursor.lastrowid or 0))


def get_unit(db: Database, unit_id: int) -> OrgUnit:
    rows = list(db.query("SELECT * FROM org_unit WHERE id = ?", [unit_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {unit_id} 的单位。", f"org_unit {unit_id}")
    return _unit(rows[0])


def get_unit_by_code(db: Database, code: str) -> OrgUnit:
    rows = list(db.query("SELECT * FROM org_unit WHERE code = ?", [code]))
    if not rows:
        raise NotFoundError(f"找不到代码为“{code}”的单位。", f"org_unit code {code}")
    return _unit(rows[0])


def list_units(db: Database, unit_type: UnitType | None = None) -> list[OrgUnit]:
    """All units (or those of one type) in tree order: parents before children, by sort order."""
    sql = "SELECT * FROM org_unit"
    params: list[object] = []
    if unit_type is not None:
        sql += " WHERE unit_type = ?"
        params.append(unit_type.value)
    sql += " ORDER BY sort_order, id"
    return [_unit(r) for r in db.query(sql, params)]


def link_station_township(db: Database, station_id: int, township_id: int) -> None:
    """Record that a station serves a township or street."""
    db.execute(
        "INSERT OR IGNORE INTO station_township (station_id, township_id) VALUES (?, ?)",
        [station_id, township_id],
    )


def townships_served(db: Database) -> dict[int, list[OrgUnit]]:
    """For each station id, the townships and streets it serves."""
    result: dict[int, list[OrgUnit]] = {}
    for row in db.query(
        "SELECT st.station_id AS station_id, u.* FROM station_township st "
        "JOIN org_unit u ON u.id = st.township_id ORDER BY u.sort_order, u.id"
    ):
        station_id = int(row.pop("station_id"))
        result.setdefault(station_id, []).append(_unit(row))
    return result
