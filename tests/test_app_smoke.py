"""Starting the real application process: --smoke, refused files, and bugs that must not hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def run_app(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "PLANDESK_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


def test_smoke_start_opens_the_database_and_exits_zero(tmp_path: Path) -> None:
    db = tmp_path / "smoke.db"
    result = run_app(f"from desktop.app import main; raise SystemExit(main(['--smoke', "
                     f"'--db', {str(db)!r}]))", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "smoke ok" in result.stdout
    assert db.exists()


def test_a_file_that_is_not_a_database_exits_one_with_a_chinese_message(tmp_path: Path) -> None:
    bad = tmp_path / "名单.db"
    bad.write_text("这不是数据库" * 40, encoding="utf-8")
    result = run_app(f"from desktop.app import main; raise SystemExit(main(['--smoke', "
                     f"'--db', {str(bad)!r}]))", tmp_path)
    assert result.returncode == 1
    assert "不是 PlanDesk 数据库" in result.stderr
    assert bad.read_text(encoding="utf-8") == "这不是数据库" * 40


def test_a_bug_in_the_event_loop_exits_one_instead_of_hanging(tmp_path: Path) -> None:
    code = (
        "from desktop.views import main_window as mw\n"
        "def broken(self):\n    raise RuntimeError('simulated bug')\n"
        "mw.MainWindow.close = broken\n"
        "from desktop.app import main\n"
        f"raise SystemExit(main(['--smoke', '--db', {str(tmp_path / 'x.db')!r}]))\n"
    )
    result = run_app(code, tmp_path)
    assert result.returncode == 1
    assert "simulated bug" in result.stderr
    assert "程序错误" in result.stderr
