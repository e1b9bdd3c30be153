"""The audit trail is append-only and tamper-evident; passwords are stored only as hashes."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from desktop.models.audit import Change, list_events, record_event, record_events, verify_chain
from desktop.models.errors import ValidationError
from desktop.models.users import Role, check_password, create_user, list_users


def test_events_chain_and_verify(db: Database) -> None:
    record_event(db, "value.set", "data_value", "2024/1/3", old=1, new=2, username="张三")
    record_event(db, "value.set", "data_value", "2024/1/3", old=2, new=3, username="张三")
    assert verify_chain(db) == []
    events = list_events(db)
    assert [e.new_value for e in events] == [3, 2]


def test_a_batch_of_events_chains_in_order_after_single_ones(db: Database) -> None:
    record_event(db, "returns.import", "submission", 7, new={"file": "a.xlsx"})
    record_events(db, [Change("value.set", "data_value", f"3/2024/{n}", old=None, new=n)
                       for n in range(1, 4)], username="李四", source="file:a.xlsx")
    record_event(db, "submission.approve", "submission", 7)
    assert verify_chain(db) == []
    events = list(reversed(list_events(db)))
    assert [e.action for e in events] == ["returns.import", "value.set", "value.set",
                                          "value.set", "submission.approve"]
    assert [e.new_value for e in events[1:4]] == [1, 2, 3]
    assert {e.source for e in events[1:4]} == {"file:a.xlsx"}
    db.execute("DROP TRIGGER audit_event_no_update")
    db.execute("UPDATE audit_event SET new_value = '5' WHERE id = ?", [events[2].id])
    assert verify_chain(db) == [events[2].id]


def test_audit_events_cannot_be_updated_or_deleted(db: Database) -> None:
    record_event(db, "plan.create", "plan", 1)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_event SET action = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_event")


def test_an_edit_made_outside_plandesk_breaks_the_chain(db: Database) -> None:
    for n in range(3):
        record_event(db, "value.set", "data_value", n, new=n)
    db.execute("DROP TRIGGER audit_event_no_update")
    db.execute("UPDATE audit_event SET new_value = '99' WHERE id = 2")
    assert verify_chain(db) == [2]


def test_passwords_are_salted_hashes(db: Database) -> None:
    user = create_user(db, "admin", "正确的密码123", Role.ADMIN)
    row = db.execute("SELECT password_hash, password_salt FROM app_user WHERE id = ?",
                     [user.id]).fetchone()
    assert "正确的密码123" not in row[0]
    assert check_password("正确的密码123", row[0], row[1])
    assert not check_password("错误的密码123", row[0], row[1])
    other = create_user(db, "admin2", "正确的密码123", Role.VIEWER)
    other_hash = db.execute("SELECT password_hash FROM app_user WHERE id = ?",
                            [other.id]).fetchone()[0]
    assert other_hash != row[0]
    assert [u.role for u in list_users(db)] == [Role.ADMIN, Role.VIEWER]


def test_short_passwords_and_clerks_without_a_unit_are_refused(db: Database) -> None:
    with pytest.raises(ValidationError, match="至少"):
        create_user(db, "a", "short", Role.ADMIN)
    with pytest.raises(ValidationError, match="所属单位"):
        create_user(db, "b", "long enough pw", Role.CLERK)
