"""``plandesk templates``: one workbook per unit, a Chinese summary, refusals exit 1."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner

from desktop.cli import cli
from desktop.excel.template_format import SHEET_META, TemplateMeta
from desktop.models.orgunits import UnitType, list_units, update_unit
from desktop.models.store import open_database


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def unit_code_of(path: Path) -> str:
    from openpyxl import load_workbook

    rows = {str(k): str(v) for k, v in load_workbook(path)[SHEET_META].iter_rows(values_only=True)}
    return TemplateMeta.from_rows(rows).unit_code


def test_by_default_every_station_gets_a_template(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "模板"
    code, stdout, stderr = run("--db", str(demo_path), "templates", "--period", "2024",
                               "--out", str(out))
    assert code == 0, stderr
    files = sorted(out.glob("*.xlsx"))
    assert len(files) == 9
    assert [unit_code_of(f) for f in files] == [f"CQ-TN-S{i:02d}" for i in range(1, 10)]
    assert "2024年的填报模板 9 份" in stdout
    assert "2024_CQ-TN-S02_龙形所.xlsx（潼南区市场监督管理局龙形所：数据项 7 个" in stdout


def test_the_district_bureau_by_its_code_and_stations_on_request(demo_path: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run("--db", str(demo_path), "templates", "--period", "2024",
                               "--unit", "CQ-TN", "--out", str(out))
    assert code == 0, stderr
    assert [p.name for p in out.iterdir()] == ["2024_CQ-TN_潼南区局.xlsx"]
    assert "数据项 12 个" in stdout
    code, stdout, stderr = run("--db", str(demo_path), "templates", "--period", "2024S1",
                               "--unit", "CQ-TN", "--all-stations", "--out", str(out))
    assert code == 0, stderr
    assert len(list(out.glob("2024S1_*.xlsx"))) == 10
    assert "2024年上半年的填报模板 10 份" in stdout


def test_zip_output(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run("--db", str(demo_path), "templates", "--period", "2024Q3",
                               "--unit", "CQ-TN-S01", "--unit", "CQ-TN-S03", "--out", str(out),
                               "--zip", "第三季度")
    assert code == 0, stderr
    with zipfile.ZipFile(out / "第三季度.zip") as archive:
        assert sorted(archive.namelist()) == ["2024Q3_CQ-TN-S01_大佛所.xlsx",
                                              "2024Q3_CQ-TN-S03_梓潼所.xlsx"]
    assert f"已压缩为 {out / '第三季度.zip'}" in stdout


def test_closed_stations_are_left_out(demo_path: Path, tmp_path: Path) -> None:
    db = open_database(demo_path)
    first = list_units(db, UnitType.STATION)[0]
    update_unit(db, first.id, closed_on="2023-12-31")
    db.close()
    out = tmp_path / "out"
    code, _, stderr = run("--db", str(demo_path), "templates", "--period", "2024",
                          "--out", str(out))
    assert code == 0, stderr
    assert len(list(out.glob("*.xlsx"))) == 8
    assert not list(out.glob(f"*_{first.code}_*"))


def test_an_unknown_unit_or_period_exits_1_in_chinese(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = run("--db", str(demo_path), "templates", "--period", "2024",
                          "--unit", "CQ-XX", "--out", str(out))
    assert code == 1
    assert stderr.startswith("错误：找不到代码为“CQ-XX”的单位")
    code, _, stderr = run("--db", str(demo_path), "templates", "--period", "2024年",
                          "--out", str(out))
    assert code == 1
    assert stderr.startswith("错误：期间“2024年”的写法不正确")
    code, _, stderr = run("--db", str(demo_path), "templates", "--period", "2019",
                          "--out", str(out))
    assert code == 1
    assert "不在规划" in stderr
    assert not out.exists() or not list(out.iterdir())


def test_a_database_without_a_plan_is_refused(tmp_path: Path) -> None:
    code, _, stderr = run("--db", str(tmp_path / "empty.db"), "templates", "--period", "2024",
                          "--out", str(tmp_path / "out"))
    assert code == 1
    assert stderr.startswith("错误：")
