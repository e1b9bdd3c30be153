"""Review dialogs: return with a reason and comments, reopen with a reason, a value's history."""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models.audit import AuditEvent
from desktop.models.workflow import ReturnSheet
from desktop.views.dialogs.form import FormDialog
from desktop.views.reporting_models import local_time_text, number_text

REASON_MIN = 2
_READ_ONLY = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ReasonDialog(FormDialog):
    """Ask for a reason (required), e.g. to reopen an approved return."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(560, 300)
        label = QLabel(prompt)
        label.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("必填")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def text(self) -> str:
        return self.reason.toPlainText().strip()

    def problems(self) -> list[str]:
        if len(self.text()) < REASON_MIN:
            return ["请填写原因（必填），让对方知道为什么、需要做什么。"]
        return []


class ReturnDialog(FormDialog):
    """退回: the reason (required) and a comment per value or task, shown beside its cell."""

    COLUMNS = ("类别", "项目", "报送的数值或状态", "说明或进展", "审核意见（可不填）")
    COMMENT_COLUMN = 4

    def __init__(self, sheet: ReturnSheet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sheet = sheet
        self.setWindowTitle(f"退回 — {sheet.unit_name} · {sheet.period_label}")
        self.resize(1000, 640)
        intro = QLabel(f"把{sheet.unit_name}{sheet.period_label}的报表退回修改。退回原因必须填写；"
                       "对个别数值或任务的意见写在右列，该所导入审核通知后会在对应单元格旁看到。")
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("退回原因（必填），例如：抽检批次与上期相差过大，请核实后重报。")
        self.reason.setFixedHeight(72)
        self.table = QTableWidget(len(sheet.rows) + len(sheet.tasks), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        head = self.table.horizontalHeader()
        for column, width in ((0, 56), (1, 280), (2, 120), (3, 180)):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        head.setSectionResizeMode(self.COMMENT_COLUMN, QHeaderView.ResizeMode.Stretch)
        self._keys: list[tuple[str, int]] = []
        row = 0
        for entry in sheet.rows:
            value = number_text(entry.value) if entry.value is not None else (
                entry.text_value or "—")
            self._fill(row, ("数据项", entry.name, f"{value} {entry.unit}".strip(),
                             entry.comment), ("element", entry.element_id))
            row += 1
        for task in sheet.tasks:
            status = task.status.label if task.status else "未填"
            percent = f" {number_text(task.percent)}%" if task.percent is not None else ""
            self._fill(row, ("任务", f"{task.marker} {task.title}".strip(), status + percent,
                             task.progress_text), ("task", task.plan_item_id))
            row += 1
        for (kind, item_id), text in sheet.comments.items():
            if (kind, item_id) in self._keys:
                self.set_comment(kind, item_id, text)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("退回原因："))
        layout.addWidget(self.reason)
        layout.addWidget(QLabel("逐项审核意见（双击或直接输入）："))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.button(self.buttons.StandardButton.Ok).setText("退回")
        self.reason.setFocus()

    def _fill(self, row: int, texts: Sequence[str], key: tuple[str, int]) -> None:
        self._keys.append(key)
        for column, text in enumerate(texts):
            cell = QTableWidgetItem(text)
            cell.setFlags(_READ_ONLY)
            cell.setToolTip(text)
            self.table.setItem(row, column, cell)
        comment = QTableWidgetItem("")
        comment.setBackground(QBrush(QColor("#fffbea")))
        self.table.setItem(row, self.COMMENT_COLUMN, comment)

    def _comment_cell(self, row: int) -> QTableWidgetItem:
        cell = self.table.item(row, self.COMMENT_COLUMN)
        assert cell is not None
        return cell

    def set_comment(self, kind: str, item_id: int, text: str) -> None:
        self._comment_cell(self._keys.index((kind, item_id))).setText(text)

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()

    def comments(self) -> dict[tuple[str, int], str]:
        """("element"|"task", id) → the comment, for the rows that have one."""
        found: dict[tuple[str, int], str] = {}
        for row, key in enumerate(self._keys):
            text = self._comment_cell(row).text().strip()
            if text:
                found[key] = text
        return found

    def problems(self) -> list[str]:
        if len(self.reason_text()) < REASON_MIN:
            return ["退回必须填写原因，请写明需要该所修改什么。"]
        return []


_ACTIONS = {
    "value.set": "修改数值", "task.set": "修改任务进展", "submission.submit": "报送",
    "submission.receive": "导入报送", "submission.return": "退回", "submission.approve": "审核通过",
    "submission.reopen": "重新打开", "submission.review": "导入审核通知",
}
_FIELDS = {"value": "数值", "text_value": "文字", "comment": "说明", "status": "状态",
           "percent": "完成百分比", "progress_text": "进展", "problems_text": "问题",
           "next_steps_text": "下步"}


def _describe(data: object) -> str:
    """An audit event's old or new content, readably."""
    if data is None:
        return "（空）"
    if isinstance(data, dict):
        parts = []
        for key, value in data.items():
            if value in (None, ""):
                continue
            shown = number_text(value) if isinstance(value, float | int) and not isinstance(
                value, bool) else str(value)
            parts.append(f"{_FIELDS.get(key, key)}：{shown}")
        return "；".join(parts) or "（空）"
    if isinstance(data, str):
        try:
            return _describe(json.loads(data))
        except ValueError:
            return data
    return str(data)


def _source_text(source: str | None) -> str:
    if not source:
        return ""
    if source == "keyboard":
        return "键盘录入"
    if source == "cli":
        return "命令行"
    if source.startswith("file:"):
        return "文件 " + source[5:].split(" sha256:")[0].strip()
    return source


class HistoryDialog(QDialog):
    """Every recorded change of one value or task: when, who, what, old → new, source."""

    COLUMNS = ("时间", "用户", "操作", "原值", "新值", "来源")

    def __init__(self, title: str, events: Sequence[AuditEvent],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"历史 — {title}")
        self.resize(900, 420)
        self.table = QTableWidget(len(events), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for row, event in enumerate(events):
            source = event.source
            cells = (local_time_text(event.at), event.username,
                     _ACTIONS.get(event.action, event.action), _describe(event.old_value),
                     _describe(event.new_value), _source_text(source))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(source or text if column == 5 else text)
                self.table.setItem(row, column, item)
        empty = QLabel("还没有修改记录。") if not events else QLabel(
            f"共 {len(events)} 条记录，按时间先后排列；记录不可更改，"
            "数据库在 PlanDesk 之外被改动时“审计校验”会发现。")
        empty.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
