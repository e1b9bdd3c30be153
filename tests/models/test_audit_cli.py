"""`plandesk audit verify/list` and `plandesk users create/list`; sources in the audit chain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from desktop.cli import cli
from desktop.models.audit import events_for, list_events, record_event, verify_chain


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.output


def test_the_source_is_part_of_the_chain(db: Database) -> None:
    record_event(db, "value.set", "data_value", "1/2024/3", new=1, source="keyboard")
    record_event(db, "value.set", "data_value", "1/2024/3", new=2, source="file:a.xlsx sha256:ab")
    assert verify_chain(db) == []
    assert [e.source for e in events_for(db, "data_value", "1/2024/3")] == [
        "keyboard", "file:a.xlsx sha256:ab"]
    db.execute("DROP TRIGGER audit_event_no_update")
    db.execute("UPDATE audit_event SET source = 'keyboard' WHERE id = 2")
    assert verify_chain(db) == [2]


def test_audit_verify_passes_on_an_untouched_database(demo_path: Path) -> None:
    code, out = run("--db", str(demo_path), "audit", "verify")
    assert code == 0, out
    assert out.startswith("审计记录完整：")


def test_audit_verify_fails_after_a_value_was_edited_with_sqlite(demo_path: Path) -> None:
    conn = sqlite3.connect(demo_path)
    target = conn.execute("SELECT id FROM audit_event WHERE action = 'user.create' "
                          "ORDER BY id LIMIT 1").fetchone()[0]
    # what a tamperer does: drop the append-only trigger, then edit the row
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET new_value = replace(new_value, 'admin', 'boss') "
                 "WHERE id = ?", [target])
    conn.commit()
    conn.close()
    code, out = run("--db", str(demo_path), "audit", "verify")
    assert code == 1
    assert (f"审计记录第 {target} 条与其内容或前一条的校验值不符："
            "数据库可能在 PlanDesk 之外被改动") in out


def test_audit_verify_fails_after_a_row_was_deleted(demo_path: Path) -> None:
    conn = sqlite3.connect(demo_path)
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("DELETE FROM audit_event WHERE id = 3")
    conn.commit()
    conn.close()
    code, out = run("--db", str(demo_path), "audit", "verify")
    assert code == 1
    assert "审计记录第 4 条" in out


def test_audit_list_as_text_and_json(demo_path: Path) -> None:
    code, out = run("--db", str(demo_path), "audit", "list", "--limit", "2", "--json")
    assert code == 0
    events = json.loads(out)
    assert [e["action"] for e in events] == ["demo.build", "user.create"]
    code, out = run("--db", str(demo_path), "audit", "list", "--limit", "1")
    assert "demo.build" in out


def test_users_create_and_list(demo_path: Path) -> None:
    code, out = run("--db", str(demo_path), "users", "create", "--role", "clerk", "--unit",
                    "CQ-TN-S02", "--display-name", "李四", "lisi",
                    stdin="secret-pass\nsecret-pass\n")
    assert code == 0, out
    assert "已创建用户：lisi（李四，所填报员，单位 CQ-TN-S02）" in out
    code, out = run("--db", str(demo_path), "users", "list")
    assert "lisi\t李四\t所填报员\tCQ-TN-S02\t在用" in out
    db = Database(sqlite3.connect(demo_path))
    event = next(e for e in list_events(db, 5) if e.action == "user.create")
    assert event.username == "命令行"
    assert event.source == "cli"


def test_users_create_refuses_a_short_password(demo_path: Path) -> None:
    code, out = run("--db", str(demo_path), "users", "create", "--role", "viewer",
                    "--password-stdin", "v2", stdin="short\n")
    assert code == 1
    assert "密码至少需要 8 位" in out


def test_the_first_administrator_from_the_command_line(tmp_path: Path) -> None:
    db_path = str(tmp_path / "new.db")
    code, out = run("--db", db_path, "users", "create", "--role", "admin",
                    "--password-stdin", "boss", stdin="long-password\n")
    assert code == 0, out
    assert "初始管理员" in out
    code, out = run("--db", db_path, "users", "create", "--role", "clerk",
                    "--password-stdin", "c1", stdin="long-password\n")
    assert code == 1
    assert "所属单位" in out
