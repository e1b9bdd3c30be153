"""Qt item models over domain objects: indicators, the plan outline and the unit tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.models.assignments import ItemAssignments
from desktop.models.indicators import Attribute, DataElement, Indicator
from desktop.models.orgunits import OrgUnit, UnitType
from desktop.models.plans import ItemType, OutlineNode, PlanItem

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
BINDING_COLOUR = QColor("#b3261e")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 2


def formula_text(indicator: Indicator, elements: dict[int, DataElement]) -> str:
    """How the indicator is computed, in Chinese: one element, or a ratio of sums × factor."""

    def name(element_id: int | None) -> str:
        element = elements.get(element_id) if element_id is not None else None
        return element.name if element else "（未设）"

    if indicator.numerator_id is None:
        return "（未设数据项）"
    if indicator.denominator_id is None:
        return name(indicator.numerator_id)
    factor = f" × {indicator.factor:g}" if indicator.factor != 1 else ""
    return f"Σ{name(indicator.numerator_id)} ÷ Σ{name(indicator.denominator_id)}{factor}"


def entry_level_text(indicator: Indicator, elements: dict[int, DataElement]) -> str:
    ids = [i for i in (indicator.numerator_id, indicator.denominator_id) if i is not None]
    levels = {elements[i].entry_level.value for i in ids if i in elements}
    if levels == {"district"}:
        return "区级录入"
    if "district" in levels:
        return "各所填报 + 区级录入"
    return "各所填报"


@dataclass(frozen=True)
class Column:
    title: str
    key: str


class _ListTableModel(QAbstractTableModel):
    """A read-only table over a list of objects, with Chinese column titles."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def column_titles(self) -> Sequence[str]:
        raise NotImplementedError

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.column_titles())

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.column_titles()[section]
        return None


class IndicatorTableModel(_ListTableModel):
    """A plan's indicators; baseline and target are shown exactly as printed."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Indicator] = []
        self._elements: dict[int, DataElement] = {}
        self._seq_by_id: dict[int, str] = {}
        self._columns: list[Column] = []
        self.set_years(None, None)

    def set_years(self, baseline_year: int | None, end_year: int | None) -> None:
        base = f"基期值（{baseline_year}年）" if baseline_year else "基期值"
        target = f"目标值（{end_year}年）" if end_year else "目标值"
        self._columns = [
            Column("序号", "seq"), Column("指标名称", "name"), Column("单位", "unit"),
            Column("类别", "category"), Column("属性", "attribute"), Column(base, "baseline"),
            Column(target, "target"), Column("方向", "direction"),
            Column("时间口径", "time"), Column("数据来源", "level"), Column("出处", "origin"),
        ]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._columns) - 1)

    def set_indicators(self, indicators: Sequence[Indicator],
                       elements: dict[int, DataElement]) -> None:
        self.beginResetModel()
        self._rows = list(indicators)
        self._elements = dict(elements)
        self._seq_by_id = {i.id: i.seq_printed or i.name for i in indicators}
        self.endResetModel()

    def indicator(self, row: int) -> Indicator:
        return self._rows[row]

    def column_titles(self) -> Sequence[str]:
        return [c.title for c in self._columns]

    def column_key(self, column: int) -> str:
        return self._columns[column].key

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        ind = self._rows[index.row()]
        key = self._columns[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(ind, key)
        if role == SORT_ROLE:
            if key == "seq":
                return ind.sort_order
            if key in ("baseline", "target"):
                value = (ind.baseline if key == "baseline" else ind.target).value
                return value if value is not None else float("-inf")
            return self._display(ind, key)
        if role == OBJECT_ROLE:
            return ind
        if role == Qt.ItemDataRole.ForegroundRole and key == "attribute" and (
            ind.attribute is Attribute.BINDING
        ):
            return QBrush(BINDING_COLOUR)
        if role == Qt.ItemDataRole.FontRole and key == "attribute" and (
            ind.attribute is Attribute.BINDING
        ):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("seq", "baseline", "target"):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "name":
                return f"原文：{ind.name_printed}"
            if key == "level":
                return f"计算方式：{formula_text(ind, self._elements)}"
            if key == "origin":
                return ind.source_text or "（未记录出处）"
            if key in ("baseline", "target"):
                printed = ind.baseline if key == "baseline" else ind.target
                return "原文未填（占位符）" if printed.placeholder else f"原文印作“{printed.text}”"
        return None

    def _display(self, ind: Indicator, key: str) -> str:
        if key == "seq":
            return ind.seq_printed
        if key == "name":
            return ind.name
        if key == "unit":
            return ind.unit_printed or (f"（{ind.unit_canonical}）" if ind.unit_canonical else "")
        if key == "category":
            return ind.category
        if key == "attribute":
            return ind.attribute.label
        if key == "baseline":
            return ind.baseline.display()
        if key == "target":
            return ind.target.display()
        if key == "direction":
            return ind.direction.label
        if key == "time":
            return ind.time_semantics.label
        if key == "level":
            return entry_level_text(ind, self._elements)
        if key == "origin":
            duplicate = self._seq_by_id.get(ind.duplicate_of) if ind.duplicate_of else None
            return ind.origin.label + (f"（同第 {duplicate} 项）" if duplicate else "")
        return ""


class IndicatorFilterProxy(QSortFilterProxyModel):
    """Filters indicators by category, attribute and a search text; sorts by meaning."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.category: str | None = None
        self.attribute: Attribute | None = None
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filter(self, category: str | None, attribute: Attribute | None, text: str) -> None:
        self.beginFilterChange()
        self.category, self.attribute, self.text = category, attribute, text.strip()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, IndicatorTableModel)
        ind = model.indicator(source_row)
        if self.category and ind.category != self.category:
            return False
        if self.attribute and ind.attribute is not self.attribute:
            return False
        return not self.text or self.text in ind.name or self.text in ind.name_printed


class _TreeNode:
    __slots__ = ("children", "obj", "parent", "row")

    def __init__(self, obj: Any, parent: _TreeNode | None, row: int) -> None:
        self.obj = obj
        self.parent = parent
        self.row = row
        self.children: list[_TreeNode] = []


class _ObjectTreeModel(QAbstractItemModel):
    """A read-only tree over objects that have ``id`` and ``parent_id``."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._root = _TreeNode(None, None, 0)

    def set_objects(self, objects: Sequence[Any]) -> None:
        self.beginResetModel()
        self._retired = [*getattr(self, "_retired", [])[-3:], self._root]  # see set_roots
        self._root = _TreeNode(None, None, 0)
        nodes: dict[int, _TreeNode] = {}
        pending = list(objects)
        for obj in pending:
            nodes[obj.id] = _TreeNode(obj, None, 0)
        for obj in pending:
            node = nodes[obj.id]
            parent = nodes.get(obj.parent_id, self._root) if obj.parent_id else self._root
            node.parent = parent
            node.row = len(parent.children)
            parent.children.append(node)
        self.endResetModel()

    def _node(self, index: Index) -> _TreeNode:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, _TreeNode)
            return node
        return self._root

    def object_at(self, index: Index) -> Any:
        return self._node(index).obj if index.isValid() else None

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(self.headers):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: Index = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        parent = self._node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = _ROOT) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        obj = self._node(index).obj
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(obj, index.column())
        if role == OBJECT_ROLE:
            return obj
        return self.extra(obj, index.column(), role)

    def display(self, obj: Any, column: int) -> str:
        raise NotImplementedError

    def extra(self, obj: Any, column: int, role: int) -> Any:
        return None


def outline_cell(item_type: ItemType, marker: str, title: str, column: int) -> str:
    """The 标题 / 类型 / 编号 cells of an outline item, stored or previewed."""
    if column == 0:
        if item_type in (ItemType.TASK, ItemType.PARAGRAPH, ItemType.BOX_ITEM):
            return title
        return f"{marker} {title}".strip()
    return item_type.label if column == 1 else marker


class PlanItemTreeModel(_ObjectTreeModel):
    """A plan's outline with who leads each item and by when."""

    headers = ("标题", "类型", "编号", "牵头单位", "配合单位", "完成时限", "原文行")
    _BOLD = frozenset({ItemType.CHAPTER, ItemType.SECTION, ItemType.BOX})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.assignments: dict[int, ItemAssignments] = {}

    def set_items(self, items: Sequence[PlanItem],
                  assignments: dict[int, ItemAssignments]) -> None:
        self.assignments = assignments
        self.set_objects(items)

    def display(self, obj: Any, column: int) -> str:
        item: PlanItem = obj
        if column < 3:
            return outline_cell(item.item_type, item.marker, item.title, column)
        given = self.assignments.get(item.id)
        if column == 3:
            return "、".join(d.unit_display_name for d in given.lead) if given else ""
        if column == 4:
            return "、".join(d.unit_display_name for d in given.cooperating) if given else ""
        if column == 5:
            return (given.deadline or "") if given else ""
        return f"第 {item.source_line} 行" if item.source_line else ""

    def extra(self, obj: Any, column: int, role: int) -> Any:
        item: PlanItem = obj
        if role == Qt.ItemDataRole.FontRole and column == 0 and item.item_type in self._BOLD:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and item.body:
            return item.body[:300]
        return None


class OrgUnitTreeModel(_ObjectTreeModel):
    """The unit tree; stations show the townships and streets they serve."""

    headers = ("名称", "类型", "代码", "服务镇街")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._served: dict[int, list[OrgUnit]] = {}

    def set_units(self, units: Sequence[OrgUnit], served: dict[int, list[OrgUnit]]) -> None:
        self._served = served
        self.set_objects(units)

    def display(self, obj: Any, column: int) -> str:
        unit: OrgUnit = obj
        if column == 0:
            return unit.name
        if column == 1:
            return unit.unit_type.label
        if column == 2:
            return unit.code
        if unit.unit_type is UnitType.STATION:
            return "、".join(t.name for t in self._served.get(unit.id, []))
        return ""


AGGREGATION_LABELS = {"sum": "求和", "average": "平均", "last": "取最新", "min": "最小值",
                      "max": "最大值", "none": "不汇总（区级录入）"}
VALUE_TYPE_LABELS = {"integer": "整数", "number": "数值", "percentage": "百分数", "text": "文字",
                     "boolean": "是/否"}
ENTRY_LEVEL_LABELS = {"station": "各所填报", "district": "区级录入"}


class ElementTableModel(_ListTableModel):
    """Data elements: the raw figures units report."""

    headers = ("代码", "名称", "单位", "类型", "汇总方式", "时间汇总", "填报层级", "说明")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[DataElement] = []

    def set_elements(self, elements: Sequence[DataElement]) -> None:
        self.beginResetModel()
        self._rows = list(elements)
        self.endResetModel()

    def element(self, row: int) -> DataElement:
        return self._rows[row]

    def column_titles(self) -> Sequence[str]:
        return self.headers

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        e = self._rows[index.row()]
        return (e.code, e.name, e.unit, VALUE_TYPE_LABELS[e.value_type.value],
                AGGREGATION_LABELS[e.aggregation.value], e.time_aggregation.label,
                ENTRY_LEVEL_LABELS[e.entry_level.value], e.description)[index.column()]


class OutlineNodeTreeModel(_ObjectTreeModel):
    """An outline being previewed (not stored yet): nodes hold their children."""

    headers = ("标题", "类型", "编号", "原文行")

    def set_roots(self, roots: Sequence[OutlineNode]) -> None:
        self.beginResetModel()
        # Indexes handed out before the reset point at the old wrappers; keep them alive so
        # that a stale index held anywhere can never dereference freed memory.
        self._retired = [*getattr(self, "_retired", []), self._root]
        self._root = _TreeNode(None, None, 0)
        self._wrappers: dict[int, _TreeNode] = {}

        def wrap(node: OutlineNode, parent: _TreeNode) -> None:
            wrapper = _TreeNode(node, parent, len(parent.children))
            parent.children.append(wrapper)
            self._wrappers[id(node)] = wrapper
            for child in node.children:
                wrap(child, wrapper)

        for root in roots:
            wrap(root, self._root)
        self.endResetModel()

    def node_at(self, index: Index) -> OutlineNode | None:
        obj = self.object_at(index)
        return obj if isinstance(obj, OutlineNode) else None

    def index_of(self, node: OutlineNode) -> QModelIndex:
        wrapper = getattr(self, "_wrappers", {}).get(id(node))
        if wrapper is None:
            return QModelIndex()
        return self.createIndex(wrapper.row, 0, wrapper)

    def node_changed(self, node: OutlineNode) -> None:
        index = self.index_of(node)
        if index.isValid():
            last = self.createIndex(index.row(), len(self.headers) - 1, index.internalPointer())
            self.dataChanged.emit(index, last)

    def display(self, obj: Any, column: int) -> str:
        node: OutlineNode = obj
        if column < 3:
            return outline_cell(node.item_type, node.marker, node.title, column)
        return f"第 {node.source_line} 行" if node.source_line else ""

    def extra(self, obj: Any, column: int, role: int) -> Any:
        node: OutlineNode = obj
        if role == Qt.ItemDataRole.FontRole and column == 0 and node.item_type in (
            ItemType.CHAPTER, ItemType.SECTION, ItemType.BOX
        ):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and (
            node.item_type is ItemType.TASK
        ):
            return QBrush(QColor("#1f4e8c"))
        return None
