"""新增/编辑单位: code, names, type, parent, dates, staff, premises and served townships."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from desktop.models.orgunits import UNIT_TYPE_LABELS, OrgUnit, UnitType
from desktop.views.dialogs.form import FormDialog


class UnitDialog(FormDialog):
    """One unit's fields; a station also lists the townships and streets it serves."""

    def __init__(self, units: list[OrgUnit], served: dict[int, list[OrgUnit]], *,
                 unit: OrgUnit | None = None, parent_id: int | None = None,
                 code: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("编辑单位" if unit else "新增单位")
        self.resize(560, 620)
        self._unit = unit
        form = QFormLayout(self)
        self.code = QLineEdit(unit.code if unit else code)
        self.name = QLineEdit(unit.name if unit else "")
        self.short_name = QLineEdit(unit.short_name if unit else "")
        self.unit_type = QComboBox()
        for unit_type, label in UNIT_TYPE_LABELS.items():
            self.unit_type.addItem(label, unit_type.value)
        current_type = unit.unit_type if unit else UnitType.STATION
        self.unit_type.setCurrentIndex(self.unit_type.findData(current_type.value))
        self.parent_box = QComboBox()
        self.parent_box.addItem("（无上级）", None)
        excluded = {unit.id} if unit else set()
        for other in units:
            if other.id not in excluded:
                self.parent_box.addItem(f"{other.name}（{other.unit_type.label}）", other.id)
        wanted_parent = unit.parent_id if unit else parent_id
        self.parent_box.setCurrentIndex(max(self.parent_box.findData(wanted_parent), 0))
        self.opened_on = QLineEdit(unit.opened_on or "" if unit else "")
        self.opened_on.setPlaceholderText("YYYY-MM-DD，可空")
        self.closed_on = QLineEdit(unit.closed_on or "" if unit else "")
        self.closed_on.setPlaceholderText("YYYY-MM-DD；撤销或合并后填写")
        self.staff = QSpinBox()
        self.staff.setRange(-1, 100000)
        self.staff.setSpecialValueText("未填")
        self.staff.setValue(unit.staff if unit and unit.staff is not None else -1)
        self.premises = QLineEdit(unit.premises if unit else "")
        self.premises.setPlaceholderText("如：自有业务用房 500 平方米")
        self.note = QLineEdit(unit.note if unit else "")
        self.townships = QListWidget()
        mine = {t.id for t in served.get(unit.id, [])} if unit else set()
        taken = {t.id: sid for sid, towns in served.items() for t in towns}
        for township in (u for u in units if u.unit_type is UnitType.TOWNSHIP):
            serving = taken.get(township.id)
            label = township.name
            if serving is not None and (unit is None or serving != unit.id):
                station = next((u for u in units if u.id == serving), None)
                label += f"（现由{station.display_name if station else '其他所'}服务）"
            entry = QListWidgetItem(label)
            entry.setData(Qt.ItemDataRole.UserRole, township.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if township.id in mine
                                else Qt.CheckState.Unchecked)
            self.townships.addItem(entry)
        for label, widget in (("代码：", self.code), ("名称：", self.name),
                              ("简称：", self.short_name), ("类型：", self.unit_type),
                              ("上级单位：", self.parent_box), ("设立日期：", self.opened_on),
                              ("撤销日期：", self.closed_on), ("人员：", self.staff),
                              ("办公场所：", self.premises), ("备注：", self.note)):
            form.addRow(label, widget)
        self.townships_label = QLabel("服务镇街：")
        form.addRow(self.townships_label, self.townships)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.unit_type.currentIndexChanged.connect(self._on_type_changed)
        self._on_type_changed()

    def _on_type_changed(self) -> None:
        is_station = self.unit_type.currentData() == UnitType.STATION.value
        self.townships.setVisible(is_station)
        self.townships_label.setVisible(is_station)

    def values(self) -> dict[str, Any]:
        """Fields for ``create_unit``/``update_unit``."""
        return {
            "code": self.code.text().strip(), "name": self.name.text().strip(),
            "short_name": self.short_name.text().strip(),
            "unit_type": UnitType(self.unit_type.currentData()),
            "parent_id": self.parent_box.currentData(),
            "opened_on": self.opened_on.text().strip() or None,
            "closed_on": self.closed_on.text().strip() or None,
            "staff": None if self.staff.value() < 0 else self.staff.value(),
            "premises": self.premises.text().strip(), "note": self.note.text().strip(),
        }

    def township_ids(self) -> list[int] | None:
        """The townships a station serves (None for other unit types)."""
        if self.unit_type.currentData() != UnitType.STATION.value:
            return None
        return [int(self.townships.item(r).data(Qt.ItemDataRole.UserRole))
                for r in range(self.townships.count())
                if self.townships.item(r).checkState() == Qt.CheckState.Checked]

    def set_townships_checked(self, township_ids: set[int]) -> None:
        for row in range(self.townships.count()):
            entry = self.townships.item(row)
            entry.setCheckState(Qt.CheckState.Checked
                                if entry.data(Qt.ItemDataRole.UserRole) in township_ids
                                else Qt.CheckState.Unchecked)

    def problems(self) -> list[str]:
        values = self.values()
        return [] if values["code"] and values["name"] else ["请填写代码和名称。"]
