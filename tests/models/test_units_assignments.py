"""Editing units (tree, townships, deletion) and giving plan items to lead and cooperating units."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from desktop.models.assignments import (
    Milestone,
    assignments_by_item,
    clear_assignments,
    item_assignment_details,
    list_milestones,
    list_plan_assignments,
    remove_assignment,
    set_assignments,
    set_milestones,
    unassigned_tasks,
)
from desktop.models.audit import AuditEvent, list_events, verify_chain
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.orgunits import (
    OrgUnit,
    UnitType,
    create_unit,
    delete_unit,
    find_unit_by_name,
    get_unit,
    get_unit_by_code,
    set_townships,
    townships_served,
    unlink_station_township,
    update_unit,
)
from desktop.models.plans import (
    AssignmentRole,
    ItemType,
    OutlineNode,
    assign,
    create_plan,
    list_plan_items,
    store_outline,
)
from desktop.models.users import Role, create_user
from desktop.models.values import DataValue, write_values


def _unit(db: Database, code: str) -> OrgUnit:
    return get_unit_by_code(db, code)


def _events(db: Database, action: str) -> list[AuditEvent]:
    return [e for e in list_events(db, 1000) if e.action == action]


@pytest.fixture
def tree(db: Database) -> Database:
    """A small bureau: district bureau → division, two stations; county → two townships."""
    bureau = create_unit(db, "B", "区市场监督管理局", UnitType.DISTRICT_BUREAU, short_name="区局")
    create_unit(db, "K1", "综合规划科", UnitType.DIVISION, parent_id=bureau.id, sort_order=1)
    create_unit(db, "S1", "区市场监督管理局城关所", UnitType.STATION, parent_id=bureau.id,
                short_name="城关所", sort_order=101)
    create_unit(db, "S2", "区市场监督管理局河口所", UnitType.STATION, parent_id=bureau.id,
                short_name="河口所", sort_order=102)
    county = create_unit(db, "C", "某某区", UnitType.COUNTY)
    create_unit(db, "T1", "城关街道", UnitType.TOWNSHIP, parent_id=county.id)
    create_unit(db, "T2", "河口镇", UnitType.TOWNSHIP, parent_id=county.id)
    return db


@pytest.fixture
def plan_items(tree: Database) -> dict[str, int]:
    """A plan with one chapter and two tasks; returns item ids by title."""
    plan = create_plan(tree, "P", "某某区市场监管“十四五”规划", start_year=2021, end_year=2025)
    chapter = OutlineNode(ItemType.CHAPTER, 1, "第一章", "主要任务", children=[
        OutlineNode(ItemType.TASK, 2, "", "强化平台经济监管"),
        OutlineNode(ItemType.TASK, 2, "", "加强食品安全抽检"),
    ])
    store_outline(tree, plan.id, [chapter])
    return {item.title: item.id for item in list_plan_items(tree, plan.id)}


# --- units ------------------------------------------------------------------------------------


def test_unit_edits_are_saved_and_audited(tree: Database) -> None:
    station = _unit(tree, "S1")
    changed = update_unit(tree, station.id, staff=6, premises="城关镇解放路 12 号",
                          name="区市场监督管理局城关市场监管所", opened_on="2019-03-01")
    assert changed.staff == 6
    assert changed.premises == "城关镇解放路 12 号"
    assert get_unit(tree, station.id).name == "区市场监督管理局城关市场监管所"
    event = _events(tree, "unit.update")[0]
    assert event.old_value == {"name": "区市场监督管理局城关所", "staff": None,
                               "premises": "", "opened_on": None}
    assert event.new_value["staff"] == 6
    assert verify_chain(tree) == []


def test_an_edit_that_changes_nothing_records_nothing(tree: Database) -> None:
    station = _unit(tree, "S1")
    update_unit(tree, station.id, short_name="城关所")
    assert _events(tree, "unit.update") == []


def test_a_unit_cannot_be_put_under_itself_or_its_descendants(tree: Database) -> None:
    bureau, station = _unit(tree, "B"), _unit(tree, "S1")
    with pytest.raises(ValidationError, match="不能成环"):
        update_unit(tree, bureau.id, parent_id=station.id)
    with pytest.raises(ValidationError, match="不能成环"):
        update_unit(tree, bureau.id, parent_id=bureau.id)
    assert get_unit(tree, bureau.id).parent_id is None


def test_unit_rules_are_checked_with_chinese_messages(tree: Database) -> None:
    station = _unit(tree, "S1")
    with pytest.raises(ValidationError, match="已被单位“区市场监督管理局河口所”使用"):
        update_unit(tree, station.id, code="S2")
    with pytest.raises(ValidationError, match="人员数"):
        update_unit(tree, station.id, staff=-1)
    with pytest.raises(ValidationError, match="不是有效日期"):
        update_unit(tree, station.id, opened_on="2021年1月")
    with pytest.raises(ValidationError, match="早于启用日期"):
        update_unit(tree, station.id, opened_on="2021-01-01", closed_on="2020-12-31")
    with pytest.raises(ValidationError, match="名称不能为空"):
        update_unit(tree, station.id, name="  ")
    with pytest.raises(NotFoundError):
        update_unit(tree, station.id, parent_id=9999)
    with pytest.raises(TypeError):
        update_unit(tree, station.id, colour="red")


def test_created_units_are_audited(tree: Database) -> None:
    created = [e.entity_id for e in _events(tree, "unit.create")]
    assert len(created) == 7


def test_a_unit_in_use_cannot_be_deleted_and_the_message_says_why(
        tree: Database, plan_items: dict[str, int]) -> None:
    bureau, station = _unit(tree, "B"), _unit(tree, "S1")
    with pytest.raises(ValidationError) as info:
        delete_unit(tree, bureau.id)
    assert "下级单位 3 个（综合规划科、区市场监督管理局城关所、区市场监督管理局河口所）" in (
        info.value.user_message)
    tree.execute("INSERT INTO data_element (code, name, value_type, aggregation) "
                 "VALUES ('E', '市场主体数', 'integer', 'sum')")
    write_values(tree, [DataValue("2024", 1, station.id, 120.0)])
    assign(tree, plan_items["强化平台经济监管"], station.id, AssignmentRole.LEAD)
    create_user(tree, "clerk", "password-1", Role.CLERK, org_unit_id=station.id)
    tree.execute("INSERT INTO submission (plan_id, org_unit_id, period) VALUES (1, ?, '2024')",
                 [station.id])
    with pytest.raises(ValidationError) as info:
        delete_unit(tree, station.id)
    message = info.value.user_message
    for part in ("填报数值 1 条", "任务分工 1 项", "报送记录 1 份", "用户 1 个"):
        assert part in message
    assert get_unit(tree, station.id).name == "区市场监督管理局城关所"


def test_an_unused_unit_is_deleted_with_its_township_links(tree: Database) -> None:
    station, town = _unit(tree, "S2"), _unit(tree, "T2")
    set_townships(tree, station.id, [town.id])
    delete_unit(tree, station.id)
    with pytest.raises(NotFoundError):
        get_unit(tree, station.id)
    assert station.id not in townships_served(tree)
    event = _events(tree, "unit.delete")[0]
    assert event.old_value["code"] == "S2"
    assert event.old_value["linked_units"] == [town.id]


def test_townships_of_a_station_are_replaced_and_audited(tree: Database) -> None:
    station, t1, t2 = _unit(tree, "S1"), _unit(tree, "T1"), _unit(tree, "T2")
    set_townships(tree, station.id, [t1.id, t2.id])
    served = set_townships(tree, station.id, [t2.id])
    assert [t.name for t in served] == ["河口镇"]
    events = _events(tree, "unit.townships")
    assert [e.new_value for e in events] == [[t2.id], sorted([t1.id, t2.id])]
    assert unlink_station_township(tree, station.id, t2.id) is True
    assert unlink_station_township(tree, station.id, t2.id) is False
    assert townships_served(tree).get(station.id) is None
    assert len(_events(tree, "unit.unlink_township")) == 1


def test_only_a_station_serves_and_only_townships_are_served(tree: Database) -> None:
    station, division, town = _unit(tree, "S1"), _unit(tree, "K1"), _unit(tree, "T1")
    with pytest.raises(ValidationError, match="不是市场监管所"):
        set_townships(tree, division.id, [town.id])
    with pytest.raises(ValidationError, match="不是镇街"):
        set_townships(tree, station.id, [division.id])


def test_units_are_found_by_name_short_name_or_with_stray_spaces(tree: Database) -> None:
    def code(name: str) -> str | None:
        unit = find_unit_by_name(tree, name)
        return unit.code if unit else None

    assert code("区市场监督管理局城关所") == "S1"
    assert code("城关所") == "S1"
    assert code(" 城关 所 ") == "S1"
    assert code("区市场监督管理局\u3000河口所") == "S2"
    assert find_unit_by_name(tree, "教育委员会") is None
    create_unit(tree, "S3", "另一个城关所", UnitType.STATION, short_name="城关所 ")
    with pytest.raises(ValidationError, match="对应多个单位"):
        find_unit_by_name(tree, "城关所")


# --- assignments ------------------------------------------------------------------------------


def test_assignments_replace_the_set_with_deadline_note_and_milestones(
        tree: Database, plan_items: dict[str, int]) -> None:
    task = plan_items["强化平台经济监管"]
    division, s1, s2 = _unit(tree, "K1"), _unit(tree, "S1"), _unit(tree, "S2")
    first = set_assignments(tree, task, lead=[division.id], cooperating=[s1.id, s2.id],
                            deadline="2025年底前", note="每半年报送进展",
                            milestones={2022: "完成试点", 2023: "全面推开"})
    kept = {d.org_unit_id: d.id for d in first}
    second = set_assignments(tree, task, lead=[division.id], cooperating=[s2.id],
                             deadline="2024年底前", milestones={2024: "总结验收"})
    assert [(d.unit_display_name, d.role) for d in second] == [
        ("综合规划科", AssignmentRole.LEAD), ("河口所", AssignmentRole.COOPERATE)]
    assert {d.org_unit_id: d.id for d in second} == {u: kept[u] for u in (division.id, s2.id)}
    assert all(d.deadline == "2024年底前" and d.note == "" for d in second)
    assert all(d.milestones == (Milestone(2024, "总结验收"),) for d in second)
    events = _events(tree, "assignment.set")
    assert len(events) == 2
    assert events[0].old_value["cooperating"] == ["S1", "S2"]
    assert events[0].new_value["cooperating"] == ["S2"]


def test_assignment_rules(tree: Database, plan_items: dict[str, int]) -> None:
    task = plan_items["强化平台经济监管"]
    division = _unit(tree, "K1")
    with pytest.raises(ValidationError, match="既是牵头单位又是配合单位"):
        set_assignments(tree, task, lead=[division.id], cooperating=[division.id])
    with pytest.raises(ValidationError, match="不在规划期"):
        set_assignments(tree, task, lead=[division.id], milestones={2030: "完成"})
    with pytest.raises(ValidationError, match="不能设置年度节点"):
        set_assignments(tree, task, lead=[], milestones={2022: "完成"})
    with pytest.raises(NotFoundError):
        set_assignments(tree, task, lead=[9999])
    assert item_assignment_details(tree, task) == []


def test_plan_assignments_list_unit_names_in_outline_order(
        tree: Database, plan_items: dict[str, int]) -> None:
    s1, s2, division = _unit(tree, "S1"), _unit(tree, "S2"), _unit(tree, "K1")
    set_assignments(tree, plan_items["加强食品安全抽检"], lead=[s1.id])
    set_assignments(tree, plan_items["强化平台经济监管"], lead=[division.id], cooperating=[s2.id])
    listed = list_plan_assignments(tree, 1)
    assert [(d.plan_item_id, d.unit_name) for d in listed] == [
        (plan_items["强化平台经济监管"], "综合规划科"),
        (plan_items["强化平台经济监管"], "区市场监督管理局河口所"),
        (plan_items["加强食品安全抽检"], "区市场监督管理局城关所")]
    assert [t.title for t in unassigned_tasks(tree, 1)] == []
    by_item = assignments_by_item(tree, 1)
    assert by_item[plan_items["强化平台经济监管"]].uniform


def test_one_units_milestones_can_differ_and_the_item_says_so(
        tree: Database, plan_items: dict[str, int]) -> None:
    task = plan_items["强化平台经济监管"]
    division, s1 = _unit(tree, "K1"), _unit(tree, "S1")
    details = set_assignments(tree, task, lead=[division.id], cooperating=[s1.id],
                              milestones={2022: "完成试点"})
    station_assignment = details[1].id
    set_milestones(tree, station_assignment, {2022: "完成试点", 2023: "城关街道全覆盖"})
    assert list_milestones(tree, station_assignment)[-1] == Milestone(2023, "城关街道全覆盖")
    summary = assignments_by_item(tree, 1)[task]
    assert not summary.uniform
    assert summary.milestones == (Milestone(2022, "完成试点"),)
    assert len(_events(tree, "assignment.milestones")) == 1


def test_assignments_are_removed_one_by_one_or_all(
        tree: Database, plan_items: dict[str, int]) -> None:
    task = plan_items["强化平台经济监管"]
    division, s1 = _unit(tree, "K1"), _unit(tree, "S1")
    details = set_assignments(tree, task, lead=[division.id], cooperating=[s1.id],
                              milestones={2022: "完成试点"})
    remove_assignment(tree, details[1].id)
    assert [d.org_unit_id for d in item_assignment_details(tree, task)] == [division.id]
    assert tree.execute("SELECT count(*) FROM assignment_milestone").fetchone()[0] == 1
    assert clear_assignments(tree, task) == 1
    assert item_assignment_details(tree, task) == []
    assert [t.title for t in unassigned_tasks(tree, 1)] == ["强化平台经济监管", "加强食品安全抽检"]
    assert len(_events(tree, "assignment.remove")) == 1
    assert len(_events(tree, "assignment.clear")) == 1
    assert verify_chain(tree) == []
