"""收件箱: what a unit has to report and by when, what came back and why, its tasks' lights."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.models.errors import PlanDeskError
from desktop.models.inbox import Inbox, station_inbox
from desktop.models.orgunits import list_units
from desktop.views.context import AppContext
from desktop.views.pages.entry import reporting_units
from desktop.views.reporting_models import (
    DueReportTableModel,
    ReturnedReportTableModel,
    TaskDueTableModel,
)
from desktop.views.widgets import ShownPage, read_only_table, summary_banner


class InboxPage(ShownPage):
    """The clerk's home: due reports with 督办 lights, returned reports, the unit's tasks.

    Double-clicking a report emits ``open_entry(unit_id, period)``.
    """

    title = "收件箱"
    open_entry = Signal(int, str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.inbox: Inbox | None = None

        heading = QLabel("收件箱")
        heading.setObjectName("pageTitle")
        self.unit_box = QComboBox()
        self.unit_box.setMinimumWidth(260)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(16)
        self.unit_label = QLabel("单位：")
        top.addWidget(self.unit_label)
        top.addWidget(self.unit_box)
        top.addStretch(1)
        self.summary = summary_banner("inboxSummary")

        self.due = DueReportTableModel(self)
        self.returned = ReturnedReportTableModel(self)
        self.tasks = TaskDueTableModel(self)
        self.due_view = read_only_table(self.due, stretch=3)
        self.returned_view = read_only_table(self.returned, stretch=2)
        self.returned_view.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        self.returned_view.setWordWrap(True)
        self.task_view = read_only_table(self.tasks, stretch=0)
        self.due_box = QGroupBox("待报送")
        self.returned_box = QGroupBox("被退回")
        self.task_box = QGroupBox("本单位任务")
        for box, view in ((self.due_box, self.due_view), (self.returned_box, self.returned_view),
                          (self.task_box, self.task_view)):
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(6, 6, 6, 6)
            box_layout.addWidget(view)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.due_box)
        upper.addWidget(self.returned_box)
        upper.setStretchFactor(0, 2)
        upper.setStretchFactor(1, 3)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.task_box)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        hint = QLabel("双击待报送或被退回的一行，打开该期的填报页面。督办灯：绿色正常，"
                      "黄色临近截止日期，红色已逾期。")
        hint.setStyleSheet("color: #666;")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 10)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addWidget(hint)

        self.due_view.doubleClicked.connect(self._on_due_double_clicked)
        self.returned_view.doubleClicked.connect(self._on_returned_double_clicked)
        self.task_view.doubleClicked.connect(self._on_task_double_clicked)
        self.unit_box.currentIndexChanged.connect(lambda _i: self.refresh())
        context.plan_changed.connect(self._on_actor_changed)
        context.actor_changed.connect(self._on_actor_changed)
        context.data_changed.connect(self.refresh)
        self._on_actor_changed()

    def unit_id(self) -> int | None:
        data = self.unit_box.currentData()
        return int(data) if data is not None else None

    def _on_actor_changed(self) -> None:
        actor = self.context.actor
        self.unit_box.blockSignals(True)
        keep = self.unit_box.currentData()
        self.unit_box.clear()
        units = list_units(self.context.db)
        if actor.org_unit_id is not None:
            units = [u for u in units if u.id == actor.org_unit_id]
        else:
            units = reporting_units(units)
        for unit in units:
            self.unit_box.addItem(unit.name, unit.id)
        if keep is not None and self.unit_box.findData(keep) >= 0:
            self.unit_box.setCurrentIndex(self.unit_box.findData(keep))
        self.unit_box.blockSignals(False)
        fixed = actor.org_unit_id is not None
        self.unit_box.setVisible(not fixed)
        self.unit_label.setVisible(not fixed)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the unit's inbox (later, when the page is hidden)."""
        if self._postponed():
            return
        plan, unit_id = self.context.plan, self.unit_id()
        self.inbox = None
        if plan is None or unit_id is None:
            for model in (self.due, self.returned, self.tasks):
                model.set_records([])
            self.summary.setText("当前没有规划。" if plan is None else "没有可查看的单位。")
            return
        try:
            inbox = station_inbox(self.context.db, self.context.actor, plan.id,
                                  today=self.context.today(), unit_id=unit_id)
        except PlanDeskError as exc:
            for model in (self.due, self.returned, self.tasks):
                model.set_records([])
            self.summary.setText(exc.user_message)
            return
        self.inbox = inbox
        self.due.set_records(inbox.due)
        self.returned.set_records(inbox.returned)
        self.returned_view.resizeRowsToContents()
        self.tasks.set_records(inbox.tasks)
        self.due_box.setTitle(f"待报送（{len(inbox.due)}）")
        self.returned_box.setTitle(f"被退回（{len(inbox.returned)}）")
        self.task_box.setTitle(f"本单位任务（{len(inbox.tasks)}）")
        overdue = sum(1 for d in inbox.due if d.light.value == "red")
        late_tasks = sum(1 for t in inbox.tasks if t.light.value == "red")
        parts = [f"{inbox.unit_name}　今天 {self.context.today():%Y年%m月%d日}："]
        parts.append(f"待报送 {len(inbox.due)} 期" + (f"（{overdue} 期已逾期）" if overdue else ""))
        parts.append(f"被退回 {len(inbox.returned)} 期")
        parts.append(f"任务 {len(inbox.tasks)} 项" + (f"（{late_tasks} 项逾期）"
                                                     if late_tasks else ""))
        self.summary.setText(parts[0] + "，".join(parts[1:]) + "。")

    def _on_due_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.inbox is not None:
            self.open_entry.emit(self.inbox.unit_id, self.due.record(index.row()).period)

    def _on_returned_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.inbox is not None:
            report = self.returned.record(index.row())
            self.open_entry.emit(self.inbox.unit_id, report.submission.period)

    def _on_task_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.inbox is not None:
            plan = self.context.plan
            period = self.inbox.due[0].period if self.inbox.due else (
                str(plan.years[-1]) if plan and plan.years else "")
            if period:
                self.open_entry.emit(self.inbox.unit_id, period)
