"""Fixtures of the reporting cycle: the demo's users as actors, and its stations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlite_utils import Database

from desktop.models.auth import Actor
from desktop.models.orgunits import OrgUnit, UnitType, list_units
from desktop.models.plans import list_plans
from desktop.models.users import list_users


class Demo:
    """The demo database with its plan, stations and users at hand."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.plan_id = list_plans(db)[0].id
        self.stations: list[OrgUnit] = list_units(db, UnitType.STATION)
        self.bureau = list_units(db, UnitType.DISTRICT_BUREAU)[0]
        self.users = {u.username: Actor.of(u) for u in list_users(db)}

    @property
    def admin(self) -> Actor:
        return self.users["admin"]

    @property
    def reviewer(self) -> Actor:
        return self.users["shenhe"]

    @property
    def viewer(self) -> Actor:
        return self.users["chakan"]

    def clerk(self, station_index: int) -> Actor:
        return self.users[f"s{station_index + 1:02d}"]

    def station(self, index: int) -> OrgUnit:
        return self.stations[index]

    def submission_id(self, index: int, period: str) -> int:
        row = self.db.execute(
            "SELECT id FROM submission WHERE plan_id = ? AND org_unit_id = ? AND period = ?",
            [self.plan_id, self.stations[index].id, period]).fetchone()
        return int(row[0])

    def denials(self) -> list[dict[str, object]]:
        return [dict(r) for r in self.db.query(
            "SELECT username, new_value FROM audit_event WHERE action = 'denied' ORDER BY id")]


@pytest.fixture
def demo(demo_db: Database) -> Demo:
    return Demo(demo_db)


@pytest.fixture
def stored() -> Callable[[Database], dict[str, list[tuple[object, ...]]]]:
    """What a refused action must leave as it was (the audit trail aside), as a function."""
    return _stored_state


def _stored_state(db: Database) -> dict[str, list[tuple[object, ...]]]:
    tables = ("data_value", "task_progress", "submission", "submission_version", "review_comment",
              "reporting_window", "evidence", "app_user", "plan", "indicator",
              "indicator_judgement", "assessment_scheme", "assessment_item", "assessment_score")
    return {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in tables}
