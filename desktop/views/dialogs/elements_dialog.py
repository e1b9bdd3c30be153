"""数据项: list, add, edit and delete the raw figures that indicators are computed from."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models.indicators import (
    Aggregation,
    DataElement,
    EntryLevel,
    TimeAggregation,
    ValueType,
    add_element,
    default_time_aggregation,
    delete_element,
    get_element,
    list_elements,
    new_element_code,
    update_element,
)
from desktop.views.context import AppContext
from desktop.views.dialogs.form import FormDialog
from desktop.views.feedback import show_error
from desktop.views.item_models import (
    AGGREGATION_LABELS,
    ENTRY_LEVEL_LABELS,
    VALUE_TYPE_LABELS,
    ElementTableModel,
)
from desktop.views.undo import DatabaseCommand

TIME_AGGREGATION_TIP = (
    "月度、季度等各期的数值如何合成年度（或更长期间）的值：\n"
    "· 期内累加（流量）：期间内发生的量，各月相加，如检查户次、受理投诉件数；\n"
    "· 取期末值（存量）：期末时点的数，取期间最后一期的值，如市场主体数、在册特种设备数；\n"
    "· 期内平均：每期报送的评分、比率，取各期平均。\n"
    "选错会使年度汇总出错：存量按月相加会成倍放大，流量只取期末会漏掉前几个月。"
)


class ElementFormDialog(FormDialog):
    """One data element's fields."""

    def __init__(self, element: DataElement | None, code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("编辑数据项" if element else "新增数据项")
        form = QFormLayout(self)
        self.code = QLineEdit(element.code if element else code)
        self.name = QLineEdit(element.name if element else "")
        self.unit = QLineEdit(element.unit if element else "")
        self.scale = QDoubleSpinBox()
        self.scale.setRange(0.000001, 1e9)
        self.scale.setDecimals(6)
        self.scale.setValue(element.unit_scale if element else 1)
        self.value_type = self._combo(VALUE_TYPE_LABELS,
                                      element.value_type.value if element else "integer")
        self.aggregation = self._combo(AGGREGATION_LABELS,
                                       element.aggregation.value if element else "sum")
        self.time_aggregation = self._combo(
            {t.value: t.label for t in TimeAggregation},
            (element.time_aggregation if element else self._default_time()).value)
        self.time_aggregation.setToolTip(TIME_AGGREGATION_TIP)
        # A new element's time aggregation follows its type and unit (percentages and scores
        # average) until the user picks one.
        self._time_chosen = element is not None
        self.time_aggregation.activated.connect(self._on_time_aggregation_activated)
        self.value_type.currentIndexChanged.connect(self._on_kind_changed)
        self.unit.textChanged.connect(self._on_kind_changed)
        self.entry_level = self._combo(ENTRY_LEVEL_LABELS,
                                       element.entry_level.value if element else "station")
        self.description = QLineEdit(element.description if element else "")
        for label, widget in (("代码：", self.code), ("名称：", self.name), ("单位：", self.unit),
                              ("换算系数：", self.scale), ("类型：", self.value_type),
                              ("汇总方式：", self.aggregation),
                              ("时间汇总：", self.time_aggregation),
                              ("填报层级：", self.entry_level), ("说明：", self.description)):
            form.addRow(label, widget)
        form.labelForField(self.time_aggregation).setToolTip(TIME_AGGREGATION_TIP)
        form.addRow(QLabel("比率不要作为数据项直接汇总：请分别建立分子、分母两个数据项。"))
        form.addRow(self.error)
        form.addRow(self.buttons)

    @staticmethod
    def _combo(labels: dict[str, str], current: str) -> QComboBox:
        box = QComboBox()
        for value, label in labels.items():
            box.addItem(label, value)
        box.setCurrentIndex(box.findData(current))
        return box

    def _default_time(self) -> TimeAggregation:
        return default_time_aggregation(ValueType(self.value_type.currentData()),
                                        self.unit.text())

    def _on_time_aggregation_activated(self, _index: int) -> None:
        self._time_chosen = True

    def _on_kind_changed(self) -> None:
        if not self._time_chosen:
            self.time_aggregation.setCurrentIndex(
                self.time_aggregation.findData(self._default_time().value))

    def values(self) -> dict[str, Any]:
        return {
            "code": self.code.text().strip(), "name": self.name.text().strip(),
            "unit": self.unit.text().strip(), "unit_scale": self.scale.value(),
            "value_type": ValueType(self.value_type.currentData()),
            "aggregation": Aggregation(self.aggregation.currentData()),
            "entry_level": EntryLevel(self.entry_level.currentData()),
            "time_aggregation": TimeAggregation(self.time_aggregation.currentData()),
            "description": self.description.text().strip(),
        }

    def problems(self) -> list[str]:
        values = self.values()
        return [] if values["code"] and values["name"] else ["请填写代码和名称。"]


class ElementsDialog(QDialog):
    """The catalogue of data elements, with undoable add, edit and delete."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("数据项")
        self.resize(900, 480)
        self.model = ElementTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.edit_current())
        buttons = QHBoxLayout()
        for text, slot in (("新增…", self.add), ("编辑…", self.edit_current),
                           ("删除", self.delete_current)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        context.data_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_elements(list_elements(self.context.db))

    def current(self) -> DataElement | None:
        index = self.table.currentIndex()
        return self.model.element(index.row()) if index.isValid() else None

    def add(self) -> None:
        form = ElementFormDialog(None, new_element_code(self.context.db), self)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        values = form.values()
        state: dict[str, int] = {}

        def do(db: Any) -> None:
            state["id"] = add_element(db, **values).id

        def undo(db: Any) -> None:
            delete_element(db, state["id"])

        self._push(DatabaseCommand(f"新增数据项“{values['name']}”", lambda: self.context.db,
                                   do, undo, self.context.data_changed.emit))

    def edit_current(self) -> None:
        element = self.current()
        if element is None:
            return
        form = ElementFormDialog(element, element.code, self)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        new = form.values()
        old = {k: getattr(element, k) for k in new}
        self._push(DatabaseCommand(
            f"编辑数据项“{element.name}”", lambda: self.context.db,
            lambda db: update_element(db, element.id, **new),
            lambda db: update_element(db, element.id, **old), self.context.data_changed.emit))

    def delete_current(self) -> None:
        element = self.current()
        if element is None:
            return
        if QMessageBox.question(self, "删除数据项", f"删除数据项“{element.name}”？") != (
            QMessageBox.StandardButton.Yes
        ):
            return
        kept = get_element(self.context.db, element.id)
        values = {k: getattr(kept, k) for k in ("name", "value_type", "aggregation",
                                                  "entry_level", "unit", "unit_scale",
                                                  "description", "time_aggregation")}
        state: dict[str, int] = {"id": kept.id}

        def undo(db: Any) -> None:
            state["id"] = add_element(db, kept.code, **values).id

        self._push(DatabaseCommand(
            f"删除数据项“{element.name}”", lambda: self.context.db,
            lambda db: delete_element(db, state["id"]), undo, self.context.data_changed.emit))

    def _push(self, command: DatabaseCommand) -> None:
        if not self.context.push(command) and command.error is not None:
            show_error(self, command.error)
