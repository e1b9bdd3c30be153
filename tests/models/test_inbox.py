"""The clerk's inbox: what is due and by when, what was returned and why, tasks with lights."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from desktop.models.errors import PermissionDenied
from desktop.models.inbox import station_inbox
from desktop.models.values import SubmissionStatus
from desktop.models.windows import Light


def test_a_draft_past_its_deadline_is_due_in_red(demo: Any) -> None:
    inbox = station_inbox(demo.db, demo.clerk(1), demo.plan_id, today=date(2025, 1, 20))
    assert inbox.unit_id == demo.station(1).id
    assert [(d.period, d.status, d.light) for d in inbox.due] == [
        ("2024", SubmissionStatus.DRAFT, Light.RED)]
    assert inbox.due[0].deadline == date(2025, 1, 15)
    assert inbox.returned == []


def test_a_period_not_yet_open_is_not_due(demo: Any) -> None:
    inbox = station_inbox(demo.db, demo.clerk(1), demo.plan_id, today=date(2025, 11, 30))
    assert [d.period for d in inbox.due] == ["2024"]
    inbox = station_inbox(demo.db, demo.clerk(1), demo.plan_id, today=date(2025, 12, 1))
    assert [(d.period, d.light) for d in inbox.due] == [("2024", Light.RED),
                                                         ("2025", Light.GREEN)]


def test_a_submitted_return_is_no_longer_due(demo: Any) -> None:
    inbox = station_inbox(demo.db, demo.clerk(0), demo.plan_id, today=date(2025, 1, 10))
    assert inbox.due == []


def test_a_returned_report_shows_its_reason_and_comments(demo: Any) -> None:
    inbox = station_inbox(demo.db, demo.clerk(2), demo.plan_id, today=date(2025, 1, 14))
    assert [d.period for d in inbox.due] == ["2024"]
    assert inbox.due[0].light is Light.YELLOW
    (returned,) = inbox.returned
    assert returned.period_label == "2024年"
    assert returned.reason.startswith("演示：投诉举报")
    assert returned.comments == [("消费投诉按期办结件数",
                                  "演示：请核对按时办结件数，并在说明中写明统计口径。")]


def test_tasks_with_lights_most_urgent_first(demo: Any) -> None:
    inbox = station_inbox(demo.db, demo.clerk(0), demo.plan_id, today=date(2025, 12, 29))
    assert inbox.tasks
    assert {t.light for t in inbox.tasks} == {Light.YELLOW}
    assert all(t.deadline == date(2025, 12, 31) for t in inbox.tasks)
    assert all(t.title for t in inbox.tasks)


def test_a_clerk_cannot_read_another_units_inbox(demo: Any) -> None:
    with pytest.raises(PermissionDenied):
        station_inbox(demo.db, demo.clerk(0), demo.plan_id, today=date(2025, 1, 1),
                      unit_id=demo.station(1).id)
    reviewer_view = station_inbox(demo.db, demo.reviewer, demo.plan_id, today=date(2025, 1, 1),
                                  unit_id=demo.station(1).id)
    assert reviewer_view.unit_name == demo.station(1).name
