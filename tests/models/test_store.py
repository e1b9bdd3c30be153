"""The SQLite store: settings, migrations with backups, and refusal of files it must not touch."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from desktop.models import store
from desktop.models.errors import (
    DatabaseTooNewError,
    DiskFullError,
    NotADatabaseError,
    ReadOnlyLocationError,
)
from desktop.models.migrations import APPLICATION_ID, MIGRATION_SET, migrations
from desktop.models.store import (
    backup_database,
    integrity_check,
    open_database,
    schema_version,
    translate_sqlite_error,
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new" / "plandesk.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert schema_version(db) == len(migrations._migrations)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema_version(db)


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO org_unit (code, name, unit_type, parent_id) "
                   "VALUES ('X', 'x', 'station', 999)")


def test_reopening_a_current_database_writes_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "plandesk.db"
    open_database(path).close()
    open_database(path).close()
    assert not (tmp_path / "backups").exists()


def test_migration_of_an_existing_database_is_preceded_by_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plandesk.db"
    db = open_database(path)
    db.execute("INSERT INTO setting (key, value) VALUES ('station', '大佛所')")
    db.close()

    newer = Migrations(MIGRATION_SET)
    for migration in migrations._migrations:
        newer(name=migration.name)(migration.fn)

    @newer(name="0002_test_column")
    def add_column(database: Database) -> None:
        database.execute("ALTER TABLE setting ADD COLUMN note TEXT")

    monkeypatch.setattr(store, "migrations", newer)
    monkeypatch.setattr(store, "migration_names", lambda: [m.name for m in newer._migrations])
    migrated = open_database(path)
    assert "note" in migrated["setting"].columns_dict
    assert migrated.execute("SELECT value FROM setting").fetchone()[0] == "大佛所"
    backups = list((tmp_path / "backups").glob("*before-migration-0002_test_column.db"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert "note" not in [r[1] for r in old.execute("PRAGMA table_info(setting)")]
    assert old.execute("SELECT value FROM setting").fetchone()[0] == "大佛所"


def test_database_from_a_newer_plandesk_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    db = open_database(path)
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
               "VALUES (?, '0099_from_the_future', '2030-01-01')", [MIGRATION_SET])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    before = digest(path)
    with pytest.raises(DatabaseTooNewError) as info:
        open_database(path)
    assert str(path) in info.value.user_message
    assert "更新版本" in info.value.user_message
    assert digest(path) == before


def test_a_foreign_sqlite_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('张三')")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(NotADatabaseError) as info:
        open_database(path)
    assert str(path) in info.value.user_message
    assert digest(path) == before
    assert not (tmp_path / "other.sqlite-wal").exists()


@pytest.mark.parametrize("content", [
    b"PK\x03\x04 this is a workbook, not a database" * 20,
    "规划任务分解表".encode() * 50,
    b"SQLite format 3\x00" + b"\xff" * 4000,
], ids=["zip", "text", "corrupt-sqlite"])
def test_a_file_that_is_not_a_database_is_refused_and_left_unchanged(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "plandesk.db"
    path.write_bytes(content)
    with pytest.raises(NotADatabaseError) as info:
        open_database(path)
    assert "不是 PlanDesk 数据库" in info.value.user_message
    assert str(path) in info.value.user_message
    assert path.read_bytes() == content


def test_a_read_only_location_is_refused_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plandesk.db"
    open_database(path).close()
    before = digest(path)
    # Tests run as root, for whom chmod does not bite; simulate what os.access reports.
    monkeypatch.setattr(store.os, "access", lambda p, mode: False)
    with pytest.raises(ReadOnlyLocationError) as info:
        open_database(path)
    assert "只读" in info.value.user_message
    assert digest(path) == before


def test_a_full_disk_becomes_a_clear_message(tmp_path: Path) -> None:
    error = translate_sqlite_error(sqlite3.OperationalError("database or disk is full"),
                                   tmp_path / "x.db")
    assert isinstance(error, DiskFullError)
    assert "磁盘空间不足" in error.user_message


def test_writing_past_the_size_limit_raises_and_keeps_earlier_data(tmp_path: Path) -> None:
    db = open_database(tmp_path / "small.db")
    db.execute("INSERT INTO setting VALUES ('kept', 'yes')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 2}")

    def fill() -> None:
        with db.atomic():
            for n in range(2000):
                db.execute("INSERT INTO setting VALUES (?, ?)", [f"k{n}", "x" * 500])

    with pytest.raises(sqlite3.OperationalError) as info:
        fill()
    assert isinstance(translate_sqlite_error(info.value, tmp_path / "small.db"), DiskFullError)
    assert db.execute("SELECT count(*) FROM setting").fetchone()[0] == 1


def test_backup_is_a_complete_copy(demo_path: Path, tmp_path: Path) -> None:
    copy = backup_database(demo_path, reason="test", dest=tmp_path / "copy.db")
    original = open_database(demo_path)
    backup = open_database(copy)
    for table in ("plan", "plan_item", "indicator", "data_value", "org_unit"):
        assert backup[table].count == original[table].count > 0
    assert integrity_check(backup) == []


def test_backup_never_overwrites_an_existing_file(demo_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    with pytest.raises(Exception, match="已存在"):
        backup_database(demo_path, reason="test", dest=target)
    assert target.read_bytes() == b"keep me"


def test_integrity_check_passes_on_the_demo(demo_db: Database) -> None:
    assert integrity_check(demo_db) == []
