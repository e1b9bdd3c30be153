"""A viewer sees indicators, units and tasks but cannot change them, however he tries."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from desktop.models.auth import Actor
from desktop.models.indicators import list_indicators
from desktop.models.permissions import acting
from desktop.models.users import list_users
from desktop.views import edits
from desktop.views.dialogs.indicator_dialog import IndicatorDialog, IndicatorForm
from desktop.views.dialogs.unit_dialog import UnitDialog
from desktop.views.main_window import MainWindow
from desktop.views.pages.indicators import IndicatorsPage
from desktop.views.pages.tasks import TasksPage
from desktop.views.pages.units import UnitsPage


def user(db: Database, username: str) -> Actor:
    return next(Actor.of(u) for u in list_users(db) if u.username == username)


def plan_content(db: Database) -> list[list[tuple[object, ...]]]:
    return [[tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1")]
            for t in ("indicator", "indicator_annual_target", "org_unit", "station_township",
                      "assignment")]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every editing form or question a click opens (none should open for a viewer)."""
    seen: list[str] = []

    def record(name: str, answer: object) -> object:
        def fake(*_args: object, **_kwargs: object) -> object:
            seen.append(name)
            return answer
        return fake

    monkeypatch.setattr(IndicatorDialog, "exec", record("指标表单", 0))
    monkeypatch.setattr(UnitDialog, "exec", record("单位表单", 0))
    monkeypatch.setattr(QMessageBox, "question",
                        record("确认删除", QMessageBox.StandardButton.Yes))
    return seen


def double_click(qtbot: QtBot, view: QAbstractItemView, index: QModelIndex) -> None:
    view.setCurrentIndex(index)
    viewport = view.viewport()
    assert isinstance(viewport, QWidget)
    center = view.visualRect(index).center()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=center)


def test_a_viewer_double_clicking_an_indicator_or_a_unit_cannot_change_it(
        qtbot: QtBot, window: MainWindow, opened: list[str]) -> None:
    db = window.context.db
    viewer = user(db, "chakan")
    window.context.set_actor(viewer)
    assert acting(db) == viewer  # the models know who is logged in
    before = plan_content(db)

    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    double_click(qtbot, page.table, page.proxy.index(0, 1))
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert page.current_indicator() is not None
    assert "基期值" in page.detail.toPlainText()  # he still reads it in the panel
    for button in (page.new_button, page.edit_button, page.delete_button,
                   page.duplicate_button, page.elements_button):
        assert not button.isEnabled()
        assert "没有“修改规划”的权限" in button.toolTip()
    assert page.hint_label.text().startswith("只读")

    units = window.show_page("单位")
    assert isinstance(units, UnitsPage)
    unit = units.model.index(0, 0, units.model.index(0, 0, units.model.index(0, 0)))
    double_click(qtbot, units.tree, unit)
    qtbot.keyClick(units.tree, Qt.Key.Key_Delete)
    assert units.current_unit() is not None
    for button in (units.add_button, units.edit_button, units.delete_button):
        assert not button.isEnabled()

    tasks = window.show_page("任务")
    assert isinstance(tasks, TasksPage)
    assert not tasks.assign_button.isEnabled()

    assert opened == []
    assert plan_content(db) == before
    # data refreshes do not give the buttons back
    window.context.data_changed.emit()
    assert not page.edit_button.isEnabled()
    assert not units.add_button.isEnabled()


def test_a_refusal_from_the_models_is_shown_and_changes_nothing(
        qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    db = window.context.db
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    indicator = list_indicators(db, window.context.plan.id if window.context.plan else 0)[0]
    form = IndicatorForm(fields={"name": "改名的指标"}, annual_targets={}, annual_notes={},
                         units={})
    command = edits.edit_indicator(window.context, indicator.id, form)  # prepared by admin
    window.context.set_actor(user(db, "chakan"))
    before = plan_content(db)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda _parent, _title, text: shown.append(text))

    assert not page._push(command)

    assert plan_content(db) == before
    assert len(shown) == 1
    assert "没有修改规划权限" in shown[0]


def test_the_reviewer_switching_in_gets_the_editing_back(window: MainWindow) -> None:
    db = window.context.db
    window.context.set_actor(user(db, "chakan"))
    window.context.set_actor(user(db, "shenhe"))
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    assert page.edit_button.isEnabled()
    units = window.show_page("单位")
    assert isinstance(units, UnitsPage)
    assert units.add_button.isEnabled()
    assert acting(db).username == "shenhe"
