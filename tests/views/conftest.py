"""Qt fixtures: settings in a temporary folder, the app's fonts and translations loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import install_chinese
from desktop.models.auth import authenticate
from desktop.models.demo import DEMO_PASSWORD
from desktop.models.store import open_database
from desktop.views.context import AppContext
from desktop.views.main_window import MainWindow


@pytest.fixture(autouse=True)
def _settings_in_tmp(tmp_path: Path, qapp: QApplication) -> None:
    QCoreApplication.setOrganizationName("PlanDeskTests")
    QCoreApplication.setApplicationName("PlanDeskTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    QSettings().clear()


@pytest.fixture(scope="session", autouse=True)
def _chinese(qapp: QApplication) -> None:
    install_chinese(qapp)


@pytest.fixture
def window(qtbot: QtBot, demo_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(AppContext(open_database(demo_path), demo_path))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.context.db.close()


@pytest.fixture
def empty_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    path = tmp_path / "empty.db"
    win = MainWindow(AppContext(open_database(path), path))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.context.db.close()


def logged_in_window(qtbot: QtBot, path: Path, username: str) -> MainWindow:
    """A main window on ``path`` with a demo user logged in (password ``plandesk-demo``)."""
    db = open_database(path)
    win = MainWindow(AppContext(db, path, actor=authenticate(db, username, DEMO_PASSWORD)))
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def clerk_window(qtbot: QtBot, demo_path: Path) -> Iterator[MainWindow]:
    """The clerk of 大佛所 (s01, unit CQ-TN-S01) on the demo database."""
    win = logged_in_window(qtbot, demo_path, "s01")
    yield win
    win.context.db.close()


@pytest.fixture
def reviewer_window(qtbot: QtBot, demo_path: Path) -> Iterator[MainWindow]:
    """The district reviewer (shenhe) on the demo database."""
    win = logged_in_window(qtbot, demo_path, "shenhe")
    yield win
    win.context.db.close()


@pytest.fixture
def viewer_window(qtbot: QtBot, demo_path: Path) -> Iterator[MainWindow]:
    """A viewer (chakan) on the demo database."""
    win = logged_in_window(qtbot, demo_path, "chakan")
    yield win
    win.context.db.close()
