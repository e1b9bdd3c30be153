"""The evaluation charts: what each one draws, what can be clicked, and the exported files."""

from __future__ import annotations

import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from matplotlib.backend_bases import MouseEvent, PickEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from desktop.models.errors import StorageError, ValidationError
from desktop.models.evaluation import (
    Evaluation,
    ProgressClass,
    Trend,
    TrendPoint,
    UnitCompleteness,
)
from desktop.models.indicators import Attribute, Direction, Indicator, TimeSemantics
from desktop.models.printed import parse_printed
from desktop.models.windows import Light
from desktop.reports import charts

RATE_NAME = "一般事项“双随机、一公开”抽查比例"


def _indicator(name: str = RATE_NAME, unit: str = "%",
               semantics: TimeSemantics = TimeSemantics.FLOW) -> Indicator:
    return Indicator(
        id=8, plan_id=1, code="I08", seq_printed="9", sort_order=9, name_printed=name,
        name=name, category="监管", attribute=Attribute.BINDING, unit_printed=unit,
        unit_canonical=unit, unit_scale=1.0, direction=Direction.UP, time_semantics=semantics,
        numerator_id=1, denominator_id=2, factor=100.0, baseline=parse_printed("3"),
        target=parse_printed("5"))


def _evaluation(unit_id: int, unit_name: str, actual: float | None,
                cls: ProgressClass | None, *, expected_value: float | None = 4.6) -> Evaluation:
    indicator = _indicator()
    return Evaluation(
        indicator=indicator, unit_id=unit_id, unit_name=unit_name, year=2024, actual=actual,
        numerator=None, denominator=None, reported=1 if actual is not None else 0, expected=1,
        baseline=3.0, annual_target=parse_printed("4.6"), final_target=indicator.target,
        expected_value=expected_value, progress=None, elapsed=0.8, progress_class=cls,
        warning=Light.NONE, note="年度目标 4.6")


def _trend() -> Trend:
    points = (TrendPoint(2020, None, None, 3.0), TrendPoint(2021, 3.38, 3.4, 3.4),
              TrendPoint(2022, None, 3.8, 3.8), TrendPoint(2023, 4.38, 4.2, 4.2),
              TrendPoint(2024, 4.53, 4.6, 4.6), TrendPoint(2025, None, 5.0, 5.0))
    return Trend(_indicator(), 2, "潼南区市场监督管理局", 2020, 2021, 2025, 3.0, 5.0, points,
                 "实际值")


STATIONS = ("潼南区市场监督管理局大佛所", "潼南区市场监督管理局龙形所",
            "潼南区市场监督管理局梓潼所")


def _stations() -> list[Evaluation]:
    return [_evaluation(13, STATIONS[0], 4.95, ProgressClass.AHEAD),
            _evaluation(17, STATIONS[1], 4.25, ProgressClass.BEHIND),
            _evaluation(21, STATIONS[2], None, None)]


def _gid_artists(figure: Figure, prefix: str) -> list[Rectangle | Line2D]:
    found = figure.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))
    return [a for a in found if isinstance(a, Rectangle | Line2D)]


def _texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))
            if hasattr(t, "get_text")]


def _click(figure: Figure, x: float, y: float) -> list[str]:
    """Click the (Agg) canvas at data point (x, y) of the first axes; the gids picked."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    picked: list[str] = []

    def on_pick(event: PickEvent) -> None:
        picked.append(str(event.artist.get_gid()))

    canvas.mpl_connect("pick_event", on_pick)
    px, py = figure.axes[0].transData.transform((x, y))
    MouseEvent("button_press_event", canvas, px, py, button=1)._process()
    return picked


# trend ---------------------------------------------------------------------------------------

def test_trend_shows_actuals_with_a_gap_for_the_missing_year() -> None:
    figure = charts.trend_chart(_trend())
    ax = figure.axes[0]
    assert RATE_NAME in ax.get_title()
    assert ax.get_ylabel() == "%"
    actual = next(line for line in ax.get_lines() if line.get_label() == "实际值")
    ys = list(actual.get_ydata())
    assert list(actual.get_xdata()) == [2020, 2021, 2022, 2023, 2024, 2025]
    assert [math.isnan(y) for y in ys] == [True, False, True, False, False, True]
    assert ys[1] == pytest.approx(3.38)
    points = _gid_artists(figure, "year:")
    markers = [p for p in points if isinstance(p, Line2D) and p.get_marker() == "o"]
    assert sorted(p.get_gid() for p in markers) == ["year:2021", "year:2023", "year:2024"]
    assert {"3.38", "4.38", "4.53"} <= set(_texts(figure))


def test_trend_draws_the_path_from_baseline_to_target_and_the_annual_targets() -> None:
    figure = charts.trend_chart(_trend())
    ax = figure.axes[0]
    path = next(line for line in ax.get_lines() if line.get_label() == "规划路径（基期→目标）")
    assert path.get_linestyle() == "--"
    assert list(path.get_xdata()) == [2020, 2025]
    assert list(path.get_ydata()) == [3.0, 5.0]
    targets = [line for line in ax.get_lines() if line.get_marker() == "_"]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in targets] == [
        (2021, 3.4), (2022, 3.8), (2023, 4.2), (2024, 4.6), (2025, 5.0)]
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["规划路径（基期→目标）", "年度目标", "实际值"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2020\n基期", "2021", "2022", "2023", "2024", "2025"]


def test_trend_shades_the_selected_year() -> None:
    figure = charts.trend_chart(_trend(), selected_year=2023)
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "所选年度（2023年）" in legend


def test_a_trend_without_values_says_so() -> None:
    empty = Trend(_indicator(), 2, "区局", 2020, 2021, 2025, None, None,
                  tuple(TrendPoint(y, None, None, None) for y in range(2020, 2026)), "实际值")
    figure = charts.trend_chart(empty)
    assert "尚无实际值" in _texts(figure)
    assert not _gid_artists(figure, "year:")


def test_clicking_a_trend_point_picks_its_year() -> None:
    figure = charts.trend_chart(_trend())
    assert _click(figure, 2023, 4.38) == ["year:2023"]


# stations ------------------------------------------------------------------------------------

def test_station_bars_are_coloured_by_class_with_the_target_line() -> None:
    figure = charts.station_chart(_indicator(), _stations())
    ax = figure.axes[0]
    assert RATE_NAME in ax.get_title()
    assert "各所比较（2024年）" in ax.get_title()
    bars = _gid_artists(figure, "unit:")
    assert [b.get_gid() for b in bars] == ["unit:13", "unit:17", "unit:21"]
    assert all(isinstance(b, Rectangle) for b in bars)
    ahead, behind, missing = bars
    assert isinstance(ahead, Rectangle)
    assert isinstance(behind, Rectangle)
    assert ahead.get_width() == pytest.approx(4.95)
    assert behind.get_width() == pytest.approx(4.25)
    assert to_hex(ahead.get_facecolor()) == charts.CLASS_COLORS[ProgressClass.AHEAD]
    assert to_hex(behind.get_facecolor()) == charts.CLASS_COLORS[ProgressClass.BEHIND]
    assert isinstance(missing, Rectangle)
    assert missing.get_facecolor()[3] == 0  # an empty bar
    assert "缺数" in _texts(figure)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["大佛所", "龙形所", "梓潼所"]
    target = [line for line in ax.get_lines() if line.get_label() == "年度目标 4.6"]
    assert [list(line.get_xdata()) for line in target] == [[4.6, 4.6]]
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["年度目标 4.6", "快于预期", "滞后", "缺数"]


def test_an_indicator_without_station_values_says_why() -> None:
    figure = charts.station_chart(_indicator(), [])
    assert not _gid_artists(figure, "unit:")
    assert any("只在全区层面计算" in t for t in _texts(figure))


def test_clicking_a_station_bar_picks_the_station() -> None:
    figure = charts.station_chart(_indicator(), _stations())
    assert _click(figure, 2.0, 1) == ["unit:17"]
    assert _click(charts.station_chart(_indicator(), _stations()), 2.0, 2) == ["unit:21"]


# classes and completeness --------------------------------------------------------------------

def test_class_chart_counts_each_class_in_order_then_unclassified() -> None:
    counts = {ProgressClass.ACHIEVED: 1, ProgressClass.AHEAD: 3, ProgressClass.ON_TRACK: 8,
              ProgressClass.BEHIND: 4, None: 2}
    figure = charts.class_chart(counts, year=2024)
    ax = figure.axes[0]
    assert ax.get_title() == "2024年指标进度类别（共 18 项）"
    bars = _gid_artists(figure, "class:")
    assert [b.get_gid() for b in bars] == ["class:achieved", "class:ahead", "class:on_track",
                                          "class:behind", "class:none"]
    assert [b.get_height() for b in bars if isinstance(b, Rectangle)] == [1, 3, 8, 4, 2]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "提前实现", "快于预期", "基本符合预期", "滞后", "未评价"]
    assert _click(figure, 3, 2) == ["class:behind"]


def test_completeness_stacks_reported_and_missing_elements() -> None:
    rows = [UnitCompleteness(13, "CQ-TN-S01", STATIONS[0], 7, 7),
            UnitCompleteness(17, "CQ-TN-S02", STATIONS[1], 4, 7),
            UnitCompleteness(21, "CQ-TN-S03", STATIONS[2], 0, 7)]
    figure = charts.completeness_chart(rows, year=2025)
    ax = figure.axes[0]
    assert ax.get_title() == "2025年各所报送完整性"
    bars = [b for b in _gid_artists(figure, "unit:") if isinstance(b, Rectangle)]
    assert len(bars) == 6
    reported = [b for b in bars if to_hex(b.get_facecolor()) == charts.REPORTED_COLOR]
    missing = [b for b in bars if to_hex(b.get_facecolor()) == charts.UNREPORTED_COLOR]
    assert [b.get_width() for b in reported] == [7, 4, 0]
    assert [(b.get_x(), b.get_width()) for b in missing] == [(7, 0), (4, 3), (0, 7)]
    assert {"7/7", "4/7", "0/7"} <= {t.strip() for t in _texts(figure)}
    assert _click(figure, 5.5, 1) == ["unit:17"]


def test_drawing_again_into_a_figure_replaces_the_chart() -> None:
    figure = Figure()
    charts.station_chart(_indicator(), _stations(), figure)
    charts.class_chart({ProgressClass.AHEAD: 2}, figure)
    assert len(figure.axes) == 1
    assert not _gid_artists(figure, "unit:")
    assert len(figure.legends) == 0


def test_long_station_names_lose_their_shared_prefix() -> None:
    assert charts.short_names(["潼南区市场监督管理局大佛所", "潼南区市场监督管理局大安所"]) == [
        "大佛所", "大安所"]
    assert charts.short_names(["区局", "大佛所"]) == ["区局", "大佛所"]
    assert charts.short_names(["潼南区市场监督管理局"]) == ["潼南区市场监督管理局"]
    assert charts.short_names(["潼南区市场监督管理局大佛所"]) == ["大佛所"]


# fonts and export ----------------------------------------------------------------------------

def test_chinese_text_renders_in_the_bundled_font() -> None:
    from matplotlib import font_manager

    figure = charts.station_chart(_indicator(), _stations())
    title = figure.axes[0].title
    found = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    assert font_manager.FontProperties(fname=found).get_name() == "WenQuanYi Micro Hei"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(figure).draw()
    assert not [w for w in caught if "missing from" in str(w.message)]


def test_charts_export_as_png_and_svg(tmp_path: Path) -> None:
    figure = charts.trend_chart(_trend())
    png = charts.save_chart(figure, tmp_path / "趋势.png")
    svg = charts.save_chart(figure, tmp_path / "趋势.SVG")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["趋势.SVG", "趋势.png"]


def test_export_refuses_other_file_types(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        charts.save_chart(charts.class_chart({}), tmp_path / "图表.jpg")
    assert ".png" in refused.value.user_message
    assert "图表.jpg" in refused.value.user_message
    assert not list(tmp_path.iterdir())


def test_export_to_an_unwritable_place_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    target = blocker / "图表.png"
    with pytest.raises(StorageError) as failed:
        charts.save_chart(charts.class_chart({}), target)
    assert str(target) in failed.value.user_message
