"""Logging in: the dialog, the first administrator, unattended starts, switching users."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from desktop.app import Login, log_in
from desktop.models.auth import has_users
from desktop.models.demo import DEMO_PASSWORD
from desktop.models.store import open_database
from desktop.models.users import Role
from desktop.views.dialogs.login_dialog import FirstAdminDialog, LoginDialog
from desktop.views.main_window import MainWindow


def click_ok(qtbot: QtBot, dialog: QDialog, buttons: QDialogButtonBox) -> None:
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)


def test_a_clerk_logs_in_by_typing_name_and_password(qtbot: QtBot, demo_db: Database) -> None:
    dialog = LoginDialog(demo_db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "s01")
    qtbot.keyClicks(dialog.password, DEMO_PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None
    assert dialog.actor.username == "s01"
    assert dialog.actor.role is Role.CLERK
    assert dialog.password.text() == ""  # not kept in the widget


def test_a_wrong_password_keeps_the_dialog_open_and_counts_down(qtbot: QtBot,
                                                                 demo_db: Database) -> None:
    dialog = LoginDialog(demo_db, username="s01")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "wrong-password")
    click_ok(qtbot, dialog, dialog.buttons)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.actor is None
    assert "不正确" in dialog.error.text()
    assert "4 次" in dialog.error.text()
    for _ in range(4):
        qtbot.keyClicks(dialog.password, "wrong-password")
        click_ok(qtbot, dialog, dialog.buttons)
    assert "锁定" in dialog.error.text()
    qtbot.keyClicks(dialog.password, DEMO_PASSWORD)  # even the right one, while locked
    click_ok(qtbot, dialog, dialog.buttons)
    assert dialog.actor is None
    assert "锁定" in dialog.error.text()


def test_an_empty_field_is_named_without_asking_the_database(qtbot: QtBot,
                                                             demo_db: Database) -> None:
    dialog = LoginDialog(demo_db)
    qtbot.addWidget(dialog)
    click_ok(qtbot, dialog, dialog.buttons)
    assert dialog.error.text() == "请输入用户名。"


def test_the_first_start_creates_the_administrator(qtbot: QtBot, tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.db")
    assert not has_users(db)
    dialog = FirstAdminDialog(db)
    qtbot.addWidget(dialog)
    dialog.display_name.setText("王科长")
    qtbot.keyClicks(dialog.password, "short")
    click_ok(qtbot, dialog, dialog.buttons)
    assert "至少需要 8 位" in dialog.error.text()
    qtbot.keyClicks(dialog.password, "-enough")
    qtbot.keyClicks(dialog.repeat, "different")
    click_ok(qtbot, dialog, dialog.buttons)
    assert "不一致" in dialog.error.text()
    dialog.repeat.setText("short-enough")
    click_ok(qtbot, dialog, dialog.buttons)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None
    assert dialog.actor.role is Role.ADMIN
    assert dialog.actor.label == "王科长（管理员）"
    assert has_users(db)
    db.close()


def test_an_unattended_start_logs_in_the_named_user(demo_db: Database,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    actor = log_in(demo_db, Path("demo.db"), Login(user="shenhe", password=DEMO_PASSWORD),
                   interactive=False)
    assert actor is not None
    assert actor.role is Role.REVIEWER
    refused = log_in(demo_db, Path("demo.db"), Login(user="shenhe", password="nope"),
                     interactive=False)
    assert refused is None
    assert "不正确" in capsys.readouterr().err
    nobody = log_in(demo_db, Path("demo.db"), Login(), interactive=False)
    assert nobody is None
    assert "--user" in capsys.readouterr().err


def test_the_window_says_who_is_logged_in_and_starts_on_the_clerks_inbox(
    clerk_window: MainWindow,
) -> None:
    label = clerk_window.context.actor.label
    assert "所填报员" in label
    assert label in clerk_window.windowTitle()
    assert label in clerk_window.user_label.text()
    assert clerk_window.pages.currentWidget() is clerk_window.inbox_page


def test_switching_user_changes_title_rights_and_home_page(
    clerk_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not clerk_window.import_actions[0].isEnabled()
    assert "没有“导入”的权限" in clerk_window.import_actions[0].toolTip()

    def log_in_as_reviewer(dialog: LoginDialog) -> int:
        qtbot.keyClicks(dialog.username, "shenhe")
        qtbot.keyClicks(dialog.password, DEMO_PASSWORD)
        dialog._on_accept()
        return dialog.result()

    monkeypatch.setattr(LoginDialog, "exec", log_in_as_reviewer)
    clerk_window.switch_user_action.trigger()
    assert clerk_window.context.actor.username == "shenhe"
    assert "区局审核员" in clerk_window.windowTitle()
    assert clerk_window.import_actions[0].isEnabled()
    assert clerk_window.pages.currentWidget() is clerk_window.review_page


def test_cancelling_the_login_after_logging_out_closes_the_window(
    clerk_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LoginDialog, "exec", lambda dialog: QDialog.DialogCode.Rejected)
    clerk_window.log_out_action.trigger()
    assert not clerk_window.isVisible()
