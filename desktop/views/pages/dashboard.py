"""汇总: the plan's indicators judged for a year, with charts of the trend, the stations, the
classes and the completeness, and the early warnings; clicking a chart goes to the details."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QSettings, Qt, QThreadPool, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from desktop.models.aggregation import default_district, reporting_units
from desktop.models.errors import PlanDeskError
from desktop.models.evaluation import (
    CLASS_ORDER,
    UNCLASSIFIED_LABEL,
    DashboardData,
    Evaluation,
    ProgressClass,
    Trend,
    WarningItem,
    WarningKind,
    dashboard_job,
    default_year,
    get_tolerance,
    indicator_trend,
    judge,
    set_tolerance,
    station_comparison,
)
from desktop.models.orgunits import OrgUnit, UnitType, get_unit
from desktop.models.permissions import Action
from desktop.models.progress import Progress, run_job
from desktop.models.store import open_database
from desktop.models.users import Role
from desktop.models.windows import Light
from desktop.views.context import AppContext
from desktop.views.dialogs.judge_dialog import JudgeDialog
from desktop.views.entry_grid import resize_columns
from desktop.views.feedback import show_error
from desktop.views.reporting_models import Col, RecordTableModel, light_icon
from desktop.views.roles import denied_reason, guard
from desktop.views.undo import DatabaseCommand
from desktop.views.widgets import ShownPage, read_only_table, summary_banner
from desktop.views.worker import JobWorker

if TYPE_CHECKING:
    from matplotlib.backend_bases import PickEvent
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

_JUDGE_TIP = ("目标为排名或定性（如“全市前列”“基本建成”）的指标无法由数值判断，由审核员评定"
              "进度类别并写明依据。")
_TOLERANCE_TIP = ("基本符合预期的容差：实际进度与应达进度之差在 ±容差 之内为基本符合预期，"
                  "高出为快于预期，低于为滞后。")
_HINT = ("单击左侧指标查看其趋势和各所比较；单击趋势图上的点切换到该年度；单击各所的柱打开该所"
         "当年的填报；单击类别的柱只显示该类指标；双击预警查看指标或任务。")
_WARNING_HINT = "选择一条预警查看详情；双击查看该指标的趋势，或打开该任务。"
#: Pick ids of chart parts (see desktop.reports.charts).
_GID = re.compile(r"^(year|unit|class):(.+)$")


# the tables -----------------------------------------------------------------------------------

def _percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def class_key(cls: ProgressClass | None) -> str:
    """The class as chart ids name it: ``achieved`` … ``behind``, ``none`` for 未评价."""
    return cls.value if cls is not None else "none"


def class_label(key: str) -> str:
    return UNCLASSIFIED_LABEL if key == "none" else ProgressClass(key).label


def _class_brush(cls: ProgressClass | None) -> QBrush:
    from desktop.reports.charts import CLASS_COLORS

    colour = QColor(CLASS_COLORS[cls])
    colour.setAlpha(90)
    return QBrush(colour)


_WARNING_TEXT = {Light.NONE: "—", Light.GREEN: "正常", Light.YELLOW: "黄色", Light.RED: "红色"}


def _warning_icon(light: Light) -> QIcon | None:
    return light_icon(light) if light is not Light.NONE else None


def _note(e: Evaluation) -> str:
    return e.note + (f"（评判人：{e.judged_by}）" if e.judged_by else "")


def _actual_tip(e: Evaluation) -> str:
    parts = [e.actual_text]
    if e.numerator is not None and e.denominator is not None:
        parts.append(f"分子 {e.numerator:g}，分母 {e.denominator:g}")
    if e.expected_value is not None:
        parts.append(f"应达 {e.expected_value:.4g}")
    return "\n".join(parts)


class EvaluationTableModel(RecordTableModel[Evaluation]):
    """The indicators of a year: actual, targets, progress, class, warning, completeness."""

    def columns(self) -> Sequence[Col[Evaluation]]:
        return _EVALUATION_COLUMNS


_EVALUATION_COLUMNS: tuple[Col[Evaluation], ...] = (
    Col("序号", lambda e: e.indicator.seq_printed),
    Col("指标", lambda e: e.indicator.name,
        tooltip=lambda e: f"{e.indicator.name_printed}\n{_note(e)}"),
    Col("属性", lambda e: e.indicator.attribute.label),
    Col("实际值", lambda e: e.actual_text, tooltip=_actual_tip),
    Col("年度目标", lambda e: e.annual_target.text.strip() if e.annual_target else "—",
        tooltip=lambda e: e.indicator.shown(e.annual_target) if e.annual_target
        else "该年度未设年度目标"),
    Col("规划目标", lambda e: e.final_target.text.strip(),
        tooltip=lambda e: e.indicator.shown(e.final_target)),
    Col("进度", lambda e: _percent(e.progress),
        tooltip=lambda e: f"从基期到规划目标已完成 {_percent(e.progress)}"
        if e.progress is not None else "该指标不按基期到目标的路径衡量进度"),
    Col("时间进度", lambda e: _percent(e.elapsed, 0),
        tooltip=lambda e: f"到{e.year}年末，规划期已过去 {_percent(e.elapsed, 0)}"),
    Col("类别", lambda e: e.class_label, tooltip=_note,
        background=lambda e: _class_brush(e.progress_class)),
    Col("预警", lambda e: _WARNING_TEXT[e.warning], icon=lambda e: _warning_icon(e.warning),
        tooltip=lambda e: f"约束性指标{_WARNING_TEXT[e.warning]}预警"
        if e.warning in (Light.YELLOW, Light.RED) else "只对约束性指标预警"),
    Col("完整性", lambda e: e.completeness,
        tooltip=lambda e: f"应报 {e.expected} 个单位，已报 {e.reported} 个"),
    Col("说明", _note),
)


class WarningTableModel(RecordTableModel[WarningItem]):
    """预警: binding indicators behind schedule and tasks near or past their deadline."""

    def columns(self) -> Sequence[Col[WarningItem]]:
        return _WARNING_COLUMNS


_WARNING_COLUMNS: tuple[Col[WarningItem], ...] = (
    Col("预警", lambda w: "红色" if w.light is Light.RED else "黄色",
        icon=lambda w: light_icon(w.light)),
    Col("类型", lambda w: "指标" if w.kind is WarningKind.INDICATOR else "任务"),
    Col("名称", lambda w: w.title, tooltip=lambda w: f"{w.title}\n{w.detail}"),
    Col("单位", lambda w: w.unit_name),
    Col("说明", lambda w: w.detail),
)


# a chart in a tab -------------------------------------------------------------------------------

class ChartPanel(QScrollArea):
    """A matplotlib canvas, made when first drawn (matplotlib's Qt backend takes half a second
    to import), and drawn only while shown. ``picked`` carries the id of a clicked part."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.canvas: FigureCanvasQTAgg | None = None
        self._pending: Callable[[Figure], object] | None = None
        self._last_click: object = None
        self._rows = 0

    def figure(self) -> Figure:
        if self.canvas is None:
            from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
            from matplotlib.figure import Figure

            self.canvas = FigureCanvasQTAgg(  # type: ignore[no-untyped-call]
                Figure(layout="constrained"))
            self.canvas.mpl_connect("pick_event", self._on_pick)
            self.setWidget(self.canvas)
            self._apply_rows()
        figure: Figure = self.canvas.figure
        return figure

    def set_chart(self, draw: Callable[[Figure], object], *, rows: int = 0) -> None:
        """Draw with ``draw(figure)`` now if shown, else when next shown; ``rows`` bars make
        the canvas taller than the tab (it scrolls)."""
        self._pending = draw
        self._rows = rows
        if self.isVisible():
            self.flush()

    def flush(self) -> None:
        """Draw what is waiting to be drawn."""
        draw, self._pending = self._pending, None
        if draw is None:
            return
        figure = self.figure()
        self._apply_rows()
        draw(figure)
        assert self.canvas is not None
        self.canvas.draw_idle()  # type: ignore[no-untyped-call]

    def _apply_rows(self) -> None:
        if self.canvas is not None:
            self.canvas.setMinimumHeight(min(26 * self._rows + 150, 3000) if self._rows > 12 else 0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.flush()

    def _on_pick(self, event: PickEvent) -> None:
        # Overlapping parts (a point on a target marker) are each picked by the same click.
        if event.mouseevent is self._last_click:
            return
        self._last_click = event.mouseevent
        gid = event.artist.get_gid()
        if gid:
            self.picked.emit(str(gid))


# results of the background jobs -------------------------------------------------------------

@dataclass(frozen=True)
class _Request:
    plan_id: int
    year: int
    unit_id: int | None
    generation: int


@dataclass(frozen=True)
class _Detail:
    indicator_id: int
    trend: Trend
    stations: tuple[Evaluation, ...] | None  # None: not compared (the view of one station)


@dataclass(frozen=True)
class _Loaded:
    key: object
    data: DashboardData | None = None
    detail: _Detail | None = None
    error: PlanDeskError | None = None


def _detail(db: Database, data: DashboardData, indicator_id: int, compare: bool) -> _Detail:
    trend = indicator_trend(db, data.plan_id, indicator_id, unit_id=data.unit_id)
    stations = (tuple(station_comparison(db, data.plan_id, indicator_id, data.year))
                if compare else None)
    return _Detail(indicator_id, trend, stations)


def _file_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")[:80] or "图表"


# the page ----------------------------------------------------------------------------------------

class DashboardPage(ShownPage):
    """Every indicator of the plan for a year and a unit, judged, with charts.

    Clicking a station's bar emits ``open_entry(unit_id, period)``; double-clicking a task's
    warning emits ``open_task(plan_item_id)``.
    """

    title = "汇总"
    open_entry = Signal(int, str)
    open_task = Signal(int)
    status_message = Signal(str)

    TREND_TAB, STATION_TAB, CLASS_TAB, COMPLETENESS_TAB, WARNING_TAB = range(5)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.data: DashboardData | None = None
        self.detail: _Detail | None = None
        self.class_filter: str | None = None  # a class key, or None for every class
        self._units: dict[int, OrgUnit] = {}
        self._generation = 0
        self._request: _Request | None = None
        self._detail_key: object = None
        self._detail_id: int | None = None
        self._indicator_id: int | None = None
        self._workers: set[JobWorker] = set()
        self._latest: dict[str, JobWorker] = {}  # the job of each kind whose result counts
        self._loading = False
        self._loading_detail = False

        heading = QLabel("汇总")
        heading.setObjectName("pageTitle")
        self.year_box = QComboBox()
        self.unit_label = QLabel("单位：")
        self.unit_box = QComboBox()
        self.unit_box.setMinimumWidth(240)
        self.tolerance_box = QDoubleSpinBox()
        self.tolerance_box.setRange(0, 50)
        self.tolerance_box.setDecimals(1)
        self.tolerance_box.setSingleStep(0.5)
        self.tolerance_box.setSuffix(" %")
        self.tolerance_box.setKeyboardTracking(False)
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setToolTip("重新计算（F5）")
        self.refresh_button.setShortcut("F5")
        self.export_button = QPushButton("导出图表…")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(16)
        top.addWidget(QLabel("年度："))
        top.addWidget(self.year_box)
        top.addSpacing(8)
        top.addWidget(self.unit_label)
        top.addWidget(self.unit_box)
        top.addSpacing(8)
        top.addWidget(QLabel("容差 ±"))
        top.addWidget(self.tolerance_box)
        top.addSpacing(8)
        top.addWidget(self.refresh_button)
        top.addWidget(self.export_button)
        top.addWidget(self.progress_bar)
        top.addStretch(1)

        self.summary = summary_banner("dashboardSummary")

        # the indicators ----------------------------------------------------------------
        self.model = EvaluationTableModel(self)
        self.table = read_only_table(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setMinimumSectionSize(36)
        resize_columns(self.table, {0: 32, 1: 140, 2: 46, 3: 82, 4: 60, 5: 60, 6: 56, 7: 58,
                                    8: 88, 9: 56, 10: 48}, 11)
        self.filter_label = QLabel()
        self.filter_label.setStyleSheet("color: #8a4b00;")
        self.show_all_button = QPushButton("显示全部")
        self.show_all_button.setToolTip("取消按类别筛选，显示全部指标")
        self.show_all_button.hide()
        filter_row = QHBoxLayout()
        filter_row.setContentsMargins(0, 0, 0, 0)
        filter_row.addWidget(self.filter_label, 1)
        filter_row.addWidget(self.show_all_button)
        self.judge_button = QPushButton("评判…")
        self.judge_button.setToolTip(_JUDGE_TIP)
        self.judge_button.setEnabled(False)
        filter_row.addWidget(self.judge_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filter_row)
        left_layout.addWidget(self.table, 1)

        # the charts ----------------------------------------------------------------------
        self.trend_panel = ChartPanel()
        self.station_panel = ChartPanel()
        self.class_panel = ChartPanel()
        self.completeness_panel = ChartPanel()
        self.warnings = WarningTableModel(self)
        self.warning_view = read_only_table(self.warnings)
        self.warning_view.setAlternatingRowColors(True)
        resize_columns(self.warning_view, {0: 64, 1: 44, 2: 180, 3: 130}, 4)
        self.warning_detail = QLabel(_WARNING_HINT)
        self.warning_detail.setWordWrap(True)
        self.warning_detail.setMinimumHeight(48)
        self.warning_detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.warning_detail.setStyleSheet("background: #fff8e6; color: #5c3b00; "
                                          "border-radius: 4px; padding: 6px 8px;")
        warning_panel = QWidget()
        warning_layout = QVBoxLayout(warning_panel)
        warning_layout.setContentsMargins(0, 0, 0, 0)
        warning_layout.addWidget(self.warning_view, 1)
        warning_layout.addWidget(self.warning_detail)
        self.warning_panel = warning_panel
        self.tabs = QTabWidget()
        self.tabs.addTab(self.trend_panel, "趋势")
        self.tabs.addTab(self.station_panel, "分所比较")
        self.tabs.addTab(self.class_panel, "类别分布")
        self.tabs.addTab(self.completeness_panel, "报送完整性")
        self.tabs.addTab(warning_panel, "预警")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([740, 440])
        splitter.setChildrenCollapsible(False)
        hint = QLabel(_HINT)
        hint.setStyleSheet("color: #666;")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 10)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addWidget(hint)

        self.year_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.unit_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.tolerance_box.editingFinished.connect(self._on_tolerance_edited)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self.export_chart_dialog)
        self.show_all_button.clicked.connect(lambda: self.set_class_filter(None))
        self.judge_button.clicked.connect(self.judge_current)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.warning_view.doubleClicked.connect(self._on_warning_double_clicked)
        self.warning_view.selectionModel().currentRowChanged.connect(
            self._on_warning_row_changed)
        self.tabs.currentChanged.connect(lambda _i: self._update_export_button())
        for panel in (self.trend_panel, self.station_panel, self.class_panel,
                      self.completeness_panel):
            panel.picked.connect(self._on_picked)
        context.plan_changed.connect(self._on_plan_changed)
        context.actor_changed.connect(self._on_actor_changed)
        context.data_changed.connect(self.refresh)
        self._on_plan_changed()

    # selection ----------------------------------------------------------------------------
    def year(self) -> int | None:
        data = self.year_box.currentData()
        return int(data) if data is not None else None

    def unit_id(self) -> int | None:
        data = self.unit_box.currentData()
        return int(data) if data is not None else None

    def set_year(self, year: int) -> bool:
        """Show another year of the plan (False if the plan has no such year)."""
        row = self.year_box.findData(year)
        if row < 0:
            return False
        self.year_box.setCurrentIndex(row)
        return True

    def busy(self) -> bool:
        """Whether the page is still computing (for tests and the progress bar)."""
        return self._loading or self._loading_detail

    def current_indicator(self) -> Evaluation | None:
        row = self.table.currentIndex().row()
        return self.model.record(row) if 0 <= row < self.model.rowCount() else None

    def select_indicator(self, indicator_id: int) -> bool:
        """Select the indicator's row (showing every class if it was filtered out); while
        the page computes, the indicator is shown when the result comes."""
        if self.data is None or self._loading:
            self._indicator_id = indicator_id
            self.refresh()
            return True
        if not any(e.indicator.id == indicator_id for e in self.data.evaluations):
            return False
        if self._row_of(indicator_id) is None:
            self.set_class_filter(None)
        row = self._row_of(indicator_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _row_of(self, indicator_id: int) -> int | None:
        return next((n for n, e in enumerate(self.model.records())
                     if e.indicator.id == indicator_id), None)

    # plan, user, units ------------------------------------------------------------------------
    def _on_plan_changed(self) -> None:
        plan = self.context.plan
        self.year_box.blockSignals(True)
        self.year_box.clear()
        if plan is not None:
            for year in plan.years:
                self.year_box.addItem(f"{year}年", year)
            try:
                chosen = default_year(self.context.db, plan.id, self.context.today())
            except PlanDeskError:
                chosen = plan.start_year
            self.year_box.setCurrentIndex(max(0, self.year_box.findData(chosen)))
        self.year_box.blockSignals(False)
        self._indicator_id = None
        self.class_filter = None
        self._fill_units()
        self._apply_role()
        self.refresh()

    def _on_actor_changed(self) -> None:
        self._fill_units(keep=False)
        self._apply_role()
        self.refresh()

    def _fill_units(self, *, keep: bool = True) -> None:
        """The district; reviewers and administrators may also pick a station, a station's
        clerk sees only his station. Keeps the unit shown unless ``keep`` is False."""
        plan, actor, db = self.context.plan, self.context.actor, self.context.db
        shown = self.unit_box.currentData() if keep else None
        self.unit_box.blockSignals(True)
        self.unit_box.clear()
        self._units = {}
        units: list[OrgUnit] = []
        if plan is not None:
            try:
                if actor.role is Role.CLERK and actor.org_unit_id is not None:
                    units = [get_unit(db, actor.org_unit_id)]
                else:
                    district = default_district(db, plan.id)
                    units = [district]
                    if actor.role in (Role.ADMIN, Role.REVIEWER):
                        seen: dict[int, OrgUnit] = {}
                        for year in plan.years:
                            for station in reporting_units(db, district.id, str(year)):
                                seen.setdefault(station.id, station)
                        units += seen.values()
            except PlanDeskError as exc:
                log.info("dashboard units: %s", exc.detail)
        for unit in units:
            self._units[unit.id] = unit
            self.unit_box.addItem(unit.name, unit.id)
        if shown is not None and self.unit_box.findData(shown) >= 0:
            self.unit_box.setCurrentIndex(self.unit_box.findData(shown))
        self.unit_box.blockSignals(False)
        several = self.unit_box.count() > 1
        self.unit_box.setEnabled(several)
        self.unit_box.setToolTip("" if several else "只能查看本单位")

    def _is_station(self, unit_id: int | None) -> bool:
        unit = self._units.get(unit_id) if unit_id is not None else None
        return unit is not None and unit.unit_type is UnitType.STATION

    def _apply_role(self) -> None:
        guard(self.tolerance_box, denied_reason(self.context.actor, Action.EDIT_PLAN),
              tooltip=_TOLERANCE_TIP)
        self._show_tolerance()
        self._update_judge_button()

    def _show_tolerance(self) -> None:
        self.tolerance_box.blockSignals(True)
        self.tolerance_box.setValue(get_tolerance(self.context.db) * 100)
        self.tolerance_box.blockSignals(False)

    # computing ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Compute the year's evaluation off the UI thread (later, when the page is hidden)."""
        if self._postponed():
            return
        plan, year = self.context.plan, self.year()
        self._generation += 1
        if plan is None or year is None:
            self._request = None
            self._clear("当前没有规划。" if plan is None else "该规划没有规划年度。")
            return
        unit_id = self.unit_id()
        request = _Request(plan.id, year, unit_id, self._generation)
        self._request = request
        wanted = self._indicator_id
        compare = not self._is_station(unit_id)
        today = self.context.today()
        self._detail_key = None  # a trend still coming is of the previous data
        self._loading_detail = False
        self._cancel("detail")

        def work(db: Database) -> Generator[Progress, None, object]:
            data = yield from dashboard_job(db, plan.id, year, unit_id=unit_id, today=today)
            ids = [e.indicator.id for e in data.evaluations]
            chosen = wanted if wanted in ids else (ids[0] if ids else None)
            if chosen is None:
                return _Loaded(request, data)
            yield Progress(len(ids), len(ids) + 1, "绘制趋势和各所比较")
            return _Loaded(request, data, _detail(db, data, chosen, compare))

        self._loading = True
        self._start("main", request, work, self._on_loaded)

    def _start(self, kind: str, key: object,
               work: Callable[[Database], Generator[Progress, None, object]],
               done: Callable[[object], None]) -> None:
        """Run ``work`` on a connection of its own in a pool thread, stopping the previous job
        of its kind; ``done`` gets a :class:`_Loaded` (known errors come back in it, with the
        key, so that stale ones are dropped)."""
        self._cancel(kind)
        path = self.context.path

        def guarded(db: Database) -> Generator[Progress, None, object]:
            try:
                return (yield from work(db))
            except PlanDeskError as exc:
                return _Loaded(key, error=exc)

        if path is None:  # an unsaved database: nothing to share with a thread
            done(run_job(guarded(self.context.db)))
            return

        def factory() -> Generator[Progress, None, object]:
            db = open_database(path, migrate=False)
            try:
                return (yield from guarded(db))
            finally:
                db.close()

        worker = JobWorker(factory)
        self._workers.add(worker)
        self._latest[kind] = worker

        def forget(*_args: object) -> None:
            self._workers.discard(worker)

        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(done)
        worker.signals.failed.connect(self._on_failed)
        for signal in (worker.signals.finished, worker.signals.failed, worker.signals.cancelled):
            signal.connect(forget)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("正在计算…")
        self.progress_bar.show()
        QThreadPool.globalInstance().start(worker)

    def _cancel(self, kind: str) -> None:
        worker = self._latest.pop(kind, None)
        if worker is not None:
            worker.cancel()

    def _on_progress(self, done: int, total: int, label: str) -> None:
        if not self.busy():
            return
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(label or "正在计算…")

    def _settle(self) -> None:
        if not self.busy():
            self.progress_bar.hide()

    def _on_failed(self, exc: object) -> None:
        """A bug in a job (known errors come back as results)."""
        self._loading = self._loading_detail = False
        self._settle()
        if isinstance(exc, BaseException):
            show_error(self, exc, "汇总未完成")

    def _on_loaded(self, result: object) -> None:
        from desktop.reports import charts  # loads matplotlib: only when first drawn

        assert isinstance(result, _Loaded)
        if result.key != self._request:
            return  # the plan, year or unit changed meanwhile
        self._loading = False
        if result.error is not None or result.data is None:
            self._settle()
            self._clear(result.error.user_message if result.error else "无法计算。")
            return
        data = result.data
        self.data = data
        self._show_summary(data)
        self.class_panel.set_chart(lambda f: charts.class_chart(data.counts(), f,
                                                                   year=data.year))
        self.completeness_panel.set_chart(
            lambda f: charts.completeness_chart(data.completeness, f, year=data.year),
            rows=len(data.completeness))
        self.warnings.set_records(data.warnings)
        self.warning_detail.setText(_WARNING_HINT if data.warnings else "没有预警。")
        self.tabs.setTabText(self.WARNING_TAB, f"预警（{len(data.warnings)}）")
        detail, wanted = result.detail, self._indicator_id
        if detail is not None and wanted is not None and wanted != detail.indicator_id and \
                any(e.indicator.id == wanted for e in data.evaluations):
            self._load_detail(wanted)  # the user chose another indicator meanwhile
        elif detail is not None:
            self._detail_key = None
            self._detail_id = self._indicator_id = detail.indicator_id
            self._show_detail(detail)
        self._fill_table()
        self._update_export_button()
        self._settle()

    def _load_detail(self, indicator_id: int) -> None:
        data = self.data
        if data is None:
            return
        self._indicator_id = self._detail_id = indicator_id
        key = (self._generation, indicator_id)
        self._detail_key = key
        compare = not self._is_station(data.unit_id)

        def work(db: Database) -> Generator[Progress, None, object]:
            yield Progress(0, 1, "绘制趋势和各所比较")
            return _Loaded(key, data, _detail(db, data, indicator_id, compare))

        self._loading_detail = True
        self._start("detail", key, work, self._on_detail_loaded)

    def _on_detail_loaded(self, result: object) -> None:
        assert isinstance(result, _Loaded)
        if result.key != self._detail_key:
            return
        self._loading_detail = False
        self._settle()
        if result.error is not None:
            self.status_message.emit(result.error.user_message)
            return
        if result.detail is not None:
            self._show_detail(result.detail)

    # showing -----------------------------------------------------------------------------------
    def _clear(self, message: str) -> None:
        from desktop.reports import charts  # loads matplotlib: only when first drawn

        self.data = None
        self.detail = None
        self._loading = self._loading_detail = False
        self._settle()
        self.summary.setText(message)
        self.model.set_records([])
        self.warnings.set_records([])
        self.tabs.setTabText(self.WARNING_TAB, "预警")
        self.filter_label.setText("")
        self.show_all_button.hide()
        for panel in (self.trend_panel, self.station_panel, self.class_panel,
                      self.completeness_panel):
            panel.set_chart(lambda f: charts.message_chart(message, f))
        self._update_export_button()

    def _show_summary(self, data: DashboardData) -> None:
        counts = data.counts()
        classes = "、".join(f"{cls.label} {counts[cls]}" for cls in CLASS_ORDER)
        if counts[None]:
            classes += f"、{UNCLASSIFIED_LABEL} {counts[None]}"
        red = sum(1 for w in data.warnings if w.light is Light.RED)
        yellow = sum(1 for w in data.warnings if w.light is Light.YELLOW)
        indicators = sum(1 for w in data.warnings if w.kind is WarningKind.INDICATOR)
        self.summary.setText(
            f"{data.unit_name}　{data.year}年：共 {len(data.evaluations)} 项指标，{classes}。"
            f"预警：红色 {red} 项、黄色 {yellow} 项（指标 {indicators} 项、任务 "
            f"{len(data.warnings) - indicators} 项）。容差 ±{data.tolerance * 100:g}%。")

    def _show_detail(self, detail: _Detail) -> None:
        from desktop.reports import charts  # loads matplotlib: only when first drawn

        data = self.data
        if data is None:
            return
        self.detail = detail
        trend = detail.trend
        self.trend_panel.set_chart(
            lambda f: charts.trend_chart(trend, f, selected_year=data.year))
        indicator = trend.indicator
        stations = detail.stations
        if stations is None:
            self.station_panel.set_chart(lambda f: charts.message_chart(
                "查看单个所时不作各所比较；在“单位”中选择区局即可比较各所。", f,
                title=indicator.name))
        else:
            self.station_panel.set_chart(
                lambda f: charts.station_chart(indicator, stations, f), rows=len(stations))

    def _fill_table(self) -> None:
        data = self.data
        rows = list(data.evaluations) if data else []
        if self.class_filter is not None:
            rows = [e for e in rows if class_key(e.progress_class) == self.class_filter]
            self.filter_label.setText(f"仅显示“{class_label(self.class_filter)}”的指标："
                                      f"{len(rows)} 项")
            self.show_all_button.show()
        else:
            self.filter_label.setText(f"全部指标：{len(rows)} 项" if data else "")
            self.show_all_button.hide()
        self.table.selectionModel().blockSignals(True)
        self.model.set_records(rows)
        self.table.selectionModel().blockSignals(False)
        row = self._row_of(self._indicator_id) if self._indicator_id is not None else None
        if row is not None:
            self.table.selectionModel().blockSignals(True)
            self.table.selectRow(row)
            self.table.selectionModel().blockSignals(False)
            self.table.scrollTo(self.model.index(row, 0))
        elif rows:
            self.table.selectRow(0)  # loads the first indicator's trend
        self._update_judge_button()

    def set_class_filter(self, key: str | None) -> None:
        """Show only the indicators of one class (``achieved`` … ``none``), or all."""
        self.class_filter = key
        self._fill_table()

    # clicks ------------------------------------------------------------------------------------
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_judge_button()
        if not current.isValid() or self.data is None:
            return
        evaluation = self.model.record(current.row())
        if self._loading:  # the year's result, on its way, shows this indicator
            self._indicator_id = evaluation.indicator.id
        elif evaluation.indicator.id != self._detail_id:
            self._load_detail(evaluation.indicator.id)

    def _on_picked(self, gid: str) -> None:
        match = _GID.match(gid)
        if match is None or self.data is None:
            return
        kind, value = match.groups()
        if kind == "year":
            if int(value) != self.data.year:
                self.set_year(int(value))
        elif kind == "unit":
            self.open_entry.emit(int(value), str(self.data.year))
        elif kind == "class":
            self.set_class_filter(value)

    def _on_warning_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        item = self.warnings.record(current.row())
        kind = "指标" if item.kind is WarningKind.INDICATOR else "任务"
        self.warning_detail.setText(
            f"{'红色' if item.light is Light.RED else '黄色'}预警 · {kind}“{item.title}” · "
            f"{item.unit_name}：{item.detail}")

    def _on_warning_double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        item = self.warnings.record(index.row())
        if item.kind is WarningKind.TASK and item.plan_item_id is not None:
            self.open_task.emit(item.plan_item_id)
        elif item.indicator_id is not None and self.select_indicator(item.indicator_id):
            self.tabs.setCurrentIndex(self.TREND_TAB)

    # judging ---------------------------------------------------------------------------------
    def _update_judge_button(self) -> None:
        evaluation = self.current_indicator()
        if evaluation is None or not evaluation.needs_judgement:
            self.judge_button.setEnabled(False)
            self.judge_button.setToolTip(_JUDGE_TIP)
            return
        guard(self.judge_button, denied_reason(self.context.actor, Action.JUDGE),
              tooltip=_JUDGE_TIP)

    def judge_current(self) -> None:
        """Ask the reviewer for the class of the selected indicator (undoable)."""
        evaluation = self.current_indicator()
        if evaluation is None or not evaluation.needs_judgement:
            return
        dialog = JudgeDialog(evaluation, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        actor = self.context.actor
        ind, unit, year = evaluation.indicator.id, evaluation.unit_id, evaluation.year
        new, note = dialog.chosen(), dialog.text()
        old = evaluation.progress_class if evaluation.judged_by else None
        old_note = evaluation.note.removeprefix("审核员评判：") if old else ""
        command = DatabaseCommand(
            f"评判“{evaluation.indicator.name}”", lambda: self.context.db,
            lambda d: judge(d, actor, ind, unit, year, new, note),
            lambda d: judge(d, actor, ind, unit, year, old, old_note), self.refresh)
        if not self.context.push(command) and command.error is not None:
            show_error(self, command.error)

    # tolerance -------------------------------------------------------------------------------
    def _on_tolerance_edited(self) -> None:
        new = round(self.tolerance_box.value(), 1) / 100
        db, actor = self.context.db, self.context.actor
        old = get_tolerance(db)
        if abs(new - old) < 1e-9 or denied_reason(actor, Action.EDIT_PLAN):
            return
        command = DatabaseCommand(
            f"容差改为 ±{new * 100:g}%", lambda: self.context.db,
            lambda d: set_tolerance(d, actor, new), lambda d: set_tolerance(d, actor, old),
            self._after_tolerance)
        if not self.context.push(command) and command.error is not None:
            show_error(self, command.error)

    def _after_tolerance(self) -> None:
        self._show_tolerance()
        self.refresh()

    # export ----------------------------------------------------------------------------------
    def current_panel(self) -> ChartPanel | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, ChartPanel) else None

    def _update_export_button(self) -> None:
        panel = self.current_panel()
        why = ("预警列表不是图表；请切换到一个图表。" if panel is None
               else "没有可导出的图表。" if self.data is None else "")
        guard(self.export_button, "", tooltip="把当前图表保存为 PNG 图片或 SVG 矢量图", other=why)

    def export_chart(self, path: Path) -> Path:
        """Save the chart of the current tab as PNG or SVG (by the suffix).

        Raises:
            PlanDeskError: no chart is shown, a bad suffix, or the file cannot be written.
        """
        panel = self.current_panel()
        if panel is None or self.data is None:
            raise PlanDeskError("当前没有可导出的图表，请切换到一个图表。", "no chart shown")
        from desktop.reports import charts

        panel.flush()
        return charts.save_chart(panel.figure(), path)

    def _suggested_name(self) -> str:
        tab = self.tabs.tabText(self.tabs.currentIndex())
        year = self.data.year if self.data else ""
        if self.tabs.currentIndex() in (self.TREND_TAB, self.STATION_TAB) and self.detail:
            return _file_name(f"{self.detail.trend.indicator.name}-{tab}-{year}")
        return _file_name(f"{tab}-{year}")

    def export_chart_dialog(self) -> None:
        if self.current_panel() is None or self.data is None:
            return
        start = Path(str(QSettings().value("folders/export", "")))
        name, chosen = QFileDialog.getSaveFileName(
            self, "导出图表", str(start / f"{self._suggested_name()}.png"),
            "PNG 图片 (*.png);;SVG 矢量图 (*.svg)")
        if not name:
            return
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".svg" if "svg" in chosen.lower() else ".png")
        QSettings().setValue("folders/export", str(path.parent))
        try:
            saved = self.export_chart(path)
        except PlanDeskError as exc:
            show_error(self, exc, "图表未导出")
            return
        self.status_message.emit(f"图表已导出到 {saved}")
