"""Open, check, migrate and back up the one SQLite file of a PlanDesk installation."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from desktop.models.errors import (
    DatabaseTooNewError,
    DiskFullError,
    NotADatabaseError,
    ReadOnlyLocationError,
    StorageError,
)
from desktop.models.migrations import APPLICATION_ID, MIGRATION_SET, migration_names, migrations

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class FileState:
    """What the header and tables of an existing file say about it, read without writing."""

    exists: bool
    empty: bool
    application_id: int
    applied: tuple[str, ...]
    table_count: int


def open_database(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (or create) a PlanDesk database and bring its schema up to date.

    A file that is not a PlanDesk database, comes from a newer PlanDesk, or sits in a
    read-only place is refused with a :class:`StorageError` and left byte-for-byte unchanged.
    A backup copy is written before any migration of a database that already holds a schema.

    Args:
        path: The database file; its folder is created when missing.
        migrate: Apply pending migrations (only tests of old schemas pass ``False``).
    """
    path = Path(path)
    state = inspect_file(path)
    known = migration_names()
    if state.exists and not state.empty:
        is_ours = state.application_id == APPLICATION_ID or bool(state.applied)
        if not is_ours and state.table_count > 0:
            raise NotADatabaseError.for_path(path, "foreign SQLite database")
        unknown = [name for name in state.applied if name not in known]
        if unknown:
            raise DatabaseTooNewError.for_path(path, unknown)
    _check_writable(path)
    pending = [name for name in known if name not in state.applied]
    if migrate and pending and state.applied:
        backup_database(path, reason=f"before-migration-{pending[0]}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise translate_sqlite_error(exc, path) from exc
    try:
        db = Database(conn)
        configure_connection(conn)
        if migrate and pending:
            migrations.apply(db)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {len(migrations.applied(db))}")
            log.info("migrated %s: %s", path, ", ".join(pending))
    except sqlite3.Error as exc:
        conn.close()
        raise translate_sqlite_error(exc, path) from exc
    return db


def open_memory_database() -> Database:
    """A fully migrated in-memory database, for tests and dry runs."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db = Database(conn)
    configure_connection(conn)
    migrations.apply(db)
    return db


#: Helper threads SQLite may use to sort (``PRAGMA threads``): the cores, at most 4.
SORTER_THREADS = max(1, min(4, os.cpu_count() or 1))


def configure_connection(conn: sqlite3.Connection) -> None:
    """Apply the connection settings every PlanDesk connection uses."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode not in ("wal", "memory"):
        log.warning("journal mode is %s, not WAL", mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    # Large GROUP BY sorts (the roll-up of a year from months) use up to this many helper
    # threads; on two cores this takes a 1.44-million-value roll-up from 2.3 s to 1.6 s.
    conn.execute(f"PRAGMA threads = {SORTER_THREADS}")


def inspect_file(path: Path) -> FileState:
    """Read what a file is without writing to it (header bytes, then a read-only query)."""
    if not path.exists():
        return FileState(False, True, 0, (), 0)
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StorageError(f"无法读取文件“{path}”：{exc.strerror}。", str(exc)) from exc
    if not header:
        return FileState(True, True, 0, (), 0)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise NotADatabaseError.for_path(path, "no SQLite header")
    (application_id,) = struct.unpack(">I", header[68:72])
    try:
        with _read_only(path) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            applied: tuple[str, ...] = ()
            if "_sqlite_migrations" in tables:
                applied = tuple(r[0] for r in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                    (MIGRATION_SET,)))
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise NotADatabaseError.for_path(path, f"unreadable: {exc}") from exc
    return FileState(True, False, app_id or application_id, applied, len(tables))


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        yield conn
    finally:
        conn.close()


def _check_writable(path: Path) -> None:
    folder = path.parent if path.parent != Path("") else Path(".")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if path.exists() and not os.access(path, os.W_OK):
        raise ReadOnlyLocationError.for_path(path, "file not writable")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ReadOnlyLocationError.for_path(path, f"folder {existing} not writable")


def translate_sqlite_error(exc: sqlite3.Error, path: Path) -> StorageError:
    """Turn a sqlite3 error into a known error with a Chinese message naming the file."""
    text = str(exc).lower()
    if "disk is full" in text or ("disk i/o" in text and "full" in text):
        return DiskFullError(
            f"磁盘空间不足，无法写入“{path}”；本次操作已撤销，数据库保持原样。请清理磁盘后重试。",
            str(exc),
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return ReadOnlyLocationError.for_path(path, str(exc))
    if "not a database" in text or "malformed" in text:
        return NotADatabaseError.for_path(path, str(exc))
    if "locked" in text or "busy" in text:
        return StorageError(
            f"数据库“{path}”正被另一个程序长时间占用，请稍后重试。", str(exc))
    return StorageError(f"读写数据库“{path}”时出错：{exc}。", str(exc))


def backup_database(path: Path, *, reason: str, dest: Path | None = None) -> Path:
    """Copy the database with SQLite's online backup (consistent even while in use).

    Args:
        path: The database to copy.
        reason: A short English tag that goes into the backup's file name.
        dest: The file to write; by default a time-stamped file in ``backups/`` beside it.

    Returns:
        The path of the copy.
    """
    from desktop.paths import backup_dir

    if dest is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        dest = backup_dir(path) / f"{path.stem}-{stamp}-{reason}.db"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise StorageError(f"备份文件“{dest}”已存在，请另选文件名。", "backup target exists")
    try:
        with _read_only(path) as src:
            target = sqlite3.connect(str(dest))
            try:
                src.backup(target)
            finally:
                target.close()
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            dest.unlink()
        raise translate_sqlite_error(exc, dest) from exc
    log.info("backup of %s written to %s", path, dest)
    return dest


def schema_version(db: Database) -> int:
    """Number of PlanDesk migrations applied to ``db``."""
    return len(migrations.applied(db))


def integrity_check(db: Database) -> list[str]:
    """Run ``PRAGMA integrity_check`` and ``foreign_key_check``; return the problems found."""
    rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    problems = [r for r in rows if r != "ok"]
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall():
        problems.append(f"{table} row {rowid} refers to a missing {parent}")
    return problems


def database_path(db: Database) -> Path | None:
    """The file behind ``db``, or ``None`` for an in-memory database."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def backup_before_import(db: Database, what: str = "import") -> Path | None:
    """Back up the file behind ``db`` before an import (nothing for an in-memory database)."""
    path = database_path(db)
    if path is None:
        return None
    return backup_database(path, reason=f"before-{what}")
