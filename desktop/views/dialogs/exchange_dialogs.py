"""Workbook exchange with stations: generate templates, preview a batch of returns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.excel.returns import ReturnFile, ReturnsPreview, ReturnStatus
from desktop.models.orgunits import OrgUnit, UnitType
from desktop.models.periods import Period
from desktop.views.dialogs.form import FormDialog
from desktop.views.dialogs.import_preview import ERROR_BRUSH, WARNING_BRUSH, issues_table
from desktop.views.widgets import PeriodPicker

STATUS_BRUSHES = {
    ReturnStatus.NEW: QBrush(QColor("#e3f4e6")),
    ReturnStatus.RESUBMISSION: WARNING_BRUSH,
    ReturnStatus.DUPLICATE: QBrush(QColor("#eef1f5")),
    ReturnStatus.REJECTED: ERROR_BRUSH,
}


class TemplatesDialog(FormDialog):
    """生成填报模板: period, units (stations by default), output folder, zip or not."""

    def __init__(self, years: list[int], units: Sequence[OrgUnit],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("生成填报模板")
        self.resize(620, 560)
        self.period_picker = PeriodPicker(years)
        self.units = QListWidget()
        reporting = [u for u in units if u.unit_type in (UnitType.STATION, UnitType.DISTRICT_BUREAU)
                     and not u.closed_on]
        for unit in reporting:
            entry = QListWidgetItem(f"{unit.name}（{unit.code}）")
            entry.setData(Qt.ItemDataRole.UserRole, unit.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if unit.unit_type is UnitType.STATION
                                else Qt.CheckState.Unchecked)
            self.units.addItem(entry)
        toggles = QHBoxLayout()
        for text, state in (("全选", Qt.CheckState.Checked), ("全不选", Qt.CheckState.Unchecked)):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=state: self._check_all(s))
            toggles.addWidget(button)
        toggles.addStretch(1)
        self.folder = QLineEdit(str(QSettings().value("folders/templates", str(Path.home()))))
        browse = QPushButton("选择…")
        browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.zip_box = QCheckBox("另外打包为一个 zip 文件（便于用 U 盘或电子邮件发送）")
        form = QFormLayout(self)
        form.addRow("填报期间：", self.period_picker)
        form.addRow("填报单位：", self.units)
        form.addRow("", toggles)
        form.addRow("保存到文件夹：", folder_row)
        form.addRow("", self.zip_box)
        form.addRow(QLabel("每个单位生成一个 .xlsx：只有“本期数值”“说明”和任务进展可填写，"
                           "其余单元格锁定并签名，改动会在导入时被发现。"))
        form.addRow(self.error)
        form.addRow(self.buttons)

    def _check_all(self, state: Qt.CheckState) -> None:
        for row in range(self.units.count()):
            self.units.item(row).setCheckState(state)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "保存模板的文件夹", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def period(self) -> Period:
        return self.period_picker.period()

    def unit_ids(self) -> list[int]:
        return [int(self.units.item(r).data(Qt.ItemDataRole.UserRole))
                for r in range(self.units.count())
                if self.units.item(r).checkState() == Qt.CheckState.Checked]

    def out_dir(self) -> Path:
        return Path(self.folder.text().strip())

    def zip_name(self) -> str | None:
        return f"填报模板_{self.period().id}.zip" if self.zip_box.isChecked() else None

    def problems(self) -> list[str]:
        problems = []
        if not self.unit_ids():
            problems.append("请至少选择一个单位。")
        if not self.folder.text().strip():
            problems.append("请选择保存模板的文件夹。")
        return problems

    def accept(self) -> None:
        QSettings().setValue("folders/templates", self.folder.text().strip())
        super().accept()


class ReturnsPreviewDialog(QDialog):
    """Every file of a batch: new, resubmission (with its changes), duplicate or rejected."""

    COLUMNS = ("文件", "状态", "单位", "期间", "数值", "改动", "问题")

    def __init__(self, preview: ReturnsPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle("导入报送工作簿 — 预览")
        self.resize(1200, 700)
        self.table = QTableWidget(len(preview.files), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        for row, item in enumerate(preview.files):
            counts = item.counts()
            problem = item.reason or (str(item.warnings[0]) if item.warnings else "")
            cells = (item.name, item.status.label, item.unit_name or item.unit_code,
                     item.period_label, str(counts["values"]), str(counts["changes"]), problem)
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setBackground(STATUS_BRUSHES[item.status])
                cell.setToolTip(text)
                self.table.setItem(row, column, cell)
        self.detail = QTextBrowser()
        self.issues_holder = QVBoxLayout()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        right_layout.addLayout(self.issues_holder, 1)
        self.issue_table: QTableWidget | None = None
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        counts = preview.counts()
        self.summary = QLabel(
            f"共 {len(preview.files)} 个文件：新报送 {counts['new']}，"
            f"重新报送 {counts['resubmission']}，重复 {counts['duplicate']}，"
            f"拒绝 {counts['rejected']}。"
            + (f"另有 {len(preview.skipped)} 个不是工作簿的文件被跳过。" if preview.skipped else "")
            + " 被拒绝的文件不会写入；重新报送需确认后才覆盖已存数据；已审核锁定的期间不会被改动。")
        self.summary.setWordWrap(True)
        self.confirm = QCheckBox("确认用重新报送的数据覆盖已存数据（改动见各文件明细）")
        self.confirm.setVisible(counts["resubmission"] > 0)
        buttons = QDialogButtonBox()
        self.import_button = QPushButton("导入")
        importable = counts["new"] + counts["resubmission"]
        self.import_button.setEnabled(importable > 0)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QPushButton("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.confirm)
        layout.addWidget(buttons)
        self.table.currentCellChanged.connect(lambda row, *_: self.show_file(row))
        if preview.files:
            self.table.selectRow(self._first_interesting_row())

    def _first_interesting_row(self) -> int:
        order = (ReturnStatus.REJECTED, ReturnStatus.RESUBMISSION, ReturnStatus.NEW)
        for status in order:
            for row, item in enumerate(self.preview.files):
                if item.status is status:
                    return row
        return 0

    def show_file(self, row: int) -> None:
        if not 0 <= row < len(self.preview.files):
            return
        item: ReturnFile = self.preview.files[row]
        changes = "".join(f"<li>{change}</li>" for change in item.changes[:300])
        how = {"metadata": "隐藏的模板信息", "header": "表头的单位和期间（模板信息已丢失）"}.get(
            item.identified_by, "无法识别")
        self.detail.setHtml(
            f"<h3>{item.name}：{item.status.label}</h3>"
            f"<p>单位：{item.unit_name or '—'}（{item.unit_code or '—'}）"
            f"　期间：{item.period_label or '—'}　识别依据：{how}</p>"
            + (f"<p>与已存数据相比的改动（{len(item.changes)} 处）：</p><ul>{changes}</ul>"
               if item.changes else "")
            + (f"<p>与本批中的“{item.duplicate_of}”内容相同。</p>" if item.duplicate_of else ""))
        if self.issue_table is not None:
            self.issues_holder.removeWidget(self.issue_table)
            self.issue_table.deleteLater()
        self.issue_table = issues_table(item.issues)
        self.issues_holder.addWidget(self.issue_table)

    def confirmed(self) -> bool:
        return self.confirm.isChecked()

    def files_to_import(self) -> list[str]:
        """The files worth writing: new ones and resubmissions."""
        return [f.name for f in self.preview.files
                if f.status in (ReturnStatus.NEW, ReturnStatus.RESUBMISSION)]


class PeriodDialog(FormDialog):
    """Ask for one period (for exports)."""

    def __init__(self, title: str, years: list[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.picker = PeriodPicker(years)
        form = QFormLayout(self)
        form.addRow("期间：", self.picker)
        form.addRow(self.error)
        form.addRow(self.buttons)

    def period(self) -> Period:
        return self.picker.period()
