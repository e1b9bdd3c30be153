"""导入规划文档: preview the outline read from a .txt/.docx, fix types and levels, then import."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop.documents.plan_document import PlanDocument
from desktop.models.outline_edit import flatten, indent, outdent, remove, retype
from desktop.models.outline_store import OutlineChange, diff_outline
from desktop.models.plans import ITEM_TYPE_LABELS, ItemType, OutlineNode, Plan
from desktop.views.context import AppContext
from desktop.views.item_models import OutlineNodeTreeModel

NEW_PLAN = -1


class OutlineImportDialog(QDialog):
    """Shows every node read from the document before anything is written."""

    def __init__(self, context: AppContext, document: PlanDocument,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.document = document
        self.setWindowTitle(f"导入规划文档 — {document.file_name}")
        self.resize(1200, 700)
        self.model = OutlineNodeTreeModel(self)
        self.model.set_roots(document.roots)

        self.plan_box = QComboBox()
        self.plan_box.addItem(f"新建规划：{document.title}", NEW_PLAN)
        for plan in context.plans:
            self.plan_box.addItem(f"更新：{plan.short_title or plan.title}", plan.id)
        self.plan_box.setCurrentIndex(self._default_plan_index(context.plans))
        header = QFormLayout()
        header.addRow("文件：", QLabel(f"{document.file_name}（{document.format}，"
                                       f"{document.paragraph_count} 段）"))
        header.addRow("标题：", QLabel(document.title))
        h = document.header
        header.addRow("发文机关 / 文号：", QLabel(f"{h.issuer or '—'} / {h.doc_number or '—'}"))
        header.addRow("导入到：", self.plan_box)

        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        head = self.tree.header()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setStretchLastSection(False)
        for column in (1, 2, 3):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.expandToDepth(1)

        self.type_box = QComboBox()
        for item_type, label in ITEM_TYPE_LABELS.items():
            self.type_box.addItem(label, item_type.value)
        self.type_box.activated.connect(self._on_type_chosen)
        edit_row = QHBoxLayout()
        edit_row.addWidget(QLabel("所选条目类型："))
        edit_row.addWidget(self.type_box)
        self.indent_button = QPushButton("降一级 (Alt+→)")
        self.outdent_button = QPushButton("升一级 (Alt+←)")
        self.remove_button = QPushButton("删除条目 (Del)")
        for button in (self.indent_button, self.outdent_button, self.remove_button):
            edit_row.addWidget(button)
        edit_row.addStretch(1)
        self.indent_button.clicked.connect(lambda: self._edit(indent))
        self.outdent_button.clicked.connect(lambda: self._edit(outdent))
        self.remove_button.clicked.connect(lambda: self._edit(remove))
        QShortcut(QKeySequence("Alt+Right"), self.tree, lambda: self._edit(indent))
        QShortcut(QKeySequence("Alt+Left"), self.tree, lambda: self._edit(outdent))
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.tree, lambda: self._edit(remove))

        self.text_view = QTextBrowser()
        self.issue_list = QListWidget()
        for issue in document.issues:
            self.issue_list.addItem(f"{'⚠' if issue.severity == 'warning' else '✖'} {issue}")
        self.change_view = QTextBrowser()
        self.side = QTabWidget()
        self.side.addTab(self.text_view, "原文")
        self.side.addTab(self.issue_list, f"需核对（{len(document.issues)}）")
        self.side.addTab(self.change_view, "与现有规划的差异")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree)
        left_layout.addLayout(edit_row)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        self.summary = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("导入")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.plan_box.currentIndexChanged.connect(lambda _i: self.refresh_summary())
        self.change: OutlineChange | None = None
        self.refresh_summary()

    # state -----------------------------------------------------------------
    @property
    def roots(self) -> list[OutlineNode]:
        return self.document.roots

    def target_plan_id(self) -> int | None:
        """The plan to update, or None to create a new one."""
        data = self.plan_box.currentData()
        return None if data == NEW_PLAN else int(data)

    def _default_plan_index(self, plans: list[Plan]) -> int:
        for index, plan in enumerate(plans, start=1):
            if plan.source_hash and plan.source_hash == self.document.source_hash:
                return index
            if plan.title == self.document.title:
                return index
        return 0

    def refresh_summary(self) -> None:
        counts: dict[ItemType, int] = {}
        for node in flatten(self.roots):
            counts[node.item_type] = counts.get(node.item_type, 0) + 1
        parts = [f"{ITEM_TYPE_LABELS[t]} {n}" for t, n in counts.items()]
        plan_id = self.target_plan_id()
        self.change = diff_outline(self.context.db, plan_id, self.roots) if plan_id else None
        if self.change is None:
            what = "将新建规划。"
            self.change_view.setHtml("<p>将新建规划，没有可比较的现有内容。</p>")
        elif self.change.is_empty:
            what = "与现有规划完全相同，导入不会改动任何内容。"
            self.change_view.setHtml(f"<p>{what}</p>")
        else:
            c = self.change.counts()
            what = f"将新增 {c['added']} 条、删除 {c['removed']} 条、修改 {c['changed']} 条。"
            if self.change.removed_linked:
                what += (f"其中 {len(self.change.removed_linked)} 条已分配单位或关联指标，"
                         "导入前会再次确认。")
            self.change_view.setHtml(self._change_html(self.change))
        self.summary.setText(f"共 {sum(counts.values())} 条：{'，'.join(parts)}。{what}")

    @staticmethod
    def _change_html(change: OutlineChange) -> str:
        def rows(title: str, items: tuple[Any, ...], colour: str) -> str:
            if not items:
                return ""
            lines = "".join(
                f"<li>{i.marker} {i.title}"
                f"{'（' + i.links_label + '）' if getattr(i, 'links', None) else ''}"
                f"{'：' + i.old_title + ' → ' + i.new_title if i.old_title else ''}</li>"
                for i in items[:200])
            more = f"<p>……另有 {len(items) - 200} 条</p>" if len(items) > 200 else ""
            return f"<h4 style='color:{colour}'>{title}（{len(items)}）</h4><ul>{lines}</ul>{more}"

        return (rows("新增", change.added, "#1e7b34") + rows("删除", change.removed, "#b3261e")
                + rows("修改", change.changed, "#8a5a00"))

    # editing ---------------------------------------------------------------
    def current_node(self) -> OutlineNode | None:
        node = self.model.node_at(self.tree.currentIndex())
        return node if isinstance(node, OutlineNode) else None

    def _edit(self, action: Any) -> None:
        node = self.current_node()
        if node is None:
            return
        action(self.roots, node)
        self.model.set_roots(self.roots)
        self.tree.expandToDepth(1)
        index = self.model.index_of(node)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
        self.refresh_summary()

    def _on_type_chosen(self, _index: int) -> None:
        node = self.current_node()
        if node is None:
            return
        retype(node, ItemType(self.type_box.currentData()))
        self.model.node_changed(node)
        self.refresh_summary()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        node = self.model.node_at(current)
        if not isinstance(node, OutlineNode):
            return
        self.type_box.setCurrentIndex(self.type_box.findData(node.item_type.value))
        body = (node.body or node.source_text).replace("\n", "<br>")
        self.text_view.setHtml(f"<h3>{node.marker} {node.title}</h3>"
                               f"<p>原文第 {node.source_line} 行</p><p>{body}</p>")
