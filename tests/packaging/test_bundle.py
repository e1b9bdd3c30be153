"""Run the bundle built by `make package` (dist/plandesk/); skipped when it is absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "plandesk"
SUFFIX = ".exe" if sys.platform == "win32" else ""
APP = BUNDLE / f"plandesk{SUFFIX}"
CLI = BUNDLE / f"plandesk-cli{SUFFIX}"
TIMEOUT = 180  # a cold first start of a 200 MB bundle on a slow disk

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not APP.exists(), reason=f"no bundle at {APP}: run `make package` first"),
]


def run(program: Path, *args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a bundled program with its data, settings and logs kept under ``home``."""
    environ = dict(os.environ, QT_QPA_PLATFORM="offscreen", PLANDESK_DATA_DIR=str(home / "data"),
                   XDG_CONFIG_HOME=str(home / "config"), **env)
    return subprocess.run([str(program), *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", env=environ, timeout=TIMEOUT,
                          check=False)


def test_smoke_start_opens_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "smoke.db"
    done = run(APP, "--smoke", "--db", str(db), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "smoke ok" in done.stdout
    assert db.is_file()


def test_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "不是数据库.db"
    content = b"PlanDesk test: these bytes are not an SQLite database.\n" * 50
    target.write_bytes(content)
    done = run(APP, "--smoke", "--db", str(target), home=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "不是 PlanDesk 数据库" in done.stderr
    assert str(target) in done.stderr
    assert "smoke ok" not in done.stdout
    assert target.read_bytes() == content
    assert sorted(p.name for p in tmp_path.glob("不是数据库*")) == [target.name]


def test_bundle_has_libraries_translations_and_font(tmp_path: Path) -> None:
    done = run(APP, home=tmp_path, PLANDESK_BUNDLE_CHECK="1")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["frozen"] is True
    assert report["import_failures"] == {}
    assert report["qtbase_zh_CN"] is True
    assert report["sample"] == "取消"
    assert report["font"] is True


@pytest.mark.skipif(not CLI.exists(), reason=f"no command-line tool at {CLI}")
def test_bundled_cli_builds_the_demo_database(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = run(CLI, "--db", str(db), "demo", home=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run(CLI, "--db", str(db), "info", "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["indicators"] == 16
