"""Workbook imports and exports from the app: preview, confirm, import; export a plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.models.indicators import Origin, list_indicators
from desktop.models.summary import summarise_database
from desktop.views.dialogs.import_preview import (
    ImportResultDialog,
    IndicatorTablePreviewDialog,
)
from desktop.views.main_window import MainWindow

WORKBOOKS = Path(__file__).resolve().parent.parent / "data" / "workbooks"


def test_an_indicator_table_is_previewed_and_imported_into_a_new_plan(
    empty_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[IndicatorTablePreviewDialog] = []

    def accept(dialog: IndicatorTablePreviewDialog) -> int:
        seen.append(dialog)
        return IndicatorTablePreviewDialog.DialogCode.Accepted

    monkeypatch.setattr(IndicatorTablePreviewDialog, "exec", accept)
    empty_window.import_indicator_table(WORKBOOKS / "indicators_003_messy.xlsx")
    qtbot.waitUntil(lambda: empty_window.context.plan is not None, timeout=20000)
    dialog = seen[0]
    assert dialog.table.rowCount() == 19
    assert dialog.import_all.isEnabled()
    plan = empty_window.context.plan
    assert plan is not None
    assert (plan.baseline_year, plan.end_year) == (2020, 2025)
    indicators = list_indicators(empty_window.context.db, plan.id)
    assert len(indicators) == 19
    assert all(i.origin is Origin.WORKBOOK for i in indicators)
    assert "指标已导入" in empty_window.statusBar().currentMessage()


def test_a_table_with_errors_offers_only_the_valid_rows(
    empty_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    book = load_workbook(WORKBOOKS / "indicators_000_clean.xlsx")
    sheet = book.active
    assert sheet is not None
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == ">98")
    cell.value = "大约九十"
    bad = tmp_path / "坏指标表.xlsx"
    book.save(bad)
    seen: list[IndicatorTablePreviewDialog] = []
    monkeypatch.setattr(IndicatorTablePreviewDialog, "exec",
                        lambda dialog: seen.append(dialog) or 0)
    empty_window.import_indicator_table(bad)
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    dialog = seen[0]
    assert not dialog.import_all.isEnabled()
    assert dialog.import_valid.isVisibleTo(dialog)
    flagged = [r for r in range(dialog.table.rowCount())
               if dialog.table.item(r, 7).text() == "大约九十"]
    assert len(flagged) == 1
    assert dialog.table.item(flagged[0], 8).text()  # the row says what is wrong
    locations = [dialog.issues.item(r, 1).text() for r in range(dialog.issues.rowCount())]
    assert any("坏指标表.xlsx" in loc and "列" in loc for loc in locations)
    assert dialog.import_valid.text() == "只导入无误的 15 项"
    assert summarise_database(empty_window.context.db).plans == 0


def test_a_plan_exported_from_the_app_imports_into_another_database(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.excel.jobs import export_plan_job
    from desktop.models.progress import run_job

    plan = window.context.plan
    assert plan is not None
    assert window.context.path is not None
    workbook = tmp_path / "规划.xlsx"
    run_job(export_plan_job(window.context.path, plan.id, workbook))
    assert window.switch_database(tmp_path / "station.db")
    shown: list[ImportResultDialog] = []

    def accept(dialog: ImportResultDialog) -> int:
        shown.append(dialog)
        return ImportResultDialog.DialogCode.Accepted

    monkeypatch.setattr(ImportResultDialog, "exec", accept)
    window.import_plan_workbook(workbook)
    qtbot.waitUntil(lambda: window.context.plan is not None, timeout=30000)
    assert shown[0].import_button.isEnabled()
    summary = summarise_database(window.context.db)
    assert summary.indicators == 16
    assert summary.tasks == 82
    assert summary.units_by_type["station"] == 9
