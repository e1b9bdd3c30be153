"""The whole reporting cycle through the GUI: station and district, each with its own database.

A clerk logs in, types and pastes figures, attaches evidence and submits; the district imports
the submission and returns it with a reason; the station imports the notice, sees the reason
in its inbox, corrects and resubmits; the district sees the diff and approves; the period is
locked at the station.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.models.demo import DEMO_PASSWORD
from desktop.models.errors import PermissionDenied
from desktop.models.orgunits import get_unit_by_code
from desktop.models.store import open_database
from desktop.models.values import SubmissionStatus
from desktop.models.workflow import EntryValue, save_draft
from desktop.views.context import AppContext
from desktop.views.dialogs.exchange_dialogs import ReturnsPreviewDialog
from desktop.views.dialogs.login_dialog import LoginDialog
from desktop.views.main_window import MainWindow
from desktop.views.reporting_models import ElementEntryTableModel, TaskEntryTableModel
from tests.views.conftest import logged_in_window

VALUE = ElementEntryTableModel.VALUE_COLUMN
STATION = "CQ-TN-S02"  # 龙形所: its 2024 return is a draft in the demo
PERIOD = "2024"


def answer_file_dialogs(monkeypatch: pytest.MonkeyPatch, *, folder: Path | None = None,
                        save: Path | None = None, open_: Path | None = None) -> None:
    """The native file dialogs would block: answer them with these paths."""
    if folder is not None:
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    if save is not None:
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(save), ""))
    if open_ is not None:
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(open_), ""))


def while_modal(action: Callable[[], None]) -> None:
    """Run ``action`` once the modal dialog about to open is running its event loop."""
    QTimer.singleShot(0, action)


def activate(qtbot: QtBot, window: MainWindow) -> None:
    """Bring a window to the front before typing into it (two windows share the test)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def type_value(qtbot: QtBot, window: MainWindow, row: int, text: str) -> None:
    activate(qtbot, window)
    view, model = window.entry_page.element_view, window.entry_page.elements
    view.setFocus()
    view.setCurrentIndex(model.index(row, VALUE))
    qtbot.keyClicks(view, text[0])
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.index(row, VALUE).data() == text.replace(",", ""))


def station_status(window: MainWindow) -> SubmissionStatus | None:
    sheet = window.entry_page.sheet
    assert sheet is not None
    return sheet.submission.status if sheet.submission else None


@pytest.fixture
def district_path(demo_template: Path, tmp_path: Path) -> Path:
    """The district's own database (a copy of the demo, like the station's)."""
    (tmp_path / "district").mkdir()
    path = tmp_path / "district" / "district.db"
    shutil.copy(demo_template, path)
    return path


def test_a_return_goes_round_the_cycle_until_it_is_locked(
    qtbot: QtBot, demo_path: Path, district_path: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: warnings.append(text))
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a: warnings.append(text))

    # --- the clerk logs in at the station ---------------------------------------------
    station_db = open_database(demo_path)
    login = LoginDialog(station_db)
    qtbot.addWidget(login)
    login.show()
    qtbot.keyClicks(login.username, "s02")
    qtbot.keyClicks(login.password, DEMO_PASSWORD)
    qtbot.mouseClick(login.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert login.actor is not None
    login.close()
    station = MainWindow(AppContext(station_db, demo_path, actor=login.actor))
    qtbot.addWidget(station)
    station.show()
    activate(qtbot, station)
    assert station.pages.currentWidget() is station.inbox_page
    unit_id = get_unit_by_code(station_db, STATION).id
    assert login.actor.org_unit_id == unit_id

    # --- fills the grid: typing, then pasting a block copied from Excel --------------
    station.open_entry(unit_id, PERIOD)
    page = station.entry_page
    assert station_status(station) is SubmissionStatus.DRAFT
    type_value(qtbot, station, 0, "7,150")
    type_value(qtbot, station, 1, "2350")
    QGuiApplication.clipboard().setText("180\t按台账\n5600\t\n")
    page.element_view.setCurrentIndex(page.elements.index(2, VALUE))
    qtbot.keyClick(page.element_view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert page.elements.index(3, VALUE).data() == "5600"
    activate(qtbot, station)
    page.task_view.setFocus()
    page.task_view.setCurrentIndex(page.tasks.index(0, TaskEntryTableModel.STATUS_COLUMN))
    page.tasks.setData(page.tasks.index(0, TaskEntryTableModel.STATUS_COLUMN), "tjz")

    # --- attaches evidence to the pasted row -------------------------------------------
    ledger = tmp_path / "抽查台账.pdf"
    ledger.write_bytes(b"%PDF-1.4 ledger of random checks")
    page.element_view.setFocus()  # the user clicks the row
    page.element_view.setCurrentIndex(page.elements.index(2, VALUE))
    answer_file_dialogs(monkeypatch, open_=ledger)
    page.attach_button.click()
    assert page.elements.index(2, ElementEntryTableModel.EVIDENCE_COLUMN).data() == "1"

    # --- submits: the submission file (a zip, with the evidence) is written -----------
    out = tmp_path / "station-out"
    out.mkdir()
    answer_file_dialogs(monkeypatch, folder=out)
    page.submit_button.click()
    qtbot.waitUntil(lambda: getattr(page, "last_submission_file", None) is not None,
                    timeout=30000)
    first_file: Path = page.last_submission_file
    assert first_file.exists()
    assert first_file.suffix == ".zip"
    qtbot.waitUntil(lambda: station_status(station) is SubmissionStatus.SUBMITTED)
    assert not page.elements.is_editable(page.elements.index(0, VALUE))

    # --- the reviewer imports it at the district ----------------------------------------
    district = logged_in_window(qtbot, district_path, "shenhe")
    review = district.review_page
    assert district.pages.currentWidget() is review

    def import_submission(path: Path) -> None:
        def accept(dialog: ReturnsPreviewDialog) -> int:
            dialog.confirm.setChecked(True)  # the district's copy held the demo figures
            return ReturnsPreviewDialog.DialogCode.Accepted

        monkeypatch.setattr(ReturnsPreviewDialog, "exec", accept)
        district.statusBar().clearMessage()
        review.import_button.click()
        qtbot.waitUntil(lambda: "已导入 1 个文件" in district.statusBar().currentMessage(),
                        timeout=60000)

    answer_file_dialogs(monkeypatch, open_=first_file)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(first_file)], ""))
    import_submission(first_file)
    district_unit = get_unit_by_code(district.context.db, STATION).id
    review.period_picker.set_period(review.period_picker.period().parse(PERIOD))
    assert review.select_unit(district_unit)
    sub = review.current_submission()
    assert sub is not None
    assert sub.status is SubmissionStatus.SUBMITTED
    assert review.elements.index(0, VALUE).data() == "7150"

    # --- returns it with a reason and a comment through the ReturnDialog --------------
    notice = tmp_path / "notice-1.xlsx"
    answer_file_dialogs(monkeypatch, save=notice)
    element_id = review.elements.row(0).element_id

    def fill_return_dialog() -> None:
        dialog = review.return_form
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)  # no reason yet: refused
        assert "必须填写原因" in dialog.error.text()
        dialog.reason.setFocus()
        dialog.reason.insertPlainText("市场主体数与登记系统不符，请核实后重报。")
        dialog.set_comment("element", element_id, "登记系统为 7015 户")
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    while_modal(fill_return_dialog)
    review.return_button.click()
    qtbot.waitUntil(lambda: notice.exists(), timeout=30000)
    sub = review.current_submission()
    assert sub is not None
    assert sub.status is SubmissionStatus.RETURNED

    # --- the clerk imports the notice and sees the reason in the inbox -----------------
    answer_file_dialogs(monkeypatch, open_=notice)
    page.import_notice_button.click()
    qtbot.waitUntil(lambda: station_status(station) is SubmissionStatus.RETURNED,
                    timeout=30000)
    inbox = station.inbox_page
    station.show_page("收件箱")
    reasons = [r.reason for r in inbox.returned.records()]
    assert "市场主体数与登记系统不符，请核实后重报。" in reasons
    row = reasons.index("市场主体数与登记系统不符，请核实后重报。")
    assert ("市场主体数", "登记系统为 7015 户") in inbox.returned.record(row).comments
    index = inbox.returned.index(row, 0)
    inbox.returned_view.doubleClicked.emit(index)
    assert station.pages.currentWidget() is page
    assert "退回" in page.banner.text()
    assert page.elements.review_comment(0) == "登记系统为 7015 户"

    # --- corrects and resubmits ----------------------------------------------------------
    type_value(qtbot, station, 0, "7015")
    out2 = tmp_path / "station-out-2"
    out2.mkdir()
    answer_file_dialogs(monkeypatch, folder=out2)
    page.last_submission_file = None
    page.submit_button.click()
    qtbot.waitUntil(lambda: page.last_submission_file is not None, timeout=30000)
    second_file: Path = page.last_submission_file
    assert second_file.parent == out2

    # --- the reviewer imports again, sees the diff and approves ------------------------
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(second_file)], ""))
    import_submission(second_file)
    assert review.select_unit(district_unit)
    diffs = review.diffs.records()
    assert [(d.name, d.field, d.old, d.new) for d in diffs] == [
        ("市场主体数", "本期数值", "7150", "7015")]
    assert "改动了 1 处" in review.diff_caption.text()
    notice2 = tmp_path / "notice-2.xlsx"
    answer_file_dialogs(monkeypatch, save=notice2)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    review.approve_button.click()
    qtbot.waitUntil(lambda: notice2.exists(), timeout=30000)
    sub = review.current_submission()
    assert sub is not None
    assert sub.status is SubmissionStatus.APPROVED

    # --- the period is locked at the station ----------------------------------------
    answer_file_dialogs(monkeypatch, open_=notice2)
    page.import_notice_button.click()
    qtbot.waitUntil(lambda: station_status(station) is SubmissionStatus.APPROVED,
                    timeout=30000)
    assert "已审核锁定" in page.banner.text()
    value = page.elements.index(0, VALUE)
    assert not page.elements.is_editable(value)
    activate(qtbot, station)
    page.element_view.setFocus()
    page.element_view.setCurrentIndex(value)
    qtbot.keyClicks(page.element_view, "9")
    assert value.data() == "7015"
    assert "不能修改" in page.problem.text()
    with pytest.raises(PermissionDenied, match="已审核锁定"):
        save_draft(station_db, station.context.actor, page.sheet.plan_id,  # type: ignore[union-attr]
                   unit_id, PERIOD, [EntryValue(value=1, element_id=page.elements.row(0)
                                                .element_id)])
    assert warnings == []
    district.context.db.close()
    station_db.close()
