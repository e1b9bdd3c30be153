"""Visit every page and the main dialogs and save screenshots (for docs and visual checks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from desktop.views.main_window import MainWindow

log = logging.getLogger(__name__)

#: File names (ASCII, for the docs) of the pages shown as the screenshot user; the inbox is
#: shown as a clerk in its own scene.
PAGE_FILES = {"规划总览": "01-overview", "指标": "02-indicators", "任务": "03-tasks",
              "单位": "04-units", "填报": "05-entry", "审核": "06-review",
              "汇总": "07-aggregate", "考核": "08-assessment", "报表": "09-reports",
              "设置": "10-settings"}

Scene = tuple[str, Callable[[MainWindow], QWidget | None]]


def _outline_preview(window: MainWindow) -> QWidget | None:
    from desktop.documents.plan_document import read_plan_document
    from desktop.paths import resource_path
    from desktop.views.dialogs.outline_import_dialog import OutlineImportDialog

    document = read_plan_document(resource_path("demo", "tongnan-plan.txt"))
    dialog = OutlineImportDialog(window.context, document, window)
    chapter = dialog.model.index(4, 0)
    dialog.tree.expand(chapter)
    section = dialog.model.index(0, 0, chapter)
    dialog.tree.expand(section)
    dialog.tree.expand(dialog.model.index(0, 0, section))
    dialog.tree.setCurrentIndex(dialog.model.index(0, 0, dialog.model.index(0, 0, section)))
    return dialog


def _assignment_editor(window: MainWindow) -> QWidget | None:
    from desktop.views.dialogs.assignment_dialog import AssignmentDialog

    page = window.tasks_page
    window.show_page("任务")
    chapter = page.model.index(4, 0)
    task_index = page.model.index(0, 0, page.model.index(0, 0, page.model.index(0, 0, chapter)))
    page.tree.setCurrentIndex(task_index)
    item = page.model.object_at(task_index)
    plan = window.context.plan
    if item is None or plan is None:
        return None
    from desktop.models.orgunits import list_units

    return AssignmentDialog(item, list_units(window.context.db), plan.years,
                            page.model.assignments.get(item.id), window)


def _indicator_editor(window: MainWindow) -> QWidget | None:
    page = window.indicators_page
    window.show_page("指标")
    page.table.selectRow(9)
    indicator = page.current_indicator()
    return page._dialog(indicator) if indicator else None


def _unit_editor(window: MainWindow) -> QWidget | None:
    from desktop.models.orgunits import get_unit_by_code

    page = window.show_page("单位")
    station = get_unit_by_code(window.context.db, "CQ-TN-S01")
    page.select_unit(station.id)  # type: ignore[attr-defined]
    return page._dialog(station)  # type: ignore[attr-defined, no-any-return]


def _indicator_table_preview(window: MainWindow) -> QWidget | None:
    from desktop.excel.indicator_table import parse_indicator_workbook
    from desktop.views.dialogs.import_preview import IndicatorTablePreviewDialog

    source = Path(__file__).resolve().parents[2] / "tests" / "data" / "workbooks"
    workbook = source / "indicators_003_messy.xlsx"
    if not workbook.exists():
        return None
    preview = parse_indicator_workbook(workbook)
    return IndicatorTablePreviewDialog(preview, window.context.plans, None, window)


def _returns_preview(window: MainWindow) -> QWidget | None:
    """A batch of three returns: one good, one with a wrong value, one with a changed lock."""
    import tempfile

    from openpyxl import load_workbook

    from desktop.excel.returns import preview_returns
    from desktop.excel.template_format import (
        ELEMENT_VALUE_COLUMN,
        SHEET_ENTRY,
        SHEET_META,
        TemplateMeta,
    )
    from desktop.excel.templates import write_templates
    from desktop.models.orgunits import UnitType, list_units
    from desktop.views.dialogs.exchange_dialogs import ReturnsPreviewDialog

    plan = window.context.plan
    if plan is None:
        return None
    db = window.context.db
    stations = [u.id for u in list_units(db, UnitType.STATION)][:3]
    folder = Path(tempfile.mkdtemp(prefix="plandesk-shots-"))
    files = write_templates(db, plan.id, "2025", stations, folder)
    for index, path in enumerate(files):
        book = load_workbook(path)
        meta = TemplateMeta.from_rows({str(r[0].value): str(r[1].value or "")
                                       for r in book[SHEET_META].iter_rows()})
        sheet = book[SHEET_ENTRY]
        for n, row in enumerate(sorted(meta.element_rows)):
            sheet.cell(row, ELEMENT_VALUE_COLUMN).value = 1200 + 37 * n
        if index == 1:
            sheet.cell(min(meta.element_rows), ELEMENT_VALUE_COLUMN).value = "大约九十"
        if index == 2:
            sheet.cell(min(meta.element_rows), 3).value = "被改动的数据项名称"
        book.save(path)
    return ReturnsPreviewDialog(preview_returns(db, files), window)


def _log_in_as(window: MainWindow, username: str) -> None:
    """Switch the window to a demo user (all share the demo password)."""
    from desktop.models.auth import authenticate
    from desktop.models.demo import DEMO_PASSWORD

    window.context.set_actor(authenticate(window.context.db, username, DEMO_PASSWORD))


def _station_code(number: int) -> str:
    return f"CQ-TN-S{number:02d}"


def _login(window: MainWindow) -> QWidget | None:
    from desktop.views.dialogs.login_dialog import LoginDialog

    window.show_page("规划总览")
    dialog = LoginDialog(window.context.db, window, username="s02",
                         database_name=window.context.path.name if window.context.path else "")
    dialog.password.setText("plandesk")
    dialog.error.setText("用户名或密码不正确，请检查后重新输入（再输错 4 次，账号将锁定 5 分钟）。")
    return dialog


def _inbox(window: MainWindow) -> QWidget | None:
    _log_in_as(window, "s03")  # the demo returned this station's 2025 return
    window.show_page("收件箱")
    return None


def _entry_with_error(window: MainWindow) -> QWidget | None:
    from desktop.views.reporting_models import ElementEntryTableModel

    _log_in_as(window, "s02")  # the demo has a draft of 2024 for this station
    window.open_entry(window.context.actor.org_unit_id or 0, "2024")
    page = window.entry_page
    column = ElementEntryTableModel.VALUE_COLUMN
    if page.elements.rowCount() > 2:
        index = page.elements.index(2, column)
        page.element_view.setCurrentIndex(index)
        page.elements.setData(index, "约1200")
        page.element_view.setCurrentIndex(page.elements.index(3, column))
    return None


def _return_dialog(window: MainWindow) -> QWidget | None:
    from desktop.models.orgunits import get_unit_by_code

    _log_in_as(window, "shenhe")
    page = window.review_page
    window.show_page("审核")
    page.tabs.setCurrentIndex(0)
    page.select_unit(get_unit_by_code(window.context.db, _station_code(1)).id)
    sheet = page.sheet
    if sheet is None:
        return None
    from desktop.views.dialogs.review_dialogs import ReturnDialog

    dialog = ReturnDialog(sheet, window)
    dialog.reason.setPlainText("食品抽检批次比上年少四成，与工作台账不符，请核实后重新报送。")
    if sheet.rows:
        dialog.set_comment("element", sheet.rows[min(2, len(sheet.rows) - 1)].element_id,
                           "请附抽检台账作为佐证")
    return dialog


def _board(window: MainWindow) -> QWidget | None:
    _log_in_as(window, "shenhe")
    window.show_page("审核")
    window.review_page.tabs.setCurrentIndex(1)
    return None


def _dashboard_stations(window: MainWindow) -> QWidget | None:
    """The stations compared on a rate (the reviewer's view), with the class colours."""
    from desktop.models.indicators import list_indicators

    plan = window.context.plan
    _log_in_as(window, "shenhe")
    page = window.dashboard_page
    window.show_page("汇总")
    rates = [i for i in list_indicators(window.context.db, plan.id) if "双随机" in i.name] \
        if plan else []
    if rates:
        page.select_indicator(rates[0].id)
    page.tabs.setCurrentIndex(page.STATION_TAB)
    return None


SCENES: tuple[Scene, ...] = (
    ("11-outline-import-preview", _outline_preview),
    ("12-assignment-editor", _assignment_editor),
    ("13-indicator-editor", _indicator_editor),
    ("14-unit-editor", _unit_editor),
    ("15-indicator-table-preview", _indicator_table_preview),
    ("16-returns-import-preview", _returns_preview),
    ("21-login", _login),
    ("22-inbox", _inbox),
    ("23-entry-validation", _entry_with_error),
    ("24-return-dialog", _return_dialog),
    ("25-completeness-board", _board),
    ("26-dashboard-stations", _dashboard_stations),
)


def take_screenshots(window: MainWindow, folder: Path, *, quit_after: bool = True) -> list[Path]:
    """Show each page and dialog in turn and grab the whole screen into ``folder``; then quit."""
    folder.mkdir(parents=True, exist_ok=True)
    screen = QGuiApplication.primaryScreen()
    window.setGeometry(screen.availableGeometry())
    written: list[Path] = []
    titles = window.page_titles()
    steps: list[tuple[str, Callable[[], QWidget | None]]] = []
    for row, title in enumerate(titles):
        if title in PAGE_FILES:
            steps.append((PAGE_FILES[title], partial(_show_page, window, row)))
    for name, build in SCENES:
        steps.append((name, partial(build, window)))

    def run(index: int) -> None:
        if index >= len(steps):
            log.info("screenshots written: %s", [str(p) for p in written])
            if quit_after:
                QApplication.quit()
            return
        name, show = steps[index]
        try:
            shown = show()
        except Exception:  # a screenshot pass never stops on one broken scene
            log.exception("screenshot scene %s failed", name)
            shown = None
        if shown is not None:
            shown.show()
            shown.raise_()
        QTimer.singleShot(400, lambda: grab(index, name, shown))

    def grab(index: int, name: str, shown: QWidget | None, waited: int = 0) -> None:
        busy = getattr(window.pages.currentWidget(), "busy", None)
        if callable(busy) and busy() and waited < 50:  # a page computing off the UI thread
            QTimer.singleShot(200, lambda: grab(index, name, shown, waited + 1))
            return
        path = folder / f"{name}.png"
        pixmap = screen.grabWindow(0)
        if pixmap.isNull() or QGuiApplication.platformName() == "offscreen":
            pixmap = (shown or window).grab()
        pixmap.save(str(path))
        written.append(path)
        if shown is not None:
            shown.close()
        run(index + 1)

    run(0)
    return written


def _show_page(window: MainWindow, row: int) -> QWidget | None:
    window.nav.setCurrentRow(row)
    title = window.page_titles()[row]
    if title == "指标":  # show an indicator's detail panel too
        window.indicators_page.table.selectRow(9)
    if title == "填报":  # a station's return rather than the bureau's
        from desktop.models.orgunits import get_unit_by_code

        window.open_entry(get_unit_by_code(window.context.db, _station_code(1)).id, "2024")
    if title == "任务":  # show a task's text and assignment
        page = window.tasks_page
        chapter = page.model.index(4, 0)
        section = page.model.index(0, 0, chapter)
        page.tree.setCurrentIndex(page.model.index(0, 0, page.model.index(0, 0, section)))
    return None
