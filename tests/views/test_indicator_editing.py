"""Creating, editing, deleting and linking indicators from the app, with undo."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from desktop.models.indicators import Origin, list_indicators
from desktop.views.dialogs.indicator_dialog import IndicatorDialog
from desktop.views.main_window import MainWindow
from desktop.views.pages.indicators import IndicatorsPage
from desktop.views.pages.tasks import TasksPage

Fill = Callable[[IndicatorDialog], None]


def accept_with(monkeypatch: pytest.MonkeyPatch, fill: Fill) -> list[IndicatorDialog]:
    """Make the dialog's exec() fill the form like a user and press 确定."""
    seen: list[IndicatorDialog] = []

    def fake_exec(dialog: IndicatorDialog) -> int:
        seen.append(dialog)
        fill(dialog)
        assert dialog.problems() == []
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(IndicatorDialog, "exec", fake_exec)
    return seen


def indicators_page(window: MainWindow) -> IndicatorsPage:
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    return page


def row_of(page: IndicatorsPage, seq: str) -> int:
    for row in range(page.proxy.rowCount()):
        if page.proxy.index(row, 0).data() == seq:
            return row
    raise AssertionError(seq)


def target_of(page: IndicatorsPage, seq: str) -> str:
    column = page.model.column_key
    target_col = next(c for c in range(page.proxy.columnCount()) if column(c) == "target")
    return str(page.proxy.index(row_of(page, seq), target_col).data())


def test_a_target_selected_in_a_sentence_becomes_an_indicator(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = window.show_page("任务")
    assert isinstance(tasks, TasksPage)
    box7 = next(i for i in tasks.model._root.children[4].children[6].children
                if i.obj.marker == "专栏7")
    first = box7.children[0].obj
    tasks.tree.setCurrentIndex(tasks.model.createIndex(0, 0, box7.children[0]))
    assert "基层监管人员比例达到55%" in tasks.detail.toPlainText()
    cursor = tasks.detail.document().find("基层监管人员比例达到55%")
    tasks.detail.setTextCursor(cursor)
    assert tasks.sentence_button.isEnabled()

    def fill(dialog: IndicatorDialog) -> None:
        assert dialog.name.text() == "基层监管人员比例"
        assert dialog.target.text() == "达到55%"
        assert "不低于 55%" in dialog.target_reading.text()
        assert dialog.target_type.currentText() == "比率"
        assert "原文第" in dialog.source.toPlainText()
        dialog.seq.setText("S1")

    accept_with(monkeypatch, fill)
    tasks.sentence_button.click()
    plan = window.context.plan
    assert plan is not None
    made = [i for i in list_indicators(window.context.db, plan.id) if i.origin is Origin.SENTENCE]
    assert len(made) == 1
    assert made[0].source_item_id == first.id
    assert made[0].target.value == 55
    assert [a.year for a in made[0].annual_targets] == plan.years
    page = indicators_page(window)
    assert page.proxy.rowCount() == 17
    window.context.undo_stack.undo()
    assert page.proxy.rowCount() == 16
    window.context.undo_stack.redo()
    again = [i for i in list_indicators(window.context.db, plan.id)
             if i.origin is Origin.SENTENCE]
    assert again == made


def test_editing_a_target_shows_at_once_and_undo_restores_it(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = indicators_page(window)
    page.table.selectRow(row_of(page, "10"))
    accept_with(monkeypatch, lambda dialog: dialog.target.setText(">4.5"))
    page.edit_current()
    assert target_of(page, "10") == ">4.5"
    assert window.undo_action.text().startswith("撤销")
    window.undo_action.trigger()
    assert target_of(page, "10") == ">4"
    window.redo_action.trigger()
    assert target_of(page, "10") == ">4.5"


def test_the_form_refuses_an_indicator_without_a_name(window: MainWindow) -> None:
    page = indicators_page(window)
    page.table.selectRow(row_of(page, "1"))
    dialog = page._dialog(page.current_indicator())
    dialog.name.setText("")
    assert dialog.problems() == ["请填写指标名称。"]
    dialog.target.setText("")
    assert len(dialog.problems()) == 2


def test_deleting_asks_first_and_can_be_undone(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = indicators_page(window)
    page.table.selectRow(row_of(page, "14"))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: QMessageBox.StandardButton.No)
    page.delete_current()
    assert page.proxy.rowCount() == 16
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: QMessageBox.StandardButton.Yes)
    page.delete_current()
    assert page.proxy.rowCount() == 15
    window.context.undo_stack.undo()
    assert page.proxy.rowCount() == 16
    assert target_of(page, "14") == "0.3"


def test_the_same_target_twice_is_linked(window: MainWindow,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    page = indicators_page(window)
    page.table.selectRow(row_of(page, "13"))
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda parent, title, label, items, *a: (items[10], True))
    page.mark_current_duplicate()
    origin_col = next(c for c in range(page.proxy.columnCount())
                      if page.model.column_key(c) == "origin")
    assert "（同第 11 项）" in page.proxy.index(row_of(page, "13"), origin_col).data()


def test_the_annual_targets_are_proposed_from_baseline_and_target(window: MainWindow) -> None:
    page = indicators_page(window)
    page.table.selectRow(row_of(page, "9"))
    dialog = page._dialog(page.current_indicator())
    dialog.baseline.setText("3")
    dialog.target.setText("8")
    dialog.propose_targets()
    assert [dialog._target_cell(r, 0).text() for r in range(5)] == ["4", "5", "6", "7", "8"]
