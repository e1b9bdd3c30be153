"""Qt item models of the reporting cycle: the entry grids, submissions, board, inbox, diffs."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from desktop.models.indicators import DataElement, ValueType
from desktop.models.values import TaskStatus
from desktop.models.windows import Light, Timeliness
from desktop.models.workflow import EntryRow, EntryTask, EntryValue, TaskRow, validate_entry

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
T = TypeVar("T")

INVALID_BRUSH = QBrush(QColor("#f8d0d0"))
COMMENTED_BRUSH = QBrush(QColor("#fff1c2"))
READ_ONLY_BRUSH = QBrush(QColor("#f3f5f8"))
LIGHT_COLOURS = {Light.GREEN: "#2e9d4a", Light.YELLOW: "#f2b705", Light.RED: "#d93025",
                 Light.NONE: "#b8bec6"}
#: Board cells: green when in on time or approved, yellow when late or returned, red when
#: missing after the deadline, grey when not due yet.
TIMELINESS_COLOURS = {
    Timeliness.ON_TIME: "#cdebd3", Timeliness.APPROVED: "#9fd8ac",
    Timeliness.LATE: "#fbe6a2", Timeliness.RETURNED: "#fbd38d",
    Timeliness.MISSING: "#f5b5b0", Timeliness.NOT_DUE: "#e4e7eb",
}


# formatting -----------------------------------------------------------------
def number_text(value: float | None) -> str:
    """A figure as typed: no exponent, no trailing zeros, no thousands separators."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def local_time_text(stamp: str | None) -> str:
    """A stored UTC ISO time as local 年-月-日 时:分 ("" when there is none)."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def date_text(day: date | str | None) -> str:
    if day is None or day == "":
        return ""
    return day.isoformat() if isinstance(day, date) else str(day)


def light_label(light: Light) -> str:
    return light.label


def light_icon(light: Light) -> QIcon:
    """A round 督办 light of the light's colour.

    Not cached in a module global: Qt pixmaps that outlive the application crash the
    interpreter's final garbage collection.
    """
    colour = QColor(LIGHT_COLOURS.get(light, "#b8bec6"))
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(colour)
    painter.setPen(colour.darker(130))
    painter.drawEllipse(1, 1, 12, 12)
    painter.end()
    return QIcon(pixmap)


# parsing what is typed or pasted -------------------------------------------
_STATUS_WORDS: dict[str, TaskStatus] = {
    "1": TaskStatus.NOT_STARTED, "2": TaskStatus.IN_PROGRESS, "3": TaskStatus.COMPLETED,
    "4": TaskStatus.DELAYED,
    "wqd": TaskStatus.NOT_STARTED, "tjz": TaskStatus.IN_PROGRESS, "ywc": TaskStatus.COMPLETED,
    "zh": TaskStatus.DELAYED, "未开始": TaskStatus.NOT_STARTED, "进行中": TaskStatus.IN_PROGRESS,
    "完成": TaskStatus.COMPLETED, "延期": TaskStatus.DELAYED, "滞后": TaskStatus.DELAYED,
}
STATUS_HINT = "状态可输入 未启动、推进中、已完成、滞后，或其拼音首字母 wqd、tjz、ywc、zh，或 1–4。"


def parse_task_status(text: str) -> TaskStatus | None:
    """A task status from its label, a unique beginning of it, pinyin initials or 1–4."""
    word = text.strip().lower()
    if not word:
        return None
    for status in TaskStatus:
        if word in (status.label, status.value):
            return status
    if word in _STATUS_WORDS:
        return _STATUS_WORDS[word]
    starts = [s for s in TaskStatus if s.label.startswith(word)]
    starts += [s for w, s in _STATUS_WORDS.items() if w.startswith(word) and s not in starts]
    return starts[0] if len(set(starts)) == 1 else None


_PERCENT = re.compile(r"^\s*([0-9０-９]+(?:[.．][0-9０-９]+)?)\s*[%％]?\s*$")


def parse_percent(text: str) -> tuple[float | None, str]:
    """完成百分比 from what was typed: ``60``, ``60%``, ``６０``; ``(None, reason)`` if not."""
    stripped = text.strip()
    if stripped in ("", "-", "—"):
        return None, ""
    match = _PERCENT.match(stripped)
    if match is None:
        return None, f"完成百分比“{stripped}”无法识别，请填写 0 到 100 之间的数，例如 60。"
    digits = match.group(1).translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    value = float(digits)
    if value > 100:
        return None, f"完成百分比“{stripped}”超过 100，请填写 0 到 100 之间的数。"
    return value, ""


def parse_block(text: str) -> list[list[str]]:
    """Cells of a block copied from Excel, WPS or LibreOffice: tab-separated lines.

    Cells holding a line break or a tab come quoted (``"a<newline>b"``, quotes doubled);
    the final line break that spreadsheets add is dropped.
    """
    rows: list[list[str]] = []
    row: list[str] = []
    cell: list[str] = []
    i, n = 0, len(text)
    at_cell_start = True
    while i < n:
        ch = text[i]
        if at_cell_start and ch == '"' and _closing_quote(text, i) is not None:
            end = _closing_quote(text, i)
            assert end is not None
            cell.append(text[i + 1:end].replace('""', '"'))
            i = end + 1
            at_cell_start = False
            continue
        at_cell_start = False
        if ch == "\t":
            row.append("".join(cell))
            cell = []
            at_cell_start = True
        elif ch in "\r\n":
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
            row.append("".join(cell))
            rows.append(row)
            row, cell = [], []
            at_cell_start = True
        else:
            cell.append(ch)
        i += 1
    if cell or row:
        row.append("".join(cell))
        rows.append(row)
    return rows


def _closing_quote(text: str, start: int) -> int | None:
    """The quote that closes a quoted cell opened at ``start``, if the cell is one."""
    i = start + 1
    while i < len(text):
        if text[i] == '"':
            if i + 1 < len(text) and text[i + 1] == '"':
                i += 2
                continue
            follows = text[i + 1] if i + 1 < len(text) else "\n"
            return i if follows in "\t\r\n" else None
        i += 1
    return None


# a read-only table over records --------------------------------------------
@dataclass(frozen=True)
class Col(Generic[T]):
    """One column: its title, its text, and optionally a tooltip and a background."""

    title: str
    text: Callable[[T], str]
    tooltip: Callable[[T], str] | None = None
    background: Callable[[T], QBrush | None] | None = None
    icon: Callable[[T], QIcon | None] | None = None


class RecordTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of records; subclasses define ``columns``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    def columns(self) -> Sequence[Col[T]]:
        raise NotImplementedError

    def set_records(self, records: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(records)
        self.endResetModel()

    def record(self, row: int) -> T:
        return self._rows[row]

    def records(self) -> list[T]:
        return list(self._rows)

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns())

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns()[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._rows[index.row()]
        column = self.columns()[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = column.tooltip(record) if column.tooltip else column.text(record)
            return tip or None
        if role == Qt.ItemDataRole.BackgroundRole and column.background:
            return column.background(record)
        if role == Qt.ItemDataRole.DecorationRole and column.icon:
            return column.icon(record)
        return None


# the entry grids --------------------------------------------------------------
_Row = TypeVar("_Row", EntryRow, TaskRow)


class _EntryTableModel(QAbstractTableModel, Generic[_Row]):
    """Shared by the two entry grids: editable columns, red invalid cells, review comments.

    ``edited`` carries the :class:`EntryValue` or :class:`EntryTask` to save; ``problem``
    carries the reason a typed text was refused ("" when the last edit was fine).
    """

    edited = Signal(object)
    problem = Signal(str)
    COLUMNS: tuple[str, ...] = ()
    EDITABLE: frozenset[int] = frozenset()
    REVIEW_COLUMN = -1
    EVIDENCE_COLUMN = -1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.editable = False
        self._rows: list[_Row] = []
        self._invalid: dict[tuple[int, int], tuple[str, str]] = {}
        self._comments: dict[int, str] = {}

    @staticmethod
    def _row_id(row: _Row) -> int:
        """The id that comments and evidence counts are keyed by."""
        raise NotImplementedError

    def _show(self, rows: Sequence[_Row], comments: dict[int, str], *, editable: bool) -> None:
        """Take new rows (inside the caller's model reset); ``comments`` keyed by row id."""
        self._rows = list(rows)
        self._comments = {n: comments[self._row_id(r)] for n, r in enumerate(rows)
                          if comments.get(self._row_id(r))}
        self.editable = editable
        self._reset_state()

    def update_evidence(self, counts: dict[int, int]) -> None:
        """New evidence counts by row id, without disturbing the cursor or an editor."""
        for n, row in enumerate(self._rows):
            count = counts.get(self._row_id(row))
            if count is not None and count != row.evidence_count:
                self._rows[n] = replace(row, evidence_count=count)
                index = self.index(n, self.EVIDENCE_COLUMN)
                self.dataChanged.emit(index, index)

    def row(self, row: int) -> _Row:
        return self._rows[row]

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else self._row_count()

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def _row_count(self) -> int:
        return len(self._rows)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation is Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return str(section + 1)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable and index.column() in self.EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def is_editable(self, index: Index) -> bool:
        return bool(self.flags(index) & Qt.ItemFlag.ItemIsEditable)

    def invalid_cells(self) -> dict[tuple[int, int], tuple[str, str]]:
        """(row, column) → (text typed, why it was refused)."""
        return dict(self._invalid)

    def review_comment(self, row: int) -> str:
        return self._comments.get(row, "")

    def check(self, index: Index, text: str) -> str:
        """Why ``text`` cannot go into the cell ("" when it can); used while typing."""
        return ""

    def _common(self, index: Index, role: int) -> tuple[bool, Any]:
        """Roles handled the same way in both grids; (handled, value)."""
        key = (index.row(), index.column())
        comment = self._comments.get(index.row(), "")
        if key in self._invalid:
            raw, reason = self._invalid[key]
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
                return True, raw
            if role == Qt.ItemDataRole.BackgroundRole:
                return True, INVALID_BRUSH
            if role == Qt.ItemDataRole.ToolTipRole:
                return True, f"未保存：{reason}"
            if role == Qt.ItemDataRole.ForegroundRole:
                return True, QBrush(QColor("#8b1a1a"))
        if index.column() == self.REVIEW_COLUMN:
            if role == Qt.ItemDataRole.DisplayRole:
                return True, comment
            if role == Qt.ItemDataRole.ToolTipRole:
                return True, f"审核意见：{comment}" if comment else None
            if role == Qt.ItemDataRole.ForegroundRole:
                return True, QBrush(QColor("#8a4b00"))
        if role == Qt.ItemDataRole.BackgroundRole:
            if comment and index.column() in self.EDITABLE:
                return True, COMMENTED_BRUSH
            if self.editable and index.column() not in self.EDITABLE:
                return True, READ_ONLY_BRUSH
        return False, None

    def _refuse(self, index: Index, raw: str, reason: str) -> bool:
        self._invalid[(index.row(), index.column())] = (raw, reason)
        self.dataChanged.emit(index, index)
        self.problem.emit(reason)
        return True

    def _accept(self, index: Index) -> None:
        if self._invalid.pop((index.row(), index.column()), None) is not None:
            self.dataChanged.emit(index, index)
        self.problem.emit(self._first_problem())

    def _first_problem(self) -> str:
        return next(iter(self._invalid.values()))[1] if self._invalid else ""

    def _reset_state(self) -> None:
        self._invalid.clear()
        self.problem.emit("")


class ElementEntryTableModel(_EntryTableModel[EntryRow]):
    """The unit's data elements for a period: 本期数值 and 说明 are typed in."""

    COLUMNS = ("代码", "数据项", "单位", "上期", "基期值", "年度目标", "本期数值", "说明", "佐证",
               "审核意见")
    VALUE_COLUMN, COMMENT_COLUMN, EVIDENCE_COLUMN, REVIEW_COLUMN = 6, 7, 8, 9
    EDITABLE = frozenset({6, 7})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._current: list[EntryValue] = []
        self._elements: dict[int, DataElement] = {}

    @staticmethod
    def _row_id(row: EntryRow) -> int:
        return row.element_id

    def set_rows(self, rows: Sequence[EntryRow], elements: dict[int, DataElement],
                 comments: dict[int, str], *, editable: bool) -> None:
        """Show a sheet's rows; ``comments`` maps element ids to the reviewer's comments."""
        self.beginResetModel()
        self._current = [EntryValue(r.element_id, r.value, r.text_value, r.comment)
                         for r in rows]
        self._elements = dict(elements)
        self._show(rows, comments, editable=editable)
        self.endResetModel()

    def current_value(self, row: int) -> EntryValue:
        return self._current[row]

    def _value_text(self, row: int) -> str:
        current = self._current[row]
        if current.text_value is not None and current.value is None:
            return current.text_value
        return number_text(current.value)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        handled, value = self._common(index, role)
        if handled:
            return value
        r, column = self._rows[index.row()], index.column()
        current = self._current[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            texts = (r.code, r.name, r.unit, number_text(r.previous), r.baseline,
                     r.annual_target, self._value_text(index.row()), current.comment,
                     str(r.evidence_count) if r.evidence_count else "", "")
            return texts[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 6, 8):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.VALUE_COLUMN:
                comment = self._comments.get(index.row())
                hint = _TYPE_HINTS.get(r.value_type, "")
                return "\n".join(t for t in (hint, f"审核意见：{comment}" if comment else "") if t)
            if column in (0, 1, 4, 5):
                return (r.code, r.name, "", "", r.baseline, r.annual_target)[column] or None
            if column == self.COMMENT_COLUMN and current.comment:
                return current.comment
            if column == self.EVIDENCE_COLUMN:
                return f"已附 {r.evidence_count} 个佐证文件" if r.evidence_count else "没有佐证文件"
        return None

    def check(self, index: Index, text: str) -> str:
        if index.column() != self.VALUE_COLUMN:
            return ""
        element = self._elements.get(self._rows[index.row()].element_id)
        if element is None:
            return ""
        _value, reason = validate_entry(element, text)
        return reason

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.is_editable(index):
            return False
        row, text = index.row(), "" if value is None else str(value)
        current = self._current[row]
        if index.column() == self.VALUE_COLUMN:
            element = self._elements.get(self._rows[row].element_id)
            if element is None:
                return False
            parsed, reason = validate_entry(element, text)
            if reason or parsed is None:
                return self._refuse(index, text.strip(), f"{self._rows[row].name}：{reason}")
            new = replace(current, value=parsed.value, text_value=parsed.text_value)
        else:
            new = replace(current, comment=text.strip())
        self._accept(index)
        if new != current:
            self._current[row] = new
            self.dataChanged.emit(index, index)
            self.edited.emit(new)
        return True


_TYPE_HINTS = {
    ValueType.INTEGER: "填写整数，例如 1234；没有数值填“—”或留空（与 0 不同）。",
    ValueType.NUMBER: "填写数值，例如 1234.5；没有数值填“—”或留空（与 0 不同）。",
    ValueType.PERCENTAGE: "填写百分数，例如 98.5 或 98.5%；没有数值填“—”或留空。",
    ValueType.TEXT: "填写文字。",
    ValueType.BOOLEAN: "填写 是 或 否。",
}


@dataclass(frozen=True)
class _TaskState:
    status: TaskStatus | None
    percent: float | None
    progress_text: str
    problems_text: str
    next_steps_text: str

    def entry(self, plan_item_id: int) -> EntryTask:
        """What is saved; a task without a status gets one from its percentage."""
        status = self.status
        if status is None:
            if self.percent is not None and self.percent >= 100:
                status = TaskStatus.COMPLETED
            elif self.percent:
                status = TaskStatus.IN_PROGRESS
            else:
                status = TaskStatus.NOT_STARTED
        return EntryTask(plan_item_id, status, self.percent, self.progress_text,
                         self.problems_text, self.next_steps_text)


class TaskEntryTableModel(_EntryTableModel[TaskRow]):
    """The unit's tasks: 状态 (type-ahead), 完成百分比, 进展, 问题, 下步 are typed in."""

    COLUMNS = ("任务", "期限", "状态", "完成百分比", "进展", "问题", "下步", "佐证", "审核意见")
    STATUS_COLUMN, PERCENT_COLUMN, EVIDENCE_COLUMN, REVIEW_COLUMN = 2, 3, 7, 8
    EDITABLE = frozenset({2, 3, 4, 5, 6})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._current: list[_TaskState] = []

    @staticmethod
    def _row_id(row: TaskRow) -> int:
        return row.plan_item_id

    def set_rows(self, rows: Sequence[TaskRow], comments: dict[int, str], *,
                 editable: bool) -> None:
        self.beginResetModel()
        self._current = [_TaskState(r.status, r.percent, r.progress_text, r.problems_text,
                                    r.next_steps_text) for r in rows]
        self._show(rows, comments, editable=editable)
        self.endResetModel()

    def current_task(self, row: int) -> EntryTask:
        return self._current[row].entry(self._rows[row].plan_item_id)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        handled, value = self._common(index, role)
        if handled:
            return value
        r, state, column = self._rows[index.row()], self._current[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            texts = (f"{r.marker} {r.title}".strip(), r.deadline or "",
                     state.status.label if state.status else "", number_text(state.percent),
                     state.progress_text, state.problems_text, state.next_steps_text,
                     str(r.evidence_count) if r.evidence_count else "", "")
            return texts[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return f"{r.marker} {r.title}".strip()
            if column == self.STATUS_COLUMN:
                return STATUS_HINT
            if column in (4, 5, 6):
                return (state.progress_text, state.problems_text,
                        state.next_steps_text)[column - 4] or None
            if column == self.EVIDENCE_COLUMN:
                return f"已附 {r.evidence_count} 个佐证文件" if r.evidence_count else "没有佐证文件"
        return None

    def check(self, index: Index, text: str) -> str:
        if index.column() == self.PERCENT_COLUMN:
            return parse_percent(text)[1]
        if index.column() == self.STATUS_COLUMN and text.strip() \
                and parse_task_status(text) is None:
            return f"状态“{text.strip()}”无法识别。{STATUS_HINT}"
        return ""

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.is_editable(index):
            return False
        row, column = index.row(), index.column()
        text = "" if value is None else str(value).strip()
        state = self._current[row]
        title = self._rows[row].title
        if column == self.STATUS_COLUMN:
            status = parse_task_status(text) if text else None
            if text and status is None:
                return self._refuse(index, text, f"{title}：状态“{text}”无法识别。{STATUS_HINT}")
            new = replace(state, status=status)
        elif column == self.PERCENT_COLUMN:
            percent, reason = parse_percent(text)
            if reason:
                return self._refuse(index, text, f"{title}：{reason}")
            new = replace(state, percent=percent)
        else:
            texts = [state.progress_text, state.problems_text, state.next_steps_text]
            texts[column - 4] = text
            new = replace(state, progress_text=texts[0], problems_text=texts[1],
                          next_steps_text=texts[2])
        # what is saved shows: a task typed into without a status gets one
        new = replace(new, status=new.entry(self._rows[row].plan_item_id).status)
        self._accept(index)
        if new != state:
            self._current[row] = new
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
            self.edited.emit(new.entry(self._rows[row].plan_item_id))
        return True


# review, board and inbox --------------------------------------------------------
def _light_col(title: str, light: Callable[[Any], Light],
               tooltip: Callable[[Any], str] | None = None) -> Col[Any]:
    return Col(title, lambda r: light_label(light(r)), tooltip=tooltip,
               icon=lambda r: light_icon(light(r)))


class SubmissionTableModel(RecordTableModel[Any]):
    """The submissions of a period: 单位, 状态, 报送时间, 是否逾期 (rows are ``SubmissionRow``)."""

    def columns(self) -> Sequence[Col[Any]]:
        return _SUBMISSION_COLUMNS


@dataclass(frozen=True)
class SubmissionRow:
    """A submission with what the list shows beside it."""

    submission: Any  # desktop.models.values.Submission
    unit_name: str
    late: bool | None  # None: not submitted yet
    deadline: str = ""

    @property
    def status_text(self) -> str:
        return str(self.submission.status.label)


_STATUS_BRUSHES = {
    "submitted": QBrush(QColor("#dcebfb")), "returned": QBrush(QColor("#fbe6a2")),
    "approved": QBrush(QColor("#cdebd3")), "draft": QBrush(QColor("#eef1f5")),
}


def _late_text(row: SubmissionRow) -> str:
    if row.late is None:
        return ""
    return "逾期" if row.late else "按时"


_SUBMISSION_COLUMNS: tuple[Col[Any], ...] = (
    Col("单位", lambda r: r.unit_name),
    Col("状态", lambda r: r.status_text,
        tooltip=lambda r: (f"{r.status_text}：{r.submission.reason}" if r.submission.reason
                           else r.status_text),
        background=lambda r: _STATUS_BRUSHES.get(r.submission.status.value)),
    Col("报送时间", lambda r: local_time_text(r.submission.submitted_at)),
    Col("是否逾期", _late_text,
        tooltip=lambda r: f"截止日期 {r.deadline}" if r.deadline else "该期间未设截止日期",
        background=lambda r: (QBrush(QColor("#fbe6a2")) if r.late else None)),
    Col("版本", lambda r: str(getattr(r.submission, "version", "") or "")),
)


class DiffTableModel(RecordTableModel[Any]):
    """What changed (``ValueDiff`` rows): 项目, 内容, 原值 → 新值."""

    def columns(self) -> Sequence[Col[Any]]:
        return _DIFF_COLUMNS


_DIFF_COLUMNS: tuple[Col[Any], ...] = (
    Col("类别", lambda d: "数据项" if d.kind == "element" else "任务"),
    Col("项目", lambda d: d.name),
    Col("内容", lambda d: d.field),
    Col("原值", lambda d: d.old or "（空）"),
    Col("新值", lambda d: d.new or "（空）",
        background=lambda d: QBrush(QColor("#fff1c2"))),
)


@dataclass(frozen=True)
class ChangeRow:
    """One change after approval, with its unit and period (for the 审核后变动 tab)."""

    unit_name: str
    period_label: str
    diff: Any  # ValueDiff


class ChangesTableModel(RecordTableModel[ChangeRow]):
    def columns(self) -> Sequence[Col[ChangeRow]]:
        return _CHANGE_COLUMNS


_CHANGE_COLUMNS: tuple[Col[ChangeRow], ...] = (
    Col("单位", lambda c: c.unit_name),
    Col("期间", lambda c: c.period_label),
    Col("项目", lambda c: c.diff.name),
    Col("内容", lambda c: c.diff.field),
    Col("审核时", lambda c: c.diff.old or "（空）"),
    Col("现在", lambda c: c.diff.new or "（空）", background=lambda c: COMMENTED_BRUSH),
)


class BoardTableModel(QAbstractTableModel):
    """报送情况: units down, periods across; each cell coloured by its timeliness."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._units: list[Any] = []
        self._periods: list[str] = []
        self._labels: dict[str, str] = {}
        self._cells: dict[tuple[int, str], Any] = {}
        self._deadlines: dict[str, str] = {}

    def set_board(self, board: Any, period_labels: dict[str, str],
                  deadlines: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self._units = list(board.units)
        self._periods = list(board.periods)
        self._cells = dict(board.cells)
        self._labels = dict(period_labels)
        self._deadlines = dict(deadlines or {})
        self.endResetModel()

    def cell(self, row: int, column: int) -> Any:
        return self._cells.get((self._units[row].id, self._periods[column]))

    def unit(self, row: int) -> Any:
        return self._units[row]

    def period(self, column: int) -> str:
        return self._periods[column]

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._units)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._periods)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation is Qt.Orientation.Horizontal:
                period = self._periods[section]
                return self._labels.get(period, period)
            unit = self._units[section]
            return str(getattr(unit, "short_name", "") or unit.name)
        if role == Qt.ItemDataRole.ToolTipRole and orientation is Qt.Orientation.Vertical:
            return str(self._units[section].name)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        cell = self.cell(index.row(), index.column())
        if cell is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        timeliness: Timeliness = cell.timeliness
        if role == Qt.ItemDataRole.DisplayRole:
            return timeliness.label
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(TIMELINESS_COLOURS.get(timeliness, "#ffffff")))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(index.row(), index.column(), cell)
        return None

    def _tooltip(self, row: int, column: int, cell: Any) -> str:
        period = self._periods[column]
        lines = [f"{self._units[row].name} · {self._labels.get(period, period)}：",
                 f"{cell.timeliness.label}"]
        if self._deadlines.get(period):
            lines.append(f"截止日期：{self._deadlines[period]}")
        if cell.submitted_at:
            lines.append(f"报送时间：{local_time_text(cell.submitted_at)}（以报送文件记录的时间为准）")
        if cell.reason:
            lines.append(f"原因：{cell.reason}")
        return "\n".join(lines)


class DueReportTableModel(RecordTableModel[Any]):
    """收件箱 · 待报送: period, deadline with its 督办 light, status."""

    def columns(self) -> Sequence[Col[Any]]:
        return _DUE_COLUMNS


_DUE_COLUMNS: tuple[Col[Any], ...] = (
    Col("期间", lambda d: d.period_label),
    Col("截止日期", lambda d: date_text(d.deadline) or "未设"),
    _light_col("督办", lambda d: d.light,
               tooltip=lambda d: {Light.RED: "已过截止日期，请尽快报送。",
                                  Light.YELLOW: "临近截止日期。"}.get(d.light, "")),
    Col("状态", lambda d: d.status.label if d.status else "未填报"),
)


class ReturnedReportTableModel(RecordTableModel[Any]):
    """收件箱 · 被退回: period, the reason, the reviewer's comments."""

    def columns(self) -> Sequence[Col[Any]]:
        return _RETURNED_COLUMNS


def _comments_text(report: Any) -> str:
    return "；".join(f"{name}：{text}" for name, text in report.comments)


_RETURNED_COLUMNS: tuple[Col[Any], ...] = (
    Col("期间", lambda r: r.period_label),
    Col("退回原因", lambda r: r.reason, background=lambda r: COMMENTED_BRUSH),
    Col("审核意见", _comments_text,
        tooltip=lambda r: "\n".join(f"{n}：{t}" for n, t in r.comments)),
    Col("退回时间", lambda r: local_time_text(r.submission.reviewed_at)),
)


class TaskDueTableModel(RecordTableModel[Any]):
    """收件箱 · 本单位任务: task, deadline with its light, status, percent."""

    def columns(self) -> Sequence[Col[Any]]:
        return _TASK_DUE_COLUMNS


_TASK_DUE_COLUMNS: tuple[Col[Any], ...] = (
    Col("任务", lambda t: f"{t.marker} {t.title}".strip()),
    Col("期限", lambda t: date_text(t.deadline) or "未设"),
    _light_col("督办", lambda t: t.light),
    Col("状态", lambda t: t.status.label if t.status else "未填报"),
    Col("完成百分比", lambda t: number_text(t.percent)),
)
