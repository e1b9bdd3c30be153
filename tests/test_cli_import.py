"""``plandesk import``: returns in bulk, per-file status, ``--json``, ``--dry-run``, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from desktop.cli import cli
from desktop.excel.template_format import SHEET_ENTRY, SHEET_META, TemplateMeta
from desktop.excel.templates import build_template
from desktop.models.orgunits import get_unit_by_code
from desktop.models.plans import list_plans
from desktop.models.store import open_database

STATION = "CQ-TN-S01"
OTHER_STATION = "CQ-TN-S02"
PERIOD = "2025"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def make_return(db_path: Path, folder: Path, code: str = STATION, *,
                bump: int = 0, formula: bool = False) -> Path:
    """A station's template for 2025, filled with 5% more than its 2024 figures."""
    db = open_database(db_path)
    try:
        unit = get_unit_by_code(db, code)
        book = build_template(db, list_plans(db)[0].id, unit.id, PERIOD)
        last = {r[0]: r[1] for r in db.execute(
            "SELECT e.code, v.value FROM data_value v JOIN data_element e ON e.id = v.element_id "
            "WHERE v.org_unit_id = ? AND v.period = '2024'", [unit.id])}
    finally:
        db.close()
    rows = {str(k): "" if v is None else str(v)
            for k, v in book[SHEET_META].iter_rows(values_only=True)}
    meta = TemplateMeta.from_rows(rows)
    ws = book[SHEET_ENTRY]
    for row, element in meta.element_rows.items():
        value: Any = round(last[element] * 1.05) + (bump if element == "ENT_TOTAL" else 0)
        ws.cell(row, 5).value = "=1+1" if formula and element == "ENT_TOTAL" else value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{PERIOD}_{code}.xlsx"
    book.save(path)
    return path


def test_import_writes_new_returns_and_reports_each_file(demo_path: Path,
                                                        tmp_path: Path) -> None:
    make_return(demo_path, tmp_path / "in", STATION)
    make_return(demo_path, tmp_path / "in", OTHER_STATION)
    code, out, err = run("--db", str(demo_path), "import", str(tmp_path / "in"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"[新报送] in/{PERIOD}_{STATION}.xlsx（潼南区市场监督管理局大佛所 "
                               "2025年）：数值 7 项")
    assert lines[0].endswith("已写入：数值 7 项，任务进展 0 项。")
    assert lines[-1].startswith("导入完成：共 2 个文件，已导入 2 个。导入前的数据库已备份到 ")
    # The same files again are identical duplicates: nothing written, exit status 0.
    code, out, _ = run("--db", str(demo_path), "import", str(tmp_path / "in"))
    assert code == 0
    assert "重复（未写入） 2 个" in out
    assert "备份" not in out


def test_json_lists_status_unit_period_counts_and_errors(demo_path: Path,
                                                        tmp_path: Path) -> None:
    good = make_return(demo_path, tmp_path / "a", STATION)
    bad = make_return(demo_path, tmp_path / "b", OTHER_STATION, formula=True)
    code, out, _ = run("--db", str(demo_path), "import", str(good), str(bad), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["dry_run"] is False
    assert data["backup"]
    first, second = data["files"]
    assert first["status"] == "new"
    assert first["outcome"] == "imported"
    assert first["unit"] == {"code": STATION, "name": "潼南区市场监督管理局大佛所"}
    assert first["period"] == PERIOD
    assert first["plan"] == "TN-SCJG-14"
    assert first["counts"] == {"values": 7, "comments": 0, "tasks": 0, "changes": 0,
                               "errors": 0, "warnings": 0}
    assert first["errors"] == []
    assert second["status"] == "rejected"
    assert second["outcome"] == "refused"
    error = second["errors"][0]
    assert (error["file"], error["sheet"], error["column"]) == (bad.name, "填报", "E")
    assert "是公式" in error["message"]
    assert error["text"].startswith(f"文件 {bad.name}，工作表“填报”，第 ")
    assert data["counts"] == {"new": 1, "resubmission": 0, "duplicate": 0, "rejected": 1}
    assert data["outcomes"] == {"imported": 1, "refused": 1}


def test_a_dry_run_writes_nothing(demo_path: Path, tmp_path: Path) -> None:
    path = make_return(demo_path, tmp_path, STATION)
    code, out, _ = run("--db", str(demo_path), "import", str(path), "--dry-run", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["dry_run"] is True
    assert data["backup"] is None
    assert data["files"][0]["outcome"] == "would_import"
    code, out, _ = run("--db", str(demo_path), "import", str(path), "--dry-run")
    assert code == 0
    assert out.splitlines()[-1] == "试导入（未写入数据库）：共 1 个文件，可导入 1 个。"
    # Still new: the dry runs wrote nothing.
    _, out, _ = run("--db", str(demo_path), "import", str(path), "--dry-run", "--json")
    assert json.loads(out)["files"][0]["status"] == "new"


def test_a_resubmission_needs_yes(demo_path: Path, tmp_path: Path) -> None:
    first = make_return(demo_path, tmp_path / "a", STATION)
    assert run("--db", str(demo_path), "import", str(first))[0] == 0
    changed = make_return(demo_path, tmp_path / "b", STATION, bump=7)
    code, out, err = run("--db", str(demo_path), "import", str(changed))
    assert code == 1
    assert out.startswith(f"[重新报送] {changed.name}")
    assert "  改动：E7 市场主体数（本期数值）：" in out
    assert "加 --yes" in err
    code, out, _ = run("--db", str(demo_path), "import", str(changed), "--yes")
    assert code == 0
    assert "已覆盖" in out


def test_a_refused_file_exits_1_and_names_file_sheet_and_cell(demo_path: Path,
                                                              tmp_path: Path) -> None:
    bad = make_return(demo_path, tmp_path, STATION, formula=True)
    code, out, err = run("--db", str(demo_path), "import", str(bad))
    assert code == 1
    assert out.startswith(f"[拒绝] {bad.name}")
    assert f"错误：文件 {bad.name}，工作表“填报”，第 7 行 E 列：" in err
    assert out.splitlines()[-1] == "导入完成：共 1 个文件，拒绝 1 个。"


def test_files_of_another_period_are_refused_when_a_period_is_given(
        demo_path: Path, tmp_path: Path) -> None:
    path = make_return(demo_path, tmp_path, STATION)
    code, _, err = run("--db", str(demo_path), "import", str(path), "--period", "2024")
    assert code == 1
    assert "不是本次导入的2024年" in err


def test_a_missing_path_is_a_refused_file(demo_path: Path, tmp_path: Path) -> None:
    code, out, err = run("--db", str(demo_path), "import", str(tmp_path / "nope.xlsx"),
                         "--json")
    assert code == 1
    assert json.loads(out)["files"][0]["status"] == "rejected"
    assert err == ""
