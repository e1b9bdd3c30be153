"""Plans, their outline tree (chapters, sections, tasks, 专栏) and task assignments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.permissions import Action, record_acting_event, require_acting


class PlanLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    COUNTY = "county"


class ItemType(StrEnum):
    CHAPTER = "chapter"  # 第X章
    SECTION = "section"  # 第X节
    HEADING = "heading"  # 一、
    SUBHEADING = "subheading"  # (一)
    POINT = "point"  # 1. / 1、
    TASK = "task"  # a task paragraph opened by its lead phrase
    BOX = "box"  # 专栏N
    BOX_ITEM = "box_item"  # a paragraph or ①/01 item inside a 专栏
    PARAGRAPH = "paragraph"  # plain text that is not a task

    @property
    def label(self) -> str:
        return ITEM_TYPE_LABELS[self]


ITEM_TYPE_LABELS = {
    ItemType.CHAPTER: "章", ItemType.SECTION: "节", ItemType.HEADING: "标题",
    ItemType.SUBHEADING: "小标题", ItemType.POINT: "条目", ItemType.TASK: "任务",
    ItemType.BOX: "专栏", ItemType.BOX_ITEM: "专栏事项", ItemType.PARAGRAPH: "段落",
}


class AssignmentRole(StrEnum):
    LEAD = "lead"
    COOPERATE = "cooperate"

    @property
    def label(self) -> str:
        return "牵头" if self is AssignmentRole.LEAD else "配合"


@dataclass(frozen=True)
class Plan:
    """A five-year or special plan with its own period and baseline year."""

    id: int
    code: str
    title: str
    start_year: int
    end_year: int
    baseline_year: int
    short_title: str = ""
    issuer: str = ""
    doc_number: str = ""
    issued_on: str | None = None
    published_on: str | None = None
    level: PlanLevel = PlanLevel.DISTRICT
    kind: str = "main"
    owner_unit_id: int | None = None
    source_name: str = ""
    is_demo: bool = False
    note: str = ""
    source_hash: str = ""

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def period_label(self) -> str:
        return f"{self.start_year}—{self.end_year}年"


@dataclass(frozen=True)
class PlanItem:
    """A node of a plan's outline, with a pointer back to the text it came from."""

    id: int
    plan_id: int
    parent_id: int | None
    sort_order: int
    item_type: ItemType
    level: int
    marker: str
    title: str
    body: str = ""
    source_line: int | None = None
    source_text: str = ""


@dataclass
class OutlineNode:
    """An outline node not yet stored: what an importer builds and a preview can edit."""

    item_type: ItemType
    level: int
    marker: str
    title: str
    body: str = ""
    source_line: int | None = None
    source_text: str = ""
    children: list[OutlineNode] = field(default_factory=list)

    def walk(self) -> Iterable[OutlineNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Assignment:
    """A plan item given to a unit as lead or cooperating unit, with a deadline."""

    id: int
    plan_item_id: int
    org_unit_id: int
    role: AssignmentRole
    deadline: str | None = None
    note: str = ""


_PLAN_COLUMNS = ("code", "title", "short_title", "issuer", "doc_number", "issued_on",
                 "published_on", "level", "kind", "start_year", "end_year", "baseline_year",
                 "owner_unit_id", "source_name", "is_demo", "note", "source_hash")


def create_plan(
    db: Database,
    code: str,
    title: str,
    *,
    start_year: int,
    end_year: int,
    baseline_year: int | None = None,
    **details: Any,
) -> Plan:
    """Insert a plan. ``baseline_year`` defaults to the year before the plan starts.

    Audited as ``plan.create``.

    Raises:
        ValidationError: the years are out of order.
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"（新建规划“{title}”）")
    baseline = start_year - 1 if baseline_year is None else baseline_year
    if not (baseline < start_year <= end_year):
        raise ValidationError(
            f"规划“{title}”的年份不正确：基期年 {baseline} 应早于起始年 {start_year}，"
            f"起始年应不晚于结束年 {end_year}。",
            "bad plan years",
        )
    values: dict[str, Any] = {"code": code, "title": title, "start_year": start_year,
                              "end_year": end_year, "baseline_year": baseline, **details}
    if "level" in values:
        values["level"] = PlanLevel(values["level"]).value
    unknown = set(values) - set(_PLAN_COLUMNS)
    if unknown:
        raise TypeError(f"unknown plan fields: {sorted(unknown)}")
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = db.execute(f"INSERT INTO plan ({columns}) VALUES ({marks})", list(values.values()))
    plan = get_plan(db, int(cursor.lastrowid or 0))
    record_acting_event(db, "plan.create", "plan", plan.id,
                        new={"code": code, "title": title, "start_year": start_year,
                             "end_year": end_year, "source_name": plan.source_name})
    return plan


def _plan(row: dict[str, Any]) -> Plan:
    return Plan(
        id=row["id"], code=row["code"], title=row["title"], start_year=row["start_year"],
        end_year=row["end_year"], baseline_year=row["baseline_year"],
        short_title=row["short_title"], issuer=row["issuer"], doc_number=row["doc_number"],
        issued_on=row["issued_on"], published_on=row["published_on"],
        level=PlanLevel(row["level"]), kind=row["kind"], owner_unit_id=row["owner_unit_id"],
        source_name=row["source_name"], is_demo=bool(row["is_demo"]), note=row["note"],
        source_hash=row["source_hash"],
    )


def get_plan(db: Database, plan_id: int) -> Plan:
    rows = list(db.query("SELECT * FROM plan WHERE id = ?", [plan_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {plan_id} 的规划。", f"plan {plan_id}")
    return _plan(rows[0])


def list_plans(db: Database) -> list[Plan]:
    """All plans, newest period first."""
    return [_plan(r) for r in db.query("SELECT * FROM plan ORDER BY start_year DESC, id")]


def store_outline(db: Database, plan_id: int, roots: Iterable[OutlineNode]) -> int:
    """Insert an outline under a plan; returns the number of items written.

    Audited as ``outline.store`` with the number of items.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what="的大纲")
    count = 0

    def insert(node: OutlineNode, parent_id: int | None, order: int) -> None:
        nonlocal count
        cursor = db.execute(
            "INSERT INTO plan_item (plan_id, parent_id, sort_order, item_type, level, marker, "
            "title, body, source_line, source_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [plan_id, parent_id, order, node.item_type.value, node.level, node.marker,
             node.title, node.body, node.source_line, node.source_text],
        )
        count += 1
        item_id = int(cursor.lastrowid or 0)
        for index, child in enumerate(node.children):
            insert(child, item_id, index)

    for index, root in enumerate(roots):
        insert(root, None, index)
    record_acting_event(db, "outline.store", "plan", plan_id, new={"items": count})
    return count


def _item(row: dict[str, Any]) -> PlanItem:
    return PlanItem(
        id=row["id"], plan_id=row["plan_id"], parent_id=row["parent_id"],
        sort_order=row["sort_order"], item_type=ItemType(row["item_type"]), level=row["level"],
        marker=row["marker"], title=row["title"], body=row["body"],
        source_line=row["source_line"], source_text=row["source_text"],
    )


def list_plan_items(db: Database, plan_id: int) -> list[PlanItem]:
    """A plan's outline in document order (depth first)."""
    rows = [_item(r) for r in db.query(
        "SELECT * FROM plan_item WHERE plan_id = ? ORDER BY parent_id, sort_order", [plan_id])]
    children: dict[int | None, list[PlanItem]] = {}
    for item in rows:
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[PlanItem] = []

    def visit(parent: int | None) -> None:
        for item in children.get(parent, []):
            ordered.append(item)
            visit(item.id)

    visit(None)
    return ordered


def assign(
    db: Database,
    plan_item_id: int,
    org_unit_id: int,
    role: AssignmentRole,
    *,
    deadline: str | None = None,
    note: str = "",
) -> Assignment:
    """Give a plan item to a unit (replacing an earlier assignment of the same pair); audited.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what="中的任务分工")
    assignment = assign_row(db, plan_item_id, org_unit_id, role, deadline=deadline, note=note)
    record_acting_event(db, "assignment.assign", "plan_item", plan_item_id,
                        new={"org_unit_id": org_unit_id, "role": role.value,
                             "deadline": deadline, "note": note})
    return assignment


def assign_row(db: Database, plan_item_id: int, org_unit_id: int, role: AssignmentRole, *,
               deadline: str | None = None, note: str = "") -> Assignment:
    """Write one assignment row, unchecked and unaudited: for callers that do both."""
    db.execute(
        "INSERT INTO assignment (plan_item_id, org_unit_id, role, deadline, note) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (plan_item_id, org_unit_id) DO UPDATE SET "
        "role = excluded.role, deadline = excluded.deadline, note = excluded.note",
        [plan_item_id, org_unit_id, role.value, deadline, note],
    )
    row = next(db.query(
        "SELECT * FROM assignment WHERE plan_item_id = ? AND org_unit_id = ?",
        [plan_item_id, org_unit_id]))
    return Assignment(id=row["id"], plan_item_id=row["plan_item_id"],
                      org_unit_id=row["org_unit_id"], role=AssignmentRole(row["role"]),
                      deadline=row["deadline"], note=row["note"])


def list_assignments(db: Database, plan_id: int) -> list[Assignment]:
    return [
        Assignment(id=r["id"], plan_item_id=r["plan_item_id"], org_unit_id=r["org_unit_id"],
                   role=AssignmentRole(r["role"]), deadline=r["deadline"], note=r["note"])
        for r in db.query(
            "SELECT a.* FROM assignment a JOIN plan_item p ON p.id = a.plan_item_id "
            "WHERE p.plan_id = ? ORDER BY a.plan_item_id, a.role DESC, a.id", [plan_id])
    ]


_YEAR_SPAN = re.compile(r"(20\d\d)\s*[-—–~～至到]+\s*(20\d\d)")
_FIVE_YEAR_NAMES = {"十三五": 2016, "十四五": 2021, "十五五": 2026, "十六五": 2031}


def guess_plan_years(text: str, today: int | None = None) -> tuple[int, int]:
    """The plan period named in a title or file name (``2021—2025``, ``十四五``).

    Falls back to the five-year plan period that contains ``today`` (the current year).
    """
    match = _YEAR_SPAN.search(text)
    if match and int(match.group(1)) <= int(match.group(2)):
        return int(match.group(1)), int(match.group(2))
    for name, start in _FIVE_YEAR_NAMES.items():
        if name in text:
            return start, start + 4
    year = today or date.today().year
    start = 2021 + (year - 2021) // 5 * 5
    return start, start + 4


def create_plan_for_file(db: Database, file_name: str, title: str = "", *,
                         years: tuple[int, int] | None = None, **details: Any) -> Plan:
    """Create a plan named after an imported file (or the title found in it).

    The period is ``years`` when the caller read it from the file (a table's header years are
    the baseline and the final year), else it comes from the title or the file name; the code
    is unique in the database.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=f"（新建规划“{title or Path(file_name).stem}”）")
    stem = Path(file_name).stem
    name = title or stem
    start, end = years if years else guess_plan_years(f"{name} {stem}")
    base = re.sub(r"\W+", "-", stem).strip("-")[:40] or "PLAN"
    code, n = base, 1
    while db.execute("SELECT 1 FROM plan WHERE code = ?", [code]).fetchone():
        n += 1
        code = f"{base}-{n}"
    return create_plan(db, code, name, start_year=start, end_year=end,
                       source_name=Path(file_name).name, **details)
