"""``plandesk export-plan`` and ``import-plan``: summaries in Chinese, refusals exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from desktop.cli import cli
from desktop.models.plans import create_plan
from desktop.models.store import open_database


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_then_import_into_a_new_database(demo_path: Path, tmp_path: Path) -> None:
    book = tmp_path / "规划.xlsx"
    code, out, err = run("--db", str(demo_path), "export-plan", str(book))
    assert code == 0, err
    assert "已导出规划“重庆市潼南区市场监管现代化“十四五”规划(2021-2025年)”" in out
    assert "指标 16 项" in out
    station = tmp_path / "station.db"
    code, out, err = run("--db", str(station), "import-plan", str(book))
    assert code == 0, err
    assert out.startswith("已导入“规划.xlsx”（PlanDesk 规划工作簿）：新建规划")
    assert "新建单位 49" in out
    code, out, _ = run("--db", str(station), "info", "--json")
    info = json.loads(out)
    assert (info["plans"], info["indicators"], info["units"]) == (1, 16, 49)


def test_a_dry_run_in_json_writes_nothing(demo_path: Path, tmp_path: Path) -> None:
    book = tmp_path / "规划.xlsx"
    run("--db", str(demo_path), "export-plan", str(book))
    station = tmp_path / "station.db"
    code, out, _ = run("--db", str(station), "import-plan", str(book), "--dry-run", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert data["written"] is False
    assert data["counts"]["plan_items_created"] == 178
    assert data["summary"].startswith("试导入")
    _, out, _ = run("--db", str(station), "info", "--json")
    assert json.loads(out)["plans"] == 0


def test_a_refused_import_exits_1_and_names_the_place(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "任务分解"
    ws.append(["序号", "任务", "牵头单位"])
    ws.append([1, "推进放心消费创建", "城关所"])
    ws.append([1, "推进智慧监管", "城关所"])
    path = tmp_path / "任务.xlsx"
    book.save(path)
    db = tmp_path / "plandesk.db"
    code, _, err = run("--db", str(db), "import-plan", str(path))
    assert code == 1
    assert "工作表“任务分解”，第 3 行 A 列" in err
    assert err.strip().endswith("错误：工作簿“任务.xlsx”有 1 处错误，未导入，数据库未作改动。")
    code, out, _ = run("--db", str(db), "import-plan", str(path), "--json")
    assert code == 1
    issue = json.loads(out)["issues"][0]
    assert (issue["sheet"], issue["row"], issue["column"]) == ("任务分解", 3, "A")


def test_a_hand_made_table_reports_the_units_it_created(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "任务分解"
    ws.append(["序号", "任务", "牵头单位", "配合单位", "完成时限"])
    ws.append([1, "推进放心消费创建", "城关所", "区商务委、区教委", "2027年底前"])
    path = tmp_path / "任务.xlsx"
    book.save(path)
    code, out, err = run("--db", str(tmp_path / "plandesk.db"), "import-plan", str(path))
    assert code == 0
    assert "新建单位 3" in out
    assert "已新建为区级部门" in err


def test_export_needs_a_plan_and_a_choice_among_several(tmp_path: Path) -> None:
    db_path = tmp_path / "plandesk.db"
    code, _, err = run("--db", str(db_path), "export-plan", str(tmp_path / "a.xlsx"))
    assert code == 1
    assert err.startswith("错误：数据库中还没有规划")
    db = open_database(db_path)
    create_plan(db, "A", "甲规划", start_year=2021, end_year=2025)
    create_plan(db, "B", "乙规划", start_year=2026, end_year=2030)
    db.close()
    code, _, err = run("--db", str(db_path), "export-plan", str(tmp_path / "a.xlsx"))
    assert code == 1
    assert "有 2 个规划" in err
    assert "1：甲规划" in err
    code, out, _ = run("--db", str(db_path), "export-plan", str(tmp_path / "b.xlsx"),
                       "--plan", "2")
    assert code == 0
    assert "已导出规划“乙规划”" in out
    code, _, err = run("--db", str(db_path), "export-plan", str(tmp_path / "b.xls"),
                       "--plan", "2")
    assert code == 1
    assert "应以 .xlsx 结尾" in err
