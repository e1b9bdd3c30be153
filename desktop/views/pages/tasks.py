"""任务: the plan's outline as a read-only tree, with each item's source text."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.models.assignments import (
    ItemAssignments,
    assignments_by_item,
    clear_assignments,
    set_assignments,
)
from desktop.models.orgunits import list_units
from desktop.models.permissions import Action
from desktop.models.plans import ItemType, PlanItem, list_plan_items
from desktop.models.sentences import indicator_from_sentence
from desktop.views.context import AppContext
from desktop.views.item_models import PlanItemTreeModel
from desktop.views.roles import denied_reason, guard

_ASSIGN_TIP = "指定牵头单位、配合单位、完成时限和年度节点（Enter）"
_SENTENCE_TIP = "在右侧原文中选中一句目标（如“每千人食品抽检量达到4批次以上”），再点此按钮。"


class TasksPage(QWidget):
    """The outline tree (章/节/一、/专栏/任务) and the full text of the selected item."""

    title = "任务"
    #: (SentenceIndicator, plan item id): the user asked for an indicator from selected text.
    new_indicator_requested = Signal(object, int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = PlanItemTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.summary = QLabel()
        self.detail = QTextBrowser()
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.sentence_button = QPushButton("由选中文字新建指标…")
        self.sentence_button.setToolTip(_SENTENCE_TIP)
        self.sentence_button.setEnabled(False)
        self.sentence_button.clicked.connect(self.request_indicator_from_selection)
        self.detail.selectionChanged.connect(self._on_detail_selection_changed)
        self._current: PlanItem | None = None
        self.assign_button = QPushButton("分配单位…")
        self.assign_button.setToolTip(_ASSIGN_TIP)
        self.assign_button.setEnabled(False)
        self.assign_button.clicked.connect(self.assign_current)
        self.tree.activated.connect(lambda _index: self.assign_current())
        top = QHBoxLayout()
        top.addWidget(self.summary)
        top.addWidget(self.assign_button)
        top.addWidget(self.sentence_button)
        top.addStretch(1)
        self.unassigned_label = QLabel()
        top.addWidget(self.unassigned_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        context.plan_changed.connect(self.refresh)
        context.data_changed.connect(self._refresh_assignments)
        context.actor_changed.connect(self._apply_role)
        self.refresh()

    def denied(self) -> str:
        """Why the logged-in user may not assign tasks or add indicators ("" when he may)."""
        return denied_reason(self.context.actor, Action.EDIT_PLAN)

    def _apply_role(self) -> None:
        """Read-only for users who may not edit the plan (the models refuse them too)."""
        reason = self.denied()
        guard(self.assign_button, reason, tooltip=_ASSIGN_TIP,
              other="" if self._current is not None else "请先选择一个条目。")
        selected = bool(self.detail.textCursor().selectedText().strip())
        guard(self.sentence_button, reason, tooltip=_SENTENCE_TIP,
              other="" if self._current is not None and selected else _SENTENCE_TIP)

    def refresh(self) -> None:
        plan = self.context.plan
        items = list_plan_items(self.context.db, plan.id) if plan else []
        self._items = items
        given = assignments_by_item(self.context.db, plan.id) if plan else {}
        self.model.set_items(items, given)
        self._current = None
        self._apply_role()
        self._update_unassigned(items, given)
        tasks = sum(1 for i in items if i.item_type is ItemType.TASK)
        boxes = sum(1 for i in items if i.item_type is ItemType.BOX)
        self.summary.setText(f"共 {len(items)} 个条目，其中任务 {tasks} 项、专栏 {boxes} 个"
                             if items else "当前规划还没有大纲。")
        self.detail.setHtml("<p style='color:#666'>选择一个条目查看原文。</p>")
        # Open the chapter that holds the tasks and bring it to the top.
        task_parents = {i.parent_id for i in items if i.item_type is ItemType.TASK}
        for row in range(self.model.rowCount()):
            chapter = self.model.index(row, 0)
            if self._holds_any(chapter, task_parents):
                self.tree.expand(chapter)
                for section in range(self.model.rowCount(chapter)):
                    self.tree.expand(self.model.index(section, 0, chapter))
                self.tree.scrollTo(chapter, QTreeView.ScrollHint.PositionAtTop)
                break

    def _refresh_assignments(self) -> None:
        """Re-read who does what without rebuilding the tree (keeps expansion and selection)."""
        plan = self.context.plan
        given = assignments_by_item(self.context.db, plan.id) if plan else {}
        self.model.assignments = given
        rows = self.model.rowCount()
        if rows:
            self.model.dataChanged.emit(self.model.index(0, 0),
                                        self.model.index(rows - 1, self.model.columnCount() - 1))
            self.tree.viewport().update()
        self._update_unassigned(getattr(self, "_items", []), given)

    def _update_unassigned(self, items: list[PlanItem], given: dict[int, ItemAssignments]) -> None:
        tasks = [i for i in items if i.item_type is ItemType.TASK]
        missing = sum(1 for t in tasks if t.id not in given or not given[t.id].lead)
        self.unassigned_label.setText(f"尚未指定牵头单位的任务：{missing} 项" if tasks else "")

    def assign_current(self) -> None:
        """Open the assignment form for the selected item and apply it as an undoable edit."""
        from desktop.views.dialogs.assignment_dialog import AssignmentDialog
        from desktop.views.feedback import show_error
        from desktop.views.undo import DatabaseCommand

        item = self._current
        plan = self.context.plan
        if item is None or plan is None or self.denied():
            return
        before = self.model.assignments.get(item.id)
        dialog = AssignmentDialog(item, list_units(self.context.db), plan.years, before, self)
        self.assignment_dialog = dialog
        if dialog.exec() != AssignmentDialog.DialogCode.Accepted:
            return
        form = dialog.form()

        def apply(db: Database) -> None:
            set_assignments(db, item.id, lead=form.lead, cooperating=form.cooperating,
                            deadline=form.deadline, note=form.note,
                            milestones=form.milestones)

        def restore(db: Database) -> None:
            if before is None:
                clear_assignments(db, item.id)
                return
            set_assignments(db, item.id,
                            lead=[d.org_unit_id for d in before.lead],
                            cooperating=[d.org_unit_id for d in before.cooperating],
                            deadline=before.deadline, note=before.note,
                            milestones={m.year: m.description for m in before.milestones})

        command = DatabaseCommand(f"分配任务“{item.title}”", lambda: self.context.db, apply,
                                  restore, self.context.data_changed.emit)
        if not self.context.push(command) and command.error is not None:
            show_error(self, command.error)

    def select_item(self, plan_item_id: int) -> bool:
        """Select the outline item (opening its chapters) and show it; False if not found."""
        found = self._find(QModelIndex(), plan_item_id)
        if found is None:
            return False
        parent = found.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.setCurrentIndex(found)
        self.tree.scrollTo(found, QTreeView.ScrollHint.PositionAtCenter)
        return True

    def _find(self, parent: QModelIndex, plan_item_id: int) -> QModelIndex | None:
        for row in range(self.model.rowCount(parent)):
            index = self.model.index(row, 0, parent)
            item: PlanItem | None = self.model.object_at(index)
            if item is not None and item.id == plan_item_id:
                return index
            found = self._find(index, plan_item_id)
            if found is not None:
                return found
        return None

    def _holds_any(self, index: QModelIndex, parents: set[int | None]) -> bool:
        item: PlanItem | None = self.model.object_at(index)
        if item is not None and item.id in parents:
            return True
        return any(self._holds_any(self.model.index(r, 0, index), parents)
                   for r in range(self.model.rowCount(index)))

    def _on_detail_selection_changed(self) -> None:
        self._apply_role()

    def request_indicator_from_selection(self) -> None:
        """Propose an indicator from the text selected in the item's source."""
        selected = self.detail.textCursor().selectedText().strip()
        if not selected or self._current is None or self.denied():
            return
        proposal = indicator_from_sentence(selected, self._current.body)
        source = f"{self._current.title}（原文第 {self._current.source_line} 行）：{selected}"
        self.new_indicator_requested.emit(replace(proposal, source_text=source),
                                          self._current.id)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item: PlanItem | None = self.model.object_at(current)
        self._current = item
        self._apply_role()
        if item is None:
            return
        body = (item.body or item.source_text).replace("\n", "<br>")
        given = self.model.assignments.get(item.id)
        duty = ""
        if given is not None:
            lead = "、".join(d.unit_display_name for d in given.lead) or "—"
            cooperating = "、".join(d.unit_display_name for d in given.cooperating) or "—"
            steps = "；".join(f"{m.year}年：{m.description}" for m in given.milestones)
            duty = (f"<p>牵头单位：{lead}<br>配合单位：{cooperating}<br>"
                    f"完成时限：{given.deadline or '未定'}"
                    + (f"<br>年度节点：{steps}" if steps else "")
                    + (f"<br>备注：{given.note}" if given.note else "") + "</p>")
        self.detail.setHtml(
            f"<h3>{item.marker} {item.title}</h3><p>类型：{item.item_type.label}；"
            f"原文第 {item.source_line} 行</p>{duty}<p>{body}</p>")
