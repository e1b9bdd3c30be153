"""The reporting cycle at model level: draft → submit → return → resubmit → approve → reopen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from desktop.models.audit import verify_chain
from desktop.models.errors import PermissionDenied, ValidationError
from desktop.models.indicators import Aggregation, EntryLevel, ValueType, add_element
from desktop.models.values import SubmissionStatus, TaskStatus
from desktop.models.workflow import (
    EntryTask,
    EntryValue,
    apply_review,
    approve,
    changed_since_approval,
    diff_since_return,
    receive_submission,
    reopen,
    return_sheet,
    return_submission,
    save_draft,
    submit,
    validate_entry,
    value_history,
    versions,
)

NOW = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
DRAFT = 1  # station 1 ("s02") has a draft for 2024 in the demo


def sheet(demo: Any, index: int = DRAFT, period: str = "2024", actor: Any = None) -> Any:
    return return_sheet(demo.db, actor or demo.clerk(index), demo.plan_id,
                        demo.station(index).id, period)


def test_the_entry_grid_shows_the_units_elements_and_tasks(demo: Any) -> None:
    grid = sheet(demo)
    assert grid.unit_name == "潼南区市场监督管理局龙形所"
    assert grid.period_label == "2024年"
    assert grid.editable
    assert grid.locked_reason == ""
    codes = [r.code for r in grid.rows]
    assert codes[0] == "ENT_TOTAL"
    assert "POP" not in codes  # a district-level element is the bureau's
    first = grid.rows[0]
    assert first.unit == "户"
    assert first.previous is not None  # the 2023 figure
    assert "5.3575万户" in first.baseline
    assert first.annual_target
    assert grid.tasks
    assert all(t.status is None for t in grid.tasks)


def test_typed_values_are_read_tolerantly_or_refused_with_a_reason(demo: Any) -> None:
    count = add_element(demo.db, "X_COUNT", "件数", value_type=ValueType.INTEGER,
                        aggregation=Aggregation.SUM, entry_level=EntryLevel.STATION, unit="件")
    rate = add_element(demo.db, "X_RATE", "比率", value_type=ValueType.PERCENTAGE,
                       aggregation=Aggregation.AVERAGE, entry_level=EntryLevel.STATION)
    assert validate_entry(count, "1,234")[0] == EntryValue(count.id, 1234.0)
    assert validate_entry(count, "１２３４件")[0] == EntryValue(count.id, 1234.0)
    assert validate_entry(rate, "12.5%")[0] == EntryValue(rate.id, 12.5)
    for empty in ("", "-", "—", "  "):
        assert validate_entry(count, empty) == (EntryValue(count.id, None), "")
    value, reason = validate_entry(count, "12.5")
    assert value is None
    assert "整数" in reason
    value, reason = validate_entry(count, "abc")
    assert value is None
    assert "无法识别为数值" in reason
    assert "负数" in validate_entry(count, "-3")[1]
    assert "大于 100%" in validate_entry(rate, "130")[1]
    assert "不是百分比" in validate_entry(count, "12%")[1]


def test_save_draft_writes_only_changes_and_audits_each(demo: Any) -> None:
    clerk, unit = demo.clerk(DRAFT), demo.station(DRAFT).id
    grid = sheet(demo)
    first, second = grid.rows[0], grid.rows[1]
    values = [EntryValue(first.element_id, 5000.0, comment="核实过"),
              EntryValue(second.element_id, second.value, comment=second.comment)]
    task = grid.tasks[0]
    tasks = [EntryTask(task.plan_item_id, TaskStatus.IN_PROGRESS, 40.0, "已启动")]
    assert save_draft(demo.db, clerk, demo.plan_id, unit, "2024", values, tasks) == 2
    assert save_draft(demo.db, clerk, demo.plan_id, unit, "2024", values, tasks) == 0
    history = value_history(demo.db, unit, "2024", first.element_id)
    assert len(history) == 1
    assert history[0].old_value["value"] == first.value
    assert history[0].new_value == {"value": 5000.0, "text_value": None, "comment": "核实过"}
    assert history[0].source == "keyboard"
    assert history[0].username == "s02"
    again = sheet(demo)
    assert again.rows[0].value == 5000.0
    assert again.tasks[0].status is TaskStatus.IN_PROGRESS
    assert again.tasks[0].percent == 40.0


def test_no_value_is_not_zero(demo: Any) -> None:
    clerk, unit = demo.clerk(DRAFT), demo.station(DRAFT).id
    element = sheet(demo).rows[0].element_id
    save_draft(demo.db, clerk, demo.plan_id, unit, "2024", [EntryValue(element, None)])
    assert sheet(demo).rows[0].value is None
    save_draft(demo.db, clerk, demo.plan_id, unit, "2024", [EntryValue(element, 0.0)])
    assert sheet(demo).rows[0].value == 0.0


def test_the_whole_cycle(demo: Any, stored: Callable[..., Any]) -> None:
    db, plan = demo.db, demo.plan_id
    clerk, reviewer = demo.clerk(DRAFT), demo.reviewer
    unit = demo.station(DRAFT).id
    grid = sheet(demo)
    element = grid.rows[0]
    # draft → submitted
    save_draft(db, clerk, plan, unit, "2024", [EntryValue(element.element_id, 7000.0)])
    sub = submit(db, clerk, plan, unit, "2024", now=NOW)
    assert sub.status is SubmissionStatus.SUBMITTED
    assert sub.submitted_at == "2026-01-10T02:00:00+00:00"
    assert sub.version == 1
    # a submitted return cannot be edited by the station
    before = stored(db)
    with pytest.raises(PermissionDenied, match="已报送，等待审核"):
        save_draft(db, clerk, plan, unit, "2024", [EntryValue(element.element_id, 1.0)])
    assert stored(db) == before
    assert not sheet(demo).editable
    # returning needs a reason
    with pytest.raises(ValidationError, match="退回必须填写原因"):
        return_submission(db, reviewer, sub.id, "  ")
    assert stored(db) == before
    assert "退回必须填写原因" in str(demo.denials()[-1]["new_value"])
    sub = return_submission(db, reviewer, sub.id, "市场主体数偏大，请核对",
                            {("element", element.element_id): "比上年多 30%？"})
    assert sub.status is SubmissionStatus.RETURNED
    assert sub.reviewed_by == reviewer.user_id
    grid = sheet(demo)
    assert grid.editable
    assert grid.submission.reason == "市场主体数偏大，请核对"
    assert grid.comments == {("element", element.element_id): "比上年多 30%？"}
    assert diff_since_return(db, sub.id) == []
    # corrected and resubmitted: the reviewer sees what changed
    save_draft(db, clerk, plan, unit, "2024",
               [EntryValue(element.element_id, 6500.0, comment="已核减重复登记")])
    sub = submit(db, clerk, plan, unit, "2024", now=NOW)
    diffs = diff_since_return(db, sub.id)
    assert [(d.field, d.old, d.new) for d in diffs] == [
        ("本期数值", "7000", "6500"), ("说明", "", "已核减重复登记")]
    assert diffs[0].name == element.name
    # approved: locked
    sub = approve(db, reviewer, sub.id)
    assert sub.status is SubmissionStatus.APPROVED
    assert sub.reviewed_by == reviewer.user_id
    grid = sheet(demo)
    assert not grid.editable
    assert "已审核锁定" in grid.locked_reason
    with pytest.raises(PermissionDenied, match="已审核锁定"):
        save_draft(db, clerk, plan, unit, "2024", [EntryValue(element.element_id, 1.0)])
    with pytest.raises(ValidationError):
        return_submission(db, reviewer, sub.id, "晚了")
    # reopening needs a reason, and makes the return editable again
    with pytest.raises(ValidationError, match="原因"):
        reopen(db, reviewer, sub.id, "")
    sub = reopen(db, reviewer, sub.id, "2024 年数据需按统计年报更正")
    assert sub.status is SubmissionStatus.RETURNED
    assert sheet(demo).editable
    save_draft(db, clerk, plan, unit, "2024",
               [EntryValue(element.element_id, 6600.0, comment="已核减重复登记")])
    changed = changed_since_approval(db, plan)
    assert [(s.id, [(d.field, d.old, d.new) for d in diffs]) for s, diffs in changed] == [
        (sub.id, [("本期数值", "6500", "6600")])]
    assert [v.status for v in versions(db, sub.id)] == [
        SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED, SubmissionStatus.SUBMITTED,
        SubmissionStatus.APPROVED, SubmissionStatus.RETURNED]
    actions = [r[0] for r in db.execute(
        "SELECT action FROM audit_event WHERE entity = 'submission' ORDER BY id")]
    assert actions[-5:] == ["submission.submit", "submission.return", "submission.submit",
                            "submission.approve", "submission.reopen"]
    assert verify_chain(db) == []


def test_an_empty_return_can_be_neither_submitted_nor_approved(demo: Any,
                                                               stored: Callable[..., Any]) -> None:
    db, unit = demo.db, demo.station(DRAFT).id
    db.execute("DELETE FROM data_value WHERE org_unit_id = ? AND period = '2024'", [unit])
    before = stored(db)
    with pytest.raises(ValidationError, match="没有填写任何数值"):
        submit(db, demo.clerk(DRAFT), demo.plan_id, unit, "2024", now=NOW)
    assert stored(db) == before
    # an empty return arriving from a workbook is received, but cannot be approved
    sub = receive_submission(db, demo.reviewer, demo.plan_id, unit, "2024",
                             submitted_at="2025-01-10T01:00:00+00:00", source="file:x.xlsx")
    before = stored(db)
    with pytest.raises(ValidationError, match="不能审核通过"):
        approve(db, demo.reviewer, sub.id)
    assert stored(db) == before


def test_a_submission_is_not_submitted_twice(demo: Any) -> None:
    unit = demo.station(0).id  # submitted in the demo
    with pytest.raises(PermissionDenied, match="已报送"):
        submit(demo.db, demo.clerk(0), demo.plan_id, unit, "2024", now=NOW)


def test_receiving_a_workbook_keeps_its_submission_time_and_source(demo: Any) -> None:
    unit = demo.station(DRAFT).id
    sub = receive_submission(demo.db, demo.reviewer, demo.plan_id, unit, "2024",
                             submitted_at="2025-01-14T09:30:00+08:00",
                             source="file:2024_S02.xlsx sha256:abcd")
    assert sub.status is SubmissionStatus.SUBMITTED
    assert sub.submitted_at == "2025-01-14T01:30:00+00:00"
    assert sub.submitted_source == "file:2024_S02.xlsx sha256:abcd"
    assert versions(demo.db, sub.id)[-1].source == "file:2024_S02.xlsx sha256:abcd"


def test_an_approved_return_refuses_a_received_workbook(demo: Any,
                                                        stored: Callable[..., Any]) -> None:
    before = stored(demo.db)
    with pytest.raises(PermissionDenied, match="已审核锁定"):
        receive_submission(demo.db, demo.reviewer, demo.plan_id, demo.station(0).id, "2023",
                           submitted_at="2024-01-10T01:00:00+00:00", source="file:x.xlsx")
    assert stored(demo.db) == before


def test_the_station_applies_a_review_notice(demo: Any) -> None:
    unit = demo.station(0).id
    element = sheet(demo, 0).rows[0].element_id
    sub = apply_review(demo.db, demo.clerk(0), demo.plan_id, unit, "2024",
                       status=SubmissionStatus.RETURNED, reason="请补充说明",
                       comments={("element", element): "口径？"},
                       reviewed_at="2025-01-16T10:00:00+08:00", source="file:审核通知.xlsx")
    assert sub.status is SubmissionStatus.RETURNED
    grid = sheet(demo, 0)
    assert grid.editable
    assert grid.comments == {("element", element): "口径？"}
    with pytest.raises(PermissionDenied):
        apply_review(demo.db, demo.clerk(1), demo.plan_id, unit, "2024",
                     status=SubmissionStatus.APPROVED, reason="", comments={},
                     reviewed_at="2025-01-16T10:00:00+08:00", source="file:x.xlsx")


def test_demo_returns_carry_their_versions(demo: Any) -> None:
    returned = demo.submission_id(2, "2024")
    grid = sheet(demo, 2)
    assert grid.submission.status is SubmissionStatus.RETURNED
    assert "演示" in grid.submission.reason
    assert list(grid.comments.values()) == ["演示：请核对按时办结件数，并在说明中写明统计口径。"]
    assert diff_since_return(demo.db, returned) == []
    assert changed_since_approval(demo.db, demo.plan_id) == []


def test_a_rates_baseline_beside_its_numerator_names_the_rate(demo: Any) -> None:
    rows = {row.code: row for row in sheet(demo).rows}
    # 3% is the baseline of the inspection rate, not of the count of inspected businesses.
    assert rows["RANDOM_CHECKED"].baseline.startswith("3%")
    assert "（一般事项“双随机、一公开”抽查比例）" in rows["RANDOM_CHECKED"].baseline
