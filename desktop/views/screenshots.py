"""Visit every page and save a screenshot of the screen (for docs and visual checks)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop.views.main_window import MainWindow

log = logging.getLogger(__name__)

#: File names (ASCII, for the docs) of the pages in navigation order.
PAGE_FILES = ("overview", "indicators", "tasks", "units", "entry", "review", "aggregate",
              "assessment", "reports", "settings")


def take_screenshots(window: MainWindow, folder: Path, *, quit_after: bool = True) -> list[Path]:
    """Show each page in turn and grab the whole screen into ``folder``; then quit."""
    folder.mkdir(parents=True, exist_ok=True)
    screen = QGuiApplication.primaryScreen()
    window.setGeometry(screen.availableGeometry())
    written: list[Path] = []
    titles = window.page_titles()

    def shoot(row: int) -> None:
        if row >= len(titles):
            log.info("screenshots written: %s", [str(p) for p in written])
            if quit_after:
                QApplication.quit()
            return
        window.nav.setCurrentRow(row)
        if row == 1:  # show an indicator's detail panel too
            page = window.pages.widget(1)
            table = getattr(page, "table", None)
            if table is not None:
                table.selectRow(9)
        QTimer.singleShot(250, lambda: grab(row))

    def grab(row: int) -> None:
        path = folder / f"{row + 1:02d}-{PAGE_FILES[row]}.png"
        pixmap = screen.grabWindow(0)
        if pixmap.isNull() or QGuiApplication.platformName() == "offscreen":
            pixmap = window.grab()
        pixmap.save(str(path))
        written.append(path)
        shoot(row + 1)

    shoot(0)
    return written
