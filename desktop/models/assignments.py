"""Who carries out each plan item: lead and cooperating units, deadlines and annual milestones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.orgunits import get_unit
from desktop.models.permissions import Action, record_acting_event, require_acting
from desktop.models.plans import (
    Assignment,
    AssignmentRole,
    PlanItem,
    assign_row,
    get_plan,
    list_plan_items,
)


@dataclass(frozen=True)
class Milestone:
    """What an assignment should have achieved by the end of a year (年度节点)."""

    year: int
    description: str


@dataclass(frozen=True)
class AssignmentDetail:
    """An assignment with the names a list or a workbook shows."""

    id: int
    plan_item_id: int
    org_unit_id: int
    unit_code: str
    unit_name: str
    unit_short_name: str
    role: AssignmentRole
    deadline: str | None
    note: str
    milestones: tuple[Milestone, ...] = ()

    @property
    def unit_display_name(self) -> str:
        return self.unit_short_name or self.unit_name


@dataclass(frozen=True)
class ItemAssignments:
    """Everything assigned for one plan item, as a row of a 任务分解表 shows it.

    ``deadline``, ``note`` and ``milestones`` are those of the first lead unit (or the first
    unit when there is no lead); ``uniform`` says whether every unit shares them.
    """

    plan_item_id: int
    lead: tuple[AssignmentDetail, ...]
    cooperating: tuple[AssignmentDetail, ...]
    deadline: str | None
    note: str
    milestones: tuple[Milestone, ...]
    uniform: bool


def _item_row(db: Database, plan_item_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM plan_item WHERE id = ?", [plan_item_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {plan_item_id} 的规划条目。",
                            f"plan_item {plan_item_id}")
    return rows[0]


def _item_label(row: dict[str, Any]) -> str:
    text = f"{row['marker']}{row['title']}".strip() or f"第 {row['id']} 条"
    return text if len(text) <= 30 else text[:30] + "…"


def _check_milestones(db: Database, item: dict[str, Any],
                      milestones: Mapping[int, str]) -> dict[int, str]:
    plan = get_plan(db, int(item["plan_id"]))
    checked: dict[int, str] = {}
    for year, description in sorted(milestones.items()):
        if year not in plan.years:
            raise ValidationError(
                f"条目“{_item_label(item)}”的年度节点年份 {year} 不在规划期"
                f" {plan.period_label}内。",
                f"milestone year {year} outside {plan.start_year}-{plan.end_year}")
        if not description.strip():
            raise ValidationError(f"条目“{_item_label(item)}”{year} 年的年度节点没有内容。",
                                  f"empty milestone {year}")
        checked[year] = description
    return checked


def _details(db: Database, where: str, params: list[object]) -> list[AssignmentDetail]:
    milestones: dict[int, list[Milestone]] = {}
    for row in db.query(
        "SELECT m.* FROM assignment_milestone m JOIN assignment a ON a.id = m.assignment_id "
        f"JOIN plan_item p ON p.id = a.plan_item_id WHERE {where} ORDER BY m.year", params
    ):
        milestones.setdefault(row["assignment_id"], []).append(
            Milestone(row["year"], row["description"]))
    return [
        AssignmentDetail(
            id=r["id"], plan_item_id=r["plan_item_id"], org_unit_id=r["org_unit_id"],
            unit_code=r["code"], unit_name=r["name"], unit_short_name=r["short_name"],
            role=AssignmentRole(r["role"]), deadline=r["deadline"], note=r["note"],
            milestones=tuple(milestones.get(r["id"], ())))
        for r in db.query(
            "SELECT a.*, u.code, u.name, u.short_name FROM assignment a "
            "JOIN org_unit u ON u.id = a.org_unit_id JOIN plan_item p ON p.id = a.plan_item_id "
            f"WHERE {where} ORDER BY a.plan_item_id, a.role DESC, u.sort_order, u.id", params)
    ]


def _snapshot(details: Iterable[AssignmentDetail]) -> dict[str, Any]:
    """What an item's assignments look like, for the audit trail."""
    rows = list(details)
    return {
        "lead": [d.unit_code for d in rows if d.role is AssignmentRole.LEAD],
        "cooperating": [d.unit_code for d in rows if d.role is AssignmentRole.COOPERATE],
        "units": {d.unit_code: {"deadline": d.deadline, "note": d.note,
                                "milestones": {str(m.year): m.description for m in d.milestones}}
                  for d in rows},
    }


def item_assignment_details(db: Database, plan_item_id: int) -> list[AssignmentDetail]:
    """The units assigned to one plan item, lead units first."""
    return _details(db, "a.plan_item_id = ?", [plan_item_id])


def list_plan_assignments(db: Database, plan_id: int) -> list[AssignmentDetail]:
    """Every assignment of a plan with unit names, in outline order, lead units first."""
    order = {item.id: index for index, item in enumerate(list_plan_items(db, plan_id))}
    details = _details(db, "p.plan_id = ?", [plan_id])
    return sorted(details, key=lambda d: order.get(d.plan_item_id, len(order)))


def assignments_by_item(db: Database, plan_id: int) -> dict[int, ItemAssignments]:
    """A plan's assignments grouped per plan item (items without any are left out)."""
    grouped: dict[int, list[AssignmentDetail]] = {}
    for detail in list_plan_assignments(db, plan_id):
        grouped.setdefault(detail.plan_item_id, []).append(detail)
    result: dict[int, ItemAssignments] = {}
    for item_id, details in grouped.items():
        lead = tuple(d for d in details if d.role is AssignmentRole.LEAD)
        cooperating = tuple(d for d in details if d.role is AssignmentRole.COOPERATE)
        first = (lead or cooperating)[0]
        uniform = all((d.deadline, d.note, d.milestones)
                      == (first.deadline, first.note, first.milestones) for d in details)
        result[item_id] = ItemAssignments(item_id, lead, cooperating, first.deadline,
                                          first.note, first.milestones, uniform)
    return result


def set_assignments(
    db: Database,
    plan_item_id: int,
    *,
    lead: Iterable[int],
    cooperating: Iterable[int] = (),
    deadline: str | None = None,
    note: str = "",
    milestones: Mapping[int, str] | None = None,
) -> list[AssignmentDetail]:
    """Replace the units assigned to a plan item, with one deadline, note and milestones.

    Every unit of the set gets the same deadline, note and annual milestones (年度节点);
    units no longer in the set lose their assignment (and its milestones). Units that stay
    keep their assignment record.

    Raises:
        NotFoundError: the plan item or a unit does not exist.
        ValidationError: a unit is both lead and cooperating, milestones are given without
            any unit, or a milestone year lies outside the plan's period or has no text.
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_item_what(db, plan_item_id))
    item = _item_row(db, plan_item_id)
    leads = list(dict.fromkeys(lead))
    cooperators = list(dict.fromkeys(cooperating))
    both = [u for u in leads if u in cooperators]
    if both:
        unit = get_unit(db, both[0])
        raise ValidationError(
            f"条目“{_item_label(item)}”中，“{unit.name}”不能既是牵头单位又是配合单位。",
            f"unit {unit.id} both lead and cooperating")
    for unit_id in (*leads, *cooperators):
        get_unit(db, unit_id)
    wanted = dict(milestones or {})
    if wanted and not (leads or cooperators):
        raise ValidationError(
            f"条目“{_item_label(item)}”没有牵头或配合单位，不能设置年度节点。",
            "milestones without units")
    checked = _check_milestones(db, item, wanted)
    deadline = (deadline or "").strip() or None
    before = item_assignment_details(db, plan_item_id)
    keep = set(leads) | set(cooperators)
    for detail in before:
        if detail.org_unit_id not in keep:
            db.execute("DELETE FROM assignment WHERE id = ?", [detail.id])
    roles = [(u, AssignmentRole.LEAD) for u in leads]
    roles += [(u, AssignmentRole.COOPERATE) for u in cooperators]
    for unit_id, role in roles:
        assignment = assign_row(db, plan_item_id, unit_id, role, deadline=deadline, note=note)
        _replace_milestones(db, assignment.id, checked)
    after = item_assignment_details(db, plan_item_id)
    if _snapshot(before) != _snapshot(after):
        record_acting_event(db, "assignment.set", "plan_item", plan_item_id,
                            old=_snapshot(before), new=_snapshot(after))
    return after


def _replace_milestones(db: Database, assignment_id: int, milestones: Mapping[int, str]) -> None:
    db.execute("DELETE FROM assignment_milestone WHERE assignment_id = ?", [assignment_id])
    for year, description in sorted(milestones.items()):
        db.execute("INSERT INTO assignment_milestone (assignment_id, year, description) "
                   "VALUES (?, ?, ?)", [assignment_id, year, description])


def _item_what(db: Database, plan_item_id: int) -> str:
    """“中条目“…”的任务分工” for a refusal message (``不能修改规划中条目“…”的任务分工``)."""
    rows = list(db.query("SELECT * FROM plan_item WHERE id = ?", [plan_item_id]))
    return f"中条目“{_item_label(rows[0])}”的任务分工" if rows else "中的任务分工"


def _assignment_what(db: Database, assignment_id: int) -> str:
    row = db.execute("SELECT plan_item_id FROM assignment WHERE id = ?",
                     [assignment_id]).fetchone()
    return _item_what(db, row[0]) if row else "中的任务分工"


def _assignment(db: Database, assignment_id: int) -> Assignment:
    rows = list(db.query("SELECT * FROM assignment WHERE id = ?", [assignment_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {assignment_id} 的任务分工。",
                            f"assignment {assignment_id}")
    r = rows[0]
    return Assignment(id=r["id"], plan_item_id=r["plan_item_id"], org_unit_id=r["org_unit_id"],
                      role=AssignmentRole(r["role"]), deadline=r["deadline"], note=r["note"])


def list_milestones(db: Database, assignment_id: int) -> list[Milestone]:
    return [Milestone(r[0], r[1]) for r in db.execute(
        "SELECT year, description FROM assignment_milestone WHERE assignment_id = ? "
        "ORDER BY year", [assignment_id])]


def set_milestones(db: Database, assignment_id: int, milestones: Mapping[int, str]) -> None:
    """Replace one unit's annual milestones for its assignment.

    Raises:
        NotFoundError: there is no such assignment.
        ValidationError: a year lies outside the plan's period or has no text.
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_assignment_what(db, assignment_id))
    assignment = _assignment(db, assignment_id)
    item = _item_row(db, assignment.plan_item_id)
    checked = _check_milestones(db, item, milestones)
    old = {str(m.year): m.description for m in list_milestones(db, assignment_id)}
    new = {str(year): text for year, text in checked.items()}
    if old == new:
        return
    _replace_milestones(db, assignment_id, checked)
    record_acting_event(db, "assignment.milestones", "assignment", assignment_id, old=old,
                        new=new)


def remove_assignment(db: Database, assignment_id: int) -> None:
    """Take a plan item away from one unit (its milestones go with it); audited.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_assignment_what(db, assignment_id))
    assignment = _assignment(db, assignment_id)
    unit = get_unit(db, assignment.org_unit_id)
    db.execute("DELETE FROM assignment WHERE id = ?", [assignment_id])
    record_acting_event(db, "assignment.remove", "assignment", assignment_id,
                        old={"plan_item_id": assignment.plan_item_id, "unit": unit.code,
                             "role": assignment.role.value,
                             "deadline": assignment.deadline, "note": assignment.note})


def clear_assignments(db: Database, plan_item_id: int) -> int:
    """Take a plan item away from every unit; returns how many assignments were removed.

    Raises:
        PermissionDenied: the acting user may not edit the plan.
    """
    require_acting(db, Action.EDIT_PLAN, what=_item_what(db, plan_item_id))
    before = item_assignment_details(db, plan_item_id)
    if not before:
        _item_row(db, plan_item_id)
        return 0
    db.execute("DELETE FROM assignment WHERE plan_item_id = ?", [plan_item_id])
    record_acting_event(db, "assignment.clear", "plan_item", plan_item_id,
                        old=_snapshot(before))
    return len(before)


def unassigned_tasks(db: Database, plan_id: int) -> list[PlanItem]:
    """The plan's tasks that have no lead unit yet."""
    leads = {r[0] for r in db.execute(
        "SELECT a.plan_item_id FROM assignment a JOIN plan_item p ON p.id = a.plan_item_id "
        "WHERE p.plan_id = ? AND a.role = 'lead'", [plan_id])}
    return [item for item in list_plan_items(db, plan_id)
            if item.item_type.value == "task" and item.id not in leads]
