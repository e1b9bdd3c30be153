"""单位: the tree of bureau, divisions, stations, townships and departments, editable."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.models.orgunits import (
    OrgUnit,
    UnitType,
    create_unit,
    delete_unit,
    get_unit,
    list_units,
    set_townships,
    townships_served,
    update_unit,
)
from desktop.models.permissions import Action
from desktop.views.context import AppContext
from desktop.views.dialogs.unit_dialog import UnitDialog
from desktop.views.feedback import show_error
from desktop.views.item_models import OrgUnitTreeModel
from desktop.views.roles import denied_reason, guard
from desktop.views.undo import DatabaseCommand

_EDIT_HINT = "双击编辑；Ctrl+Z 撤销"
_EDITABLE = ("code", "name", "short_name", "unit_type", "parent_id", "opened_on", "closed_on",
             "staff", "premises", "note")


class UnitsPage(QWidget):
    """The unit tree; add, edit and delete units, and say which townships a station serves."""

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
        self.summary.setWordWrap(True)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("新增下级单位…")
        self.edit_button = QPushButton("编辑…")
        self.delete_button = QPushButton("删除")
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.hint_label = QLabel(_EDIT_HINT)
        buttons.addWidget(self.hint_label)
        self.add_button.clicked.connect(self.add_child)
        self.edit_button.clicked.connect(self.edit_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.tree.doubleClicked.connect(lambda _index: self.edit_current())
        self.delete_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.tree,
                                         self.delete_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addWidget(self.tree)
        context.data_changed.connect(self.refresh)
        context.actor_changed.connect(self._apply_role)
        self.refresh()

    def denied(self) -> str:
        """Why the logged-in user may not change units ("" when he may)."""
        return denied_reason(self.context.actor, Action.EDIT_PLAN)

    def _apply_role(self) -> None:
        """Read-only for users who may not edit the plan (the models refuse them too)."""
        reason = self.denied()
        for button in (self.add_button, self.edit_button, self.delete_button):
            guard(button, reason)
        self.delete_shortcut.setEnabled(not reason)
        self.hint_label.setText("只读：您没有修改规划的权限" if reason else _EDIT_HINT)
        self.hint_label.setToolTip(reason)

    def refresh(self) -> None:
        current = self.current_unit()
        units = list_units(self.context.db)
        self.model.set_units(units, townships_served(self.context.db))
        self.tree.expandAll()
        stations = sum(1 for u in units if u.unit_type is UnitType.STATION)
        townships = sum(1 for u in units if u.unit_type is UnitType.TOWNSHIP)
        self.summary.setText(
            f"共 {len(units)} 个单位：市场监管所 {stations} 个，镇街 {townships} 个。"
            "市场监管所是区局的派出机构，一个所可服务多个镇街；评议考核的对象是镇街。"
            if units else "还没有单位。用“新增下级单位”建立区局、科室、所和镇街。")
        if current is not None:
            self.select_unit(current.id)
        self._apply_role()

    # selection -------------------------------------------------------------
    def current_unit(self) -> OrgUnit | None:
        obj = self.model.object_at(self.tree.currentIndex())
        return obj if isinstance(obj, OrgUnit) else None

    def select_unit(self, unit_id: int) -> None:
        def find(parent: QModelIndex) -> QModelIndex | None:
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                obj = self.model.object_at(index)
                if isinstance(obj, OrgUnit) and obj.id == unit_id:
                    return index
                found = find(index)
                if found is not None:
                    return found
            return None

        index = find(QModelIndex())
        if index is not None:
            self.tree.setCurrentIndex(index)

    # editing ---------------------------------------------------------------
    def _dialog(self, unit: OrgUnit | None = None, parent_id: int | None = None) -> UnitDialog:
        db = self.context.db
        units = list_units(db)
        code = "" if unit else self._new_code(units, parent_id)
        return UnitDialog(units, townships_served(db), unit=unit, parent_id=parent_id,
                          code=code, parent=self)

    @staticmethod
    def _new_code(units: list[OrgUnit], parent_id: int | None) -> str:
        parent = next((u for u in units if u.id == parent_id), None)
        base = f"{parent.code}-" if parent else "U"
        used = {u.code for u in units}
        n = 1
        while f"{base}{n:02d}" in used:
            n += 1
        return f"{base}{n:02d}"

    def add_child(self) -> None:
        if self.denied():
            return
        parent = self.current_unit()
        dialog = self._dialog(parent_id=parent.id if parent else None)
        self.unit_dialog = dialog
        if dialog.exec() != UnitDialog.DialogCode.Accepted:
            return
        values, towns = dialog.values(), dialog.township_ids()
        state: dict[str, int] = {}
        before = self._served()

        def do(db: Database) -> None:
            fields = {k: v for k, v in values.items() if k not in ("code", "name", "unit_type")}
            unit = create_unit(db, values["code"], values["name"], values["unit_type"], **fields)
            state["id"] = unit.id
            if towns:
                set_townships(db, unit.id, towns)

        def undo(db: Database) -> None:
            delete_unit(db, state["id"])
            self._restore_served(db, before, towns or [])

        self._push(DatabaseCommand(f"新增单位“{values['name']}”", lambda: self.context.db,
                                   do, undo, self.context.data_changed.emit))

    def edit_current(self) -> None:
        """Open the selected unit's form; read-only users see the unit in the tree only."""
        unit = self.current_unit()
        if unit is None or self.denied():
            return
        dialog = self._dialog(unit)
        self.unit_dialog = dialog
        if dialog.exec() != UnitDialog.DialogCode.Accepted:
            return
        new, new_towns = dialog.values(), dialog.township_ids()
        old: dict[str, Any] = {k: getattr(unit, k) for k in _EDITABLE}
        before = self._served()
        old_towns = before.get(unit.id, [])

        def apply(db: Database, values: dict[str, Any], towns: list[int] | None) -> None:
            update_unit(db, unit.id, **values)
            if get_unit(db, unit.id).unit_type is UnitType.STATION:
                set_townships(db, unit.id, towns or [])

        def undo(db: Database) -> None:
            apply(db, old, old_towns)
            self._restore_served(db, {k: v for k, v in before.items() if k != unit.id},
                                 new_towns or [])

        self._push(DatabaseCommand(
            f"编辑单位“{unit.name}”", lambda: self.context.db,
            lambda db: apply(db, new, new_towns), undo, self.context.data_changed.emit))

    def delete_current(self) -> None:
        unit = self.current_unit()
        if unit is None or self.denied():
            return
        answer = QMessageBox.question(self, "删除单位", f"删除单位“{unit.name}”？")
        if answer != QMessageBox.StandardButton.Yes:
            return
        kept: dict[str, Any] = {k: getattr(unit, k) for k in _EDITABLE if k not in (
            "code", "name", "unit_type")}
        towns = [t.id for t in townships_served(self.context.db).get(unit.id, [])]
        state = {"id": unit.id}

        def undo(db: Database) -> None:
            restored = create_unit(db, unit.code, unit.name, unit.unit_type,
                                   sort_order=unit.sort_order, **kept)
            state["id"] = restored.id
            if towns:
                set_townships(db, restored.id, towns)

        self._push(DatabaseCommand(f"删除单位“{unit.name}”", lambda: self.context.db,
                                   lambda db: delete_unit(db, state["id"]), undo,
                                   self.context.data_changed.emit))

    def _served(self) -> dict[int, list[int]]:
        """Which townships each station serves now (to put back on undo)."""
        return {sid: [t.id for t in towns]
                for sid, towns in townships_served(self.context.db).items()}

    @staticmethod
    def _restore_served(db: Database, before: dict[int, list[int]], towns: list[int]) -> None:
        """Give ``towns`` back to the stations that served them in ``before``."""
        for station_id, served in before.items():
            if set(served) & set(towns):
                set_townships(db, station_id, served)

    def _push(self, command: DatabaseCommand) -> None:
        if not self.context.push(command) and command.error is not None:
            show_error(self, command.error)
