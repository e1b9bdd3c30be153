"""The keyboard-first grid of the 填报 page: Enter moves down, Tab across, Ctrl+V pastes a block."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFocusEvent, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCompleter,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop.models.values import TaskStatus
from desktop.views.reporting_models import parse_block

Index = QModelIndex | QPersistentModelIndex
INVALID_EDITOR_STYLE = "QLineEdit { background: #f8d0d0; color: #8b1a1a; }"
#: Words offered while typing a task status (labels and their pinyin initials).
STATUS_COMPLETIONS = [s.label for s in TaskStatus] + ["wqd", "tjz", "ywc", "zh"]


class EntryDelegate(QStyledItemDelegate):
    """A line editor that checks the text as it is typed (red with the reason when wrong).

    ``status_column`` gets inline completion of the task statuses (type-ahead). ``problem``
    carries the reason while the text is wrong, "" when it is fine.
    """

    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, status_column: int = -1) -> None:
        super().__init__(parent)
        self.status_column = status_column

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setFrame(False)
        if index.column() == self.status_column:
            completer = QCompleter(STATUS_COMPLETIONS, editor)
            completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            editor.setCompleter(completer)
        persistent = QPersistentModelIndex(index)
        editor.textChanged.connect(lambda text: self._check(editor, persistent, text))
        return editor

    def _check(self, editor: QLineEdit, index: QPersistentModelIndex, text: str) -> None:
        model = index.model()
        check = getattr(model, "check", None)
        reason = str(check(index, text)) if check is not None and index.isValid() else ""
        editor.setStyleSheet(INVALID_EDITOR_STYLE if reason else "")
        editor.setToolTip(reason)
        self.problem.emit(reason)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        text = index.data(Qt.ItemDataRole.EditRole)
        editor.blockSignals(True)
        editor.setText("" if text is None else str(text))
        editor.blockSignals(False)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class EntryTableView(QTableView):
    """A grid that behaves like a spreadsheet for typing figures in.

    - typing on a cell starts editing it; Enter saves and moves down, Tab saves and moves
      across (to the next cell that can be edited);
    - Ctrl+V pastes a block copied from Excel, WPS or LibreOffice starting at the current
      cell (one copied cell fills every selected cell);
    - Delete clears the selected cells.

    ``message`` says what a paste did or why typing was refused (a read-only grid).
    """

    message = Signal(str)
    focused = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.read_only_reason = ""
        self.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                             | QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(True)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(26)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focused.emit()

    # keyboard --------------------------------------------------------------
    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:  # Enter or Return
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            self.move_down()
            return
        super().closeEditor(editor, hint)

    def move_down(self) -> None:
        current = self.currentIndex()
        if not current.isValid():
            return
        below = current.siblingAtRow(current.row() + 1)
        if below.isValid():
            self.setCurrentIndex(below)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        editing = self.state() == QAbstractItemView.State.EditingState
        if not editing:
            if event.matches(QKeySequence.StandardKey.Paste):
                self.paste()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.move_down()
                return
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.clear_selected()
                return
            current = self.currentIndex()
            typed = event.text()
            if (typed and typed.isprintable() and current.isValid()
                    and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
                    and not self._editable(current)):
                self.message.emit(self.read_only_reason or "这一列不能填写。")
        super().keyPressEvent(event)

    def _editable(self, index: Index) -> bool:
        return bool(index.flags() & Qt.ItemFlag.ItemIsEditable)

    # clipboard -------------------------------------------------------------
    def paste(self, text: str | None = None) -> int:
        """Paste a tab/newline block at the current cell; returns how many cells were set."""
        if text is None:
            text = QGuiApplication.clipboard().text()
        block = parse_block(text)
        model, start = self.model(), self.currentIndex()
        if not block or model is None or not start.isValid():
            return 0
        if self.read_only_reason:
            self.message.emit(self.read_only_reason)
            return 0
        targets: list[tuple[QModelIndex, str]] = []
        skipped = outside = 0
        selected = self.selectedIndexes()
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            targets = [(i, block[0][0]) for i in selected]
        else:
            for r, cells in enumerate(block):
                for c, cell in enumerate(cells):
                    index = model.index(start.row() + r, start.column() + c)
                    if not index.isValid():
                        outside += 1
                        continue
                    targets.append((index, cell))
        written = 0
        for index, cell in targets:
            if not self._editable(index):
                skipped += 1
                continue
            if model.setData(index, cell.strip(), Qt.ItemDataRole.EditRole):
                written += 1
        notes = [f"已粘贴 {written} 个单元格"]
        if skipped:
            notes.append(f"{skipped} 个落在不能填写的列上，未粘贴")
        if outside:
            notes.append(f"{outside} 个超出表格范围，未粘贴")
        self.message.emit("，".join(notes) + "。")
        return written

    def clear_selected(self) -> None:
        model = self.model()
        if model is None:
            return
        if self.read_only_reason:
            self.message.emit(self.read_only_reason)
            return
        for index in self.selectedIndexes():
            if self._editable(index):
                model.setData(index, "", Qt.ItemDataRole.EditRole)


def resize_columns(view: QTableView, widths: dict[int, int], stretch: int) -> None:
    """Fixed widths for most columns and one that takes the remaining space."""
    header = view.horizontalHeader()
    for column, width in widths.items():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        view.setColumnWidth(column, width)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
