"""Plan content is changed only by roles that may edit the plan, whoever calls the models."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from desktop.documents.importing import import_outline_job
from desktop.documents.plan_document import read_plan_document
from desktop.excel.jobs import import_plan_job
from desktop.excel.plan_workbook import export_plan
from desktop.models.assignments import (
    clear_assignments,
    item_assignment_details,
    remove_assignment,
    set_assignments,
    set_milestones,
)
from desktop.models.audit import flush_lasting_events
from desktop.models.auth import Actor
from desktop.models.errors import PermissionDenied
from desktop.models.indicators import (
    Attribute,
    IndicatorSpec,
    add_element,
    add_indicator,
    delete_element,
    delete_indicator,
    list_elements,
    list_indicators,
    restore_indicator,
    set_annual_targets,
    set_indicator_units,
    snapshot_indicator,
    update_element,
    update_indicator,
    upsert_indicator,
)
from desktop.models.orgunits import (
    UnitType,
    add_unit,
    create_unit,
    delete_unit,
    link_station_township,
    set_townships,
    townships_served,
    unlink_station_township,
    update_unit,
)
from desktop.models.outline_store import apply_outline
from desktop.models.permissions import act_as, acting
from desktop.models.plans import (
    AssignmentRole,
    ItemType,
    OutlineNode,
    assign,
    create_plan,
    create_plan_for_file,
    get_plan,
    list_plan_items,
    store_outline,
)
from desktop.models.progress import run_job
from tests.models.conftest import Demo

#: The tables that hold plan content.
PLAN_TABLES = ("plan", "plan_item", "assignment", "assignment_milestone", "indicator",
               "indicator_annual_target", "indicator_unit", "data_element", "org_unit",
               "station_township")


def plan_content(db: Database) -> dict[str, list[tuple[object, ...]]]:
    return {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in PLAN_TABLES}


def events_after(db: Database, last_id: int) -> list[dict[str, Any]]:
    flush_lasting_events(db)  # as every audit read does: refusals outlive rollbacks
    return [dict(r) for r in db.query(
        "SELECT * FROM audit_event WHERE id > ? ORDER BY id", [last_id])]


def last_event_id(db: Database) -> int:
    return int(db.execute("SELECT coalesce(max(id), 0) FROM audit_event").fetchone()[0])


def spec(code: str, name: str) -> IndicatorSpec:
    return IndicatorSpec(code=code, seq_printed="", name_printed=name, name=name, category="测试",
                         attribute=Attribute.EXPECTED, baseline_text="10", target_text="20")


@dataclass(frozen=True)
class Case:
    """One plan-changing call: what to prepare as the command line, then the call itself."""

    name: str
    call: Callable[[Database, Demo, Any], object]
    setup: Callable[[Database, Demo], Any] = lambda _db, _demo: None


def _indicator(db: Database, demo: Demo) -> Any:
    return list_indicators(db, demo.plan_id)[0]


def _spare_element(db: Database, _demo: Demo) -> int:
    return add_element(db, "SPARE", "备用数据项").id


def _deleted_snapshot(db: Database, demo: Demo) -> dict[str, Any]:
    indicator = _indicator(db, demo)
    snapshot = snapshot_indicator(db, indicator.id)
    delete_indicator(db, indicator.id)
    return snapshot


def _served(db: Database, demo: Demo) -> tuple[int, int]:
    station = next(s for s in demo.stations if townships_served(db).get(s.id))
    return station.id, townships_served(db)[station.id][0].id


def _unlinked(db: Database, demo: Demo) -> tuple[int, int]:
    station_id, township_id = _served(db, demo)
    unlink_station_township(db, station_id, township_id)
    return station_id, township_id


def _task(db: Database, demo: Demo) -> int:
    return next(i.id for i in list_plan_items(db, demo.plan_id)
                if i.item_type is ItemType.TASK and item_assignment_details(db, i.id))


def _assignment(db: Database, demo: Demo) -> int:
    return item_assignment_details(db, _task(db, demo))[0].id


def _unassigned_pair(db: Database, demo: Demo) -> tuple[int, int]:
    item_id = _task(db, demo)
    taken = {d.org_unit_id for d in item_assignment_details(db, item_id)}
    return item_id, next(s.id for s in demo.stations if s.id not in taken)


def _empty_plan(db: Database, _demo: Demo) -> int:
    return create_plan(db, "EMPTY", "空规划", start_year=2026, end_year=2030).id


NODE = OutlineNode(ItemType.TASK, 1, "", "新增的任务", body="新增的任务正文。")

CASES = [
    # desktop/models/indicators.py
    Case("add_element", lambda db, _d, _s: add_element(db, "NEW", "新数据项")),
    Case("update_element",
         lambda db, _d, _s: update_element(db, list_elements(db)[0].id, name="改名的数据项")),
    Case("delete_element", lambda db, _d, element_id: delete_element(db, element_id),
         _spare_element),
    Case("add_indicator",
         lambda db, d, _s: add_indicator(db, d.plan_id, 99, spec("NEW", "新指标"))),
    Case("update_indicator",
         lambda db, d, _s: update_indicator(db, _indicator(db, d).id, target_text="≥99")),
    Case("delete_indicator", lambda db, d, _s: delete_indicator(db, _indicator(db, d).id)),
    Case("upsert_indicator",
         lambda db, d, _s: upsert_indicator(db, d.plan_id, spec("NEW", "新指标"))),
    Case("set_annual_targets",
         lambda db, d, _s: set_annual_targets(db, _indicator(db, d).id, {2025: "99"})),
    Case("set_indicator_units",
         lambda db, d, _s: set_indicator_units(db, _indicator(db, d).id,
                                               {d.stations[0].id: "lead"})),
    Case("restore_indicator", lambda db, _d, snapshot: restore_indicator(db, snapshot),
         _deleted_snapshot),
    # desktop/models/orgunits.py
    Case("add_unit", lambda db, d, _s: add_unit(db, "NEW", "新科室", UnitType.DIVISION,
                                                 parent_id=d.bureau.id)),
    Case("create_unit", lambda db, d, _s: create_unit(db, "NEW", "新科室", UnitType.DIVISION,
                                                       parent_id=d.bureau.id)),
    Case("update_unit", lambda db, d, _s: update_unit(db, d.stations[0].id, note="改过")),
    Case("delete_unit", lambda db, _d, unit_id: delete_unit(db, unit_id),
         lambda db, d: create_unit(db, "GONE", "待删科室", UnitType.DIVISION,
                                   parent_id=d.bureau.id).id),
    Case("set_townships", lambda db, _d, pair: set_townships(db, pair[0], []), _served),
    Case("link_station_township",
         lambda db, _d, pair: link_station_township(db, *pair), _unlinked),
    Case("unlink_station_township",
         lambda db, _d, pair: unlink_station_township(db, *pair), _served),
    # desktop/models/plans.py and outline_store.py
    Case("create_plan", lambda db, _d, _s: create_plan(db, "NEW", "新规划", start_year=2026,
                                                        end_year=2030)),
    Case("create_plan_for_file",
         lambda db, _d, _s: create_plan_for_file(db, "某某区“十五五”规划.docx")),
    Case("store_outline", lambda db, d, _s: store_outline(db, d.plan_id, [NODE])),
    Case("apply_outline", lambda db, _d, plan_id: apply_outline(db, plan_id, [NODE]),
         _empty_plan),
    Case("assign", lambda db, _d, pair: assign(db, pair[0], pair[1], AssignmentRole.COOPERATE),
         _unassigned_pair),
    # desktop/models/assignments.py
    Case("set_assignments",
         lambda db, d, item_id: set_assignments(db, item_id, lead=[d.stations[-1].id]), _task),
    Case("set_milestones",
         lambda db, d, assignment_id: set_milestones(
             db, assignment_id, {get_plan(db, d.plan_id).start_year: "完成试点"}),
         _assignment),
    Case("remove_assignment", lambda db, _d, assignment_id: remove_assignment(db, assignment_id),
         _assignment),
    Case("clear_assignments", lambda db, _d, item_id: clear_assignments(db, item_id), _task),
]


def actor_of(demo: Demo, role: str) -> Actor:
    return {"viewer": demo.viewer, "clerk": demo.clerk(0), "reviewer": demo.reviewer,
            "admin": demo.admin}[role]


@pytest.mark.parametrize("role", ["viewer", "clerk"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_viewer_or_clerk_cannot_change_the_plan_and_the_refusal_is_audited(
        demo: Demo, case: Case, role: str) -> None:
    db = demo.db
    prepared = case.setup(db, demo)
    actor = actor_of(demo, role)
    act_as(db, actor)
    before, last = plan_content(db), last_event_id(db)

    with pytest.raises(PermissionDenied) as refused, db.atomic():
        case.call(db, demo, prepared)

    assert f"用户“{actor.label}”没有修改规划权限" in refused.value.user_message
    assert plan_content(db) == before
    events = events_after(db, last)
    assert [(e["action"], e["username"]) for e in events] == [("denied", actor.username)]
    assert json.loads(events[0]["new_value"])["action"] == "edit_plan"


@pytest.mark.parametrize("role", ["reviewer", "admin"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_reviewer_or_admin_changes_the_plan_and_the_change_is_audited(
        demo: Demo, case: Case, role: str) -> None:
    db = demo.db
    prepared = case.setup(db, demo)
    actor = actor_of(demo, role)
    act_as(db, actor)
    before, last = plan_content(db), last_event_id(db)

    with db.atomic():
        case.call(db, demo, prepared)

    assert plan_content(db) != before
    events = events_after(db, last)
    assert events, "the change is in the audit trail"
    assert all(e["action"] != "denied" for e in events)
    assert {(e["username"], e["user_id"]) for e in events} == {(actor.username, actor.user_id)}


def test_the_command_line_acts_when_nobody_logged_in_on_the_connection(demo: Demo) -> None:
    db = demo.db
    assert acting(db) == Actor.command_line()
    act_as(db, demo.viewer)
    assert acting(db) == demo.viewer
    act_as(db, None)
    last = last_event_id(db)
    add_element(db, "CLI", "命令行建的数据项")
    event = events_after(db, last)[0]
    assert (event["action"], event["username"], event["source"]) == (
        "element.create", "命令行", "cli")


def test_an_indicator_edit_records_old_and_new_values(demo: Demo) -> None:
    db = demo.db
    act_as(db, demo.reviewer)
    indicator = list_indicators(db, demo.plan_id)[0]
    last = last_event_id(db)
    update_indicator(db, indicator.id, target_text="≥99", name=indicator.name)
    [event] = events_after(db, last)
    assert event["action"] == "indicator.update"
    assert json.loads(event["new_value"]) == {"target_text": "≥99"}
    old = json.loads(event["old_value"])
    assert old["target_text"] == indicator.target.text
    assert old["code"] == indicator.code
    assert event["source"] == "keyboard"


def test_a_viewer_importing_a_plan_workbook_is_refused_before_the_backup(
        demo: Demo, demo_path: Path, tmp_path: Path) -> None:
    workbook = tmp_path / "plan.xlsx"
    export_plan(demo.db, demo.plan_id, workbook)
    before = plan_content(demo.db)
    backups = set(demo_path.parent.rglob("*before-import-plan*"))

    with pytest.raises(PermissionDenied):
        run_job(import_plan_job(demo_path, workbook, False, actor=demo.viewer))

    assert plan_content(demo.db) == before
    assert set(demo_path.parent.rglob("*before-import-plan*")) == backups
    assert demo.denials()[-1]["username"] == demo.viewer.username
    # the administrator imports the same workbook, recorded under his name and the file
    last = last_event_id(demo.db)
    result = run_job(import_plan_job(demo_path, workbook, False, actor=demo.admin))
    assert result.written
    imported = [e for e in events_after(demo.db, last) if e["action"] == "plan.import"]
    assert [(e["username"], e["source"]) for e in imported] == [("admin", "file:plan.xlsx")]


def test_a_clerk_importing_a_plan_document_is_refused(demo: Demo, demo_path: Path,
                                                      tmp_path: Path) -> None:
    text = tmp_path / "规划.txt"
    text.write_text("第一章 总体要求\n一、指导思想\n坚持稳中求进。\n", encoding="utf-8")
    document = read_plan_document(text)
    before = plan_content(demo.db)

    with pytest.raises(PermissionDenied):
        run_job(import_outline_job(demo_path, document, document.roots, None,
                                   actor=demo.clerk(0)))

    assert plan_content(demo.db) == before
    assert demo.denials()[-1]["username"] == demo.clerk(0).username
