"""Giving tasks to units from the task tree, with deadline and milestones, and undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, Qt

from desktop.models.assignments import assignments_by_item
from desktop.views.dialogs.assignment_dialog import AssignmentDialog
from desktop.views.main_window import MainWindow
from desktop.views.pages.tasks import TasksPage


def first_task_index(page: TasksPage):  # type: ignore[no-untyped-def]
    chapter = page.model.index(4, 0)
    section = page.model.index(0, 0, chapter)
    heading = page.model.index(0, 0, section)
    return page.model.index(0, 0, heading)


def test_a_task_is_given_to_a_lead_and_cooperating_units_and_undone(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = window.show_page("任务")
    assert isinstance(page, TasksPage)
    assert page.unassigned_label.text() == "尚未指定牵头单位的任务：0 项"  # the demo assigns all
    task_index = first_task_index(page)
    page.tree.setCurrentIndex(task_index)
    assert page.assign_button.isEnabled()

    def fill(dialog: AssignmentDialog) -> int:
        entries = [dialog.lead.item(r) for r in range(dialog.lead.count())]
        ids = {e.text().split("（")[0]: e.data(Qt.ItemDataRole.UserRole) for e in entries}
        dialog.set_checked(dialog.lead, {ids["登记注册科"]})
        dialog.set_checked(dialog.cooperating, {ids["大佛所"], ids["区商务委"]})
        dialog.has_deadline.setChecked(True)
        dialog.deadline.setDate(QDate(2023, 12, 31))
        dialog.milestones.item(0, 0).setText("出台平台经济监管工作方案")
        assert dialog.problems() == []
        return AssignmentDialog.DialogCode.Accepted

    monkeypatch.setattr(AssignmentDialog, "exec", fill)
    page.assign_current()
    plan = window.context.plan
    assert plan is not None
    task = page.model.object_at(task_index)
    given = assignments_by_item(window.context.db, plan.id)[task.id]
    assert [d.unit_display_name for d in given.lead] == ["登记注册科"]
    assert sorted(d.unit_display_name for d in given.cooperating) == ["区商务委", "大佛所"]
    assert given.deadline == "2023-12-31"
    assert [(m.year, m.description) for m in given.milestones] == [  # the demo's stay
        (2021, "出台平台经济监管工作方案"), (2023, "完成中期目标"), (2025, "全面完成")]
    assert page.model.index(task_index.row(), 3, task_index.parent()).data() == "登记注册科"
    window.context.undo_stack.undo()
    restored = assignments_by_item(window.context.db, plan.id)[task.id]
    assert [d.unit_display_name for d in restored.lead] == ["综合规划科"]  # the demo's
    assert page.model.index(task_index.row(), 3, task_index.parent()).data() == "综合规划科"
    window.context.undo_stack.redo()
    again = assignments_by_item(window.context.db, plan.id)[task.id]
    assert [d.unit_display_name for d in again.lead] == ["登记注册科"]


def test_the_same_unit_cannot_lead_and_cooperate(window: MainWindow) -> None:
    page = window.show_page("任务")
    assert isinstance(page, TasksPage)
    task = page.model.object_at(first_task_index(page))
    plan = window.context.plan
    assert plan is not None
    from desktop.models.orgunits import list_units

    dialog = AssignmentDialog(task, list_units(window.context.db), plan.years, None, window)
    unit_id = dialog.lead.item(0).data(Qt.ItemDataRole.UserRole)
    dialog.set_checked(dialog.lead, {unit_id})
    dialog.set_checked(dialog.cooperating, {unit_id})
    assert dialog.problems() == ["同一单位不能既牵头又配合。"]
