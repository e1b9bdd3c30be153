"""The append-only audit trail, chained by SHA-256 so that edits outside PlanDesk show."""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.models.progress import Progress, run_job

GENESIS = "0" * 64

# json.dumps with these options, without building an encoder per call (the importer records
# tens of thousands of events in a batch).
_value_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_payload_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    username: str
    action: str
    entity: str
    entity_id: str
    old_value: Any
    new_value: Any
    user_id: int | None = None
    source: str | None = None  # "keyboard", "file:<name> sha256:<hex>", "cli", …


@dataclass(frozen=True)
class _Pending:
    at: str
    action: str
    entity: str
    entity_id: str
    old: object
    new: object
    user_id: int | None
    username: str
    source: str | None


#: Events that must outlive the transaction they were recorded in (refusals), per database.
_PENDING: weakref.WeakKeyDictionary[Database, list[_Pending]] = weakref.WeakKeyDictionary()


def _digest(prev_hash: str, at: str, user_id: int | None, username: str, action: str,
            entity: str, entity_id: str, old: str | None, new: str | None,
            source: str | None = None) -> str:
    fields: list[object] = [prev_hash, at, user_id, username, action, entity, entity_id, old, new]
    if source is not None:  # events written before migration 0003 have no source
        fields.append(source)
    payload = _payload_json(fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Change:
    """One change of a batch recorded with :func:`record_events`."""

    action: str
    entity: str
    entity_id: str
    old: object = None
    new: object = None


def _append(db: Database, at: str, action: str, entity: str, entity_id: str, old: object,
            new: object, user_id: int | None, username: str, source: str | None) -> None:
    _insert(db, at, [Change(action, entity, entity_id, old, new)], user_id, username, source)


def _insert(db: Database, at: str, changes: Sequence[Change], user_id: int | None,
            username: str, source: str | None) -> None:
    """Chain the changes after the last event (one read) and insert them (one statement)."""
    row = db.execute("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = row[0] if row else GENESIS
    rows = []
    for change in changes:
        old_json = None if change.old is None else _value_json(change.old)
        new_json = None if change.new is None else _value_json(change.new)
        digest = _digest(prev_hash, at, user_id, username, change.action, change.entity,
                         change.entity_id, old_json, new_json, source)
        rows.append((at, user_id, username, change.action, change.entity, change.entity_id,
                     old_json, new_json, prev_hash, digest, source))
        prev_hash = digest
    db.conn.executemany(
        "INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, old_value, "
        "new_value, prev_hash, hash, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def record_events(db: Database, changes: Sequence[Change], *, user_id: int | None = None,
                  username: str = "", source: str | None = None) -> None:
    """Append one event per change, chained in order, with one read and one batch insert.

    For the importer, which records every value a file changes: as many single
    :func:`record_event` calls would read the last hash and insert once per value.
    """
    if changes:
        _insert(db, _now(), changes, user_id, username, source)


def record_event(
    db: Database,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    old: object = None,
    new: object = None,
    user_id: int | None = None,
    username: str = "",
    source: str | None = None,
) -> None:
    """Append an event; call inside the transaction that makes the change it records."""
    _append(db, _now(), action, entity, str(entity_id), old, new, user_id, username, source)


def record_lasting_event(
    db: Database,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    old: object = None,
    new: object = None,
    user_id: int | None = None,
    username: str = "",
    source: str | None = None,
) -> None:
    """Append an event that must survive the rollback of the caller's transaction (a refusal).

    Outside a transaction the event is committed at once. Inside one it is written there (so a
    commit keeps it) and also remembered: if that transaction is rolled back, the event is
    written again, with its original time, by the next lasting event or audit read made outside
    a transaction on the same connection.
    """
    pending = _Pending(_now(), action, entity, str(entity_id), old, new, user_id, username,
                       source)
    if db.conn.in_transaction:
        _append(db, pending.at, action, entity, pending.entity_id, old, new, user_id, username,
                source)
        _PENDING.setdefault(db, []).append(pending)
        return
    flush_lasting_events(db)
    with db.atomic():
        _append(db, pending.at, action, entity, pending.entity_id, old, new, user_id, username,
                source)


def flush_lasting_events(db: Database) -> int:
    """Write again the lasting events that a rolled-back transaction took away.

    Does nothing inside a transaction; returns how many events were written again.
    """
    if db.conn.in_transaction or not _PENDING.get(db):
        return 0
    pending = _PENDING.pop(db)
    written = 0
    with db.atomic():
        for event in pending:
            found = db.execute(
                "SELECT 1 FROM audit_event WHERE at = ? AND action = ? AND entity_id = ?",
                [event.at, event.action, event.entity_id]).fetchone()
            if found is None:
                _append(db, event.at, event.action, event.entity, event.entity_id, event.old,
                        event.new, event.user_id, event.username, event.source)
                written += 1
    return written


def _event(r: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=r["id"], at=r["at"], username=r["username"], action=r["action"],
        entity=r["entity"], entity_id=r["entity_id"],
        old_value=json.loads(r["old_value"]) if r["old_value"] else None,
        new_value=json.loads(r["new_value"]) if r["new_value"] else None,
        user_id=r["user_id"], source=r.get("source"),
    )


def list_events(db: Database, limit: int = 200) -> list[AuditEvent]:
    """The most recent events, newest first."""
    flush_lasting_events(db)
    return [_event(r) for r in db.query(
        "SELECT * FROM audit_event ORDER BY id DESC LIMIT ?", [limit])]


def events_for(db: Database, entity: str, entity_id: object) -> list[AuditEvent]:
    """Every event about one record (``entity``, ``entity_id``), oldest first."""
    flush_lasting_events(db)
    return [_event(r) for r in db.query(
        "SELECT * FROM audit_event WHERE entity = ? AND entity_id = ? ORDER BY id",
        [entity, str(entity_id)])]


def count_events(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM audit_event").fetchone()[0])


def verify_chain(db: Database) -> list[int]:
    """Ids of events whose hash does not follow from their content and predecessor."""
    return run_job(_verify(db))


def verify_job(database_path: Path) -> Generator[Progress, None, list[int]]:
    """:func:`verify_chain` on a connection of its own, off the UI thread (the check at start
    must not hold up the window on a large trail)."""
    from desktop.models.store import open_database

    db = open_database(database_path)
    try:
        return (yield from _verify(db))
    finally:
        db.close()


def _verify(db: Database) -> Generator[Progress, None, list[int]]:
    total = db.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    broken: list[int] = []
    prev = GENESIS
    for n, r in enumerate(db.query("SELECT * FROM audit_event ORDER BY id")):
        if n % 5000 == 0:
            yield Progress(n, total, "正在校验审计记录")
        expected = _digest(prev, r["at"], r["user_id"], r["username"], r["action"], r["entity"],
                           r["entity_id"], r["old_value"], r["new_value"], r.get("source"))
        if r["prev_hash"] != prev or r["hash"] != expected:
            broken.append(r["id"])
        prev = r["hash"]
    return broken
