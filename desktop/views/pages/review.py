"""审核: the submissions of a period, return / approve / reopen, the board, later changes."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models.errors import PlanDeskError
from desktop.models.orgunits import OrgUnit, UnitType, list_units
from desktop.models.periods import Period
from desktop.models.permissions import Action
from desktop.models.progress import Progress
from desktop.models.values import Submission, SubmissionStatus
from desktop.models.windows import Timeliness, board, effective_window, is_late
from desktop.models.workflow import (
    ReturnSheet,
    approve,
    changed_since_approval,
    diff_since_return,
    get_submission,
    list_submissions,
    reopen,
    return_sheet,
    return_submission,
)
from desktop.views.context import AppContext
from desktop.views.dialogs.review_dialogs import ReasonDialog, ReturnDialog
from desktop.views.entry_grid import resize_columns
from desktop.views.feedback import show_error
from desktop.views.reporting_models import (
    TIMELINESS_COLOURS,
    BoardTableModel,
    ChangeRow,
    ChangesTableModel,
    DiffTableModel,
    ElementEntryTableModel,
    SubmissionRow,
    SubmissionTableModel,
    TaskEntryTableModel,
    local_time_text,
)
from desktop.views.roles import denied_reason, guard
from desktop.views.widgets import PeriodPicker, ShownPage, read_only_table
from desktop.views.worker import JobWorker, start_job


class ReviewPage(ShownPage):
    """The district reviewer's desk for one period of the current plan."""

    title = "审核"
    status_message = Signal(str)
    import_requested = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._units: dict[int, OrgUnit] = {}
        self.sheet: ReturnSheet | None = None
        self._worker: JobWorker | None = None

        heading = QLabel("审核")
        heading.setObjectName("pageTitle")
        self.period_picker = PeriodPicker(context.plan.years if context.plan else [])
        self.import_button = QPushButton("导入报送…")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(16)
        top.addWidget(QLabel("期间："))
        top.addWidget(self.period_picker)
        top.addStretch(1)
        top.addWidget(self.import_button)

        # submissions and the selected one ---------------------------------
        self.submissions = SubmissionTableModel(self)
        self.submission_view = read_only_table(self.submissions, stretch=0)
        self.list_summary = QLabel()
        self.list_summary.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.submission_view, 1)
        left_layout.addWidget(self.list_summary)

        self.detail_title = QLabel("在左侧选择一个单位的报表。")
        self.detail_title.setWordWrap(True)
        self.detail_title.setObjectName("statusBanner")
        self.detail_title.setStyleSheet("background: #eef3fa; border-radius: 4px; "
                                        "padding: 6px 10px;")
        self.diffs = DiffTableModel(self)
        self.diff_view = read_only_table(self.diffs, stretch=1)
        self.diff_caption = QLabel()
        self.diff_caption.setStyleSheet("font-weight: bold; color: #8a4b00;")
        self.elements = ElementEntryTableModel(self)
        self.element_view = read_only_table(self.elements)
        resize_columns(self.element_view, {0: 110, 1: 190, 2: 44, 3: 64, 4: 86, 5: 86, 6: 86,
                                           8: 40, 9: 180}, 7)
        self.tasks = TaskEntryTableModel(self)
        self.task_view = read_only_table(self.tasks)
        resize_columns(self.task_view, {1: 84, 2: 64, 3: 84, 4: 150, 5: 100, 6: 100, 7: 40,
                                        8: 160}, 0)
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(self.element_view, "数据项")
        self.detail_tabs.addTab(self.task_view, "任务进展")
        self.detail_tabs.addTab(self.diff_view, "与退回时相比的改动")

        self.return_button = QPushButton("退回…")
        self.approve_button = QPushButton("审核通过")
        self.reopen_button = QPushButton("重新打开…")
        self.notice_button = QPushButton("导出审核通知…")
        buttons = QHBoxLayout()
        for button in (self.return_button, self.approve_button, self.reopen_button,
                       self.notice_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail_title)
        right_layout.addWidget(self.diff_caption)
        right_layout.addWidget(self.detail_tabs, 1)
        right_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([380, 900])

        # the board and the changes since approval --------------------------
        self.board = BoardTableModel(self)
        self.board_view = QTableView()
        self.board_view.setModel(self.board)
        self.board_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.board_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.board_view.verticalHeader().setDefaultSectionSize(30)
        self.board_summary = QLabel()
        self.board_summary.setWordWrap(True)
        legend = QHBoxLayout()
        legend.addWidget(QLabel("图例："))
        for timeliness in Timeliness:
            chip = QLabel(f" {timeliness.label} ")
            chip.setStyleSheet(f"background: {TIMELINESS_COLOURS[timeliness]}; "
                               "border: 1px solid #c9ced6; border-radius: 3px; padding: 2px 6px;")
            legend.addWidget(chip)
        legend.addStretch(1)
        board_page = QWidget()
        board_layout = QVBoxLayout(board_page)
        board_layout.addWidget(self.board_summary)
        board_layout.addLayout(legend)
        board_layout.addWidget(self.board_view, 1)
        note = QLabel("是否逾期以报送文件中记录的报送时间为准，不以区局导入的时间为准。"
                      "鼠标停在格子上可看报送时间、截止日期和退回原因；双击打开该单位的报表。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        board_layout.addWidget(note)

        self.changes = ChangesTableModel(self)
        self.change_view = read_only_table(self.changes, stretch=2)
        self.changes_summary = QLabel()
        self.changes_summary.setWordWrap(True)
        changes_page = QWidget()
        changes_layout = QVBoxLayout(changes_page)
        changes_layout.addWidget(self.changes_summary)
        changes_layout.addWidget(self.change_view, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "报送审核")
        self.tabs.addTab(board_page, "报送情况")
        self.tabs.addTab(changes_page, "审核后变动")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 10)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        self.period_picker.changed.connect(self.refresh)
        self.submission_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_detail(current.row()))
        self.board_view.doubleClicked.connect(self._on_board_double_clicked)
        self.import_button.clicked.connect(self.import_requested.emit)
        self.return_button.clicked.connect(self.return_dialog)
        self.approve_button.clicked.connect(self.approve_current)
        self.reopen_button.clicked.connect(self.reopen_dialog)
        self.notice_button.clicked.connect(self.export_notice_dialog)
        context.plan_changed.connect(self._on_plan_changed)
        context.data_changed.connect(self.refresh)
        context.actor_changed.connect(self.refresh)
        self._on_plan_changed()

    # loading -------------------------------------------------------------
    def period(self) -> Period:
        return self.period_picker.period()

    def _on_plan_changed(self) -> None:
        plan = self.context.plan
        if plan is not None and plan.years:
            self.period_picker.year.setRange(min(plan.years) - 1, max(plan.years) + 1)
            self.period_picker.blockSignals(True)
            self.period_picker.set_period(self._default_period())
            self.period_picker.blockSignals(False)
        self.refresh()

    def _default_period(self) -> Period:
        """The latest period with a return waiting for review (else with any return)."""
        plan = self.context.plan
        assert plan is not None
        subs = list_submissions(self.context.db, plan.id)
        for wanted in ({SubmissionStatus.SUBMITTED}, set(SubmissionStatus)):
            periods = [Period.parse(s.period) for s in subs if s.status in wanted]
            if periods:
                return max(periods)
        return Period.year_of(plan.years[-1])

    def refresh(self) -> None:
        """Re-read the period's submissions, the board and the changes (later if hidden)."""
        if self._postponed():
            return
        db, plan = self.context.db, self.context.plan
        self._units = {u.id: u for u in list_units(db)}
        current = self.current_submission()
        if plan is None:
            self.submissions.set_records([])
            self._show_detail(-1)
            self._update_actions()
            return
        period = self.period().id
        window = effective_window(db, plan.id, period)
        rows = []
        for sub in list_submissions(db, plan.id, period):
            unit = self._units.get(sub.org_unit_id)
            late = (is_late(sub.submitted_at, window)
                    if sub.submitted_at and sub.status is not SubmissionStatus.DRAFT else None)
            rows.append(SubmissionRow(sub, self._short_name(unit) if unit else
                                      str(sub.org_unit_id), late, window.deadline.isoformat()))
        order = {SubmissionStatus.SUBMITTED: 0, SubmissionStatus.RETURNED: 1,
                 SubmissionStatus.DRAFT: 2, SubmissionStatus.APPROVED: 3}
        rows.sort(key=lambda r: (order[r.submission.status],
                                 self._units[r.submission.org_unit_id].sort_order
                                 if r.submission.org_unit_id in self._units else 0))
        self.submissions.set_records(rows)
        counts = {s: sum(1 for r in rows if r.submission.status is s) for s in SubmissionStatus}
        self.list_summary.setText(
            f"{self.period().label}：待审核 {counts[SubmissionStatus.SUBMITTED]}，"
            f"退回 {counts[SubmissionStatus.RETURNED]}，草稿 {counts[SubmissionStatus.DRAFT]}，"
            f"已审核 {counts[SubmissionStatus.APPROVED]}。截止日期 {window.deadline}。")
        self.select_submission(current.id if current else None)
        self._refresh_board()
        self._refresh_changes()

    def _short_name(self, unit: OrgUnit) -> str:
        """大佛所 rather than 潼南区市场监督管理局大佛所 (the full name is in the detail)."""
        if unit.short_name:
            return unit.short_name
        parent = self._units.get(unit.parent_id) if unit.parent_id else None
        if parent is not None and unit.name.startswith(parent.name) \
                and len(unit.name) > len(parent.name):
            return unit.name[len(parent.name):]
        return unit.name

    def _refresh_board(self) -> None:
        db, plan = self.context.db, self.context.plan
        if plan is None:
            return
        periods = [str(y) for y in plan.years]
        result = board(db, plan.id, periods, today=self.context.today())
        labels = {p: Period.parse(p).label for p in periods}
        deadlines = {p: effective_window(db, plan.id, p).deadline.isoformat() for p in periods}
        self.board.set_board(result, labels, deadlines)
        tally = {t: sum(1 for c in result.cells.values() if c.timeliness is t) for t in Timeliness}
        self.board_summary.setText(
            f"{len(result.units)} 个单位 × {len(periods)} 个年度：" + "，".join(
                f"{t.label} {tally[t]}" for t in Timeliness) + "。")

    def _refresh_changes(self) -> None:
        plan = self.context.plan
        if plan is None:
            self.changes.set_records([])
            return
        rows: list[ChangeRow] = []
        for sub, diffs in changed_since_approval(self.context.db, plan.id):
            unit = self._units.get(sub.org_unit_id)
            label = Period.parse(sub.period).label
            rows.extend(ChangeRow(unit.name if unit else "", label, d) for d in diffs)
        self.changes.set_records(rows)
        self.changes_summary.setText(
            f"审核通过后又被改动的数值：{len(rows)} 处。" if rows else
            "审核通过后没有数值被改动。重新打开并修改过的报表会列在这里，直到再次审核通过。")

    # selection -----------------------------------------------------------
    def current_submission(self) -> Submission | None:
        row = self.submission_view.currentIndex().row()
        if 0 <= row < self.submissions.rowCount():
            return self.submissions.record(row).submission  # type: ignore[no-any-return]
        return None

    def select_submission(self, submission_id: int | None) -> None:
        rows = self.submissions.records()
        row = next((n for n, r in enumerate(rows) if r.submission.id == submission_id), -1)
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.submission_view.setCurrentIndex(self.submissions.index(row, 0))
            self._show_detail(row)
        else:
            self._show_detail(-1)

    def select_unit(self, unit_id: int) -> bool:
        rows = self.submissions.records()
        row = next((n for n, r in enumerate(rows) if r.submission.org_unit_id == unit_id), -1)
        if row < 0:
            return False
        self.select_submission(rows[row].submission.id)
        return True

    def _show_detail(self, row: int) -> None:
        self.sheet = None
        if not 0 <= row < self.submissions.rowCount():
            self.detail_title.setText("在左侧选择一个单位的报表。" if self.context.plan else
                                      "当前没有规划。")
            self.elements.set_rows([], {}, {}, editable=False)
            self.tasks.set_rows([], {}, editable=False)
            self.diffs.set_records([])
            self.diff_caption.setText("")
            self.diff_caption.hide()
            self._update_actions()
            return
        record = self.submissions.record(row)
        sub: Submission = record.submission
        try:
            sheet = return_sheet(self.context.db, self.context.actor, sub.plan_id,
                                 sub.org_unit_id, sub.period)
        except PlanDeskError as exc:
            self.detail_title.setText(exc.user_message)
            self._update_actions()
            return
        self.sheet = sheet
        comments_e = {i: t for (k, i), t in sheet.comments.items() if k == "element"}
        comments_t = {i: t for (k, i), t in sheet.comments.items() if k == "task"}
        self.elements.set_rows(sheet.rows, {}, comments_e, editable=False)
        self.tasks.set_rows(sheet.tasks, comments_t, editable=False)
        self.element_view.setColumnHidden(ElementEntryTableModel.REVIEW_COLUMN, not comments_e)
        self.task_view.setColumnHidden(TaskEntryTableModel.REVIEW_COLUMN, not comments_t)
        diffs = diff_since_return(self.context.db, sub.id)
        self.diffs.set_records(diffs)
        self.detail_tabs.setTabText(2, f"与退回时相比的改动（{len(diffs)}）")
        self.diff_caption.setText(
            f"重新报送：与退回时相比改动了 {len(diffs)} 处（见“与退回时相比的改动”）。"
            if diffs and sub.status is SubmissionStatus.SUBMITTED else "")
        self.diff_caption.setVisible(bool(self.diff_caption.text()))
        if diffs and sub.status is SubmissionStatus.SUBMITTED:
            self.detail_tabs.setCurrentIndex(2)
        elif not diffs and self.detail_tabs.currentIndex() == 2:
            self.detail_tabs.setCurrentIndex(0)
        parts = [f"<b>{sheet.unit_name} · {sheet.period_label}</b>：{sub.status.label}"]
        if sub.submitted_at:
            late = " <span style='color:#b3261e'>（逾期）</span>" if record.late else ""
            parts.append(f"报送时间 {local_time_text(sub.submitted_at)}{late}")
        if sub.reviewed_at:
            parts.append(f"审核时间 {local_time_text(sub.reviewed_at)}")
        if getattr(sub, "submitted_source", ""):
            parts.append(f"来源 {sub.submitted_source.split(' sha256:')[0]}")
        text = "　".join(parts)
        if sub.reason:
            text += f"<br>原因：{sub.reason}"
        self.detail_title.setText(text)
        self._update_actions()

    def _on_board_double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        period = self.board.period(index.column())
        unit = self.board.unit(index.row())
        self.period_picker.set_period(Period.parse(period))
        self.tabs.setCurrentIndex(0)
        self.select_unit(unit.id)

    # actions -------------------------------------------------------------
    def _update_actions(self) -> None:
        actor, sub = self.context.actor, self.current_submission()
        unit = self._units.get(sub.org_unit_id) if sub else None
        none = "请先在左侧选择一个单位的报表。" if sub is None else ""
        status = sub.status if sub else None
        guard(self.return_button, denied_reason(actor, Action.RETURN, unit),
              other=none or ("" if status is SubmissionStatus.SUBMITTED
                             else "只有已报送、等待审核的报表可以退回。"),
              tooltip="写明原因退回该所修改，可对个别数值写审核意见。")
        guard(self.approve_button, denied_reason(actor, Action.APPROVE, unit),
              other=none or ("" if status is SubmissionStatus.SUBMITTED
                             else "只有已报送、等待审核的报表可以审核通过。"),
              tooltip="审核通过并锁定该期数据。")
        guard(self.reopen_button, denied_reason(actor, Action.REOPEN, unit),
              other=none or ("" if status is SubmissionStatus.APPROVED
                             else "只有已审核锁定的报表可以重新打开。"),
              tooltip="写明原因重新打开已锁定的报表，该所可以修改后重新报送。")
        notice_state = none or ("" if status in (SubmissionStatus.RETURNED,
                                                 SubmissionStatus.APPROVED)
                                else "退回或审核通过后才能导出审核通知。")
        if not notice_state and unit is not None and unit.unit_type is not UnitType.STATION:
            notice_state = "区局本级的报表不需要审核通知。"
        guard(self.notice_button, denied_reason(actor, Action.RETURN, unit), other=notice_state,
              tooltip="把退回原因和审核意见（或审核通过）写成审核通知工作簿，发给该所导入。")
        guard(self.import_button, denied_reason(actor, Action.IMPORT),
              tooltip="导入各所的报送文件（.xlsx 或含佐证的 .zip），可一次选多个。")

    def return_dialog(self) -> None:
        sub, sheet = self.current_submission(), self.sheet
        if sub is None or sheet is None:
            return
        dialog = ReturnDialog(sheet, self)
        self.return_form = dialog
        if dialog.exec() != ReturnDialog.DialogCode.Accepted:
            return
        try:
            done = return_submission(self.context.db, self.context.actor, sub.id,
                                     dialog.reason_text(), dialog.comments())
        except PlanDeskError as exc:
            show_error(self, exc, "未能退回")
            return
        self.status_message.emit(f"{sheet.unit_name}{sheet.period_label}已退回：{done.reason}")
        self.context.data_changed.emit()
        self.offer_notice(done)

    def approve_current(self) -> None:
        sub, sheet = self.current_submission(), self.sheet
        if sub is None or sheet is None:
            return
        answer = QMessageBox.question(
            self, "审核通过", f"审核通过{sheet.unit_name}{sheet.period_label}的报表并锁定？"
            "锁定后该所不能再修改，如需更正可“重新打开”。")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            done = approve(self.context.db, self.context.actor, sub.id)
        except PlanDeskError as exc:
            show_error(self, exc, "未能审核通过")
            return
        self.status_message.emit(f"{sheet.unit_name}{sheet.period_label}已审核通过并锁定。")
        self.context.data_changed.emit()
        self.offer_notice(done)

    def reopen_dialog(self) -> None:
        sub, sheet = self.current_submission(), self.sheet
        if sub is None or sheet is None:
            return
        dialog = ReasonDialog(
            "重新打开", f"重新打开{sheet.unit_name}{sheet.period_label}已审核锁定的报表。"
            "请写明原因（必填），该所将看到这个原因，修改后重新报送。", self)
        self.reopen_form = dialog
        if dialog.exec() != ReasonDialog.DialogCode.Accepted:
            return
        try:
            done = reopen(self.context.db, self.context.actor, sub.id, dialog.text())
        except PlanDeskError as exc:
            show_error(self, exc, "未能重新打开")
            return
        self.status_message.emit(f"{sheet.unit_name}{sheet.period_label}已重新打开：{done.reason}")
        self.context.data_changed.emit()
        self.offer_notice(done)

    def offer_notice(self, sub: Submission) -> None:
        """After a decision on a station's return: save the notice that tells the station."""
        unit = self._units.get(sub.org_unit_id)
        if unit is None or unit.unit_type is not UnitType.STATION:
            return
        self.export_notice_dialog(sub)

    def export_notice_dialog(self, sub: Submission | None = None) -> None:
        from desktop.excel.submission import review_notice_file_name

        sub = sub if isinstance(sub, Submission) else self.current_submission()
        if sub is None:
            return
        unit = self._units.get(sub.org_unit_id)
        if unit is None:
            return
        start = Path(str(QSettings().value("folders/notices", str(Path.home()))))
        name, _ = QFileDialog.getSaveFileName(
            self, f"保存给{unit.name}的审核通知", str(start / review_notice_file_name(
                unit, sub.period)), "审核通知 (*.xlsx)")
        if name:
            QSettings().setValue("folders/notices", str(Path(name).parent))
            self.export_notice(sub.id, Path(name))

    def export_notice(self, submission_id: int, target: Path) -> None:
        from desktop.excel.submission import review_notice_job

        path, actor = self.context.path, self.context.actor
        if path is None:
            return

        def job() -> Generator[Progress, None, Path]:
            return (yield from review_notice_job(path, actor, submission_id, target))

        def done(result: object) -> None:
            assert isinstance(result, Path)
            self.last_notice_file = result
            sub = get_submission(self.context.db, submission_id)
            unit = self._units.get(sub.org_unit_id)
            self.status_message.emit(
                f"审核通知已保存到 {result}，请发给{unit.name if unit else '该所'}导入。")

        self._worker = start_job(self, "导出审核通知", job, done,
                                 lambda exc: show_error(self, exc, "未能导出审核通知"))
