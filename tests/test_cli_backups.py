"""Every import from the command line is preceded by a backup of the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli import cli
from desktop.paths import resource_path

WORKBOOKS = Path(__file__).resolve().parent / "data" / "workbooks"


@pytest.mark.parametrize(("command", "source", "tag"), [
    ("import-outline", resource_path("demo", "tongnan-plan.txt"), "import-outline"),
    ("import-indicators", WORKBOOKS / "indicators_000_clean.xlsx", "import-indicators"),
])
def test_an_import_writes_a_backup_first(tmp_path: Path, command: str, source: Path,
                                         tag: str) -> None:
    db = tmp_path / "plandesk.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", str(db), command, str(source)])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "backups").glob(f"*before-{tag}.db"))) == 1


def test_a_dry_run_writes_no_backup(tmp_path: Path) -> None:
    db = tmp_path / "plandesk.db"
    CliRunner().invoke(cli, ["--db", str(db), "init"])
    result = CliRunner().invoke(cli, ["--db", str(db), "import-indicators", "--dry-run",
                                      str(WORKBOOKS / "indicators_000_clean.xlsx")])
    assert result.exit_code == 0
    assert not (tmp_path / "backups").exists()
