"""The 汇总 page on the demo database: the table, the charts, and where clicking them goes.

Clicks on charts are real mouse clicks on the matplotlib canvas, at the pixel of the bar or
point (matplotlib's y axis runs upwards, Qt's downwards; both scaled by the pixel ratio).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.models.evaluation import CLASS_ORDER, WarningKind, get_tolerance
from desktop.models.indicators import list_indicators
from desktop.models.orgunits import UnitType, get_unit
from desktop.views.main_window import MainWindow
from desktop.views.pages.dashboard import ChartPanel, DashboardPage

RATE = "一般事项“双随机、一公开”抽查比例"  # computed at every station: bars to compare


def open_dashboard(qtbot: QtBot, window: MainWindow) -> DashboardPage:
    page = window.show_page("汇总")
    assert isinstance(page, DashboardPage)
    settle(qtbot, page)
    return page


def settle(qtbot: QtBot, page: DashboardPage) -> None:
    """Wait for the page's background jobs, then for the current chart to be drawn."""
    qtbot.waitUntil(lambda: not page.busy() and page.data is not None, timeout=15000)


def chart(page: DashboardPage, tab: int) -> ChartPanel:
    page.tabs.setCurrentIndex(tab)
    panel = page.tabs.currentWidget()
    assert isinstance(panel, ChartPanel)
    assert panel.canvas is not None
    panel.canvas.draw()  # what the pending idle draw would do; the layout is final now
    return panel


def gid_artists(panel: ChartPanel, prefix: str) -> list[Rectangle | Line2D]:
    assert panel.canvas is not None
    found = panel.canvas.figure.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))
    return [a for a in found if isinstance(a, Rectangle | Line2D)]


def title(panel: ChartPanel) -> str:
    assert panel.canvas is not None
    return str(panel.canvas.figure.axes[0].get_title())


def click_at(panel: ChartPanel, x: float, y: float) -> None:
    """A left click on the canvas where data point (x, y) of its chart is drawn."""
    canvas = panel.canvas
    assert canvas is not None
    figure = canvas.figure
    px, py = figure.axes[0].transData.transform((x, y))
    ratio = canvas.device_pixel_ratio
    pos = QPoint(round(px / ratio), round((figure.bbox.height - py) / ratio))
    assert canvas.rect().contains(pos)
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def click_bar(panel: ChartPanel, bar: Rectangle) -> None:
    click_at(panel, bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2)


def select(qtbot: QtBot, page: DashboardPage, name: str) -> None:
    """Click the indicator's row in the table, as a user does."""
    row = next(r for r, e in enumerate(page.model.records()) if e.indicator.name == name)
    rect = page.table.visualRect(page.model.index(row, 1))
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())
    settle(qtbot, page)
    assert page.detail is not None
    assert page.detail.trend.indicator.name == name


# the table --------------------------------------------------------------------------------------

def test_the_table_lists_every_indicator_of_the_plan_with_its_class(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    plan = reviewer_window.context.plan
    assert plan is not None
    names = [i.name for i in list_indicators(reviewer_window.context.db, plan.id)]
    column = {page.model.headerData(c, Qt.Orientation.Horizontal): c
              for c in range(page.model.columnCount())}
    assert list(column)[:11] == ["序号", "指标", "属性", "实际值", "年度目标", "规划目标", "进度",
                                 "时间进度", "类别", "预警", "完整性"]
    shown = [page.model.index(r, column["指标"]).data() for r in range(page.model.rowCount())]
    assert shown == names
    assert len(names) == 16
    classes = [page.model.index(r, column["类别"]).data() for r in range(16)]
    assert set(classes) <= {c.label for c in CLASS_ORDER} | {"未评价"}
    assert classes.count("滞后") == 4
    assert page.model.index(0, column["类别"]).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert page.model.index(0, column["完整性"]).data() == "9/9"
    assert "共 16 项指标" in page.summary.text()
    assert "2024年" in page.summary.text()  # the latest year with values
    assert page.year_box.currentText() == "2024年"


def test_the_trend_of_the_selected_indicator_draws(qtbot: QtBot,
                                                    reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    panel = chart(page, page.TREND_TAB)
    assert title(panel) == "市场主体总量"  # the first indicator, selected on opening
    points = [a for a in gid_artists(panel, "year:") if a.get_marker() == "o"]
    assert sorted(str(p.get_gid()) for p in points) == [
        "year:2021", "year:2022", "year:2023", "year:2024"]
    select(qtbot, page, RATE)
    panel = chart(page, page.TREND_TAB)
    assert RATE in title(panel)
    assert panel.canvas is not None
    lines = {line.get_label() for line in panel.canvas.figure.axes[0].get_lines()}
    assert {"规划路径（基期→目标）", "年度目标", "实际值"} <= lines


def test_the_class_chart_counts_the_table(qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    panel = chart(page, page.CLASS_TAB)
    bars = [b for b in gid_artists(panel, "class:") if isinstance(b, Rectangle)]
    assert [b.get_gid() for b in bars] == ["class:achieved", "class:ahead", "class:on_track",
                                          "class:behind", "class:none"]
    assert [b.get_height() for b in bars] == [1, 3, 8, 4, 0]
    assert title(panel) == "2024年指标进度类别（共 16 项）"


# clicking goes to the details ------------------------------------------------------------------

def test_clicking_a_station_bar_opens_that_station_s_entry_for_the_year(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    select(qtbot, page, RATE)
    panel = chart(page, page.STATION_TAB)
    assert RATE in title(panel)
    bars = [b for b in gid_artists(panel, "unit:") if isinstance(b, Rectangle)]
    assert len(bars) == 9
    third = bars[2]
    unit_id = int(str(third.get_gid()).split(":")[1])
    with qtbot.waitSignal(page.open_entry, timeout=2000) as opened:
        click_bar(panel, third)
    assert opened.args == [unit_id, "2024"]
    assert reviewer_window.pages.currentWidget() is reviewer_window.entry_page
    sheet = reviewer_window.entry_page.sheet
    assert sheet is not None
    assert (sheet.unit_id, sheet.period) == (unit_id, "2024")
    assert get_unit(reviewer_window.context.db, unit_id).unit_type is UnitType.STATION


def test_clicking_a_completeness_bar_opens_that_station_s_entry(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    panel = chart(page, page.COMPLETENESS_TAB)
    assert title(panel) == "2024年各所报送完整性"
    bars = [b for b in gid_artists(panel, "unit:")
            if isinstance(b, Rectangle) and b.get_width() > 0]
    assert len(bars) == 9  # every station reported all its elements in 2024
    with qtbot.waitSignal(page.open_entry, timeout=2000) as opened:
        click_bar(panel, bars[-1])
    assert opened.args == [int(str(bars[-1].get_gid()).split(":")[1]), "2024"]


def test_clicking_a_class_bar_filters_the_table(qtbot: QtBot,
                                                reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    panel = chart(page, page.CLASS_TAB)
    behind = next(b for b in gid_artists(panel, "class:behind") if isinstance(b, Rectangle))
    click_bar(panel, behind)
    assert page.model.rowCount() == 4
    assert {e.class_label for e in page.model.records()} == {"滞后"}
    assert "滞后" in page.filter_label.text()
    assert page.show_all_button.isVisible()
    settle(qtbot, page)
    assert page.detail is not None  # the first indicator left in the list is shown
    assert page.detail.trend.indicator.id == page.model.records()[0].indicator.id
    QTest.mouseClick(page.show_all_button, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 16
    assert not page.show_all_button.isVisible()


def test_clicking_a_trend_point_changes_the_year(qtbot: QtBot,
                                                 reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    select(qtbot, page, RATE)
    panel = chart(page, page.TREND_TAB)
    point = next(a for a in gid_artists(panel, "year:2022") if a.get_marker() == "o")
    assert isinstance(point, Line2D)
    click_at(panel, point.get_xdata()[0], point.get_ydata()[0])
    assert page.year_box.currentText() == "2022年"
    settle(qtbot, page)
    assert page.data is not None
    assert page.data.year == 2022
    assert "2022年" in page.summary.text()
    panel = chart(page, page.TREND_TAB)
    assert RATE in title(panel)  # the same indicator, now in 2022
    assert panel.canvas is not None
    legend = [t.get_text() for t in panel.canvas.figure.legends[0].get_texts()]
    assert "所选年度（2022年）" in legend


def test_double_clicking_a_task_warning_shows_the_task(qtbot: QtBot,
                                                       reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    page.tabs.setCurrentIndex(page.WARNING_TAB)
    warnings = page.warnings.records()
    assert warnings
    assert [w.light.value for w in warnings] == sorted((w.light.value for w in warnings),
                                                       key=lambda v: v != "red")
    row = next(r for r, w in enumerate(warnings) if w.kind is WarningKind.TASK)
    item_id = warnings[row].plan_item_id
    view = page.warning_view
    view.scrollTo(page.warnings.index(row, 2))
    centre = view.visualRect(page.warnings.index(row, 2)).center()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert warnings[row].title in page.warning_detail.text()
    with qtbot.waitSignal(page.open_task, timeout=2000) as opened:
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert opened.args == [item_id]
    tasks = reviewer_window.tasks_page
    assert reviewer_window.pages.currentWidget() is tasks
    item = tasks.model.object_at(tasks.tree.currentIndex())
    assert item is not None
    assert item.id == item_id


def test_double_clicking_an_indicator_warning_shows_its_trend(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    page.tabs.setCurrentIndex(page.WARNING_TAB)
    warning = next(w for w in page.warnings.records() if w.kind is WarningKind.INDICATOR)
    row = page.warnings.records().index(warning)
    page.warning_view.doubleClicked.emit(page.warnings.index(row, 0))
    assert page.tabs.currentIndex() == page.TREND_TAB
    settle(qtbot, page)
    current = page.current_indicator()
    assert current is not None
    assert current.indicator.id == warning.indicator_id
    assert warning.title in title(chart(page, page.TREND_TAB))


# export -----------------------------------------------------------------------------------

def test_the_current_chart_exports_as_png_and_svg(qtbot: QtBot, reviewer_window: MainWindow,
                                                  tmp_path: Path) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    page.tabs.setCurrentIndex(page.STATION_TAB)
    assert page.export_button.isEnabled()
    png = page.export_chart(tmp_path / "分所比较.png")
    svg = page.export_chart(tmp_path / "分所比较.svg")
    assert png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    page.tabs.setCurrentIndex(page.WARNING_TAB)
    assert not page.export_button.isEnabled()
    assert "预警列表不是图表" in page.export_button.toolTip()


# who sees what ------------------------------------------------------------------------------

def test_a_clerk_sees_only_his_station(qtbot: QtBot, clerk_window: MainWindow) -> None:
    page = open_dashboard(qtbot, clerk_window)
    own = clerk_window.context.actor.org_unit_id
    assert [page.unit_box.itemData(i) for i in range(page.unit_box.count())] == [own]
    assert not page.unit_box.isEnabled()
    data = page.data
    assert data is not None
    assert data.unit_id == own
    assert 0 < len(data.evaluations) < 16  # only what a station's own figures give
    assert [c.unit_id for c in data.completeness] == [own]
    assert {w.unit_id for w in data.warnings} <= {own}
    panel = chart(page, page.STATION_TAB)
    assert not gid_artists(panel, "unit:")


def test_a_reviewer_may_pick_a_station(qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    assert page.unit_box.count() == 10  # the district and its nine stations
    page.unit_box.setCurrentIndex(3)
    settle(qtbot, page)
    assert page.data is not None
    assert page.data.unit_id == page.unit_box.itemData(3)
    assert page.data.unit_name in page.summary.text()


def test_the_tolerance_is_changed_by_those_who_edit_the_plan(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    box = page.tolerance_box
    assert box.isEnabled()
    assert box.value() == pytest.approx(5.0)
    box.setValue(20.0)
    box.editingFinished.emit()
    assert get_tolerance(reviewer_window.context.db) == pytest.approx(0.20)
    settle(qtbot, page)
    assert "容差 ±20%" in page.summary.text()
    assert page.data is not None
    assert page.data.counts()[CLASS_ORDER[3]] < 4  # fewer indicators behind with ±20%
    reviewer_window.context.undo_stack.undo()
    assert get_tolerance(reviewer_window.context.db) == pytest.approx(0.05)
    assert box.value() == pytest.approx(5.0)
    settle(qtbot, page)


def test_a_viewer_cannot_change_the_tolerance(qtbot: QtBot, viewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, viewer_window)
    assert not page.tolerance_box.isEnabled()
    assert "修改规划" in page.tolerance_box.toolTip()
    assert page.unit_box.count() == 1  # the district only


def test_a_result_for_a_year_no_longer_chosen_is_dropped(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    page.set_year(2021)
    page.set_year(2022)
    page.set_year(2023)
    settle(qtbot, page)
    qtbot.wait(200)  # any job still running reports now
    assert page.data is not None
    assert page.data.year == 2023
    assert "2023年" in page.summary.text()


def test_an_indicator_chosen_while_the_year_computes_is_the_one_shown(
        qtbot: QtBot, reviewer_window: MainWindow) -> None:
    page = open_dashboard(qtbot, reviewer_window)
    page.set_year(2023)
    assert page.busy()
    row = next(r for r, e in enumerate(page.model.records()) if e.indicator.name == RATE)
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(row, 1)).center())
    settle(qtbot, page)
    assert page.data is not None
    assert page.data.year == 2023
    assert page.detail is not None
    assert page.detail.trend.indicator.name == RATE
    current = page.current_indicator()
    assert current is not None
    assert current.indicator.name == RATE
    assert RATE in title(chart(page, page.TREND_TAB))


def add_ranking_indicator(window: MainWindow) -> str:
    """A target the numbers cannot judge, as plans print them: 全市前列."""
    from desktop.models.indicators import (
        Attribute,
        IndicatorSpec,
        TargetType,
        add_indicator,
        list_elements,
    )
    from desktop.models.store import open_database

    plan, path = window.context.plan, window.context.path
    assert plan is not None
    assert path is not None
    db = open_database(path)  # the planner's own connection: the user logged in may be a viewer
    element = next(e for e in list_elements(db) if e.code == "CONSUMER_SATISFACTION")
    add_indicator(db, plan.id, 99, IndicatorSpec(
        code="R1", seq_printed="18", name_printed="消费环境满意度排名", name="消费环境满意度排名",
        category="", attribute=Attribute.EXPECTED, baseline_text="--", target_text="全市前列",
        numerator_id=element.id, target_type=TargetType.RANKING))
    db.close()
    window.context.reload()
    return "消费环境满意度排名"


def test_a_reviewer_judges_a_ranking_target_and_can_undo_it(
        qtbot: QtBot, reviewer_window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.views.dialogs.judge_dialog import JudgeDialog

    name = add_ranking_indicator(reviewer_window)
    page = open_dashboard(qtbot, reviewer_window)
    select(qtbot, page, "市场主体总量")
    assert not page.judge_button.isEnabled()  # the numbers judge this one
    select(qtbot, page, name)
    row = next(e for e in page.model.records() if e.indicator.name == name)
    assert row.class_label == "未评价"
    assert page.judge_button.isEnabled()

    def fill(dialog: JudgeDialog) -> int:
        dialog.progress_class.setCurrentIndex(1)  # 快于预期
        dialog._on_accept()  # 确定 with no reason is refused, the dialog says why
        assert "评判依据" in dialog.error.text()
        dialog.note.setPlainText("2024 年全市消费环境测评排名第 2")
        return JudgeDialog.DialogCode.Accepted

    monkeypatch.setattr(JudgeDialog, "exec", fill)
    qtbot.mouseClick(page.judge_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    judged = next(e for e in page.model.records() if e.indicator.name == name)
    assert judged.class_label == "快于预期"
    assert judged.judged_by
    assert "排名第 2" in judged.note
    reviewer_window.context.undo_stack.undo()
    settle(qtbot, page)
    undone = next(e for e in page.model.records() if e.indicator.name == name)
    assert undone.class_label == "未评价"


def test_a_viewer_may_not_judge(qtbot: QtBot, viewer_window: MainWindow) -> None:
    name = add_ranking_indicator(viewer_window)
    page = open_dashboard(qtbot, viewer_window)
    select(qtbot, page, name)
    assert not page.judge_button.isEnabled()
    assert "评判指标" in page.judge_button.toolTip()
