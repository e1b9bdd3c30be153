"""Editing the unit tree: add a station with its townships, edit, delete, undo."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.models.orgunits import UnitType, get_unit_by_code, list_units, townships_served
from desktop.views.dialogs.unit_dialog import UnitDialog
from desktop.views.main_window import MainWindow
from desktop.views.pages.units import UnitsPage


def units_page(window: MainWindow) -> UnitsPage:
    page = window.show_page("单位")
    assert isinstance(page, UnitsPage)
    return page


def test_a_new_station_takes_over_a_township_and_undo_gives_it_back(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = units_page(window)
    db = window.context.db
    bureau = get_unit_by_code(db, "CQ-TN")
    town = next(u for u in list_units(db, UnitType.TOWNSHIP) if u.name == "双江镇")
    page.select_unit(bureau.id)

    def fill(dialog: UnitDialog) -> int:
        assert dialog.parent_box.currentData() == bureau.id
        dialog.name.setText("潼南区市场监督管理局双江所")
        dialog.short_name.setText("双江所")
        dialog.staff.setValue(6)
        dialog.premises.setText("租用业务用房 200 平方米")
        dialog.set_townships_checked({town.id})
        return UnitDialog.DialogCode.Accepted

    monkeypatch.setattr(UnitDialog, "exec", fill)
    page.add_child()
    station = next(u for u in list_units(db, UnitType.STATION) if u.short_name == "双江所")
    assert (station.staff, station.premises) == (6, "租用业务用房 200 平方米")
    assert [t.name for t in townships_served(db)[station.id]] == ["双江镇"]
    dafo = next(u for u in list_units(db, UnitType.STATION) if u.short_name == "大佛所")
    assert "双江镇" not in [t.name for t in townships_served(db)[dafo.id]]
    assert "市场监管所 10 个" in page.summary.text()
    window.context.undo_stack.undo()
    assert all(u.short_name != "双江所" for u in list_units(db, UnitType.STATION))
    assert "市场监管所 9 个" in page.summary.text()
    assert "双江镇" in [t.name for t in townships_served(db)[dafo.id]]


def test_editing_a_unit_can_be_undone(window: MainWindow,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    page = units_page(window)
    db = window.context.db
    division = get_unit_by_code(db, "CQ-TN-K01")
    page.select_unit(division.id)
    monkeypatch.setattr(UnitDialog, "exec", lambda dialog: (
        dialog.name.setText("办公室（党建办）"), UnitDialog.DialogCode.Accepted)[1])
    page.edit_current()
    assert get_unit_by_code(db, "CQ-TN-K01").name == "办公室（党建办）"
    window.context.undo_stack.undo()
    assert get_unit_by_code(db, "CQ-TN-K01").name == "办公室"


def test_a_unit_in_use_is_not_deleted_and_the_reason_is_shown(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = units_page(window)
    station = get_unit_by_code(window.context.db, "CQ-TN-S01")
    page.select_unit(station.id)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    page.delete_current()
    assert shown
    assert "不能删除单位" in shown[0]
    assert get_unit_by_code(window.context.db, "CQ-TN-S01").id == station.id
