"""指标: the plan's indicators as printed, filterable by category and attribute."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.models.indicators import Attribute, Indicator, list_elements, list_indicators
from desktop.views.context import AppContext
from desktop.views.item_models import (
    IndicatorFilterProxy,
    IndicatorTableModel,
    entry_level_text,
    formula_text,
)


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
        layout.addWidget(splitter, 1)

        self.category_box.currentIndexChanged.connect(self._apply_filter)
        self.attribute_box.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        context.plan_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
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
