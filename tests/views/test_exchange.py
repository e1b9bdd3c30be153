"""Templates out, returns in, from the app: the preview shows every file before writing."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pytestqt.qtbot import QtBot

from desktop.excel.template_format import (
    ELEMENT_VALUE_COLUMN,
    SHEET_ENTRY,
    SHEET_META,
    TemplateMeta,
)
from desktop.models.values import list_values
from desktop.views.dialogs.exchange_dialogs import ReturnsPreviewDialog, TemplatesDialog
from desktop.views.main_window import MainWindow


def make_templates(window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                   out: Path) -> list[Path]:
    def accept(dialog: TemplatesDialog) -> int:
        dialog.period_picker.kind.setCurrentIndex(dialog.period_picker.kind.findData("year"))
        dialog.period_picker.year.setValue(2025)
        dialog.folder.setText(str(out))
        assert len(dialog.unit_ids()) == 9  # the stations are checked by default
        return TemplatesDialog.DialogCode.Accepted

    monkeypatch.setattr(TemplatesDialog, "exec", accept)
    window.templates_dialog()
    qtbot.waitUntil(lambda: len(list(out.glob("*.xlsx"))) == 9, timeout=60000)
    qtbot.waitUntil(lambda: "填报模板" in window.statusBar().currentMessage(), timeout=60000)
    return sorted(out.glob("*.xlsx"))


def fill(path: Path, value: float | str) -> None:
    """Type ``value`` into every 本期数值 cell, as a station clerk would in Excel."""
    book = load_workbook(path)
    meta = TemplateMeta.from_rows({str(r[0].value): str(r[1].value or "")
                                   for r in book[SHEET_META].iter_rows()})
    for row in meta.element_rows:
        book[SHEET_ENTRY].cell(row, ELEMENT_VALUE_COLUMN).value = value
    book.save(path)


def test_templates_go_out_and_filled_returns_come_back(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = make_templates(window, qtbot, monkeypatch, tmp_path / "out")
    fill(files[0], 120)
    fill(files[1], "大约九十")
    seen: list[ReturnsPreviewDialog] = []

    def accept(dialog: ReturnsPreviewDialog) -> int:
        seen.append(dialog)
        return ReturnsPreviewDialog.DialogCode.Accepted

    monkeypatch.setattr(ReturnsPreviewDialog, "exec", accept)
    before = len(list_values(window.context.db, period="2025"))
    window.import_returns(files[:2])
    qtbot.waitUntil(lambda: "已导入" in window.statusBar().currentMessage(), timeout=60000)
    dialog = seen[0]
    statuses = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert sorted(statuses) == ["拒绝", "新报送"]
    rejected = statuses.index("拒绝")
    assert "大约九十" in dialog.table.item(rejected, 6).text() or any(
        "大约九十" in i.message for i in dialog.preview.files[rejected].issues)
    after = list_values(window.context.db, period="2025")
    assert len(after) > before
    assert all(v.value == 120 for v in after)
