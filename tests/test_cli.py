"""The command-line companion: init, demo, info, check, backup and its error messages."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from desktop.cli import cli
from desktop.models.migrations import migration_names


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_demo_then_info_json_reports_the_demo_counts(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    code, out, _ = run("--db", db, "demo")
    assert code == 0, out
    assert "演示数据已写入" in out
    code, out, _ = run("--db", db, "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["indicators"] == 16
    assert info["plan_items"] >= 82
    assert info["tasks"] == 82
    assert info["units_by_type"]["station"] == 9
    assert info["units_by_type"]["township"] == 23
    assert info["plans"] == 1
    assert info["data_elements"] == 19
    assert info["data_values"] > 0


def test_info_in_words(demo_path: Path) -> None:
    code, out, _ = run("--db", str(demo_path), "info")
    assert code == 0
    assert "指标 16 项" in out
    assert "市场监管所 9" in out


def test_check_reports_integrity_and_schema_version(demo_path: Path) -> None:
    code, out, _ = run("--db", str(demo_path), "check")
    assert code == 0
    assert "完整性检查：通过" in out
    assert f"结构版本：{len(migration_names())}" in out
    assert "审计记录链：完好" in out


def test_check_fails_when_the_audit_chain_was_edited(demo_path: Path) -> None:
    conn = sqlite3.connect(demo_path)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET new_value = '{}'")
    conn.commit()
    conn.close()
    code, out, _ = run("--db", str(demo_path), "check")
    assert code == 1
    assert "被改动" in out


def test_backup_writes_a_copy(demo_path: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    code, out, _ = run("--db", str(demo_path), "backup", str(dest))
    assert code == 0
    assert str(dest) in out
    code, out, _ = run("--db", str(dest), "info", "--json")
    assert json.loads(out)["indicators"] == 16


def test_backup_without_destination_goes_to_the_backups_folder(demo_path: Path) -> None:
    code, _, _ = run("--db", str(demo_path), "backup")
    assert code == 0
    assert len(list((demo_path.parent / "backups").glob("*manual.db"))) == 1


def test_demo_into_a_database_with_a_plan_is_refused(demo_path: Path) -> None:
    code, _, err = run("--db", str(demo_path), "demo")
    assert code == 1
    assert "错误：" in err
    assert "空数据库" in err


def test_a_file_that_is_not_a_database_gets_a_chinese_message_and_stays_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 500)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code, _, err = run("--db", str(path), "info")
    assert code == 1
    assert "不是 PlanDesk 数据库" in err
    assert str(path) in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_init_creates_an_empty_current_database(tmp_path: Path) -> None:
    code, out, _ = run("--db", str(tmp_path / "sub" / "new.db"), "init")
    assert code == 0
    assert f"结构版本 {len(migration_names())}" in out


def test_the_cli_never_imports_qt(tmp_path: Path) -> None:
    script = (
        "import sys; from desktop.cli import main; sys.argv=['plandesk','--db',"
        f"{str(tmp_path / 'x.db')!r},'init']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
