"""填报: a unit's figures and task progress for a period, typed or pasted, saved as a draft."""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QHideEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.models.errors import PlanDeskError
from desktop.models.evidence import Evidence, attach_evidence, evidence_path, list_evidence
from desktop.models.indicators import DataElement, list_elements
from desktop.models.orgunits import OrgUnit, UnitType, list_units
from desktop.models.periods import Period
from desktop.models.permissions import Action
from desktop.models.progress import Progress
from desktop.models.values import SubmissionStatus
from desktop.models.workflow import (
    EntryTask,
    EntryValue,
    ReturnSheet,
    list_submissions,
    return_sheet,
    save_draft,
    submit,
    task_history,
    value_history,
)
from desktop.views.context import AppContext
from desktop.views.entry_grid import EntryDelegate, EntryTableView, resize_columns
from desktop.views.feedback import show_error
from desktop.views.reporting_models import (
    ElementEntryTableModel,
    TaskEntryTableModel,
    local_time_text,
)
from desktop.views.roles import denied_reason, guard
from desktop.views.widgets import PeriodPicker
from desktop.views.worker import JobWorker, start_job

log = logging.getLogger(__name__)
AUTOSAVE_MS = 800
#: Banner colours by status (background, text).
BANNER_STYLES = {
    None: ("#eef3fa", "#1f3b5c"),
    SubmissionStatus.DRAFT: ("#eef3fa", "#1f3b5c"),
    SubmissionStatus.SUBMITTED: ("#dcebfb", "#12406e"),
    SubmissionStatus.RETURNED: ("#fff1c2", "#6b4e00"),
    SubmissionStatus.APPROVED: ("#dff2e3", "#1d5b2c"),
}


def reporting_units(units: list[OrgUnit]) -> list[OrgUnit]:
    """Units that fill in returns: the stations and the district bureau, still open."""
    return [u for u in units if u.unit_type in (UnitType.STATION, UnitType.DISTRICT_BUREAU)
            and not u.closed_on]


class EntryPage(QWidget):
    """The entry grid of a unit and period: elements above, tasks below.

    Valid edits are saved as a draft (``workflow.save_draft``) 0.8 s after the last one, and
    at once when the unit, period or page changes or the window closes. Wrong texts stay red
    in the grid with the reason, and are not saved.
    """

    title = "填报"
    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.sheet: ReturnSheet | None = None
        self._elements: dict[int, DataElement] = {}
        self._units: list[OrgUnit] = []
        self._pending_values: dict[int, EntryValue] = {}
        self._pending_tasks: dict[int, EntryTask] = {}
        self._worker: JobWorker | None = None
        self._loading = False

        heading = QLabel("填报")
        heading.setObjectName("pageTitle")
        self.unit_box = QComboBox()
        self.unit_box.setMinimumWidth(260)
        years = context.plan.years if context.plan else []
        self.period_picker = PeriodPicker(years)
        self.import_notice_button = QPushButton("导入审核通知…")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(16)
        top.addWidget(QLabel("单位："))
        top.addWidget(self.unit_box)
        top.addSpacing(8)
        top.addWidget(QLabel("期间："))
        top.addWidget(self.period_picker)
        top.addStretch(1)
        top.addWidget(self.import_notice_button)

        self.banner = QLabel()
        self.banner.setObjectName("statusBanner")
        self.banner.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("problemBanner")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("background: #f8d0d0; color: #8b1a1a; border-radius: 4px;"
                                   " padding: 4px 10px;")
        self.problem.hide()

        self.elements = ElementEntryTableModel(self)
        self.element_view = EntryTableView()
        self.element_view.setModel(self.elements)
        self.element_delegate = EntryDelegate(self.element_view)
        self.element_view.setItemDelegate(self.element_delegate)
        resize_columns(self.element_view, {0: 118, 1: 200, 2: 44, 3: 64, 4: 96, 5: 96, 6: 96,
                                           8: 44, 9: 220}, 7)
        self.tasks = TaskEntryTableModel(self)
        self.task_view = EntryTableView()
        self.task_view.setModel(self.tasks)
        self.task_delegate = EntryDelegate(self.task_view,
                                           status_column=TaskEntryTableModel.STATUS_COLUMN)
        self.task_view.setItemDelegate(self.task_delegate)
        resize_columns(self.task_view, {1: 84, 2: 64, 3: 84, 4: 170, 5: 120, 6: 120, 7: 44,
                                        8: 200}, 0)
        self.element_caption = QLabel("数据项")
        self.task_caption = QLabel("任务进展")
        for caption in (self.element_caption, self.task_caption):
            caption.setStyleSheet("font-weight: bold; color: #1f4e8c;")
        element_box, task_box = QWidget(), QWidget()
        for box, caption, view in ((element_box, self.element_caption, self.element_view),
                                   (task_box, self.task_caption, self.task_view)):
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.setSpacing(2)
            box_layout.addWidget(caption)
            box_layout.addWidget(view, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(element_box)
        splitter.addWidget(task_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        self.attach_button = QPushButton("添加佐证…")
        self.open_button = QPushButton("打开佐证")
        self.history_button = QPushButton("历史")
        self.submit_button = QPushButton("报送…")
        self.submit_button.setStyleSheet("font-weight: bold;")
        self.saved_label = QLabel()
        self.saved_label.setStyleSheet("color: #666;")
        buttons = QHBoxLayout()
        for button in (self.attach_button, self.open_button, self.history_button):
            buttons.addWidget(button)
        buttons.addSpacing(12)
        hint = QLabel("回车下移，Tab 右移；Ctrl+V 粘贴从 Excel 复制的整块数据；自动保存为草稿。")
        hint.setStyleSheet("color: #666;")
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.saved_label)
        buttons.addWidget(self.submit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 10)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.problem)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(AUTOSAVE_MS)
        self.save_timer.timeout.connect(self.flush)
        self._active_view: EntryTableView = self.element_view

        self.elements.edited.connect(self._on_value_edited)
        self.tasks.edited.connect(self._on_task_edited)
        for model in (self.elements, self.tasks):
            model.problem.connect(self._on_model_problem)
        for delegate in (self.element_delegate, self.task_delegate):
            delegate.problem.connect(self._show_problem)
        for view in (self.element_view, self.task_view):
            view.message.connect(self._on_view_message)
            view.selectionModel().currentChanged.connect(
                lambda _c, _p, v=view: self._on_current_changed(v))
            view.focused.connect(lambda v=view: self._on_current_changed(v))
        self.unit_box.currentIndexChanged.connect(lambda _i: self.load())
        self.period_picker.changed.connect(self.load)
        self.attach_button.clicked.connect(self.attach_dialog)
        self.open_button.clicked.connect(self.open_evidence_menu)
        self.history_button.clicked.connect(self.show_history)
        self.submit_button.clicked.connect(self.submit_dialog)
        self.import_notice_button.clicked.connect(self.import_notice_dialog)
        context.plan_changed.connect(self._on_plan_changed)
        context.data_changed.connect(self._on_data_changed)
        context.actor_changed.connect(self._on_plan_changed)
        self._on_plan_changed()

    # what is shown ---------------------------------------------------------
    def unit(self) -> OrgUnit | None:
        unit_id = self.unit_box.currentData()
        return next((u for u in self._units if u.id == unit_id), None)

    def period(self) -> Period:
        return self.period_picker.period()

    def open(self, unit_id: int, period: str) -> None:
        """Show a unit and period (from the inbox)."""
        self.flush()
        self._loading = True
        try:
            row = self.unit_box.findData(unit_id)
            if row >= 0:
                self.unit_box.setCurrentIndex(row)
            self.period_picker.set_period(Period.parse(period))
        finally:
            self._loading = False
        self.load()
        self.element_view.setFocus()
        if self.elements.rowCount():
            self.element_view.setCurrentIndex(
                self.elements.index(0, ElementEntryTableModel.VALUE_COLUMN))

    def _on_plan_changed(self) -> None:
        self.flush()
        plan, actor = self.context.plan, self.context.actor
        self._loading = True
        try:
            years = plan.years if plan else []
            if years:
                self.period_picker.year.setRange(min(years) - 1, max(years) + 1)
                self.period_picker.set_period(self._default_period())
            self._elements = {e.id: e for e in list_elements(self.context.db)}
            everyone = list_units(self.context.db)
            if actor.org_unit_id is not None:
                self._units = [u for u in everyone if u.id == actor.org_unit_id]
            else:
                self._units = reporting_units(everyone)
            keep_unit = self.unit_box.currentData()
            self.unit_box.clear()
            for unit in self._units:
                self.unit_box.addItem(unit.name, unit.id)
            if keep_unit is not None and self.unit_box.findData(keep_unit) >= 0:
                self.unit_box.setCurrentIndex(self.unit_box.findData(keep_unit))
            fixed = actor.org_unit_id is not None
            self.unit_box.setEnabled(not fixed)
            self.unit_box.setToolTip("所填报员只填报本单位的数据。" if fixed else "")
        finally:
            self._loading = False
        self.load()

    def _default_period(self) -> Period:
        """A clerk's latest draft or returned period; else the plan's last year."""
        plan, actor = self.context.plan, self.context.actor
        assert plan is not None
        if actor.org_unit_id is not None:
            open_ones = [Period.parse(s.period) for s in list_submissions(self.context.db,
                                                                          plan.id)
                         if s.org_unit_id == actor.org_unit_id
                         and s.status in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)]
            if open_ones:
                return max(open_ones)
        return Period.year_of(plan.years[-1])

    def _on_data_changed(self) -> None:
        if not self._loading:
            self.load()

    def load(self) -> None:
        """Save what is pending, then show the sheet of the chosen unit and period."""
        if self._loading:
            return
        self.flush()
        plan, unit = self.context.plan, self.unit()
        self.sheet = None
        if plan is None or unit is None:
            self.elements.set_rows([], {}, {}, editable=False)
            self.tasks.set_rows([], {}, editable=False)
            self._set_banner(None, "当前没有规划或可填报的单位。" if plan is None
                             else "没有可填报的单位。")
            self._update_actions()
            return
        try:
            sheet = return_sheet(self.context.db, self.context.actor, plan.id, unit.id,
                                 self.period().id)
        except PlanDeskError as exc:
            self.elements.set_rows([], {}, {}, editable=False)
            self.tasks.set_rows([], {}, editable=False)
            self._set_banner(None, exc.user_message)
            self._update_actions()
            return
        self._show_sheet(sheet)

    def _show_sheet(self, sheet: ReturnSheet) -> None:
        self.sheet = sheet
        element_comments = {i: t for (kind, i), t in sheet.comments.items() if kind == "element"}
        task_comments = {i: t for (kind, i), t in sheet.comments.items() if kind == "task"}
        self.elements.set_rows(sheet.rows, self._elements, element_comments,
                               editable=sheet.editable)
        self.tasks.set_rows(sheet.tasks, task_comments, editable=sheet.editable)
        self.element_view.setColumnHidden(ElementEntryTableModel.REVIEW_COLUMN,
                                          not element_comments)
        self.task_view.setColumnHidden(TaskEntryTableModel.REVIEW_COLUMN, not task_comments)
        reason = "" if sheet.editable else (sheet.locked_reason or "本期数据不能修改。")
        for view in (self.element_view, self.task_view):
            view.read_only_reason = reason
        self.element_caption.setText(f"数据项（{len(sheet.rows)} 项）")
        self.task_caption.setText(f"任务进展（{len(sheet.tasks)} 项，本单位牵头或配合）")
        self._set_banner(sheet)
        self._update_actions()

    def _set_banner(self, sheet: ReturnSheet | None, text: str = "") -> None:
        status = sheet.submission.status if sheet and sheet.submission else None
        if sheet is not None and not text:
            text = self._status_text(sheet)
        background, colour = BANNER_STYLES.get(status, BANNER_STYLES[None])
        self.banner.setStyleSheet(f"background: {background}; color: {colour}; "
                                  "border-radius: 4px; padding: 6px 10px; font-size: 14px;")
        self.banner.setText(text)

    @staticmethod
    def _status_text(sheet: ReturnSheet) -> str:
        sub = sheet.submission
        where = f"{sheet.unit_name} · {sheet.period_label}："
        if sub is not None and sub.status is SubmissionStatus.SUBMITTED:
            return where + (f"已报送（{local_time_text(sub.submitted_at)}），等待区局审核，"
                            "不能修改。如需更正，请联系区局审核员退回。")
        if sub is not None and sub.status is SubmissionStatus.APPROVED:
            return where + (f"已审核锁定（{local_time_text(sub.reviewed_at)}），不能修改。"
                            "如需更正，请联系区局审核员重新打开。")
        if sub is not None and sub.status is SubmissionStatus.RETURNED:
            text = where + f"退回：{sub.reason or '（未写原因）'}"
            if sheet.editable:
                text += "　请按审核意见（黄色单元格）修改后重新报送。"
        else:
            text = where + ("草稿。输入即自动保存为草稿，填好后点“报送…”。" if sheet.editable
                            else "尚未报送。")
        if not sheet.editable and sheet.locked_reason:
            text += f"　{sheet.locked_reason}"
        return text

    def _update_actions(self) -> None:
        actor, unit, sheet = self.context.actor, self.unit(), self.sheet
        enter = denied_reason(actor, Action.ENTER, unit) if unit else "请先选择单位。"
        locked = "" if sheet is None or sheet.editable else (sheet.locked_reason
                                                            or "本期数据不能修改。")
        no_sheet = "" if sheet is not None else "没有可显示的报表。"
        guard(self.attach_button, enter, other=no_sheet or locked,
              tooltip="为当前行的数据项或任务附上佐证文件（复制到数据文件夹并计算校验值）。")
        guard(self.open_button, "", other=no_sheet,
              tooltip="打开当前行已附的佐证文件。")
        guard(self.history_button, "", other=no_sheet,
              tooltip="查看当前行的修改记录：谁、何时、从什么改为什么、来源。")
        submit_reason = denied_reason(actor, Action.SUBMIT, unit) if unit else "请先选择单位。"
        state = no_sheet or locked
        if not state and sheet is not None and sheet.submission is not None \
                and sheet.submission.status not in (SubmissionStatus.DRAFT,
                                                    SubmissionStatus.RETURNED):
            state = "本期已报送。"
        guard(self.submit_button, submit_reason, other=state,
              tooltip="报送本期数据：写出签名的报送文件（有佐证时打包为 zip），交区局审核。")
        guard(self.import_notice_button, denied_reason(actor, Action.VIEW, unit) if unit else "",
              tooltip="导入区局发回的审核通知（退回原因和审核意见，或审核通过）。")

    # editing and saving -----------------------------------------------------
    def _on_current_changed(self, view: EntryTableView) -> None:
        self._active_view = view

    def _on_value_edited(self, value: object) -> None:
        assert isinstance(value, EntryValue)
        self._pending_values[value.element_id] = value
        self.saved_label.setText("正在输入…")
        self.save_timer.start()

    def _on_task_edited(self, task: object) -> None:
        assert isinstance(task, EntryTask)
        self._pending_tasks[task.plan_item_id] = task
        self.saved_label.setText("正在输入…")
        self.save_timer.start()

    def has_pending(self) -> bool:
        return bool(self._pending_values or self._pending_tasks)

    def flush(self) -> bool:
        """Save pending edits as a draft now; False when they were refused."""
        self.save_timer.stop()
        sheet = self.sheet
        if not self.has_pending() or sheet is None:
            return True
        values, tasks = list(self._pending_values.values()), list(self._pending_tasks.values())
        self._pending_values.clear()
        self._pending_tasks.clear()
        try:
            changed = save_draft(self.context.db, self.context.actor, sheet.plan_id,
                                 sheet.unit_id, sheet.period, values, tasks, source="keyboard")
        except PlanDeskError as exc:
            self.saved_label.setText("未保存")
            show_error(self, exc, "未能保存")
            self._loading = False
            self.load()
            return False
        self.saved_label.setText(f"已自动保存 {datetime.now():%H:%M:%S}")
        if changed and (sheet.submission is None
                        or sheet.submission.status is not SubmissionStatus.DRAFT):
            self._refresh_status()
        return True

    def _refresh_status(self) -> None:
        """Re-read the submission's status (a first save creates the draft) keeping the grid."""
        sheet = self.sheet
        if sheet is None:
            return
        try:
            fresh = return_sheet(self.context.db, self.context.actor, sheet.plan_id,
                                 sheet.unit_id, sheet.period)
        except PlanDeskError:
            return
        if fresh.editable != sheet.editable:
            self._show_sheet(fresh)
            return
        self.sheet = fresh
        self._set_banner(fresh)
        self._update_actions()

    def _on_model_problem(self, reason: str) -> None:
        self._show_problem(reason or self._first_problem())

    def _first_problem(self) -> str:
        for model in (self.elements, self.tasks):
            cells = model.invalid_cells()
            if cells:
                count = len(self.elements.invalid_cells()) + len(self.tasks.invalid_cells())
                reason = next(iter(cells.values()))[1]
                return reason if count == 1 else f"{reason}（共 {count} 处红色单元格未保存）"
        return ""

    def _show_problem(self, reason: str) -> None:
        if not reason:
            reason = self._first_problem()
        self.problem.setText(f"未保存：{reason}" if reason else "")
        self.problem.setVisible(bool(reason))

    def _on_view_message(self, text: str) -> None:
        self.status_message.emit(text)
        if self.sheet is not None and not self.sheet.editable:
            self.problem.setText(text)
            self.problem.setVisible(bool(text))

    def hideEvent(self, event: QHideEvent) -> None:
        self.flush()
        super().hideEvent(event)

    # the current row's element or task ------------------------------------
    def current_target(self) -> tuple[str, int, str] | None:
        """("element"|"task", id, name) of the current row of the grid last used."""
        focused = [v for v in (self.element_view, self.task_view) if v.hasFocus()]
        view = focused[0] if focused else self._active_view
        index = view.currentIndex()
        if not index.isValid():
            other = self.task_view if view is self.element_view else self.element_view
            index = other.currentIndex()
            view = other
        if not index.isValid():
            return None
        if view is self.element_view:
            row = self.elements.row(index.row())
            return "element", row.element_id, row.name
        task = self.tasks.row(index.row())
        return "task", task.plan_item_id, f"{task.marker} {task.title}".strip()

    # evidence ----------------------------------------------------------------
    def attach_dialog(self) -> None:
        target = self.current_target()
        if target is None:
            QMessageBox.information(self, "添加佐证", "请先在表格中选中要附佐证的数据项或任务。")
            return
        start = str(QSettings().value("folders/evidence", ""))
        name, _ = QFileDialog.getOpenFileName(self, f"为“{target[2]}”添加佐证", start,
                                              "所有文件 (*)")
        if name:
            QSettings().setValue("folders/evidence", str(Path(name).parent))
            self.attach(Path(name))

    def attach(self, path: Path) -> Evidence | None:
        """Copy ``path`` in as evidence of the current row."""
        target, sheet = self.current_target(), self.sheet
        if target is None or sheet is None:
            return None
        if not self.flush():
            return None
        kind, item_id, name = target
        try:
            evidence = attach_evidence(
                self.context.db, self.context.actor, sheet.plan_id, sheet.unit_id, sheet.period,
                path, element_id=item_id if kind == "element" else None,
                plan_item_id=item_id if kind == "task" else None)
        except PlanDeskError as exc:
            show_error(self, exc, "未能添加佐证")
            return None
        self._update_evidence_counts()
        self.status_message.emit(f"已为“{name}”添加佐证 {evidence.file_name}。")
        return evidence

    def _update_evidence_counts(self) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        files = list_evidence(self.context.db, sheet.plan_id, sheet.unit_id, sheet.period)
        elements: dict[int, int] = {}
        tasks: dict[int, int] = {}
        for item in files:
            if item.element_id is not None:
                elements[item.element_id] = elements.get(item.element_id, 0) + 1
            elif item.plan_item_id is not None:
                tasks[item.plan_item_id] = tasks.get(item.plan_item_id, 0) + 1
        self.elements.update_evidence(
            {r.element_id: elements.get(r.element_id, 0) for r in sheet.rows})
        self.tasks.update_evidence(
            {t.plan_item_id: tasks.get(t.plan_item_id, 0) for t in sheet.tasks})
        self._refresh_status()

    def current_evidence(self) -> list[Evidence]:
        target, sheet = self.current_target(), self.sheet
        if target is None or sheet is None:
            return []
        kind, item_id, _name = target
        return [e for e in list_evidence(self.context.db, sheet.plan_id, sheet.unit_id,
                                         sheet.period)
                if (e.element_id if kind == "element" else e.plan_item_id) == item_id]

    def open_evidence_menu(self) -> None:
        files = self.current_evidence()
        if not files:
            self.status_message.emit("当前行还没有佐证文件。用“添加佐证…”附上。")
            QMessageBox.information(self, "打开佐证", "当前行还没有佐证文件。用“添加佐证…”附上。")
            return
        if len(files) == 1:
            self.open_evidence(files[0])
            return
        menu = QMenu(self)
        for item in files:
            action = menu.addAction(f"{item.file_name}（{item.size // 1024 + 1} KB，"
                                    f"{local_time_text(item.added_at)}）")
            action.triggered.connect(lambda _c=False, e=item: self.open_evidence(e))
        menu.exec(self.open_button.mapToGlobal(self.open_button.rect().bottomLeft()))

    def open_evidence(self, evidence: Evidence) -> bool:
        path = evidence_path(self.context.db, evidence)
        if not path.exists():
            QMessageBox.warning(self, "打开佐证",
                                f"佐证文件“{evidence.file_name}”在数据文件夹中找不到（{path}）。"
                                "请从备份中恢复 evidence 文件夹，或重新添加该文件。")
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # history -------------------------------------------------------------
    def show_history(self) -> None:
        from desktop.views.dialogs.review_dialogs import HistoryDialog

        target, sheet = self.current_target(), self.sheet
        if target is None or sheet is None:
            QMessageBox.information(self, "历史", "请先在表格中选中一个数据项或任务。")
            return
        kind, item_id, name = target
        if kind == "element":
            events = value_history(self.context.db, sheet.unit_id, sheet.period, item_id)
        else:
            events = task_history(self.context.db, sheet.unit_id, sheet.period, item_id)
        dialog = HistoryDialog(f"{name} · {sheet.unit_name} · {sheet.period_label}", events, self)
        self.history_dialog = dialog
        dialog.exec()

    # submit and review notices ------------------------------------------
    def problems_before_submit(self) -> str:
        count = len(self.elements.invalid_cells()) + len(self.tasks.invalid_cells())
        if count:
            return (f"有 {count} 个红色单元格的内容无法识别，未保存。请先改正（鼠标停在单元格上"
                    "可看原因），再报送。")
        return ""

    def submit_dialog(self) -> None:
        sheet, unit = self.sheet, self.unit()
        if sheet is None or unit is None:
            return
        if not self.flush():
            return
        problem = self.problems_before_submit()
        if problem:
            QMessageBox.warning(self, "报送", problem)
            return
        if unit.unit_type is not UnitType.STATION:
            answer = QMessageBox.question(
                self, "报送", f"报送{unit.name}{sheet.period_label}的数据？报送后不能再修改，"
                "除非审核时退回。")
            if answer == QMessageBox.StandardButton.Yes:
                self.submit_here()
            return
        start = str(QSettings().value("folders/submissions", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(
            self, f"报送 {sheet.period_label} — 选择保存报送文件的文件夹", start)
        if folder:
            QSettings().setValue("folders/submissions", folder)
            self.submit_to(Path(folder))

    def submit_here(self) -> None:
        """Submit without a file (a unit at the district installation)."""
        sheet = self.sheet
        if sheet is None:
            return
        try:
            submit(self.context.db, self.context.actor, sheet.plan_id, sheet.unit_id,
                   sheet.period)
        except PlanDeskError as exc:
            show_error(self, exc, "未能报送")
            return
        self.status_message.emit(f"{sheet.unit_name}{sheet.period_label}已报送。")
        self.context.data_changed.emit()

    def submit_to(self, folder: Path) -> None:
        """Submit and write the submission file into ``folder`` off the UI thread."""
        from desktop.excel.submission import submission_job

        sheet, path, actor = self.sheet, self.context.path, self.context.actor
        if sheet is None or path is None:
            return
        plan_id, unit_id, period = sheet.plan_id, sheet.unit_id, sheet.period

        def job() -> Generator[Progress, None, Path]:
            return (yield from submission_job(path, actor, plan_id, unit_id, period, folder))

        def done(result: object) -> None:
            assert isinstance(result, Path)
            self.last_submission_file = result
            self.context.data_changed.emit()
            self.status_message.emit(
                f"已报送。报送文件：{result}。请把它用 U 盘或电子邮件交给区局。")
            self._set_banner(self.sheet, self.banner.text() + f"　报送文件：{result.name}")

        self._worker = start_job(self, "报送", job, done,
                                 lambda exc: show_error(self, exc, "未能报送"))

    def import_notice_dialog(self) -> None:
        start = str(QSettings().value("folders/notices", ""))
        name, _ = QFileDialog.getOpenFileName(self, "导入审核通知", start,
                                              "审核通知 (*.xlsx *.zip);;所有文件 (*)")
        if name:
            QSettings().setValue("folders/notices", str(Path(name).parent))
            self.import_notice(Path(name))

    def import_notice(self, notice: Path) -> None:
        """Read a review notice off the UI thread; then show its unit and period."""
        from desktop.excel.submission import ReviewNoticeResult, import_review_notice_job

        path, actor = self.context.path, self.context.actor
        if path is None:
            return
        self.flush()

        def job() -> Generator[Progress, None, ReviewNoticeResult]:
            return (yield from import_review_notice_job(path, actor, notice))

        def done(result: object) -> None:
            assert isinstance(result, ReviewNoticeResult)
            self.last_notice = result
            self.context.data_changed.emit()
            self.open(result.submission.org_unit_id, result.submission.period)
            self.status_message.emit(
                f"已导入审核通知：{result.unit_name}{result.period_label}"
                f"{result.status.label}" + (f"，原因：{result.reason}" if result.reason else "")
                + "。")

        self._worker = start_job(self, "导入审核通知", job, done,
                                 lambda exc: show_error(self, exc, "未能导入审核通知"))
