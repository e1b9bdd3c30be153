"""Frozen databases of every earlier schema open in this PlanDesk with their data intact."""

from __future__ import annotations

import shutil
from datetime import date
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


def test_there_is_a_frozen_database_for_the_second_schema() -> None:
    assert "schema-0002-demo.db" in [p.name for p in FROZEN]


def test_the_reporting_cycle_works_on_a_migrated_0002_database(tmp_path: Path) -> None:
    from desktop.models.auth import authenticate
    from desktop.models.values import SubmissionStatus
    from desktop.models.windows import Timeliness, board, get_window
    from desktop.models.workflow import (
        changed_since_approval,
        diff_since_return,
        list_submissions,
        reopen,
        versions,
    )

    path = tmp_path / "plandesk.db"
    shutil.copy(DATA / "schema-0002-demo.db", path)
    db = open_database(path)
    old_events = db.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    assert old_events > 1
    assert db.execute("SELECT count(*) FROM audit_event WHERE source IS NOT NULL"
                      ).fetchone()[0] == 0
    subs = list_submissions(db, 1)
    assert len(subs) == 36
    assert {s.version for s in subs} == {0}
    assert get_window(db, 1, "2024") is None
    # approved before versions were kept: no snapshot, no false "changed since approval"
    assert changed_since_approval(db, 1) == []
    approved = next(s for s in subs if s.status is SubmissionStatus.APPROVED)
    assert versions(db, approved.id) == []
    actor = authenticate(db, "admin", "frozen-0002-admin")
    reopened = reopen(db, actor, approved.id, "迁移后更正")
    assert reopened.version == 1
    assert diff_since_return(db, approved.id) == []
    cells = board(db, 1, [approved.period], today=date(2024, 3, 1)).cells
    assert cells[(approved.org_unit_id, approved.period)].timeliness is Timeliness.RETURNED
    assert verify_chain(db) == []
    assert db.execute("SELECT count(*) FROM audit_event WHERE source IS NOT NULL"
                      ).fetchone()[0] > 0
