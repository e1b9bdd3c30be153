"""Users and roles; passwords are stored only as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlite_utils import Database

from desktop.models.errors import ValidationError

# scrypt cost: about 50 ms per check on the target machines.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
MIN_PASSWORD_LENGTH = 8


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    CLERK = "clerk"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return {"admin": "管理员", "reviewer": "区局审核员", "clerk": "所填报员",
                "viewer": "查看者"}[self.value]


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    org_unit_id: int | None
    active: bool = True


def hash_password(password: str, salt: bytes | None = None) -> tuple[str, str]:
    """Return ``(hash_hex, salt_hex)`` for a password, with a fresh salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT["n"], r=_SCRYPT["r"],
                            p=_SCRYPT["p"], maxmem=_SCRYPT["maxmem"], dklen=_SCRYPT["dklen"])
    return digest.hex(), salt.hex()


def check_password(password: str, hash_hex: str, salt_hex: str) -> bool:
    candidate, _ = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(candidate, hash_hex)


def create_user(db: Database, username: str, password: str, role: Role, *,
                display_name: str = "", org_unit_id: int | None = None) -> User:
    """Create a user; a clerk must belong to a unit.

    Raises:
        ValidationError: the password is too short, or a clerk has no unit.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。", "password too short")
    if role is Role.CLERK and org_unit_id is None:
        raise ValidationError("所填报员必须指定所属单位。", "clerk without unit")
    hash_hex, salt_hex = hash_password(password)
    cursor = db.execute(
        "INSERT INTO app_user (username, display_name, role, org_unit_id, password_hash, "
        "password_salt) VALUES (?, ?, ?, ?, ?, ?)",
        [username, display_name or username, role.value, org_unit_id, hash_hex, salt_hex],
    )
    return User(int(cursor.lastrowid or 0), username, display_name or username, role,
                org_unit_id)


def list_users(db: Database) -> list[User]:
    return [
        User(r["id"], r["username"], r["display_name"], Role(r["role"]), r["org_unit_id"],
             bool(r["active"]))
        for r in db.query("SELECT * FROM app_user ORDER BY id")
    ]
