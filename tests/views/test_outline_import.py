"""Importing a plan document from the app: read off the UI thread, preview, fix, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.models.plans import ItemType, list_plan_items
from desktop.paths import resource_path
from desktop.views.dialogs.outline_import_dialog import OutlineImportDialog
from desktop.views.main_window import MainWindow
from desktop.views.pages.tasks import TasksPage


@pytest.fixture
def plan_text(tmp_path: Path) -> Path:
    path = tmp_path / "潼南区十四五规划.txt"
    path.write_bytes(resource_path("demo", "tongnan-plan.txt").read_bytes())
    return path


def accept_preview(monkeypatch: pytest.MonkeyPatch, seen: list[OutlineImportDialog]) -> None:
    def fake_exec(dialog: OutlineImportDialog) -> int:
        seen.append(dialog)
        return OutlineImportDialog.DialogCode.Accepted

    monkeypatch.setattr(OutlineImportDialog, "exec", fake_exec)


def test_a_document_is_previewed_then_imported_into_a_new_plan(
    empty_window: MainWindow, plan_text: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[OutlineImportDialog] = []
    accept_preview(monkeypatch, seen)
    empty_window.import_document(plan_text)
    qtbot.waitUntil(lambda: empty_window.context.plan is not None, timeout=20000)
    dialog = seen[0]
    assert dialog.target_plan_id() is None  # a new plan
    assert "任务 82" in dialog.summary.text()
    plan = empty_window.context.plan
    assert plan is not None
    assert plan.title == "重庆市潼南区市场监管现代化“十四五”规划(2021-2025年)"
    assert plan.doc_number == "潼南府发〔2022〕2号"
    tasks = [i for i in list_plan_items(empty_window.context.db, plan.id)
             if i.item_type is ItemType.TASK]
    assert len(tasks) == 82
    page = empty_window.pages.currentWidget()
    assert isinstance(page, TasksPage)
    assert "任务 82 项" in page.summary.text()
    backups = list((empty_window.context.path.parent / "backups").glob("*before-import*"))
    assert len(backups) == 1


def test_reimporting_the_same_document_changes_nothing(
    empty_window: MainWindow, plan_text: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[OutlineImportDialog] = []
    accept_preview(monkeypatch, seen)
    empty_window.import_document(plan_text)
    qtbot.waitUntil(lambda: empty_window.context.plan is not None, timeout=20000)
    plan = empty_window.context.plan
    assert plan is not None
    before = list_plan_items(empty_window.context.db, plan.id)
    empty_window.import_document(plan_text)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=20000)
    assert seen[1].target_plan_id() == plan.id  # recognised by its content
    assert "完全相同" in seen[1].summary.text()
    qtbot.waitUntil(lambda: "未变" in empty_window.statusBar().currentMessage(), timeout=20000)
    assert list_plan_items(empty_window.context.db, plan.id) == before


def test_the_preview_lets_the_user_fix_types_and_levels(
    window: MainWindow, plan_text: Path, qtbot: QtBot
) -> None:
    from desktop.documents.plan_document import read_plan_document

    dialog = OutlineImportDialog(window.context, read_plan_document(plan_text), window)
    qtbot.addWidget(dialog)
    chapter5 = dialog.model.index(4, 0)
    section1 = dialog.model.index(0, 0, chapter5)
    heading1 = dialog.model.index(0, 0, section1)
    first_task = dialog.model.index(0, 0, heading1)
    dialog.tree.setCurrentIndex(first_task)
    dialog.type_box.setCurrentIndex(dialog.type_box.findData(ItemType.PARAGRAPH.value))
    dialog.type_box.activated.emit(dialog.type_box.currentIndex())
    assert "任务 81" in dialog.summary.text()
    second_heading = dialog.model.index(1, 0, section1)
    dialog.tree.setCurrentIndex(second_heading)
    dialog.indent_button.click()
    section1 = dialog.model.index(0, 0, dialog.model.index(4, 0))  # indexes are new after an edit
    assert dialog.model.rowCount(section1) == 5  # 二、 moved under 一、
    moved = dialog.current_node()
    assert moved is not None
    assert moved.level == 4
    assert moved.title == "统筹规范线上线下市场秩序"


def test_a_broken_document_gets_a_chinese_message(
    empty_window: MainWindow, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "规划.docx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 300)
    empty_window.import_document(bad)
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "规划.docx" in shown[0]
    assert empty_window.context.plan is None
