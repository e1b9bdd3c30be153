"""Reporting windows: submissions before the opening are refused, lateness is judged by the
recorded submission time, and the board and lights show it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from desktop.models.errors import ValidationError
from desktop.models.periods import Period
from desktop.models.settings import set_setting
from desktop.models.values import TaskStatus
from desktop.models.windows import (
    WARN_DAYS_SETTING,
    Light,
    Timeliness,
    board,
    default_window,
    get_window,
    is_late,
    is_open,
    light,
    set_window,
    task_lights,
)
from desktop.models.workflow import EntryTask, EntryValue, receive_submission, save_draft, submit


def test_the_demo_has_a_window_for_each_annual_period(demo: Any) -> None:
    window = get_window(demo.db, demo.plan_id, "2024")
    assert window is not None
    assert (window.opens_on, window.deadline) == (date(2024, 12, 1), date(2025, 1, 15))


def test_a_window_opens_before_its_deadline(demo: Any) -> None:
    with pytest.raises(ValidationError, match="晚于截止日期"):
        set_window(demo.db, demo.admin, demo.plan_id, "2025", date(2026, 2, 1), date(2026, 1, 1))
    window = set_window(demo.db, demo.reviewer, demo.plan_id, "2025S1", date(2025, 6, 25),
                        date(2025, 7, 10))
    assert get_window(demo.db, demo.plan_id, "2025S1") == window


def test_default_window_is_the_period_end_plus_fifteen_days() -> None:
    assert default_window(Period.parse("2024Q3")) == (date(2024, 9, 30), date(2024, 10, 15))


def test_open_late_and_lights() -> None:
    assert is_open(None, date(2020, 1, 1))
    assert is_late("2025-01-15T15:59:59+00:00", None) is False
    today = date(2025, 1, 10)
    assert light(date(2025, 1, 15), today, done=False, warn_days=3) is Light.GREEN
    assert light(date(2025, 1, 13), today, done=False, warn_days=3) is Light.YELLOW
    assert light(date(2025, 1, 9), today, done=False, warn_days=3) is Light.RED
    assert light(date(2025, 1, 9), today, done=True, warn_days=3) is Light.GREEN
    assert light(None, today, done=False, warn_days=3) is Light.NONE
    assert Light.RED.label == "逾期"
    assert Timeliness.LATE.label == "逾期报送"


def test_submitting_before_the_window_opens_is_refused_and_audited(
        demo: Any, stored: Callable[..., Any]) -> None:
    unit = demo.station(0).id
    element = demo.db.execute("SELECT id FROM data_element WHERE code = 'ENT_TOTAL'").fetchone()[0]
    save_draft(demo.db, demo.clerk(0), demo.plan_id, unit, "2025", [EntryValue(element, 1.0)])
    before = stored(demo.db)
    with pytest.raises(ValidationError, match="报送期尚未开始（2025-12-01 开始"):
        submit(demo.db, demo.clerk(0), demo.plan_id, unit, "2025",
               now=datetime(2025, 11, 20, 2, tzinfo=UTC))
    assert stored(demo.db) == before
    assert "尚未开始" in str(demo.denials()[-1]["new_value"])
    sub = submit(demo.db, demo.clerk(0), demo.plan_id, unit, "2025",
                 now=datetime(2025, 12, 2, 2, tzinfo=UTC))
    assert sub.submitted_at == "2025-12-02T02:00:00+00:00"


def test_lateness_follows_the_recorded_submission_time_not_the_import(demo: Any) -> None:
    db, plan = demo.db, demo.plan_id
    # imported long after the deadline, but submitted on time according to the workbook
    receive_submission(db, demo.reviewer, plan, demo.station(1).id, "2024",
                       submitted_at="2025-01-14T08:00:00+00:00", source="file:a.xlsx")
    receive_submission(db, demo.reviewer, plan, demo.station(4).id, "2024",
                       submitted_at="2025-01-20T08:00:00+00:00", source="file:b.xlsx")
    cells = board(db, plan, ["2024"], today=date(2025, 3, 1)).cells
    assert cells[(demo.station(1).id, "2024")].timeliness is Timeliness.ON_TIME
    late = cells[(demo.station(4).id, "2024")]
    assert late.timeliness is Timeliness.LATE
    assert late.submitted_at == "2025-01-20T08:00:00+00:00"


def test_the_board_shows_every_state(demo: Any) -> None:
    result = board(demo.db, demo.plan_id, ["2023", "2024", "2025"], today=date(2025, 1, 16))
    station_ids = [s.id for s in demo.stations]
    assert [u.id for u in result.units if u.id in station_ids] == station_ids
    cells = result.cells
    state = {i: cells[(demo.station(i).id, "2024")].timeliness for i in range(9)}
    assert state[0] is Timeliness.ON_TIME
    assert state[6] is Timeliness.LATE  # the demo's late submission (18 January)
    assert state[1] is Timeliness.MISSING  # a draft after the deadline
    assert state[2] is Timeliness.RETURNED
    assert "演示" in cells[(demo.station(2).id, "2024")].reason
    assert cells[(demo.station(0).id, "2023")].timeliness is Timeliness.APPROVED
    assert cells[(demo.station(1).id, "2024")].light is Light.RED
    assert cells[(demo.station(0).id, "2024")].light is Light.GREEN
    assert cells[(demo.station(0).id, "2025")].timeliness is Timeliness.NOT_DUE
    assert cells[(demo.station(0).id, "2025")].light is Light.NONE


def test_the_warning_days_are_a_setting(demo: Any) -> None:
    today = date(2025, 1, 10)
    cell = board(demo.db, demo.plan_id, ["2024"], today=today).cells[(demo.station(1).id, "2024")]
    assert cell.light is Light.GREEN
    set_setting(demo.db, WARN_DAYS_SETTING, "7")
    cell = board(demo.db, demo.plan_id, ["2024"], today=today).cells[(demo.station(1).id, "2024")]
    assert cell.light is Light.YELLOW


def test_task_lights_follow_deadline_and_progress(demo: Any) -> None:
    unit = demo.station(0).id
    lights = task_lights(demo.db, demo.plan_id, unit, today=date(2025, 12, 30))
    assert lights
    assert all(lamp is Light.YELLOW for _, lamp in lights)
    first = lights[0][0]
    save_draft(demo.db, demo.clerk(0), demo.plan_id, unit, "2025",
               tasks=[EntryTask(first.plan_item_id, TaskStatus.COMPLETED, 100.0, "已完成")])
    lights = {row.plan_item_id: lamp for row, lamp in
                  task_lights(demo.db, demo.plan_id, unit, today=date(2026, 1, 5))}
    assert lights[first.plan_item_id] is Light.GREEN
    assert {lamp for item, lamp in lights.items() if item != first.plan_item_id} == {Light.RED}


def test_a_workbook_submitted_before_the_window_opened_is_refused(
        demo: Any, stored: Callable[..., Any]) -> None:
    before = stored(demo.db)
    with pytest.raises(ValidationError, match="报送期尚未开始"):
        receive_submission(demo.db, demo.reviewer, demo.plan_id, demo.station(0).id, "2025",
                           submitted_at="2025-11-02T08:00:00+08:00", source="file:early.xlsx")
    assert stored(demo.db) == before
