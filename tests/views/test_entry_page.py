"""The 填报 page: typing, pasting, validation, autosave, evidence, history, locks and roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.models.orgunits import get_unit_by_code
from desktop.models.values import TaskStatus, list_values
from desktop.models.workflow import return_sheet
from desktop.views.dialogs.review_dialogs import HistoryDialog
from desktop.views.entry_grid import EntryTableView
from desktop.views.main_window import MainWindow
from desktop.views.pages.entry import EntryPage
from desktop.views.reporting_models import (
    ElementEntryTableModel,
    TaskEntryTableModel,
    parse_block,
    parse_percent,
    parse_task_status,
)

VALUE = ElementEntryTableModel.VALUE_COLUMN
COMMENT = ElementEntryTableModel.COMMENT_COLUMN


def entry_page(window: MainWindow, station: str = "CQ-TN-S02", period: str = "2024") -> EntryPage:
    """The 填报 page at a station and period (s02's 2024 return is a draft in the demo)."""
    window.open_entry(get_unit_by_code(window.context.db, station).id, period)
    page = window.entry_page
    assert page.sheet is not None
    return page


def type_in(qtbot: QtBot, view: EntryTableView, index: QModelIndex, text: str,
            key: Qt.Key = Qt.Key.Key_Return) -> None:
    """Select a cell and type into it as a user does: the first key opens the editor."""
    view.setFocus()
    view.setCurrentIndex(index)
    qtbot.keyClicks(view, text[0])
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit), "typing on the cell should open its editor"
    qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, key)


def stored(window: MainWindow, page: EntryPage, row: int) -> float | None:
    element_id = page.elements.row(row).element_id
    unit = page.sheet.unit_id if page.sheet else 0
    values = list_values(window.context.db, period="2024", org_unit_id=unit,
                         element_id=element_id)
    return values[0].value if values else None


@pytest.fixture
def clerk2(qtbot: QtBot, demo_path: Path) -> MainWindow:
    from tests.views.conftest import logged_in_window

    win = logged_in_window(qtbot, demo_path, "s02")
    win.activateWindow()
    qtbot.waitActive(win)
    return win


def test_parsing_what_is_pasted_typed_or_picked() -> None:
    assert parse_block("1\t2\n3\t4\n") == [["1", "2"], ["3", "4"]]
    assert parse_block("1\r\n\r\n2") == [["1"], [""], ["2"]]
    assert parse_block('"第一行\n第二行"\t5\n') == [["第一行\n第二行", "5"]]
    assert parse_block('"好"评\t1') == [['"好"评', "1"]]
    assert parse_task_status("已完成") is TaskStatus.COMPLETED
    assert parse_task_status("已") is TaskStatus.COMPLETED
    assert parse_task_status("ywc") is TaskStatus.COMPLETED
    assert parse_task_status("3") is TaskStatus.COMPLETED
    assert parse_task_status("推") is TaskStatus.IN_PROGRESS
    assert parse_task_status("完成一半") is None
    assert parse_percent("60%") == (60.0, "")
    assert parse_percent("６０") == (60.0, "")
    assert parse_percent("120")[1].startswith("完成百分比“120”超过 100")


def test_typing_a_value_and_enter_saves_it_and_moves_down(clerk2: MainWindow,
                                                          qtbot: QtBot) -> None:
    page = entry_page(clerk2)
    assert page.sheet is not None
    assert page.sheet.editable
    assert "草稿" in page.banner.text()
    type_in(qtbot, page.element_view, page.elements.index(0, VALUE), "7200")
    qtbot.waitUntil(lambda: page.element_view.currentIndex().row() == 1)
    assert page.elements.index(0, VALUE).data() == "7200"
    qtbot.waitUntil(lambda: stored(clerk2, page, 0) == 7200, timeout=3000)  # autosaved
    assert "已自动保存" in page.saved_label.text()


def test_tab_moves_across_to_the_comment(clerk2: MainWindow, qtbot: QtBot) -> None:
    page = entry_page(clerk2)
    type_in(qtbot, page.element_view, page.elements.index(1, VALUE), "2400", Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.element_view.currentIndex().column() == COMMENT)
    assert page.element_view.currentIndex().row() == 1


def test_a_wrong_value_turns_red_says_why_and_is_not_saved(clerk2: MainWindow,
                                                           qtbot: QtBot) -> None:
    page = entry_page(clerk2)
    before = stored(clerk2, page, 2)
    page.element_view.setFocus()
    page.element_view.setCurrentIndex(page.elements.index(2, VALUE))
    qtbot.keyClicks(page.element_view, "1")  # a typo: letters O for zeros
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "2OO")
    assert "background: #f8d0d0" in editor.styleSheet()  # red while typing
    assert "无法识别" in editor.toolTip()
    assert page.problem.isVisible()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.elements.index(2, VALUE).data() == "12OO")
    index = page.elements.index(2, VALUE)
    assert index.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#f8d0d0"
    assert "无法识别" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "12OO" in page.problem.text()
    page.flush()
    assert stored(clerk2, page, 2) == before
    # correcting it clears the red and saves
    type_in(qtbot, page.element_view, index, "1200")
    qtbot.waitUntil(lambda: not page.problem.isVisible())
    page.flush()
    assert stored(clerk2, page, 2) == 1200


def test_ctrl_v_pastes_a_block_copied_from_excel(clerk2: MainWindow, qtbot: QtBot) -> None:
    page = entry_page(clerk2)
    QGuiApplication.clipboard().setText("101\t核对台账\n102\t\n1,103\t\n")
    page.element_view.setFocus()
    page.element_view.setCurrentIndex(page.elements.index(0, VALUE))
    qtbot.keyClick(page.element_view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [page.elements.index(r, VALUE).data() for r in range(3)] == ["101", "102", "1103"]
    assert page.elements.index(0, COMMENT).data() == "核对台账"
    page.flush()
    assert [stored(clerk2, page, r) for r in range(3)] == [101, 102, 1103]
    assert "已粘贴 6 个单元格" in clerk2.statusBar().currentMessage()


def test_the_status_column_completes_what_is_typed(clerk2: MainWindow, qtbot: QtBot) -> None:
    page = entry_page(clerk2)
    status = page.tasks.index(0, TaskEntryTableModel.STATUS_COLUMN)
    type_in(qtbot, page.task_view, status, "ywc")
    qtbot.waitUntil(lambda: page.tasks.index(0, TaskEntryTableModel.STATUS_COLUMN).data()
                    == "已完成")
    type_in(qtbot, page.task_view, page.tasks.index(0, TaskEntryTableModel.PERCENT_COLUMN),
            "100%")
    qtbot.waitUntil(lambda: page.tasks.index(0, TaskEntryTableModel.PERCENT_COLUMN).data()
                    == "100")
    page.flush()
    assert page.sheet is not None
    sheet = return_sheet(clerk2.context.db, clerk2.context.actor, page.sheet.plan_id,
                         page.sheet.unit_id, "2024")
    assert sheet.tasks[0].status is TaskStatus.COMPLETED
    assert sheet.tasks[0].percent == 100


def test_evidence_is_attached_counted_and_opened(
    clerk2: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QFileDialog

    page = entry_page(clerk2)
    source = tmp_path / "抽检台账.pdf"
    source.write_bytes(b"%PDF-1.4 demo ledger")
    page.element_view.setCurrentIndex(page.elements.index(4, VALUE))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(source), ""))
    page.attach_button.click()
    assert page.elements.index(4, ElementEntryTableModel.EVIDENCE_COLUMN).data() == "1"
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    page.open_button.click()
    assert len(opened) == 1
    assert Path(opened[0]).read_bytes() == source.read_bytes()
    assert Path(opened[0]) != source  # a copy in the data folder


def test_history_lists_each_change_with_who_and_source(
    clerk2: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = entry_page(clerk2)
    type_in(qtbot, page.element_view, page.elements.index(0, VALUE), "7300")
    qtbot.waitUntil(lambda: page.element_view.currentIndex().row() == 1)
    page.flush()
    page.element_view.setCurrentIndex(page.elements.index(0, VALUE))
    shown: list[HistoryDialog] = []
    monkeypatch.setattr(HistoryDialog, "exec", lambda dialog: shown.append(dialog) or 0)
    page.history_button.click()
    table = shown[0].table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]
    last = rows[-1]
    assert last[1] == "s02"
    assert last[2] == "修改数值"
    assert "7300" in last[4]
    assert last[5] == "键盘录入"


def test_a_submitted_return_is_read_only_and_says_why(
    qtbot: QtBot, demo_path: Path
) -> None:
    from tests.views.conftest import logged_in_window

    window = logged_in_window(qtbot, demo_path, "s01")  # 大佛所 2024 is submitted in the demo
    window.activateWindow()
    qtbot.waitActive(window)
    page = entry_page(window, "CQ-TN-S01")
    assert page.sheet is not None
    assert not page.sheet.editable
    assert "已报送" in page.banner.text()
    index = page.elements.index(0, VALUE)
    before = index.data()
    page.element_view.setFocus()
    page.element_view.setCurrentIndex(index)
    qtbot.keyClicks(page.element_view, "9")
    assert not isinstance(QApplication.focusWidget(), QLineEdit)
    assert index.data() == before
    assert "不能修改" in page.problem.text()
    assert not page.submit_button.isEnabled()
    assert "已报送" in page.submit_button.toolTip()
    window.context.db.close()


def test_a_viewer_sees_figures_but_every_action_is_disabled_with_a_reason(
    viewer_window: MainWindow,
) -> None:
    page = entry_page(viewer_window, "CQ-TN-S02")
    assert page.sheet is not None
    assert not page.sheet.editable
    assert not page.elements.is_editable(page.elements.index(0, VALUE))
    for button in (page.attach_button, page.submit_button):
        assert not button.isEnabled()
        assert "查看者" in button.toolTip()
    assert page.open_button.isEnabled()


def test_a_clerk_cannot_pick_another_unit(clerk2: MainWindow) -> None:
    page = entry_page(clerk2)
    assert page.unit_box.count() == 1
    assert not page.unit_box.isEnabled()


def test_pending_edits_are_saved_when_leaving_the_page(clerk2: MainWindow,
                                                       qtbot: QtBot) -> None:
    page = entry_page(clerk2)
    page.elements.setData(page.elements.index(0, VALUE), "8100")
    assert page.has_pending()
    clerk2.show_page("收件箱")
    assert not page.has_pending()
    assert stored(clerk2, page, 0) == 8100


def test_a_save_refused_by_the_models_is_shown_and_the_grid_reloaded(
    clerk2: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.models.workflow import submit

    page = entry_page(clerk2)
    sheet = page.sheet
    assert sheet is not None
    page.elements.setData(page.elements.index(0, VALUE), "8200")
    # meanwhile the return was submitted (e.g. in another window)
    submit(clerk2.context.db, clerk2.context.actor, sheet.plan_id, sheet.unit_id, "2024")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    assert not page.flush()
    assert shown
    assert "已报送" in shown[0]
    assert page.sheet is not None
    assert not page.sheet.editable
