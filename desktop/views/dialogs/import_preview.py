"""Import previews: what a workbook holds and every doubtful cell, before anything is written."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.excel.indicator_table import IndicatorRow, IndicatorTablePreview
from desktop.models.errors import ImportIssue
from desktop.models.plans import Plan

ERROR_BRUSH = QBrush(QColor("#fde2e1"))
WARNING_BRUSH = QBrush(QColor("#fff4d6"))
NEW_PLAN = -1


def issues_table(issues: Sequence[ImportIssue]) -> QTableWidget:
    """A table of issues: level, where (file, sheet, row, column) and what."""
    table = QTableWidget(len(issues), 3)
    table.setHorizontalHeaderLabels(["级别", "位置", "问题"])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    table.setWordWrap(True)
    for row, issue in enumerate(issues):
        error = issue.severity == "error"
        cells = ("错误" if error else "提示", issue.location, issue.message)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setBackground(ERROR_BRUSH if error else WARNING_BRUSH)
            item.setToolTip(text)
            table.setItem(row, column, item)
    table.resizeRowsToContents()
    return table


class IndicatorTablePreviewDialog(QDialog):
    """Every parsed indicator with its doubtful cells marked; import all, the valid rows, or not."""

    COLUMNS = (("row", "行"), ("seq", "序号"), ("name", "指标名称"), ("unit", "单位"),
               ("category", "类别"), ("attribute", "属性"), ("baseline", "基期值"),
               ("target", "目标值"), ("issues", "问题"))

    def __init__(self, preview: IndicatorTablePreview, plans: Sequence[Plan],
                 current_plan: Plan | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle(f"导入指标表 — {preview.file}")
        self.resize(1150, 680)
        self.plan_box = QComboBox()
        self.plan_box.addItem(f"新建规划：{preview.path.stem}", NEW_PLAN)
        for plan in plans:
            self.plan_box.addItem(f"导入到：{plan.short_title or plan.title}", plan.id)
        if current_plan is not None:
            self.plan_box.setCurrentIndex(self.plan_box.findData(current_plan.id))
        info = QFormLayout()
        where = (f"工作表“{preview.sheet}”，表头在第 {preview.header_row} 行"
                 if preview.sheet else "—")
        info.addRow("文件：", QLabel(f"{preview.file}（{where}）"))
        if preview.title:
            info.addRow("表名：", QLabel(preview.title))
        years = (f"基期 {preview.baseline_year or '未印'} 年，"
                 f"目标 {preview.target_year or '未印'} 年")
        info.addRow("年份：", QLabel(years))
        info.addRow("导入到：", self.plan_box)

        self.table = self._rows_table(preview.rows)
        self.issues = issues_table(preview.issues)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.issues)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        errors, warnings = len(preview.errors), len(preview.warnings)
        valid = len(preview.valid_rows)
        self.summary = QLabel(
            f"读到 {len(preview.rows)} 项指标；错误 {errors} 处，提示 {warnings} 处。"
            + ("有错误的行不能导入：可以修改工作簿后重新导入，或只导入无误的行。" if errors else
               "请核对标黄的单元格后导入。" if warnings else "未发现问题。"))
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.import_all = QPushButton("全部导入")
        self.import_valid = QPushButton(f"只导入无误的 {valid} 项")
        cancel = QPushButton("取消")
        buttons.addButton(self.import_all, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.import_valid, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        self.import_all.setEnabled(errors == 0 and bool(preview.rows))
        self.import_valid.setVisible(errors > 0)
        self.import_valid.setEnabled(valid > 0)
        self.only_valid = False
        self.import_all.clicked.connect(self.accept)
        self.import_valid.clicked.connect(self._accept_valid)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(info)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    def _accept_valid(self) -> None:
        self.only_valid = True
        self.accept()

    def target_plan_id(self) -> int | None:
        data = self.plan_box.currentData()
        return None if data == NEW_PLAN else int(data)

    def chosen_rows(self) -> tuple[IndicatorRow, ...] | None:
        """The rows to write: None means all (the import refuses if any has an error)."""
        return self.preview.valid_rows if self.only_valid else None

    def _rows_table(self, rows: Sequence[IndicatorRow]) -> QTableWidget:
        table = QTableWidget(len(rows), len(self.COLUMNS))
        table.setHorizontalHeaderLabels([title for _, title in self.COLUMNS])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        for r, row in enumerate(rows):
            doubtful = row.doubtful_columns
            values = {
                "row": str(row.row), "seq": row.seq_printed, "name": row.name,
                "unit": row.unit, "category": row.category, "attribute": row.attribute or "",
                "baseline": row.baseline.text, "target": row.target.text,
                "issues": "；".join(i.message for i in row.issues),
            }
            for c, (key, _) in enumerate(self.COLUMNS):
                item = QTableWidgetItem(values[key])
                if key in doubtful or (key == "issues" and row.issues):
                    item.setBackground(ERROR_BRUSH if row.has_errors else WARNING_BRUSH)
                table.setItem(r, c, item)
        return table


class ImportResultDialog(QDialog):
    """A dry run's outcome: a summary sentence and the issues; confirm to write."""

    def __init__(self, title: str, summary: str, issues: Sequence[ImportIssue], can_import: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 480)
        label = QLabel(summary)
        label.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.import_button = QPushButton("导入")
        self.import_button.setEnabled(can_import)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QPushButton("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(issues_table(issues), 1)
        layout.addWidget(buttons)
