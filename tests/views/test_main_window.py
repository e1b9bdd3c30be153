"""The main window as a user meets it: pages, the indicator list, trees, menus, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.models.indicators import Attribute
from desktop.views.main_window import MainWindow
from desktop.views.pages.indicators import IndicatorsPage
from desktop.views.pages.overview import OverviewPage
from desktop.views.pages.placeholder import PlaceholderPage
from desktop.views.pages.tasks import TasksPage
from desktop.views.pages.units import UnitsPage

PAGES = ["规划总览", "指标", "任务", "单位", "收件箱", "填报", "审核", "汇总", "考核", "报表",
         "设置"]


def column_texts(page: IndicatorsPage, title_part: str) -> list[str]:
    model = page.proxy
    column = next(c for c in range(model.columnCount())
                  if title_part in model.headerData(c, Qt.Orientation.Horizontal))
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_navigation_lists_every_page_and_each_one_opens(window: MainWindow) -> None:
    assert window.page_titles() == PAGES
    for row, title in enumerate(PAGES):
        page = window.show_page(title)
        assert window.pages.currentIndex() == row
        assert page.isVisible()


def test_pages_not_built_yet_say_so(window: MainWindow) -> None:
    for title in PAGES[8:]:
        page = window.show_page(title)
        assert isinstance(page, PlaceholderPage)
        assert "尚未建成" in page.notice.text()


def test_overview_shows_the_plan_header_and_counts(window: MainWindow) -> None:
    page = window.show_page("规划总览")
    assert isinstance(page, OverviewPage)
    assert "潼南区市场监管现代化" in page.plan_title.text()
    assert page.fields["doc_number"].text() == "潼南府发〔2022〕2号"
    assert page.fields["period"].text() == "2021—2025年"
    assert page.cards["tasks"].value.text() == "82"
    assert page.cards["indicators"].value.text() == "16"
    assert "约束性 4 项" in page.cards["indicators"].detail.text()
    assert page.demo_banner.isVisibleTo(page)


def test_indicator_list_shows_16_indicators_with_printed_values(window: MainWindow) -> None:
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    assert page.proxy.rowCount() == 16
    assert column_texts(page, "序号")[:3] == ["1", "3", "4"]
    targets = column_texts(page, "目标值")
    baselines = column_texts(page, "基期值")
    assert targets.count(">98") == 2
    assert ">4" in targets
    assert baselines.count("--") == 4
    assert "基期值（2020年）" in [page.proxy.headerData(c, Qt.Orientation.Horizontal)
                                 for c in range(page.proxy.columnCount())]


def test_indicator_list_filters_by_category_and_attribute(window: MainWindow) -> None:
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    page.category_box.setCurrentIndex(page.category_box.findData("市场安全"))
    assert page.proxy.rowCount() == 9
    page.attribute_box.setCurrentIndex(page.attribute_box.findData(Attribute.BINDING))
    assert column_texts(page, "序号") == ["9", "10", "14", "15"]
    assert page.count_label.text() == "显示 4 / 16 项"
    page.category_box.setCurrentIndex(0)
    page.attribute_box.setCurrentIndex(0)
    page.search.setText("满意度")
    assert column_texts(page, "序号") == ["8", "12", "16"]


def test_indicator_list_sorts_by_printed_target_value(window: MainWindow) -> None:
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    column = next(c for c in range(page.proxy.columnCount())
                  if "目标值" in page.proxy.headerData(c, Qt.Orientation.Horizontal))
    page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    assert column_texts(page, "目标值")[0] == "1400"
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert column_texts(page, "序号")[-1] == "17"


def test_selecting_an_indicator_shows_formula_and_annual_targets(window: MainWindow) -> None:
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    row = column_texts(page, "序号").index("15")
    page.table.selectRow(row)
    text = page.detail.toPlainText()
    assert "Σ消费投诉按期办结件数 ÷ Σ消费投诉受理件数 × 100" in text
    assert "2025年：95" in text
    assert "专栏1" in text


def test_task_tree_shows_the_outline(window: MainWindow) -> None:
    page = window.show_page("任务")
    assert isinstance(page, TasksPage)
    assert "任务 82 项" in page.summary.text()
    titles = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert titles[4] == "第五章 主要任务"
    chapter = page.model.index(4, 0)
    assert page.model.rowCount(chapter) == 7
    assert page.tree.isExpanded(chapter)
    assert not page.tree.isExpanded(page.model.index(0, 0))  # 第一章 holds no tasks


def test_unit_tree_shows_stations_with_their_townships(window: MainWindow) -> None:
    page = window.show_page("单位")
    assert isinstance(page, UnitsPage)
    assert "市场监管所 9 个" in page.summary.text()
    model = page.model
    city = model.index(0, 0)
    bureau = model.index(0, 0, city)
    assert bureau.data() == "潼南区市场监督管理局"
    names = [model.index(r, 0, bureau).data() for r in range(model.rowCount(bureau))]
    assert "潼南区市场监督管理局大佛所" in names
    row = names.index("潼南区市场监督管理局大佛所")
    assert model.index(row, 3, bureau).data() == "大佛街道、双江镇、田家镇"


def test_menus_reach_pages_by_keyboard(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window.nav, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentIndex() == 2
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["文件(&F)", "编辑(&E)", "视图(&V)", "报送(&R)", "帮助(&H)"]


def test_window_geometry_is_kept_between_sessions(window: MainWindow, qtbot: QtBot) -> None:
    window.setGeometry(40, 30, 1000, 600)
    saved = window.geometry()
    window.close()
    assert QSettings().value("window/geometry") is not None
    again = MainWindow(window.context)
    qtbot.addWidget(again)
    assert again.geometry() == saved


def test_empty_database_offers_the_demo_and_builds_it(empty_window: MainWindow,
                                                       qtbot: QtBot) -> None:
    page = empty_window.show_page("规划总览")
    assert isinstance(page, OverviewPage)
    assert page.stack.currentIndex() == 0
    assert "还没有规划" in page.empty_label.text()
    page.demo_button.click()
    qtbot.waitUntil(lambda: empty_window.context.plan is not None, timeout=20000)
    assert page.stack.currentIndex() == 1
    indicators = empty_window.show_page("指标")
    assert isinstance(indicators, IndicatorsPage)
    assert indicators.proxy.rowCount() == 16


def test_opening_a_foreign_file_keeps_the_current_database(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: shown.append(text))
    bad = tmp_path / "notes.db"
    bad.write_text("不是数据库" * 100, encoding="utf-8")
    assert not window.switch_database(bad)
    assert shown
    assert "不是 PlanDesk 数据库" in shown[0]
    assert str(bad) in shown[0]
    assert window.context.plan is not None
    assert bad.read_text(encoding="utf-8") == "不是数据库" * 100


def test_switching_to_another_database_reloads_every_page(
    window: MainWindow, tmp_path: Path
) -> None:
    assert window.switch_database(tmp_path / "fresh.db")
    assert window.context.plan is None
    page = window.show_page("指标")
    assert isinstance(page, IndicatorsPage)
    assert page.proxy.rowCount() == 0
    assert "fresh.db" in window.db_label.text()
