"""Organisation units: the tree of city, district bureau, divisions, stations and townships."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from desktop.models.errors import NotFoundError, ValidationError


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
    staff: int | None = None  # people working in the unit (kept for stations)
    premises: str = ""  # office address or premises, as the district records it

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
        # staff and premises exist from migration 0002; older files are read before migrating
        staff=row.get("staff"),
        premises=str(row.get("premises") or ""),
    )


def _require_edit(db: Database, what: str) -> None:
    # imported here: permissions looks units up through this module
    from desktop.models.permissions import Action, require_acting

    require_acting(db, Action.EDIT_PLAN, what=what)


def _named(db: Database, unit_id: int) -> str:
    """“中的单位“名称”” for a refusal message (``不能修改规划中的单位“…”``)."""
    row = db.execute("SELECT name FROM org_unit WHERE id = ?", [unit_id]).fetchone()
    return f"中的单位“{row[0]}”" if row else "中的单位"


def _audit(db: Database, action: str, unit_id: int, *, old: object = None,
           new: object = None) -> None:
    from desktop.models.permissions import record_acting_event

    record_acting_event(db, action, "org_unit", unit_id, old=old, new=new)


def open_between(unit: OrgUnit, first_day: str, last_day: str) -> bool:
    """Whether a unit was open at some time between two ISO dates (both included)."""
    return ((unit.opened_on is None or unit.opened_on <= last_day)
            and (unit.closed_on is None or unit.closed_on >= first_day))


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
    """Insert a unit without the checks of :func:`create_unit` (the demo builder); audited.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, f"中的单位“{name}”")
    cursor = db.execute(
        "INSERT INTO org_unit (code, name, short_name, unit_type, parent_id, sort_order, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [code, name, short_name, unit_type.value, parent_id, sort_order, note],
    )
    unit = get_unit(db, int(cursor.lastrowid or 0))
    _audit(db, "unit.create", unit.id, new={"code": code, "name": name,
                                            "unit_type": unit_type.value,
                                            "parent_id": parent_id})
    return unit


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
    """Record that a station serves a township or street; audited when it is new.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, f"{_named(db, station_id)}服务的镇街")
    if _link(db, station_id, township_id):
        _audit(db, "unit.link_township", station_id, new={"township_id": township_id})


def _link(db: Database, station_id: int, township_id: int) -> bool:
    cursor = db.execute(
        "INSERT OR IGNORE INTO station_township (station_id, township_id) VALUES (?, ?)",
        [station_id, township_id],
    )
    return bool(cursor.rowcount)


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


#: Fields :func:`update_unit` may change.
UNIT_FIELDS = ("code", "name", "short_name", "unit_type", "parent_id", "sort_order", "opened_on",
               "closed_on", "note", "staff", "premises")


def unit_type_from_label(text: str) -> UnitType | None:
    """The unit type named by its Chinese label (``市场监管所``) or its code (``station``)."""
    wanted = text.strip()
    for unit_type, label in UNIT_TYPE_LABELS.items():
        if wanted in (label, unit_type.value):
            return unit_type
    return None


def _record(unit: OrgUnit) -> dict[str, Any]:
    data = asdict(unit)
    data["unit_type"] = unit.unit_type.value
    return data


def _check_date(value: object, label: str, unit_name: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError(
            f"单位“{unit_name}”的{label}“{value}”不是有效日期，请写成 2021-01-01 的形式。",
            f"bad date {value!r}") from None


def _descendant_ids(db: Database, unit_id: int) -> set[int]:
    rows = db.execute(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM org_unit WHERE parent_id = ? "
        "UNION SELECT u.id FROM org_unit u JOIN sub ON u.parent_id = sub.id) SELECT id FROM sub",
        [unit_id]).fetchall()
    return {int(r[0]) for r in rows}


def _checked(db: Database, unit_id: int | None, label: str, new: dict[str, Any]) -> dict[str, Any]:
    """The column values of a unit after checking every rule; ``unit_id`` is None for a new one."""
    name = str(new["name"]).strip()
    if not name:
        raise ValidationError(f"单位“{label}”的名称不能为空。", "empty unit name")
    code = str(new["code"]).strip()
    if not code:
        raise ValidationError(f"单位“{name}”的代码不能为空。", "empty unit code")
    other = db.execute("SELECT name FROM org_unit WHERE code = ? AND id IS NOT ?",
                       [code, unit_id]).fetchone()
    if other:
        raise ValidationError(f"代码“{code}”已被单位“{other[0]}”使用，请换一个代码。",
                              f"duplicate unit code {code}")
    unit_type = (new["unit_type"] if isinstance(new["unit_type"], UnitType)
                 else unit_type_from_label(str(new["unit_type"])))
    if unit_type is None:
        raise ValidationError(f"单位“{name}”的类型“{new['unit_type']}”无法识别。",
                              f"bad unit type {new['unit_type']!r}")
    parent_id = new["parent_id"]
    if parent_id is not None:
        parent = get_unit(db, int(parent_id))
        if unit_id is not None and (
                parent.id == unit_id or parent.id in _descendant_ids(db, unit_id)):
            raise ValidationError(
                f"不能把“{parent.name}”设为“{label}”的上级：“{parent.name}”是它自己"
                "或它的下级单位，单位树不能成环。",
                f"cycle: unit {unit_id} under {parent.id}")
    staff = new["staff"]
    if staff is not None and (isinstance(staff, bool) or not isinstance(staff, int)
                              or staff < 0):
        raise ValidationError(f"单位“{name}”的人员数“{staff}”应为不小于 0 的整数。",
                              f"bad staff {staff!r}")
    opened = _check_date(new["opened_on"], "启用日期", name)
    closed = _check_date(new["closed_on"], "撤销日期", name)
    if opened and closed and closed < opened:
        raise ValidationError(f"单位“{name}”的撤销日期 {closed} 早于启用日期 {opened}。",
                              "closed before opened")
    return {
        "code": code, "name": name, "short_name": str(new["short_name"]).strip(),
        "unit_type": unit_type.value, "parent_id": parent_id,
        "sort_order": int(new["sort_order"]), "opened_on": opened, "closed_on": closed,
        "note": str(new["note"]), "staff": staff, "premises": str(new["premises"]),
    }


def create_unit(db: Database, code: str, name: str, unit_type: UnitType | str,
                **fields: Any) -> OrgUnit:
    """Insert a unit after checking the same rules as :func:`update_unit`, and record it.

    Raises:
        NotFoundError: the parent does not exist.
        ValidationError: see :func:`update_unit`.
        TypeError: a field is not one of :data:`UNIT_FIELDS`.
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, f"中的单位“{name}”")
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"not unit fields: {sorted(unknown)}")
    defaults: dict[str, Any] = {
        "short_name": "", "parent_id": None, "sort_order": 0, "opened_on": None,
        "closed_on": None, "note": "", "staff": None, "premises": ""}
    values = _checked(db, None, name, defaults | fields | {
        "code": code, "name": name, "unit_type": unit_type})
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = db.execute(f"INSERT INTO org_unit ({columns}) VALUES ({marks})",
                        list(values.values()))
    unit = get_unit(db, int(cursor.lastrowid or 0))
    _audit(db, "unit.create", unit.id, new=_record(unit))
    return unit


def update_unit(db: Database, unit_id: int, **fields: Any) -> OrgUnit:
    """Change some fields of a unit and record the change in the audit trail.

    Raises:
        NotFoundError: the unit or the new parent does not exist.
        ValidationError: an empty name or code, a code already used, an unknown type, a parent
            that is the unit itself or one of its descendants, a staff count that is not a
            whole number ≥ 0, or dates that are invalid or out of order.
        TypeError: a field is not one of :data:`UNIT_FIELDS`.
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, _named(db, unit_id))
    current = get_unit(db, unit_id)
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"not unit fields: {sorted(unknown)}")
    old = _record(current)
    values = _checked(db, unit_id, current.name, old | fields)
    changed = {k: v for k, v in values.items() if old[k] != v}
    if not changed:
        return current
    assignments = ", ".join(f"{column} = ?" for column in changed)
    db.execute(f"UPDATE org_unit SET {assignments} WHERE id = ?", [*changed.values(), unit_id])
    _audit(db, "unit.update", unit_id, old={k: old[k] for k in changed}, new=changed)
    return get_unit(db, unit_id)


#: What may still refer to a unit, as (Chinese label, measure word, SQL counting the references).
_UNIT_USES = (
    ("下级单位", "个", "SELECT count(*) FROM org_unit WHERE parent_id = ?"),
    ("填报数值", "条", "SELECT count(*) FROM data_value WHERE org_unit_id = ?"),
    ("任务分工", "项", "SELECT count(*) FROM assignment WHERE org_unit_id = ?"),
    ("指标责任", "项", "SELECT count(*) FROM indicator_unit WHERE org_unit_id = ?"),
    ("报送记录", "份", "SELECT count(*) FROM submission WHERE org_unit_id = ?"),
    ("任务进展", "条", "SELECT count(*) FROM task_progress WHERE org_unit_id = ?"),
    ("用户", "个", "SELECT count(*) FROM app_user WHERE org_unit_id = ?"),
    ("规划（编制单位）", "个", "SELECT count(*) FROM plan WHERE owner_unit_id = ?"),
)


@dataclass(frozen=True)
class UnitUse:
    """One kind of record that still refers to a unit, and how many there are."""

    label: str
    count: int
    measure: str

    def __str__(self) -> str:
        return f"{self.label} {self.count} {self.measure}"


def unit_uses(db: Database, unit_id: int) -> list[UnitUse]:
    """The kinds of records that still refer to a unit (only kinds with any)."""
    uses = []
    for label, measure, sql in _UNIT_USES:
        count = int(db.execute(sql, [unit_id]).fetchone()[0])
        if count:
            uses.append(UnitUse(label, count, measure))
    return uses


def delete_unit(db: Database, unit_id: int) -> None:
    """Delete a unit that nothing refers to any more; its station–township links go with it.

    Raises:
        NotFoundError: there is no such unit.
        ValidationError: child units, values, assignments, submissions, progress reports,
            users or plans still refer to it (the message lists them).
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, _named(db, unit_id))
    unit = get_unit(db, unit_id)
    uses = unit_uses(db, unit_id)
    if uses:
        parts = [str(use) for use in uses]
        if uses[0].label == "下级单位":
            children = [r[0] for r in db.execute(
                "SELECT name FROM org_unit WHERE parent_id = ? ORDER BY sort_order, id LIMIT 3",
                [unit_id])]
            parts[0] += f"（{'、'.join(children)}{'等' if uses[0].count > 3 else ''}）"
        raise ValidationError(
            f"不能删除单位“{unit.name}”：仍有{'、'.join(parts)}使用它。"
            "请先移走或删除这些记录；已撤销的单位可以填写撤销日期而保留。",
            f"unit {unit_id} in use: {[(u.label, u.count) for u in uses]}")
    links = [r[0] for r in db.execute(
        "SELECT township_id FROM station_township WHERE station_id = ? "
        "UNION SELECT station_id FROM station_township WHERE township_id = ?",
        [unit_id, unit_id])]
    db.execute("DELETE FROM org_unit WHERE id = ?", [unit_id])
    _audit(db, "unit.delete", unit_id, old=_record(unit) | {"linked_units": sorted(links)})


def set_townships(db: Database, station_id: int, township_ids: Iterable[int]) -> list[OrgUnit]:
    """Replace the townships and streets a station serves; returns them in tree order.

    A township is served by one station: one given here that another station served is
    moved to this station (the audit trail records from where).

    Raises:
        NotFoundError: a unit does not exist.
        ValidationError: the station is not a 市场监管所, or a unit given is not a 镇街.
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, f"{_named(db, station_id)}服务的镇街")
    station = get_unit(db, station_id)
    if station.unit_type is not UnitType.STATION:
        raise ValidationError(
            f"“{station.name}”不是市场监管所（而是{station.unit_type.label}），不能设置服务镇街。",
            f"unit {station_id} is {station.unit_type}")
    wanted: list[int] = []
    for township_id in township_ids:
        township = get_unit(db, township_id)
        if township.unit_type is not UnitType.TOWNSHIP:
            raise ValidationError(
                f"“{township.name}”不是镇街（而是{township.unit_type.label}），"
                f"不能作为“{station.name}”服务的镇街。",
                f"unit {township_id} is {township.unit_type}")
        if township.id not in wanted:
            wanted.append(township.id)
    old = sorted(r[0] for r in db.execute(
        "SELECT township_id FROM station_township WHERE station_id = ?", [station_id]))
    moved = {r[0]: r[1] for r in db.execute(
        f"SELECT township_id, station_id FROM station_township WHERE station_id != ? "
        f"AND township_id IN ({', '.join('?' * len(wanted))})", [station_id, *wanted])
    } if wanted else {}
    if old != sorted(wanted) or moved:
        db.execute("DELETE FROM station_township WHERE station_id = ?", [station_id])
        for township_id, previous in moved.items():
            db.execute("DELETE FROM station_township WHERE station_id = ? AND township_id = ?",
                       [previous, township_id])
        for township_id in wanted:
            _link(db, station_id, township_id)
        new: object = sorted(wanted)
        if moved:
            new = {"townships": sorted(wanted),
                   "moved_from": {str(t): s for t, s in sorted(moved.items())}}
        _audit(db, "unit.townships", station_id, old=old, new=new)
    return townships_served(db).get(station_id, [])


def unlink_station_township(db: Database, station_id: int, township_id: int) -> bool:
    """Record that a station no longer serves a township; ``False`` when it did not.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    _require_edit(db, f"{_named(db, station_id)}服务的镇街")
    cursor = db.execute(
        "DELETE FROM station_township WHERE station_id = ? AND township_id = ?",
        [station_id, township_id])
    if not cursor.rowcount:
        return False
    _audit(db, "unit.unlink_township", station_id, old={"township_id": township_id})
    return True


def _squeeze(text: str) -> str:
    """The text without any whitespace (ASCII, NBSP, U+3000), for tolerant name matching."""
    return "".join(text.split())


def find_units_by_name(db: Database, name: str) -> list[OrgUnit]:
    """Units a user may mean by ``name``: the best tier of matches, possibly several.

    Tiers, first non-empty wins: exact name; exact 简称; name or 简称 ignoring spaces.
    """
    wanted = name.strip()
    if not wanted:
        return []
    units = list_units(db)
    squeezed = _squeeze(wanted)
    for test in (
        lambda u: u.name == wanted,
        lambda u: u.short_name == wanted,
        lambda u: squeezed in (_squeeze(u.name), _squeeze(u.short_name)),
    ):
        found = [u for u in units if test(u)]
        if found:
            return found
    return []


def find_unit_by_name(db: Database, name: str) -> OrgUnit | None:
    """The unit named ``name`` (its name or 简称; spaces ignored), or ``None``.

    Raises:
        ValidationError: several units answer to the name equally well.
    """
    found = find_units_by_name(db, name)
    if len(found) > 1:
        codes = "、".join(f"{u.name}（代码 {u.code}）" for u in found)
        raise ValidationError(f"名称“{name.strip()}”对应多个单位：{codes}，请改用全称或代码。",
                              f"ambiguous unit name {name!r}")
    return found[0] if found else None
