"""The append-only audit trail, chained by SHA-256 so that edits outside PlanDesk show."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

GENESIS = "0" * 64


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


def _digest(prev_hash: str, at: str, user_id: int | None, username: str, action: str,
            entity: str, entity_id: str, old: str | None, new: str | None) -> str:
    payload = json.dumps([prev_hash, at, user_id, username, action, entity, entity_id, old, new],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
) -> None:
    """Append an event; call inside the transaction that makes the change it records."""
    row = db.execute("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = row[0] if row else GENESIS
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    old_json = None if old is None else json.dumps(old, ensure_ascii=False, sort_keys=True)
    new_json = None if new is None else json.dumps(new, ensure_ascii=False, sort_keys=True)
    digest = _digest(prev_hash, at, user_id, username, action, entity, str(entity_id),
                     old_json, new_json)
    db.execute(
        "INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, old_value, "
        "new_value, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at, user_id, username, action, entity, str(entity_id), old_json, new_json, prev_hash,
         digest],
    )


def list_events(db: Database, limit: int = 200) -> list[AuditEvent]:
    return [
        AuditEvent(
            id=r["id"], at=r["at"], username=r["username"], action=r["action"],
            entity=r["entity"], entity_id=r["entity_id"],
            old_value=json.loads(r["old_value"]) if r["old_value"] else None,
            new_value=json.loads(r["new_value"]) if r["new_value"] else None,
            user_id=r["user_id"],
        )
        for r in db.query("SELECT * FROM audit_event ORDER BY id DESC LIMIT ?", [limit])
    ]


def verify_chain(db: Database) -> list[int]:
    """Ids of events whose hash does not follow from their content and predecessor."""
    broken: list[int] = []
    prev = GENESIS
    for r in db.query("SELECT * FROM audit_event ORDER BY id"):
        expected = _digest(prev, r["at"], r["user_id"], r["username"], r["action"], r["entity"],
                           r["entity_id"], r["old_value"], r["new_value"])
        if r["prev_hash"] != prev or r["hash"] != expected:
            broken.append(r["id"])
        prev = r["hash"]
    return broken
