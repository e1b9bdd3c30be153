"""Logging in: first administrator, lockout after five failures, inactive accounts, user admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlite_utils import Database

from desktop.models.audit import list_events, verify_chain
from desktop.models.auth import (
    LOCK_AFTER_FAILURES,
    LOCK_MINUTES,
    LoginError,
    authenticate,
    create_first_admin,
    create_user,
    has_users,
    set_active,
    set_password,
    unlock_user,
)
from desktop.models.errors import PermissionDenied, ValidationError
from desktop.models.users import Role

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def actions(db: Database) -> list[str]:
    return [e.action for e in reversed(list_events(db, 1000))]


def test_the_first_administrator_is_created_only_once(db: Database) -> None:
    assert not has_users(db)
    admin = create_first_admin(db, "admin", "first-password", "王管理")
    assert admin.role is Role.ADMIN
    assert admin.label == "王管理（管理员）"
    assert has_users(db)
    with pytest.raises(PermissionDenied, match="已有用户"):
        create_first_admin(db, "intruder", "second-password")
    assert [r[0] for r in db.execute("SELECT username FROM app_user")] == ["admin"]
    assert actions(db) == ["user.create"]


def test_no_default_password_and_short_passwords_are_refused(db: Database) -> None:
    with pytest.raises(ValidationError, match="至少"):
        create_first_admin(db, "admin", "short")
    assert not has_users(db)


def test_login_succeeds_and_is_audited(db: Database) -> None:
    create_first_admin(db, "admin", "first-password")
    actor = authenticate(db, "admin", "first-password", now=T0)
    assert actor.username == "admin"
    assert actions(db)[-1] == "login.success"


def test_five_failures_lock_the_account_for_five_minutes(db: Database) -> None:
    create_first_admin(db, "admin", "first-password")
    messages = []
    for n in range(LOCK_AFTER_FAILURES):
        with pytest.raises(LoginError) as failed:
            authenticate(db, "admin", "wrong-password", now=T0 + timedelta(seconds=n))
        messages.append(failed.value.user_message)
    assert "再输错 4 次" in messages[0]
    assert "再输错 1 次" in messages[3]
    assert "已锁定 5 分钟" in messages[4]
    # the right password does not help while locked
    with pytest.raises(LoginError, match="已被锁定"):
        authenticate(db, "admin", "first-password", now=T0 + timedelta(minutes=LOCK_MINUTES - 1))
    assert "login.locked" in actions(db)
    # after five minutes the right password works again and resets the count
    actor = authenticate(db, "admin", "first-password",
                         now=T0 + timedelta(minutes=LOCK_MINUTES, seconds=5))
    assert actor.username == "admin"
    with pytest.raises(LoginError, match="再输错 4 次"):
        authenticate(db, "admin", "wrong-password", now=T0 + timedelta(minutes=10))
    assert verify_chain(db) == []


def test_a_success_resets_the_failure_count(db: Database) -> None:
    create_first_admin(db, "admin", "first-password")
    for _ in range(LOCK_AFTER_FAILURES - 1):
        with pytest.raises(LoginError):
            authenticate(db, "admin", "nope-nope", now=T0)
    authenticate(db, "admin", "first-password", now=T0)
    with pytest.raises(LoginError, match="再输错 4 次"):
        authenticate(db, "admin", "nope-nope", now=T0)


def test_an_unknown_user_reads_like_a_wrong_password(db: Database) -> None:
    create_first_admin(db, "admin", "first-password")
    with pytest.raises(LoginError) as unknown:
        authenticate(db, "nobody", "whatever1", now=T0)
    with pytest.raises(LoginError) as wrong:
        authenticate(db, "admin", "whatever1", now=T0)
    assert unknown.value.user_message == wrong.value.user_message


def test_an_administrator_unlocks_an_account(db: Database) -> None:
    admin = create_first_admin(db, "admin", "first-password")
    clerk_user = create_user(db, admin, "viewer1", "viewer-password", Role.VIEWER)
    for _ in range(LOCK_AFTER_FAILURES):
        with pytest.raises(LoginError):
            authenticate(db, "viewer1", "bad-password", now=T0)
    unlock_user(db, admin, clerk_user.id)
    assert authenticate(db, "viewer1", "viewer-password", now=T0).user_id == clerk_user.id
    assert "user.unlock" in actions(db)


def test_only_an_administrator_manages_users(demo: Any) -> None:
    with pytest.raises(PermissionDenied, match="管理用户"):
        create_user(demo.db, demo.reviewer, "x1", "long-password", Role.VIEWER)
    with pytest.raises(PermissionDenied):
        set_active(demo.db, demo.reviewer, demo.viewer.user_id, False)
    with pytest.raises(PermissionDenied):
        unlock_user(demo.db, demo.clerk(0), demo.viewer.user_id)
    user = create_user(demo.db, demo.admin, "x1", "long-password", Role.VIEWER,
                       display_name="新查看者")
    assert user.display_name == "新查看者"
    with pytest.raises(ValidationError, match="已被使用"):
        create_user(demo.db, demo.admin, "x1", "long-password", Role.VIEWER)


def test_a_user_changes_his_own_password_but_not_anothers(demo: Any) -> None:
    clerk = demo.clerk(0)
    set_password(demo.db, clerk, clerk.user_id, "new-clerk-password")
    assert authenticate(demo.db, "s01", "new-clerk-password", now=T0).user_id == clerk.user_id
    with pytest.raises(PermissionDenied):
        set_password(demo.db, clerk, demo.admin.user_id, "taken-over-admin")
    event = next(e for e in list_events(demo.db, 50) if e.action == "user.password")
    assert "new-clerk-password" not in str(event.new_value)


def test_an_inactive_account_cannot_log_in(demo: Any) -> None:
    set_active(demo.db, demo.admin, demo.viewer.user_id, False)
    with pytest.raises(LoginError, match="已停用"):
        authenticate(demo.db, "chakan", "plandesk-demo", now=T0)
    set_active(demo.db, demo.admin, demo.viewer.user_id, True)
    assert authenticate(demo.db, "chakan", "plandesk-demo", now=T0).role is Role.VIEWER


def test_the_last_active_administrator_cannot_be_disabled(demo: Any) -> None:
    with pytest.raises(ValidationError, match="最后一个在用的管理员"):
        set_active(demo.db, demo.admin, demo.admin.user_id, False)
    second = create_user(demo.db, demo.admin, "admin2", "long-password", Role.ADMIN)
    set_active(demo.db, demo.admin, demo.admin.user_id, False)
    with pytest.raises(ValidationError, match="最后一个"):
        set_active(demo.db, demo.admin, second.id, False)


def test_every_demo_user_logs_in_with_the_demo_password(demo: Any) -> None:
    names = sorted(demo.users)
    assert names == sorted(["admin", "shenhe", "chakan", *(f"s{n:02d}" for n in range(1, 10))])
    for name in names:
        actor = authenticate(demo.db, name, "plandesk-demo", now=T0)
        assert actor.username == name
    assert demo.users["s03"].org_unit_id == demo.station(2).id
