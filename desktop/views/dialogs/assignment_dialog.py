"""分配任务: lead and cooperating units, deadline, note and annual milestones of a plan item."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.models.assignments import ItemAssignments
from desktop.models.orgunits import OrgUnit, UnitType
from desktop.models.plans import PlanItem
from desktop.views.dialogs.form import FormDialog

#: Units a task can be given to (not the city, counties or townships themselves).
ASSIGNABLE = (UnitType.DISTRICT_BUREAU, UnitType.DIVISION, UnitType.STATION,
              UnitType.OUTSIDE_DEPARTMENT, UnitType.TOWNSHIP)  # listed in this order


@dataclass
class AssignmentForm:
    lead: list[int] = field(default_factory=list)
    cooperating: list[int] = field(default_factory=list)
    deadline: str | None = None
    note: str = ""
    milestones: dict[int, str] = field(default_factory=dict)


class AssignmentDialog(FormDialog):
    """Pick lead (牵头) and cooperating (配合) units and set the deadline and milestones."""

    def __init__(self, item: PlanItem, units: list[OrgUnit], years: list[int],
                 current: ItemAssignments | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("分配任务")
        self.resize(820, 600)
        self.years = years
        rank = {t: n for n, t in enumerate(ASSIGNABLE)}
        units = sorted((u for u in units if u.unit_type in ASSIGNABLE and not u.closed_on),
                       key=lambda u: (rank[u.unit_type], u.sort_order, u.id))
        title = QLabel(f"<b>{item.marker} {item.title}</b>")
        title.setWordWrap(True)
        self.lead = self._unit_list(units, {d.org_unit_id for d in current.lead} if current
                                    else set())
        self.cooperating = self._unit_list(
            units, {d.org_unit_id for d in current.cooperating} if current else set())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("筛选单位名称")
        self.filter.textChanged.connect(self._apply_filter)
        lists = QHBoxLayout()
        for caption, widget in (("牵头单位", self.lead), ("配合单位", self.cooperating)):
            column = QVBoxLayout()
            column.addWidget(QLabel(caption))
            column.addWidget(widget)
            lists.addLayout(column)
        self.has_deadline = QCheckBox("设定完成时限")
        self.deadline = QDateEdit()
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("yyyy-MM-dd")
        if current and current.deadline:
            self.has_deadline.setChecked(True)
            self.deadline.setDate(QDate.fromString(current.deadline[:10], "yyyy-MM-dd"))
        else:
            self.deadline.setDate(QDate(years[-1] if years else 2025, 12, 31))
        self.deadline.setEnabled(self.has_deadline.isChecked())
        self.has_deadline.toggled.connect(self.deadline.setEnabled)
        self.note = QLineEdit(current.note if current else "")
        self.milestones = QTableWidget(len(years), 1)
        self.milestones.setHorizontalHeaderLabels(["年度节点（当年底应达到的进度）"])
        self.milestones.setVerticalHeaderLabels([f"{y}年" for y in years])
        self.milestones.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        existing = {m.year: m.description for m in current.milestones} if current else {}
        for row, year in enumerate(years):
            self.milestones.setItem(row, 0, QTableWidgetItem(existing.get(year, "")))
        form = QFormLayout()
        deadline_row = QHBoxLayout()
        deadline_row.addWidget(self.has_deadline)
        deadline_row.addWidget(self.deadline)
        deadline_row.addStretch(1)
        form.addRow("完成时限：", deadline_row)
        form.addRow("备注：", self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.filter)
        layout.addLayout(lists, 2)
        layout.addLayout(form)
        layout.addWidget(self.milestones, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    @staticmethod
    def _unit_list(units: list[OrgUnit], checked: set[int]) -> QListWidget:
        widget = QListWidget()
        for unit in units:
            entry = QListWidgetItem(f"{unit.display_name}（{unit.unit_type.label}）")
            entry.setData(Qt.ItemDataRole.UserRole, unit.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if unit.id in checked
                                else Qt.CheckState.Unchecked)
            widget.addItem(entry)
        return widget

    def _apply_filter(self, text: str) -> None:
        for widget in (self.lead, self.cooperating):
            for row in range(widget.count()):
                entry = widget.item(row)
                entry.setHidden(bool(text) and text not in entry.text())

    @staticmethod
    def _checked(widget: QListWidget) -> list[int]:
        return [int(widget.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(widget.count())
                if widget.item(r).checkState() == Qt.CheckState.Checked]

    def set_checked(self, widget: QListWidget, unit_ids: set[int]) -> None:
        for row in range(widget.count()):
            entry = widget.item(row)
            state = (Qt.CheckState.Checked if entry.data(Qt.ItemDataRole.UserRole) in unit_ids
                     else Qt.CheckState.Unchecked)
            entry.setCheckState(state)

    def form(self) -> AssignmentForm:
        milestones = {}
        for row, year in enumerate(self.years):
            cell = self.milestones.item(row, 0)
            if cell is not None and cell.text().strip():
                milestones[year] = cell.text().strip()
        return AssignmentForm(
            lead=self._checked(self.lead), cooperating=self._checked(self.cooperating),
            deadline=self.deadline.date().toString("yyyy-MM-dd")
            if self.has_deadline.isChecked() else None,
            note=self.note.text().strip(), milestones=milestones)

    def problems(self) -> list[str]:
        form = self.form()
        both = set(form.lead) & set(form.cooperating)
        problems = []
        if both:
            problems.append("同一单位不能既牵头又配合。")
        if (form.milestones or form.deadline) and not (form.lead or form.cooperating):
            problems.append("请先选择牵头或配合单位。")
        return problems
