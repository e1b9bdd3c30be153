"""Domain settings stored in the database (they travel with the data), and the installation key."""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils import Database

INSTALLATION_KEY = "installation_key"


def get_setting(db: Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM setting WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_setting(db: Database, key: str, value: str) -> None:
    db.execute("INSERT INTO setting (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])


def installation_key(db: Database) -> bytes:
    """This installation's secret for signing workbooks it sends out (made on first use).

    It never leaves the database and is never logged.
    """
    value = get_setting(db, INSTALLATION_KEY)
    if value is None:
        value = secrets.token_hex(32)
        set_setting(db, INSTALLATION_KEY, value)
    return bytes.fromhex(value)


def installation_id(db: Database) -> str:
    """A public fingerprint of the installation key, written into the workbooks it signs."""
    return hashlib.sha256(installation_key(db)).hexdigest()[:16]
