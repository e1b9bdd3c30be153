"""Who is acting: logging in (with lockout after repeated failures) and managing users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from desktop.models.audit import record_event
from desktop.models.errors import NotFoundError, PermissionDenied, ValidationError
from desktop.models.users import MIN_PASSWORD_LENGTH, Role, User, check_password, hash_password
from desktop.models.users import create_user as _insert_user

LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 5
COMMAND_LINE_NAME = "命令行"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, or the command line."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    org_unit_id: int | None

    @property
    def label(self) -> str:
        """The name and role, as messages and title bars show them: 张三（所填报员）."""
        return f"{self.display_name or self.username}（{self.role.label}）"

    @classmethod
    def command_line(cls) -> Actor:
        """The administrator acting through ``plandesk`` commands (no login)."""
        return cls(None, COMMAND_LINE_NAME, COMMAND_LINE_NAME, Role.ADMIN, None)

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a stored user."""
        return cls(user.id, user.username, user.display_name, user.role, user.org_unit_id)


class LoginError(PermissionDenied):
    """A login was refused: wrong password, locked, inactive or unknown user."""

    default_message = "用户名或密码不正确，请检查后重新输入。"


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_stamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _user(row: dict[str, Any]) -> User:
    return User(row["id"], row["username"], row["display_name"], Role(row["role"]),
                row["org_unit_id"], bool(row["active"]))


def _row(db: Database, user_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM app_user WHERE id = ?", [user_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {user_id} 的用户，可能已被删除。请刷新用户列表。",
                            f"user {user_id}")
    return rows[0]


def get_user(db: Database, user_id: int) -> User:
    """A stored user.

    Raises:
        NotFoundError: there is no such user.
    """
    return _user(_row(db, user_id))


def has_users(db: Database) -> bool:
    """Whether any user exists (the first start creates the administrator)."""
    return db.execute("SELECT 1 FROM app_user LIMIT 1").fetchone() is not None


def _require_admin(db: Database, actor: Actor, what: str) -> None:
    from desktop.models.permissions import Action, require

    require(db, actor, Action.MANAGE_USERS, what=what)


def _check_new_user(db: Database, username: str, role: Role, org_unit_id: int | None) -> str:
    name = username.strip()
    if not name:
        raise ValidationError("请填写用户名。", "empty username")
    if db.execute("SELECT 1 FROM app_user WHERE username = ?", [name]).fetchone():
        raise ValidationError(f"用户名“{name}”已被使用，请换一个用户名。", "duplicate username")
    if org_unit_id is not None and not db.execute(
            "SELECT 1 FROM org_unit WHERE id = ?", [org_unit_id]).fetchone():
        raise ValidationError("所选单位不存在，请重新选择所属单位。", f"unit {org_unit_id}")
    if role is Role.CLERK and org_unit_id is None:
        raise ValidationError("所填报员必须指定所属单位。", "clerk without unit")
    return name


def create_first_admin(db: Database, username: str, password: str,
                       display_name: str = "") -> Actor:
    """Create the administrator on the first start (when there is no user at all).

    Raises:
        PermissionDenied: a user exists already.
        ValidationError: the name is empty or taken, or the password is too short.
    """
    with db.atomic():
        if has_users(db):
            raise PermissionDenied(
                "系统中已有用户，不能再创建初始管理员。请用管理员账号登录后在“用户管理”中添加用户。",
                "first admin exists")
        name = _check_new_user(db, username, Role.ADMIN, None)
        user = _insert_user(db, name, password, Role.ADMIN, display_name=display_name.strip())
        record_event(db, "user.create", "app_user", user.id,
                     new={"username": name, "role": Role.ADMIN.value, "first": True},
                     user_id=user.id, username=name, source="keyboard")
    return Actor.of(user)


def _local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def _failures_of_unknown(db: Database, username: str, now: datetime) -> int:
    since = _stamp(now - timedelta(minutes=LOCK_MINUTES))
    return int(db.execute(
        "SELECT count(*) FROM audit_event WHERE action = 'login.failure' AND entity = 'app_user' "
        "AND entity_id = '' AND username = ? AND at >= ?", [username, since]).fetchone()[0])


def _wrong(left: int) -> str:
    if left <= 0:
        return LoginError.default_message
    return (f"{LoginError.default_message[:-1]}（再输错 {left} 次，"
            f"账号将锁定 {LOCK_MINUTES} 分钟）。")


def authenticate(db: Database, username: str, password: str, *,
                 now: datetime | None = None) -> Actor:
    """Check a login; five failures in a row lock the account for five minutes.

    Every attempt is audited (``login.success``, ``login.failure``, ``login.locked``).

    Raises:
        LoginError: the password is wrong, the account is locked or inactive, or there is no
            such user (with the same message as a wrong password).
    """
    moment = _utc(now)
    name = username.strip()
    failure: LoginError | None = None
    with db.atomic():
        rows = list(db.query("SELECT * FROM app_user WHERE username = ?", [name]))
        if not rows:
            left = LOCK_AFTER_FAILURES - 1 - _failures_of_unknown(db, name, moment)
            record_event(db, "login.failure", "app_user", "", new={"reason": "unknown user"},
                         username=name)
            failure = LoginError(_wrong(max(left, 1)), "unknown user")
        else:
            row = rows[0]
            failure = _check_login(db, row, password, moment)
    if failure is not None:
        raise failure
    return Actor.of(_user(rows[0]))


def _check_login(db: Database, row: dict[str, Any], password: str,
                 moment: datetime) -> LoginError | None:
    user_id, name = row["id"], row["username"]
    locked_until = _parse_stamp(row["locked_until"]) if row["locked_until"] else None
    if locked_until is not None and locked_until > moment:
        record_event(db, "login.failure", "app_user", user_id,
                     new={"reason": "locked", "locked_until": row["locked_until"]},
                     user_id=user_id, username=name)
        return LoginError(
            f"账号“{name}”因连续输错密码已被锁定，请于 {_local_time(locked_until)} 后再试，"
            "或请管理员解锁。", "locked")
    if not row["active"]:
        record_event(db, "login.failure", "app_user", user_id, new={"reason": "inactive"},
                     user_id=user_id, username=name)
        return LoginError(f"账号“{name}”已停用，不能登录。如需继续使用，请联系管理员启用。",
                          "inactive")
    if check_password(password, row["password_hash"], row["password_salt"]):
        db.execute("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = ?",
                   [user_id])
        record_event(db, "login.success", "app_user", user_id, user_id=user_id, username=name)
        return None
    failures = row["failed_logins"] + 1
    if failures >= LOCK_AFTER_FAILURES:
        until = moment + timedelta(minutes=LOCK_MINUTES)
        db.execute("UPDATE app_user SET failed_logins = 0, locked_until = ? WHERE id = ?",
                   [_stamp(until), user_id])
        record_event(db, "login.failure", "app_user", user_id,
                     new={"reason": "wrong password", "failures": failures},
                     user_id=user_id, username=name)
        record_event(db, "login.locked", "app_user", user_id,
                     new={"locked_until": _stamp(until)}, user_id=user_id, username=name)
        return LoginError(
            f"密码连续输错 {LOCK_AFTER_FAILURES} 次，账号“{name}”已锁定 {LOCK_MINUTES} 分钟，"
            f"请于 {_local_time(until)} 后再试，或请管理员解锁。", "locked now")
    db.execute("UPDATE app_user SET failed_logins = ?, locked_until = NULL WHERE id = ?",
               [failures, user_id])
    record_event(db, "login.failure", "app_user", user_id,
                 new={"reason": "wrong password", "failures": failures},
                 user_id=user_id, username=name)
    return LoginError(_wrong(LOCK_AFTER_FAILURES - failures), "wrong password")


def create_user(db: Database, actor: Actor, username: str, password: str, role: Role, *,
                display_name: str = "", org_unit_id: int | None = None) -> User:
    """Create a user (administrators only); audited as ``user.create``.

    Raises:
        PermissionDenied: the actor is not an administrator.
        ValidationError: the name is empty or taken, the password too short, or a clerk has
            no unit.
    """
    _require_admin(db, actor, f"新建用户“{username}”")
    with db.atomic():
        name = _check_new_user(db, username, role, org_unit_id)
        user = _insert_user(db, name, password, role, display_name=display_name.strip(),
                            org_unit_id=org_unit_id)
        record_event(db, "user.create", "app_user", user.id,
                     new={"username": name, "display_name": user.display_name,
                          "role": role.value, "org_unit_id": org_unit_id},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    return user


def _source(actor: Actor) -> str:
    return "cli" if actor.user_id is None else "keyboard"


def set_password(db: Database, actor: Actor, user_id: int, new_password: str) -> None:
    """Change a password (an administrator, or the user himself); audited without the password.

    Raises:
        PermissionDenied: someone else's password, and the actor is not an administrator.
        ValidationError: the password is too short.
    """
    target = get_user(db, user_id)
    if actor.user_id != user_id:
        _require_admin(db, actor, f"修改用户“{target.username}”的密码")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。", "password too short")
    hash_hex, salt_hex = hash_password(new_password)
    with db.atomic():
        db.execute("UPDATE app_user SET password_hash = ?, password_salt = ?, failed_logins = 0, "
                   "locked_until = NULL WHERE id = ?", [hash_hex, salt_hex, user_id])
        record_event(db, "user.password", "app_user", user_id,
                     new={"username": target.username}, user_id=actor.user_id,
                     username=actor.username, source=_source(actor))


def set_active(db: Database, actor: Actor, user_id: int, active: bool) -> None:
    """Enable or disable an account (administrators only).

    Raises:
        PermissionDenied: the actor is not an administrator.
        ValidationError: it would disable the last active administrator.
    """
    target = get_user(db, user_id)
    _require_admin(db, actor, f"{'启用' if active else '停用'}用户“{target.username}”")
    if target.active == active:
        return
    with db.atomic():
        if not active and target.role is Role.ADMIN:
            others = db.execute(
                "SELECT count(*) FROM app_user WHERE role = 'admin' AND active = 1 AND id != ?",
                [user_id]).fetchone()[0]
            if not others:
                raise ValidationError(
                    f"“{target.username}”是最后一个在用的管理员，不能停用。请先为另一位用户设置"
                    "管理员角色，再停用此账号。", "last admin")
        db.execute("UPDATE app_user SET active = ? WHERE id = ?", [int(active), user_id])
        record_event(db, "user.active", "app_user", user_id, old={"active": target.active},
                     new={"active": active}, user_id=actor.user_id, username=actor.username,
                     source=_source(actor))


def unlock_user(db: Database, actor: Actor, user_id: int) -> None:
    """Lift a lockout after failed logins (administrators only)."""
    target = get_user(db, user_id)
    _require_admin(db, actor, f"解锁用户“{target.username}”")
    with db.atomic():
        db.execute("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = ?",
                   [user_id])
        record_event(db, "user.unlock", "app_user", user_id, new={"username": target.username},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))


def locked_until(db: Database, user_id: int) -> str | None:
    """When the account's lockout ends (UTC ISO seconds), or ``None`` when not locked."""
    return _row(db, user_id)["locked_until"]  # type: ignore[no-any-return]
