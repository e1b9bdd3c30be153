"""Small reusable widgets: the period picker, read-only tables, a page refreshed while shown."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QWidget,
)

from desktop.models.periods import Period, PeriodType

_KINDS = ((PeriodType.YEAR, "年度"), (PeriodType.HALF, "半年"), (PeriodType.QUARTER, "季度"),
          (PeriodType.MONTH, "月度"))
_SIZES = {PeriodType.YEAR: 12, PeriodType.HALF: 6, PeriodType.QUARTER: 3, PeriodType.MONTH: 1}


class PeriodPicker(QWidget):
    """Pick a reporting period: kind (年度/半年/季度/月度), year and number, in Chinese."""

    changed = Signal()

    def __init__(self, years: list[int], period: Period | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for kind, label in _KINDS:
            self.kind.addItem(label, kind.value)
        self.year = QSpinBox()
        self.year.setRange(min(years) - 1 if years else 2000, max(years) + 1 if years else 2100)
        self.year.setSuffix(" 年")
        self.number = QComboBox()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        layout.addWidget(self.year)
        layout.addWidget(self.number)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.year.valueChanged.connect(lambda _v: self._on_kind_changed())
        self.number.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.set_period(period or Period.year_of(years[-1] if years else 2025))

    def set_period(self, period: Period) -> None:
        self.kind.blockSignals(True)
        self.kind.setCurrentIndex(self.kind.findData(period.kind.value))
        self.kind.blockSignals(False)
        self.year.blockSignals(True)
        self.year.setValue(period.year)
        self.year.blockSignals(False)
        self._fill_numbers()
        self.number.setCurrentIndex(period.number - 1)
        self.changed.emit()

    def _on_kind_changed(self) -> None:
        keep = self.number.currentIndex()
        self._fill_numbers()
        self.number.setCurrentIndex(min(max(keep, 0), self.number.count() - 1))
        self.changed.emit()

    def _fill_numbers(self) -> None:
        kind = PeriodType(self.kind.currentData())
        size = _SIZES[kind]
        self.number.blockSignals(True)
        self.number.clear()
        for first in range(1, 13, size):
            period = Period(self.year.value(), first, size)
            self.number.addItem(period.label, period.id)
        self.number.setVisible(kind is not PeriodType.YEAR)
        self.number.blockSignals(False)

    def period(self) -> Period:
        return Period.parse(str(self.number.currentData()))


class ShownPage(QWidget):
    """A page that re-reads its data only while shown; a refresh while hidden waits for it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def _postponed(self) -> bool:
        """Whether the page is hidden, so that the refresh waits until it is shown."""
        self._stale = not self.isVisible()
        return self._stale


def read_only_table(model: QAbstractItemModel, *, stretch: int = -1) -> QTableView:
    """A table of whole-row, single selection that cannot be edited; column ``stretch`` fills."""
    view = QTableView()
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.setWordWrap(False)
    head = view.horizontalHeader()
    head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch >= 0:
        head.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def summary_banner(object_name: str) -> QLabel:
    """The light-blue line at the top of a page that sums up what it shows."""
    banner = QLabel()
    banner.setObjectName(object_name)
    banner.setWordWrap(True)
    banner.setStyleSheet("background: #eef3fa; color: #1f3b5c; border-radius: 4px; "
                         "padding: 6px 10px; font-size: 14px;")
    return banner
