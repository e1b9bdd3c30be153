"""指标: the plan's indicators as printed, filterable by category and attribute."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.models.indicators import (
    Attribute,
    Indicator,
    indicator_units,
    list_elements,
    list_indicators,
)
from desktop.models.orgunits import list_units
from desktop.models.permissions import Action
from desktop.models.sentences import SentenceIndicator
from desktop.views import edits
from desktop.views.context import AppContext
from desktop.views.dialogs.indicator_dialog import IndicatorDialog
from desktop.views.feedback import show_error
from desktop.views.item_models import (
    IndicatorFilterProxy,
    IndicatorTableModel,
    entry_level_text,
    formula_text,
)
from desktop.views.roles import denied_reason, guard

_EDIT_HINT = "双击编辑；Ctrl+Z 撤销"


class IndicatorsPage(QWidget):
    """A sortable, filterable table of indicators with a detail panel for the selected one."""

    title = "指标"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = IndicatorTableModel(self)
        self.proxy = IndicatorFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.category_box = QComboBox()
        self.attribute_box = QComboBox()
        self.attribute_box.addItem("全部属性", None)
        self.attribute_box.addItem("约束性", Attribute.BINDING)
        self.attribute_box.addItem("预期性", Attribute.EXPECTED)
        self.search = QLineEdit()
        self.search.setPlaceholderText("按指标名称查找")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(QLabel("类别："))
        filters.addWidget(self.category_box)
        filters.addWidget(QLabel("属性："))
        filters.addWidget(self.attribute_box)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count_label)
        actions = QHBoxLayout()
        self.new_button = QPushButton("新建指标…")
        self.edit_button = QPushButton("编辑…")
        self.delete_button = QPushButton("删除")
        self.duplicate_button = QPushButton("标记重复…")
        self.elements_button = QPushButton("数据项…")
        self.elements_button.setToolTip("管理计算指标所用的数据项（分子、分母、单一数据项）")
        for button in (self.new_button, self.edit_button, self.delete_button,
                       self.duplicate_button, self.elements_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.hint_label = QLabel(_EDIT_HINT)
        actions.addWidget(self.hint_label)
        self.new_button.clicked.connect(lambda: self.create_indicator())
        self.edit_button.clicked.connect(self.edit_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.duplicate_button.clicked.connect(self.mark_current_duplicate)
        self.elements_button.clicked.connect(self.open_elements)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(splitter, 1)

        self.category_box.currentIndexChanged.connect(self._apply_filter)
        self.attribute_box.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_current())
        self.shortcuts = (
            QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.delete_current),
            QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.edit_current))
        context.plan_changed.connect(self.refresh)
        context.data_changed.connect(self.refresh)
        context.actor_changed.connect(self._apply_role)
        self.refresh()

    def denied(self) -> str:
        """Why the logged-in user may not change indicators ("" when he may)."""
        return denied_reason(self.context.actor, Action.EDIT_PLAN)

    def _apply_role(self) -> None:
        """Read-only for users who may not edit the plan (the models refuse them too)."""
        reason = self.denied()
        no_plan = "" if self.context.plan is not None else "请先建立或导入规划。"
        for button in (self.new_button, self.edit_button, self.delete_button,
                       self.duplicate_button):
            guard(button, reason, other=no_plan)
        guard(self.elements_button, reason,
              tooltip="管理计算指标所用的数据项（分子、分母、单一数据项）")
        for shortcut in self.shortcuts:
            shortcut.setEnabled(not reason)
        self.hint_label.setText("只读：您没有修改规划的权限" if reason else _EDIT_HINT)
        self.hint_label.setToolTip(reason)

    def refresh(self) -> None:
        current = self.current_indicator()
        plan = self.context.plan
        indicators = list_indicators(self.context.db, plan.id) if plan else []
        elements = {e.id: e for e in list_elements(self.context.db)}
        self.model.set_years(plan.baseline_year if plan else None,
                             plan.end_year if plan else None)
        self.model.set_indicators(indicators, elements)
        current = self.category_box.currentData()
        self.category_box.blockSignals(True)
        self.category_box.clear()
        self.category_box.addItem("全部类别", None)
        for category in dict.fromkeys(i.category for i in indicators if i.category):
            self.category_box.addItem(category, category)
        index = self.category_box.findData(current)
        self.category_box.setCurrentIndex(max(index, 0))
        self.category_box.blockSignals(False)
        self._apply_filter()
        self.detail.setHtml("<p style='color:#666'>选择一项指标查看公式、年度目标和原文出处。</p>"
                            if indicators else "<p>当前规划还没有指标。</p>")
        self._apply_role()
        if current is not None:
            self.select_indicator(current.id)

    # selection -------------------------------------------------------------
    def current_indicator(self) -> Indicator | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.indicator(self.proxy.mapToSource(index).row())

    def select_indicator(self, indicator_id: int) -> None:
        for row in range(self.model.rowCount()):
            if self.model.indicator(row).id == indicator_id:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                if index.isValid():
                    self.table.selectRow(index.row())
                return

    # editing ---------------------------------------------------------------
    def _dialog(self, indicator: Indicator | None = None,
                proposal: SentenceIndicator | None = None) -> IndicatorDialog:
        plan = self.context.plan
        assert plan is not None
        db = self.context.db
        categories = list(dict.fromkeys(
            i.category for i in list_indicators(db, plan.id) if i.category))
        return IndicatorDialog(
            plan.years, list_elements(db), list_units(db), categories, indicator=indicator,
            proposal=proposal,
            responsible=indicator_units(db, indicator.id) if indicator else None, parent=self)

    def create_indicator(self, proposal: SentenceIndicator | None = None,
                         source_item_id: int | None = None) -> bool:
        """Open the form (filled from a sentence when given) and add the indicator."""
        plan = self.context.plan
        if plan is None:
            return False
        if self.denied():
            QMessageBox.information(self, "新建指标", self.denied())
            return False
        dialog = self._dialog(proposal=proposal)
        if dialog.exec() != IndicatorDialog.DialogCode.Accepted:
            return False
        command = edits.create_indicator(self.context, plan.id, dialog.form(), source_item_id)
        return self._push(command)

    def edit_current(self) -> None:
        """Open the selected indicator's form; read-only users see it in the panel below."""
        indicator = self.current_indicator()
        if indicator is None or self.denied():
            return
        dialog = self._dialog(indicator)
        if dialog.exec() == IndicatorDialog.DialogCode.Accepted:
            self._push(edits.edit_indicator(self.context, indicator.id, dialog.form()))

    def delete_current(self) -> None:
        indicator = self.current_indicator()
        if indicator is None or self.denied():
            return
        answer = QMessageBox.question(
            self, "删除指标", f"删除指标“{indicator.name}”？可以用“编辑 → 撤销”（Ctrl+Z）恢复。")
        if answer == QMessageBox.StandardButton.Yes:
            self._push(edits.remove_indicator(self.context, indicator.id))

    def mark_current_duplicate(self) -> None:
        indicator = self.current_indicator()
        plan = self.context.plan
        if indicator is None or plan is None or self.denied():
            return
        others = [i for i in list_indicators(self.context.db, plan.id) if i.id != indicator.id]
        labels = ["（不重复）"] + [f"{i.seq_printed or '—'} {i.name}（{i.origin.label}）"
                                  for i in others]
        choice, ok = QInputDialog.getItem(
            self, "标记重复指标", f"“{indicator.name}”与哪一项是同一个目标？", labels, 0, False)
        if ok:
            target = None if choice == labels[0] else others[labels.index(choice) - 1].id
            self._push(edits.mark_duplicate(self.context, indicator.id, target))

    def open_elements(self) -> None:
        from desktop.views.dialogs.elements_dialog import ElementsDialog

        ElementsDialog(self.context, self).exec()

    def _push(self, command: edits.DatabaseCommand) -> bool:
        ok = self.context.push(command)
        if not ok and command.error is not None:
            show_error(self, command.error)
        return ok

    def _apply_filter(self) -> None:
        attribute = self.attribute_box.currentData()  # Qt hands the enum back as its str value
        self.proxy.set_filter(self.category_box.currentData(),
                              Attribute(attribute) if attribute else None, self.search.text())
        self.count_label.setText(f"显示 {self.proxy.rowCount()} / {self.model.rowCount()} 项")

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        source = self.proxy.mapToSource(current)
        self.show_detail(self.model.indicator(source.row()))

    def show_detail(self, ind: Indicator) -> None:
        elements = {e.id: e for e in list_elements(self.context.db)}
        annual = "".join(
            f"<td style='padding:2px 10px'>{a.year}年：<b>{a.target.display()}</b></td>"
            for a in ind.annual_targets) or "<td>未设</td>"
        html = (
            f"<h3>{ind.seq_printed}. {ind.name}"
            f"<span style='color:{'#b3261e' if ind.attribute is Attribute.BINDING else '#555'}'>"
            f"（{ind.attribute.label}）</span></h3>"
            f"<p>原文：{ind.name_printed}　基期值 <b>{ind.baseline.display()}</b>　"
            f"目标值 <b>{ind.target.display()}</b>　单位：{ind.unit_printed or '原文未印'}"
            f"（规范单位 {ind.unit_canonical or '—'}）</p>"
            f"<p>计算方式：{formula_text(ind, elements)}（{entry_level_text(ind, elements)}）；"
            f"时间口径：{ind.time_semantics.label}；方向：{ind.direction.label}</p>"
            f"<p>年度目标：</p><table><tr>{annual}</tr></table>"
            f"<p style='color:#555'>出处：{ind.source_text}"
            f"{f'（原文第 {ind.source_line} 行）' if ind.source_line else ''}</p>"
            + (f"<p style='color:#555'>备注：{ind.note}</p>" if ind.note else "")
        )
        self.detail.setHtml(html)
