"""Importing a plan's outline again keeps the items (and their assignments) that stayed."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from desktop.models.audit import list_events, verify_chain
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.indicators import Attribute, IndicatorSpec, add_indicator, get_indicator
from desktop.models.orgunits import UnitType, add_unit
from desktop.models.outline import parse_outline_text
from desktop.models.outline_store import apply_outline, diff_outline
from desktop.models.plans import (
    AssignmentRole,
    ItemType,
    PlanItem,
    assign,
    create_plan,
    get_plan,
    list_assignments,
    list_plan_items,
)
from desktop.models.values import TaskProgress, TaskStatus, write_task_progress

TEXT = "\n".join([
    "第一章 发展基础", "十三五期间成效明显。",
    "第二章 主要任务",
    "第一节 建设高标准市场体系",
    "一、统筹推动平台经济健康发展。",
    "强化平台经济监管。坚持依法规范与支持发展并重，优化全链条监管。",
    "加强新经济发展监管。打破传统业态按区域治理的惯性思维。",
    "二、统筹规范线上线下市场秩序",
    "强化线上市场监管。加强线上市场生态治理。",
    "第二节 维护和规范市场秩序",
    "一、强化竞争政策作用。",
    "大力加强政策协同。建立以竞争政策为基础的政策协调机制。",
    "第三章 保障措施", "加强组织领导。落实责任分工。"])


@pytest.fixture
def plan_id(db: Database) -> int:
    return create_plan(db, "P", "某区规划", start_year=2021, end_year=2025).id


@pytest.fixture
def unit_id(db: Database) -> int:
    return add_unit(db, "S1", "城区所", UnitType.STATION).id


def items(db: Database, plan_id: int) -> dict[str, PlanItem]:
    return {i.title: i for i in list_plan_items(db, plan_id)}


def rows(db: Database) -> list[tuple[object, ...]]:
    return [tuple(r) for r in db.execute(
        "SELECT id, parent_id, sort_order, item_type, level, marker, title, body FROM plan_item "
        "ORDER BY id").fetchall()]


def test_first_import_adds_every_item_in_order(db: Database, plan_id: int) -> None:
    change = apply_outline(db, plan_id, parse_outline_text(TEXT))
    stored = list_plan_items(db, plan_id)
    assert len(change.added) == len(stored) == 14
    assert [i.title for i in stored][:4] == ["发展基础", "十三五期间成效明显", "主要任务",
                                             "建设高标准市场体系"]
    assert {c.item_id for c in change.added} == {i.id for i in stored}
    assert sum(i.item_type is ItemType.TASK for i in stored) == 4
    task = items(db, plan_id)["强化平台经济监管"]
    assert (task.level, task.source_line) == (4, 6)


def test_same_document_again_changes_nothing(db: Database, plan_id: int, unit_id: int) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT))
    assign(db, items(db, plan_id)["强化平台经济监管"].id, unit_id, AssignmentRole.LEAD)
    before = rows(db)
    change = apply_outline(db, plan_id, parse_outline_text(TEXT))
    assert change.is_empty
    assert change.counts() == {"added": 0, "removed": 0, "changed": 0}
    assert change.unchanged == 14
    assert rows(db) == before
    assert len(list_assignments(db, plan_id)) == 1


def test_revised_document_keeps_ids_and_lists_what_changed(
    db: Database, plan_id: int, unit_id: int,
) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT))
    before = items(db, plan_id)
    reworded = before["强化平台经济监管"]
    assign(db, reworded.id, unit_id, AssignmentRole.LEAD)
    revised = (TEXT.replace("强化平台经济监管。坚持", "强化平台经济治理。坚持")
               .replace("加强新经济发展监管。打破传统业态按区域治理的惯性思维。\n", "")
               .replace("二、统筹规范线上线下市场秩序", "二、统筹规范线上和线下市场秩序")
               .replace("第三章 保障措施", "推进川渝通办服务。实现同标办理。\n第三章 保障措施"))
    preview = diff_outline(db, plan_id, parse_outline_text(revised))
    change = apply_outline(db, plan_id, parse_outline_text(revised))
    assert (preview.changed, preview.removed) == (change.changed, change.removed)
    assert preview.counts() == change.counts()
    after = items(db, plan_id)
    assert after["强化平台经济治理"].id == reworded.id
    assert after["统筹规范线上和线下市场秩序"].id == before["统筹规范线上线下市场秩序"].id
    assert [(c.old_title, c.new_title, c.fields) for c in change.changed] == [
        ("强化平台经济监管", "强化平台经济治理", ("title", "body")),
        ("二、 统筹规范线上线下市场秩序", "二、 统筹规范线上和线下市场秩序", ("title",))]
    assert change.changed[0].old_body.startswith("强化平台经济监管。坚持")
    assert [(c.title, c.item_id) for c in change.removed] == [
        ("加强新经济发展监管", before["加强新经济发展监管"].id)]
    assert [c.path for c in change.added] == [
        "第二章 主要任务 › 第二节 维护和规范市场秩序 › 一、 强化竞争政策作用 › 推进川渝通办服务"]
    assert change.added[0].item_id == after["推进川渝通办服务"].id
    assert list_assignments(db, plan_id)[0].plan_item_id == reworded.id


def test_item_moved_to_another_section_keeps_its_id(db: Database, plan_id: int) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT))
    moved = items(db, plan_id)["加强新经济发展监管"]
    line = "加强新经济发展监管。打破传统业态按区域治理的惯性思维。\n"
    revised = TEXT.replace(line, "").replace("第三章 保障措施", line + "第三章 保障措施")
    change = apply_outline(db, plan_id, parse_outline_text(revised))
    after = items(db, plan_id)["加强新经济发展监管"]
    assert after.id == moved.id
    assert after.parent_id == items(db, plan_id)["强化竞争政策作用"].id
    assert [(c.title, c.fields) for c in change.changed] == [("加强新经济发展监管", ("position",))]
    assert not change.added
    assert not change.removed


def test_removing_an_assigned_task_is_refused_and_changes_nothing(
    db: Database, plan_id: int, unit_id: int,
) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT))
    task = items(db, plan_id)["加强新经济发展监管"]
    assign(db, task.id, unit_id, AssignmentRole.LEAD)
    write_task_progress(db, [TaskProgress(task.id, unit_id, "2024", TaskStatus.IN_PROGRESS)])
    before = rows(db)
    events = len(list_events(db))
    revised = TEXT.replace("加强新经济发展监管。打破传统业态按区域治理的惯性思维。\n", "")
    with pytest.raises(ValidationError) as caught:
        apply_outline(db, plan_id, parse_outline_text(revised))
    message = caught.value.user_message
    assert "加强新经济发展监管" in message
    assert "分配单位 1 条" in message
    assert "没有写入任何内容" in message
    assert rows(db) == before
    assert len(list_events(db)) == events
    assert diff_outline(db, plan_id, parse_outline_text(revised)).removed_linked[0].links == (
        ("assignment", 1), ("task_progress", 1))


def test_removing_linked_items_when_allowed_reports_them(
    db: Database, plan_id: int, unit_id: int,
) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT))
    task = items(db, plan_id)["加强新经济发展监管"]
    assign(db, task.id, unit_id, AssignmentRole.COOPERATE)
    revised = TEXT.replace("加强新经济发展监管。打破传统业态按区域治理的惯性思维。\n", "")
    change = apply_outline(db, plan_id, parse_outline_text(revised), allow_removing_linked=True)
    assert [(c.item_id, c.link_count) for c in change.removed_linked] == [(task.id, 1)]
    assert list_assignments(db, plan_id) == []
    assert "加强新经济发展监管" not in items(db, plan_id)


def test_indicator_source_links_survive_and_guard_their_item(db: Database, plan_id: int) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT))
    source = items(db, plan_id)["强化线上市场监管"]
    indicator = add_indicator(db, plan_id, 1, IndicatorSpec(
        "S1", "1", "线上抽检", "线上抽检", "市场秩序", Attribute.EXPECTED, "3", "5",
        source_item_id=source.id))
    apply_outline(db, plan_id, parse_outline_text(TEXT.replace("加强线上市场生态治理",
                                                               "加强线上市场生态综合治理")))
    assert get_indicator(db, indicator.id).source_item_id == source.id
    with pytest.raises(ValidationError, match="关联指标 1 条"):
        apply_outline(db, plan_id, parse_outline_text(
            TEXT.replace("强化线上市场监管。加强线上市场生态治理。\n", "")))


def test_each_import_is_audited_and_the_source_hash_stored(db: Database, plan_id: int) -> None:
    apply_outline(db, plan_id, parse_outline_text(TEXT), source_hash="abc", username="规划科")
    apply_outline(db, plan_id, parse_outline_text(TEXT), source_hash="abc")
    events = [e for e in list_events(db) if e.action == "outline.import"]
    assert [e.new_value["added"] for e in events] == [0, 14]  # newest first
    assert events[1].username == "规划科"
    assert get_plan(db, plan_id).source_hash == "abc"
    assert verify_chain(db) == []


def test_diff_writes_nothing(db: Database, plan_id: int) -> None:
    events = list_events(db)  # the plan's creation
    change = diff_outline(db, plan_id, parse_outline_text(TEXT))
    assert len(change.added) == 14
    assert all(c.item_id is None for c in change.added)
    assert list_plan_items(db, plan_id) == []
    assert list_events(db) == events


def test_unknown_plan_is_refused(db: Database) -> None:
    with pytest.raises(NotFoundError):
        apply_outline(db, 999, parse_outline_text(TEXT))
