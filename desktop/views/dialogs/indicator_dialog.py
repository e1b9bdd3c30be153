"""新建/编辑指标: every field of a plan indicator, with parsed values shown as you type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models.indicators import (
    Attribute,
    DataElement,
    Direction,
    Indicator,
    Origin,
    TargetType,
    TimeSemantics,
    propose_annual_targets,
)
from desktop.models.orgunits import OrgUnit
from desktop.models.printed import PrintedValue, ValueKind, parse_printed
from desktop.models.sentences import SentenceIndicator
from desktop.views.dialogs.form import FormDialog

_KIND_LABELS = {
    ValueKind.NUMBER: "数值", ValueKind.RANGE: "区间", ValueKind.PLACEHOLDER: "未填（占位符）",
    ValueKind.MULTIPLE: "倍数", ValueKind.ZERO_EVENT: "零事件", ValueKind.BREAKTHROUGH: "零突破",
    ValueKind.RANKING: "排名", ValueKind.QUALITATIVE: "定性（文字）",
}
_COMPARATOR_LABELS = {"=": "等于", ">=": "不低于", ">": "高于", "<=": "不超过", "<": "低于",
                      "~": "约为", "range": "区间"}


def describe_printed(value: PrintedValue) -> str:
    """A Chinese reading of a parsed printed value, shown beside the text box."""
    kind = _KIND_LABELS[value.kind]
    if value.kind is ValueKind.PLACEHOLDER:
        return kind
    if value.kind is ValueKind.RANGE:
        return f"{kind} {value.value:g}～{value.upper:g}{value.unit}"
    if value.value is None:
        return kind
    comparator = _COMPARATOR_LABELS.get(value.comparator.value if value.comparator else "", "")
    return f"{kind}：{comparator} {value.value:g}{value.unit}"


@dataclass
class IndicatorForm:
    """What the dialog returns: fields for ``update_indicator`` plus targets and units."""

    fields: dict[str, Any]
    annual_targets: dict[int, str] = field(default_factory=dict)
    annual_notes: dict[int, str] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)


class IndicatorDialog(FormDialog):
    """Edit an indicator, or create one (from scratch or from a selected sentence)."""

    def __init__(
        self,
        years: list[int],
        elements: list[DataElement],
        units: list[OrgUnit],
        categories: list[str],
        *,
        indicator: Indicator | None = None,
        proposal: SentenceIndicator | None = None,
        responsible: dict[int, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.years = years
        self.setWindowTitle("编辑指标" if indicator else "新建指标")
        self.resize(760, 560)
        self._indicator = indicator
        self._proposal = proposal

        tabs = QTabWidget()
        tabs.addTab(self._basic_tab(categories), "基本信息")
        tabs.addTab(self._formula_tab(elements, units), "计算与责任单位")
        tabs.addTab(self._targets_tab(), "年度目标")
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.tabs = tabs
        self._fill(indicator, proposal, responsible or {})

    # tabs ---------------------------------------------------------------
    def _basic_tab(self, categories: list[str]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.seq = QLineEdit()
        self.name = QLineEdit()
        self.name_printed = QLineEdit()
        self.category = QComboBox()
        self.category.setEditable(True)
        self.category.addItems(categories)
        self.attribute = QComboBox()
        for attr in Attribute:
            self.attribute.addItem(attr.label, attr.value)
        self.unit_printed = QLineEdit()
        self.unit_canonical = QLineEdit()
        self.unit_scale = QDoubleSpinBox()
        self.unit_scale.setRange(0.000001, 1e9)
        self.unit_scale.setDecimals(6)
        self.baseline = QLineEdit()
        self.baseline_reading = QLabel()
        self.target = QLineEdit()
        self.target_reading = QLabel()
        self.target_type = QComboBox()
        for kind in TargetType:
            self.target_type.addItem(kind.label, kind.value)
        self.direction = QComboBox()
        for direction in Direction:
            self.direction.addItem(direction.label, direction.value)
        self.time_semantics = QComboBox()
        for semantics in TimeSemantics:
            self.time_semantics.addItem(semantics.label, semantics.value)
        self.source = QPlainTextEdit()
        self.source.setReadOnly(True)
        self.source.setMaximumHeight(70)
        self.note = QLineEdit()
        form.addRow("序号：", self.seq)
        form.addRow("指标名称：", self.name)
        form.addRow("原文名称：", self.name_printed)
        form.addRow("类别：", self.category)
        form.addRow("属性：", self.attribute)
        units_row = QHBoxLayout()
        units_row.addWidget(self.unit_printed)
        units_row.addWidget(QLabel("规范单位："))
        units_row.addWidget(self.unit_canonical)
        units_row.addWidget(QLabel("换算系数："))
        units_row.addWidget(self.unit_scale)
        form.addRow("单位（原文）：", units_row)
        form.addRow("基期值（原文）：", self._with_reading(self.baseline, self.baseline_reading))
        form.addRow("目标值（原文）：", self._with_reading(self.target, self.target_reading))
        form.addRow("目标类型：", self.target_type)
        form.addRow("方向：", self.direction)
        form.addRow("时间口径：", self.time_semantics)
        form.addRow("出处：", self.source)
        form.addRow("备注：", self.note)
        self.baseline.textChanged.connect(
            lambda text: self.baseline_reading.setText(describe_printed(parse_printed(text))))
        self.target.textChanged.connect(
            lambda text: self.target_reading.setText(describe_printed(parse_printed(text))))
        return page

    @staticmethod
    def _with_reading(edit: QLineEdit, reading: QLabel) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 2)
        reading.setStyleSheet("color: #1f4e8c;")
        row.addWidget(reading, 3)
        return box

    def _formula_tab(self, elements: list[DataElement], units: list[OrgUnit]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.numerator = QComboBox()
        self.denominator = QComboBox()
        self.numerator.addItem("（未设）", None)
        self.denominator.addItem("（无：单一数据项）", None)
        for element in elements:
            label = f"{element.name}（{element.unit or '无单位'}）"
            self.numerator.addItem(label, element.id)
            self.denominator.addItem(label, element.id)
        self.factor = QDoubleSpinBox()
        self.factor.setRange(0.000001, 1e9)
        self.factor.setDecimals(4)
        self.factor.setValue(1)
        form.addRow("分子（或单一数据项）：", self.numerator)
        form.addRow("分母：", self.denominator)
        form.addRow("系数：", self.factor)
        form.addRow(QLabel("比率类指标的全区数值按各单位分子之和 ÷ 分母之和 × 系数计算，"
                           "不把各单位的比率相加或平均。"))
        self.unit_table = QTableWidget(len(units), 2)
        self.unit_table.setHorizontalHeaderLabels(["单位", "责任"])
        self.unit_table.verticalHeader().setVisible(False)
        self.unit_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self._unit_ids: list[int] = []
        for row, unit in enumerate(units):
            item = QTableWidgetItem(unit.name)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.unit_table.setItem(row, 0, item)
            role = QComboBox()
            role.addItem("—", None)
            role.addItem("牵头", "lead")
            role.addItem("配合", "cooperate")
            self.unit_table.setCellWidget(row, 1, role)
            self._unit_ids.append(unit.id)
        form.addRow("责任单位：", self.unit_table)
        return page

    def _targets_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.targets = QTableWidget(len(self.years), 2)
        self.targets.setHorizontalHeaderLabels(["年度目标（原文写法）", "说明（非线性时写明理由）"])
        self.targets.setVerticalHeaderLabels([f"{y}年" for y in self.years])
        self.targets.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for row in range(len(self.years)):
            for column in range(2):
                self.targets.setItem(row, column, QTableWidgetItem(""))
        propose = QPushButton("按基期值、目标值和时间口径生成")
        propose.clicked.connect(self.propose_targets)
        layout.addWidget(self.targets)
        layout.addWidget(propose, 0, Qt.AlignmentFlag.AlignLeft)
        return page

    # values -------------------------------------------------------------
    def _fill(self, ind: Indicator | None, proposal: SentenceIndicator | None,
              responsible: dict[int, str]) -> None:
        if ind is not None:
            self.seq.setText(ind.seq_printed)
            self.name.setText(ind.name)
            self.name_printed.setText(ind.name_printed)
            self.category.setCurrentText(ind.category)
            self._select(self.attribute, ind.attribute.value)
            self.unit_printed.setText(ind.unit_printed)
            self.unit_canonical.setText(ind.unit_canonical)
            self.unit_scale.setValue(ind.unit_scale)
            self.baseline.setText(ind.baseline.text)
            self.target.setText(ind.target.text)
            self._select(self.target_type, ind.target_type.value)
            self._select(self.direction, ind.direction.value)
            self._select(self.time_semantics, ind.time_semantics.value)
            self.source.setPlainText(ind.source_text)
            self.note.setText(ind.note)
            self._select(self.numerator, ind.numerator_id)
            self._select(self.denominator, ind.denominator_id)
            self.factor.setValue(ind.factor)
            for target in ind.annual_targets:
                if target.year in self.years:
                    row = self.years.index(target.year)
                    self._target_cell(row, 0).setText(target.target.text)
                    self._target_cell(row, 1).setText(target.note)
        elif proposal is not None:
            self.name.setText(proposal.name)
            self.name_printed.setText(proposal.name)
            self.target.setText(proposal.target_text)
            self.baseline.setText("--")
            self.unit_printed.setText(proposal.unit)
            self.unit_canonical.setText(proposal.unit)
            self.unit_scale.setValue(1)
            self._select(self.target_type, proposal.target_type.value)
            self._select(self.direction, proposal.direction.value)
            self._select(self.time_semantics, proposal.time_semantics.value)
            self.source.setPlainText(proposal.source_text)
            self._select(self.attribute, Attribute.EXPECTED.value)
            self.propose_targets()
        else:
            self.unit_scale.setValue(1)
            self.baseline.setText("--")
        for row, unit_id in enumerate(self._unit_ids):
            widget = self.unit_table.cellWidget(row, 1)
            assert isinstance(widget, QComboBox)
            self._select(widget, responsible.get(unit_id))
        self.baseline_reading.setText(describe_printed(parse_printed(self.baseline.text())))
        self.target_reading.setText(describe_printed(parse_printed(self.target.text())))

    def _target_cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.targets.item(row, column)
        assert item is not None
        return item

    @staticmethod
    def _select(box: QComboBox, data: object) -> None:
        index = box.findData(data)
        if index >= 0:
            box.setCurrentIndex(index)

    def propose_targets(self) -> None:
        """Fill every year from the baseline, the target and the time semantics."""
        if not self.years:
            return
        proposal = propose_annual_targets(
            self.baseline.text(), self.target.text(), self.years[0], self.years[-1],
            TimeSemantics(self.time_semantics.currentData()))
        for row, year in enumerate(self.years):
            self._target_cell(row, 0).setText(proposal.get(year, ""))

    def form(self) -> IndicatorForm:
        """The values entered, ready for the model functions."""
        fields: dict[str, Any] = {
            "seq_printed": self.seq.text().strip(),
            "name": self.name.text().strip(),
            "name_printed": self.name_printed.text().strip() or self.name.text().strip(),
            "category": self.category.currentText().strip(),
            "attribute": Attribute(self.attribute.currentData()),
            "unit_printed": self.unit_printed.text().strip(),
            "unit_canonical": self.unit_canonical.text().strip(),
            "unit_scale": self.unit_scale.value(),
            "baseline_text": self.baseline.text().strip(),
            "target_text": self.target.text().strip(),
            "target_type": TargetType(self.target_type.currentData()),
            "direction": Direction(self.direction.currentData()),
            "time_semantics": TimeSemantics(self.time_semantics.currentData()),
            "numerator_id": self.numerator.currentData(),
            "denominator_id": self.denominator.currentData(),
            "factor": self.factor.value(),
            "note": self.note.text().strip(),
        }
        if self._indicator is None:
            fields["source_text"] = self.source.toPlainText()
            fields["origin"] = Origin.SENTENCE if self._proposal else Origin.MANUAL
        targets: dict[int, str] = {}
        notes: dict[int, str] = {}
        for row, year in enumerate(self.years):
            text = self._target_cell(row, 0).text().strip()
            if text:
                targets[year] = text
            note = self._target_cell(row, 1).text().strip()
            if note:
                notes[year] = note
        units: dict[int, str] = {}
        for row, unit_id in enumerate(self._unit_ids):
            widget = self.unit_table.cellWidget(row, 1)
            assert isinstance(widget, QComboBox)
            if widget.currentData():
                units[unit_id] = widget.currentData()
        return IndicatorForm(fields, targets, notes, units)

    def problems(self) -> list[str]:
        """Why the form cannot be saved yet (empty when it can)."""
        form = self.form()
        problems = []
        if not form.fields["name"]:
            problems.append("请填写指标名称。")
        if not form.fields["target_text"]:
            problems.append("请填写目标值（原文写法，如 ≥98、4-5家、翻番；没有时填 --）。")
        if form.fields["denominator_id"] is not None and form.fields["numerator_id"] is None:
            problems.append("设了分母就必须设分子。")
        return problems
