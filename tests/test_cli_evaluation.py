"""plandesk aggregate and plandesk evaluate on the demo database."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from desktop.cli import cli
from desktop.models.aggregation import district_values
from desktop.models.store import open_database
from desktop.models.values import DataValue, write_values


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_aggregate_json_lists_every_element_and_indicator_with_ratios_of_sums(
        demo_path: Path) -> None:
    code, out, err = run("--db", str(demo_path), "aggregate", "--period", "2024", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["unit"]["code"] == "CQ-TN"
    assert data["period_label"] == "2024年"
    assert len(data["elements"]) == 19
    assert len(data["indicators"]) == 16
    rate = next(r for r in data["indicators"] if r["name"] == "消费投诉按期办结率")
    assert rate["value"] == rate["numerator"] / rate["denominator"] * 100
    assert rate["completeness"] == "9/9"
    total = next(r for r in data["elements"] if r["code"] == "ENT_TOTAL")
    db = open_database(demo_path)
    element = db.execute("SELECT id FROM data_element WHERE code = 'ENT_TOTAL'").fetchone()[0]
    bureau = db.execute("SELECT id FROM org_unit WHERE code = 'CQ-TN'").fetchone()[0]
    assert total["value"] == district_values(db, "2024", bureau)[element].value
    db.close()


def test_aggregate_in_words_says_what_is_missing(demo_path: Path) -> None:
    db = open_database(demo_path)
    station = db.execute("SELECT id FROM org_unit WHERE code = 'CQ-TN-S01'").fetchone()[0]
    element = db.execute("SELECT id FROM data_element WHERE code = 'ENT_TOTAL'").fetchone()[0]
    write_values(db, [DataValue("202501", element, station, 4400.0)])  # one month of 2025
    db.close()
    code, out, err = run("--db", str(demo_path), "aggregate", "--period", "2025")
    assert code == 0, err
    line = next(x for x in out.splitlines() if "ENT_TOTAL" in x)
    assert "缺数" in line
    assert "0/9" in line
    assert "1 个单位只报了部分月份/季度" in line
    assert "未报齐" in err


def test_evaluate_json_gives_class_and_warning_per_indicator(demo_path: Path) -> None:
    code, out, err = run("--db", str(demo_path), "evaluate", "--year", "2024", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["indicators"]) == 16
    deaths = next(r for r in data["indicators"] if r["name"] == "万台特种设备死亡人数年平均值")
    assert deaths["class_label"] == "滞后"
    assert deaths["warning"] == "red"
    assert deaths["time_semantics"] == "年平均值"
    for row in data["indicators"]:
        assert row["class_label"] in ("提前实现", "快于预期", "基本符合预期", "滞后")
        assert row["final_target"]


def test_evaluate_in_words_and_a_wider_tolerance(demo_path: Path) -> None:
    code, out, _ = run("--db", str(demo_path), "evaluate", "--year", "2024")
    assert code == 0
    assert "2024年指标进度评价（容差 ±5%）" in out
    assert "预警：红色 1 项" in out
    code, wide, _ = run("--db", str(demo_path), "evaluate", "--year", "2024",
                        "--tolerance", "50")
    assert code == 0
    assert "容差 ±50%" in wide
    assert wide.count("滞后") < out.count("滞后")


def test_evaluate_refuses_a_year_outside_the_plan(demo_path: Path) -> None:
    code, out, err = run("--db", str(demo_path), "evaluate", "--year", "2030")
    assert code == 1
    assert "2030 年不在规划" in out + err
