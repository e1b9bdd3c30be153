"""Frozen databases of every earlier schema open in this PlanDesk with their data intact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop.models.audit import verify_chain
from desktop.models.migrations import migration_names
from desktop.models.store import integrity_check, open_database, schema_version
from desktop.models.summary import summarise_database
from desktop.models.users import list_users

DATA = Path(__file__).resolve().parent.parent / "data"
FROZEN = sorted(DATA.glob("schema-*.db"))


@pytest.mark.parametrize("frozen", FROZEN, ids=[p.stem for p in FROZEN])
def test_an_older_database_migrates_after_a_backup(frozen: Path, tmp_path: Path) -> None:
    path = tmp_path / "plandesk.db"
    shutil.copy(frozen, path)
    db = open_database(path)
    assert schema_version(db) == len(migration_names())
    backups = list((tmp_path / "backups").glob("*before-migration-*.db"))
    assert len(backups) == 1
    summary = summarise_database(db)
    assert summary.indicators == 16
    assert summary.tasks == 82
    assert summary.data_values == 300
    assert [u.username for u in list_users(db)] == ["admin"]
    assert integrity_check(db) == []
    assert verify_chain(db) == []


def test_there_is_a_frozen_database_for_the_first_schema() -> None:
    assert next(p.name for p in FROZEN) == "schema-0001-demo.db"
