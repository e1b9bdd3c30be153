"""Managing data elements from the indicators page."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

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
