"""The 审核 page: submissions of a period, return / approve / reopen, the board, roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.models.orgunits import get_unit_by_code
from desktop.models.values import SubmissionStatus
from desktop.models.windows import Timeliness
from desktop.views.dialogs.review_dialogs import ReasonDialog, ReturnDialog
from desktop.views.main_window import MainWindow
from desktop.views.pages.review import ReviewPage


def review_page(window: MainWindow, station: str = "CQ-TN-S01") -> ReviewPage:
    page = window.show_page("审核")
    assert isinstance(page, ReviewPage)
    assert page.select_unit(get_unit_by_code(window.context.db, station).id)
    return page


def test_the_list_shows_the_period_waiting_for_review(reviewer_window: MainWindow) -> None:
    page = review_page(reviewer_window)
    assert page.period().id == "2024"  # the latest period with returns waiting
    statuses = [r.status_text for r in page.submissions.records()]
    assert statuses[:3] == ["已报送"] * 3
    assert "待审核 3" in page.list_summary.text()
    assert page.return_button.isEnabled()
    assert page.approve_button.isEnabled()
    assert not page.reopen_button.isEnabled()
    assert "已审核锁定" in page.reopen_button.toolTip()


def test_a_return_needs_a_reason_and_keeps_the_comments(
    reviewer_window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = review_page(reviewer_window)
    notice = tmp_path / "通知.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(notice), ""))
    element_id = page.elements.row(1).element_id

    def fill() -> None:
        dialog = page.return_form
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()
        assert "必须填写原因" in dialog.error.text()
        dialog.reason.setPlainText("企业数偏低，请核实。")
        dialog.set_comment("element", element_id, "与登记系统相差 120 户")
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, fill)
    page.return_button.click()
    qtbot.waitUntil(notice.exists, timeout=30000)
    sub = page.current_submission()
    assert sub is not None
    assert sub.status is SubmissionStatus.RETURNED
    assert sub.reason == "企业数偏低，请核实。"
    assert page.elements.review_comment(1) == "与登记系统相差 120 户"
    assert "退回" in reviewer_window.statusBar().currentMessage() or notice.exists()


def test_approve_then_reopen_with_a_reason(
    reviewer_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = review_page(reviewer_window)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    page.approve_button.click()
    sub = page.current_submission()
    assert sub is not None
    assert sub.status is SubmissionStatus.APPROVED
    assert page.reopen_button.isEnabled()

    def give_reason(dialog: ReasonDialog) -> int:
        dialog._on_accept()
        assert "请填写原因" in dialog.error.text()
        dialog.reason.setPlainText("上级通报口径调整，需补充说明。")
        dialog._on_accept()
        return dialog.result()

    monkeypatch.setattr(ReasonDialog, "exec", give_reason)
    page.reopen_button.click()
    sub = page.current_submission()
    assert sub is not None
    assert sub.status is SubmissionStatus.RETURNED
    assert sub.reason == "上级通报口径调整，需补充说明。"


def test_the_board_colours_each_unit_and_period(reviewer_window: MainWindow) -> None:
    page = review_page(reviewer_window)
    page.tabs.setCurrentIndex(1)
    board = page.board
    names = [board.unit(r).name for r in range(board.rowCount())]
    row = names.index("潼南区市场监督管理局大佛所")
    column = [board.period(c) for c in range(board.columnCount())].index("2023")
    index = board.index(row, column)
    assert index.data() == Timeliness.APPROVED.label
    assert index.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#9fd8ac"
    later = board.index(row, column + 1)
    assert later.data() == Timeliness.ON_TIME.label
    assert "报送时间" in later.data(Qt.ItemDataRole.ToolTipRole)
    assert "截止日期" in later.data(Qt.ItemDataRole.ToolTipRole)
    labels = {board.index(r, c).data() for r in range(board.rowCount())
              for c in range(board.columnCount())}
    assert {"退回", "逾期报送", "未报"} <= labels


def test_a_clerk_or_viewer_cannot_review(viewer_window: MainWindow,
                                         clerk_window: MainWindow) -> None:
    for window in (viewer_window, clerk_window):
        page = window.show_page("审核")
        assert isinstance(page, ReviewPage)
        for button in (page.return_button, page.approve_button, page.import_button):
            assert not button.isEnabled()
            assert "没有" in button.toolTip()


def test_the_return_dialog_lists_values_and_tasks(reviewer_window: MainWindow,
                                                 qtbot: QtBot) -> None:
    page = review_page(reviewer_window)
    assert page.sheet is not None
    dialog = ReturnDialog(page.sheet)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(page.sheet.rows) + len(page.sheet.tasks)
    assert dialog.comments() == {}
