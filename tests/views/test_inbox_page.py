"""The 收件箱 page: due reports with lights, returned ones with reasons, the unit's tasks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.models.windows import Light
from desktop.views.main_window import MainWindow
from desktop.views.pages.inbox import InboxPage
from tests.views.conftest import logged_in_window


def test_a_clerk_sees_what_was_returned_and_why(qtbot: QtBot, demo_path: Path) -> None:
    window = logged_in_window(qtbot, demo_path, "s03")  # returned in the demo
    page = window.inbox_page
    assert window.pages.currentWidget() is page
    assert not page.unit_box.isVisible()
    returned = page.returned.records()
    assert len(returned) == 1
    assert returned[0].reason
    assert returned[0].comments
    assert page.returned.index(0, 1).data() == returned[0].reason
    assert "被退回 1 期" in page.summary.text()
    page.returned_view.doubleClicked.emit(page.returned.index(0, 0))
    assert window.pages.currentWidget() is window.entry_page
    sheet = window.entry_page.sheet
    assert sheet is not None
    assert sheet.period == returned[0].submission.period
    assert sheet.editable
    window.context.db.close()


def test_due_reports_and_tasks_carry_lights(qtbot: QtBot, demo_path: Path) -> None:
    window = logged_in_window(qtbot, demo_path, "s02")
    window.context.today = lambda: date(2026, 1, 14)  # the 2025 deadline is the next day
    page = window.inbox_page
    page.refresh()
    due = {d.period: d for d in page.due.records()}
    assert due["2025"].light is Light.YELLOW
    row = [d.period for d in page.due.records()].index("2025")
    assert page.due.index(row, 2).data() == "临近"
    assert page.due.index(row, 2).data(Qt.ItemDataRole.DecorationRole) is not None
    assert page.tasks.rowCount() > 0
    assert {t.light for t in page.tasks.records()} <= set(Light)
    window.context.db.close()


def test_a_reviewer_picks_the_unit(reviewer_window: MainWindow) -> None:
    page = reviewer_window.show_page("收件箱")
    assert isinstance(page, InboxPage)
    assert page.unit_box.isVisible()
    assert page.unit_box.count() > 9
    page.unit_box.setCurrentIndex(page.unit_box.findText("潼南区市场监督管理局梓潼所"))
    assert page.inbox is not None
    assert page.inbox.unit_name == "潼南区市场监督管理局梓潼所"
