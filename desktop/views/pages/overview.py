"""规划总览: the plan's header and what it holds, or how to begin when there is no plan."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.models.orgunits import UNIT_TYPE_LABELS, UnitType
from desktop.models.summary import summarise_database, summarise_plan
from desktop.views.context import AppContext

_LEVEL_LABELS = {"city": "市级", "district": "区县级", "county": "区县级"}


class StatCard(QFrame):
    """A number with its caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.value = QLabel("—")
        self.value.setObjectName("statValue")
        self.caption = QLabel(caption)
        self.caption.setObjectName("statCaption")
        self.detail = QLabel("")
        self.detail.setObjectName("statDetail")
        self.detail.setWordWrap(True)
        for widget in (self.value, self.caption, self.detail):
            layout.addWidget(widget)

    def set(self, value: int, detail: str = "") -> None:
        self.value.setText(f"{value:,}")
        self.detail.setText(detail)


class OverviewPage(QWidget):
    """Shows the current plan's header and counts; offers the demo when the database is empty."""

    title = "规划总览"

    def __init__(self, context: AppContext, on_load_demo: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 20)
        outer.addWidget(self.stack)

        # Empty state
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        self.empty_label = QLabel(
            "数据库中还没有规划。\n\n可以先载入演示数据看看各项功能（潼南区市场监管“十四五”规划，"
            "数值为演示值）；导入本单位规划的功能将在后续版本提供。")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_button = QPushButton("载入演示数据")
        self.demo_button.clicked.connect(on_load_demo)
        empty_layout.addWidget(self.empty_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.demo_button)
        row.addStretch(1)
        empty_layout.addLayout(row)
        empty_layout.addStretch(2)
        self.stack.addWidget(empty)

        # Plan view
        plan_view = QWidget()
        layout = QVBoxLayout(plan_view)
        self.plan_title = QLabel()
        self.plan_title.setObjectName("pageTitle")
        self.plan_title.setWordWrap(True)
        self.demo_banner = QLabel(
            "演示数据：规划正文和专栏1指标取自潼南区规划原文；各所各年数值为程序生成的演示值，"
            "不是真实统计。")
        self.demo_banner.setObjectName("demoBanner")
        self.demo_banner.setWordWrap(True)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fields: dict[str, QLabel] = {}
        for key, caption in (("issuer", "发文机关"), ("doc_number", "文号"),
                             ("dates", "成文 / 发布日期"), ("period", "规划期"),
                             ("baseline", "基期年"), ("level", "层级"), ("note", "说明")):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            form.addRow(f"{caption}：", label)
        grid = QGridLayout()
        grid.setSpacing(12)
        self.cards = {
            "items": StatCard("规划条目"), "tasks": StatCard("任务"), "boxes": StatCard("专栏"),
            "indicators": StatCard("指标"), "units": StatCard("单位"),
            "values": StatCard("已录数值"),
        }
        for position, card in enumerate(self.cards.values()):
            grid.addWidget(card, position // 3, position % 3)
        layout.addWidget(self.plan_title)
        layout.addWidget(self.demo_banner)
        layout.addLayout(form)
        layout.addSpacing(12)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.stack.addWidget(plan_view)

        context.plan_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        plan = self.context.plan
        if plan is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        db = self.context.db
        stats = summarise_plan(db, plan.id)
        totals = summarise_database(db)
        self.plan_title.setText(plan.title)
        self.demo_banner.setVisible(plan.is_demo)
        self.fields["issuer"].setText(plan.issuer or "—")
        self.fields["doc_number"].setText(plan.doc_number or "—")
        self.fields["dates"].setText(f"{plan.issued_on or '—'} / {plan.published_on or '—'}")
        self.fields["period"].setText(plan.period_label)
        self.fields["baseline"].setText(f"{plan.baseline_year}年")
        self.fields["level"].setText(_LEVEL_LABELS.get(plan.level.value, plan.level.value))
        self.fields["note"].setText(plan.note or "—")
        self.cards["items"].set(stats.plan_items, "章、节、标题、专栏和段落")
        self.cards["tasks"].set(stats.tasks, "主要任务章中的任务段落")
        self.cards["boxes"].set(stats.boxes)
        self.cards["indicators"].set(
            stats.indicators, f"约束性 {stats.binding} 项 · 预期性 {stats.expected} 项")
        by_type = "，".join(f"{UNIT_TYPE_LABELS[UnitType(k)]} {v}"
                           for k, v in totals.units_by_type.items() if v)
        self.cards["units"].set(totals.units, by_type)
        self.cards["values"].set(totals.data_values, f"数据项 {totals.data_elements} 个")
