"""单位: the tree of bureau, divisions, stations, townships and departments."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTreeView, QVBoxLayout, QWidget

from desktop.models.orgunits import UnitType, list_units, townships_served
from desktop.views.context import AppContext
from desktop.views.item_models import OrgUnitTreeModel


class UnitsPage(QWidget):
    """Read-only unit tree; stations list the townships and streets they serve."""

    title = "单位"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = OrgUnitTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)
        context.data_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        units = list_units(self.context.db)
        self.model.set_units(units, townships_served(self.context.db))
        self.tree.expandAll()
        stations = sum(1 for u in units if u.unit_type is UnitType.STATION)
        townships = sum(1 for u in units if u.unit_type is UnitType.TOWNSHIP)
        self.summary.setText(
            f"共 {len(units)} 个单位：市场监管所 {stations} 个，镇街 {townships} 个。"
            "市场监管所是区局的派出机构，一个所可服务多个镇街；评议考核的对象是镇街。"
            if units else "还没有单位。")
