"""Managing data elements from the indicators page."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop.models.indicators import (
    TimeAggregation,
    add_element,
    get_element,
    list_elements,
)
from desktop.views.dialogs.elements_dialog import ElementFormDialog, ElementsDialog
from desktop.views.main_window import MainWindow


def test_elements_can_be_added_and_the_addition_undone(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ElementsDialog(window.context, window)
    assert dialog.model.rowCount() == 19

    def fill(form: ElementFormDialog) -> int:
        form.name.setText("特种设备检验数")
        form.unit.setText("台")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ElementFormDialog, "exec", fill)
    dialog.add()
    assert dialog.model.rowCount() == 20
    assert dialog.model.element(19).name == "特种设备检验数"
    window.context.undo_stack.undo()
    assert dialog.model.rowCount() == 19


def test_an_element_in_use_is_not_deleted_and_the_user_is_told_why(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ElementsDialog(window.context, window)
    dialog.table.selectRow(0)  # 市场主体数: used by indicators and values
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    dialog.delete_current()
    assert dialog.model.rowCount() == 19
    assert shown
    assert "仍被使用" in shown[0]
    assert "市场主体总量" in shown[0]


def test_a_new_elements_time_aggregation_is_chosen_in_the_form_and_saved(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ElementsDialog(window.context, window)

    def fill(form: ElementFormDialog) -> int:
        assert form.time_aggregation.currentData() == "last"  # a count: a stock by default
        assert "期末" in form.time_aggregation.toolTip()
        form.name.setText("特种设备检验数")
        form.unit.setText("台次")
        form.time_aggregation.setCurrentIndex(form.time_aggregation.findData("sum"))
        form.time_aggregation.activated.emit(form.time_aggregation.currentIndex())
        form.value_type.setCurrentIndex(form.value_type.findData("number"))
        assert form.time_aggregation.currentData() == "sum"  # the user's choice stays
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ElementFormDialog, "exec", fill)
    dialog.add()
    added = dialog.model.element(19)
    assert added.name == "特种设备检验数"
    assert added.time_aggregation is TimeAggregation.SUM
    column = dialog.model.headers.index("时间汇总")
    assert dialog.model.index(19, column).data() == "期内累加（流量）"


def test_a_new_percentage_element_averages_over_time_until_the_user_chooses(
    window: MainWindow,
) -> None:
    form = ElementFormDialog(None, "E999", window)
    form.value_type.setCurrentIndex(form.value_type.findData("percentage"))
    assert form.time_aggregation.currentData() == "average"
    form.value_type.setCurrentIndex(form.value_type.findData("integer"))
    form.unit.setText("分")
    assert form.values()["time_aggregation"] is TimeAggregation.AVERAGE
    form.unit.setText("户")
    assert form.values()["time_aggregation"] is TimeAggregation.LAST


def test_editing_an_elements_time_aggregation_is_saved_and_undone(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ElementsDialog(window.context, window)
    dialog.table.selectRow(0)
    element = dialog.current()
    assert element is not None
    before = element.time_aggregation
    after = TimeAggregation.AVERAGE if before is not TimeAggregation.AVERAGE else (
        TimeAggregation.SUM)

    def change(form: ElementFormDialog) -> int:
        assert form.time_aggregation.currentData() == before.value
        form.time_aggregation.setCurrentIndex(form.time_aggregation.findData(after.value))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ElementFormDialog, "exec", change)
    dialog.edit_current()
    assert get_element(window.context.db, element.id).time_aggregation is after
    window.context.undo_stack.undo()
    assert get_element(window.context.db, element.id).time_aggregation is before


def test_deleting_an_element_and_undoing_keeps_its_time_aggregation(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = window.context.db
    add_element(db, "E-TMP", "临时数据项", unit="件", time_aggregation=TimeAggregation.SUM)
    dialog = ElementsDialog(window.context, window)
    row = next(r for r in range(dialog.model.rowCount())
               if dialog.model.element(r).code == "E-TMP")
    dialog.table.selectRow(row)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    dialog.delete_current()
    assert "E-TMP" not in {e.code for e in list_elements(db)}
    window.context.undo_stack.undo()
    restored = {e.code: e for e in list_elements(db)}["E-TMP"]
    assert restored.time_aggregation is TimeAggregation.SUM
