"""Opening a database verifies its audit trail in the background and says so when it broke."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.views.conftest import logged_in_window


def tamper(path: Path) -> int:
    """Change a recorded value the way someone editing the file behind PlanDesk's back would."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_event_no_update")
    event_id = conn.execute("SELECT min(id) FROM audit_event WHERE action = 'value.set' "
                            "OR new_value IS NOT NULL").fetchone()[0]
    conn.execute("UPDATE audit_event SET new_value = '{\"value\": 1}' WHERE id = ?", [event_id])
    conn.commit()
    conn.close()
    return int(event_id)


def warnings_shown() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == "审计记录被改动"]


def test_a_tampered_trail_is_reported_at_start_and_put_on_record(
        qtbot: QtBot, demo_path: Path) -> None:
    event_id = tamper(demo_path)
    win = logged_in_window(qtbot, demo_path, "shenhe")
    qtbot.waitUntil(lambda: win.audit_label.isVisible(), timeout=10_000)
    assert f"第 {event_id}" in win.audit_label.text()
    boxes = warnings_shown()
    assert boxes
    assert "plandesk audit verify" in boxes[0].text()
    recorded = win.context.db.execute(
        "SELECT username, new_value FROM audit_event WHERE action = 'audit.broken'").fetchall()
    assert recorded
    assert recorded[0][0] == "shenhe"
    assert str(event_id) in recorded[0][1]
    for box in boxes:
        box.close()
    win.context.db.close()


def test_an_intact_trail_shows_nothing(qtbot: QtBot, demo_path: Path) -> None:
    win = logged_in_window(qtbot, demo_path, "shenhe")
    qtbot.waitUntil(lambda: win._audit_worker is None, timeout=10_000)
    assert not win.audit_label.isVisible()
    assert not warnings_shown()
    win.context.db.close()
