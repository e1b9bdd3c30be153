"""Reporting windows (opening date and deadline per period), lateness, the completeness board
and the 督办 lights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlite_utils import Database

from desktop.models.audit import record_event
from desktop.models.auth import Actor
from desktop.models.errors import ValidationError
from desktop.models.orgunits import UnitType, get_unit, list_units, open_between
from desktop.models.periods import Period
from desktop.models.permissions import Action, require
from desktop.models.plans import get_plan
from desktop.models.settings import get_setting
from desktop.models.values import SubmissionStatus, submission_from_row

if TYPE_CHECKING:
    from desktop.models.workflow import TaskRow

WARN_DAYS_SETTING = "windows.warn_days"
DEFAULT_WARN_DAYS = 3
#: Days after the end of a period by which its return is due, when no window was set.
DEFAULT_DEADLINE_DAYS = 15


class Light(StrEnum):
    NONE = "none"
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"none": "无期限", "green": "正常", "yellow": "临近", "red": "逾期"}[self.value]


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    RETURNED = "returned"
    APPROVED = "approved"
    NOT_DUE = "not_due"

    @property
    def label(self) -> str:
        return {"on_time": "按时", "late": "逾期报送", "missing": "未报", "returned": "退回",
                "approved": "已审核", "not_due": "未到期"}[self.value]


@dataclass(frozen=True)
class Window:
    """When a period of a plan may be reported: from ``opens_on`` to ``deadline``, inclusive."""

    plan_id: int
    period: str
    opens_on: date
    deadline: date


@dataclass(frozen=True)
class BoardUnit:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class BoardCell:
    timeliness: Timeliness
    light: Light
    submitted_at: str | None
    reason: str


@dataclass(frozen=True)
class Board:
    """The completeness board: per unit and period, on time, late, missing, returned…"""

    units: list[BoardUnit]
    periods: list[str]
    cells: dict[tuple[int, str], BoardCell]


def local_date(stamp: str) -> date:
    """The local calendar day of a stored time (UTC when it carries no offset)."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().date()


def _window(row: tuple[int, str, str, str]) -> Window:
    return Window(row[0], row[1], date.fromisoformat(row[2]), date.fromisoformat(row[3]))


def get_window(db: Database, plan_id: int, period: str) -> Window | None:
    row = db.execute("SELECT plan_id, period, opens_on, deadline FROM reporting_window "
                     "WHERE plan_id = ? AND period = ?", [plan_id, period]).fetchone()
    return _window(row) if row else None


def list_windows(db: Database, plan_id: int) -> list[Window]:
    """A plan's windows in period order."""
    windows = [_window(r) for r in db.execute(
        "SELECT plan_id, period, opens_on, deadline FROM reporting_window WHERE plan_id = ?",
        [plan_id])]
    return sorted(windows, key=lambda w: Period.parse(w.period))


def set_window(db: Database, actor: Actor, plan_id: int, period: str, opens_on: date,
               deadline: date) -> Window:
    """Set (or change) a period's reporting window; audited ``window.set``.

    Raises:
        PermissionDenied: the actor may not edit the plan.
        ValidationError: the period is malformed or outside the plan, or it opens after its
            deadline.
    """
    the_period = Period.parse(period)
    plan = get_plan(db, plan_id)
    require(db, actor, Action.EDIT_PLAN, what=f"{the_period.label}的报送期限")
    if the_period.year not in plan.years:
        raise ValidationError(f"期间“{the_period.label}”不在规划期 {plan.period_label}内。",
                              "period outside plan")
    if opens_on > deadline:
        raise ValidationError(
            f"开始日期 {opens_on.isoformat()} 晚于截止日期 {deadline.isoformat()}，"
            "请把开始日期改在截止日期之前。", "opens after deadline")
    old = get_window(db, plan_id, the_period.id)
    window = Window(plan_id, the_period.id, opens_on, deadline)
    if old == window:
        return window
    with db.atomic():
        db.execute("INSERT INTO reporting_window (plan_id, period, opens_on, deadline) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT (plan_id, period) DO UPDATE SET "
                   "opens_on = excluded.opens_on, deadline = excluded.deadline",
                   [plan_id, the_period.id, opens_on.isoformat(), deadline.isoformat()])
        record_event(db, "window.set", "reporting_window", f"{plan_id}/{the_period.id}",
                     old=None if old is None else {"opens_on": old.opens_on.isoformat(),
                                                   "deadline": old.deadline.isoformat()},
                     new={"opens_on": opens_on.isoformat(), "deadline": deadline.isoformat()},
                     user_id=actor.user_id, username=actor.username,
                     source="cli" if actor.user_id is None else "keyboard")
    return window


def default_window(period: Period) -> tuple[date, date]:
    """``(opens_on, deadline)`` of a period without a window: its last day, and 15 days later."""
    return period.end, period.end + timedelta(days=DEFAULT_DEADLINE_DAYS)


def effective_window(db: Database, plan_id: int, period: str) -> Window:
    """The period's window, or the default one when none was set."""
    window = get_window(db, plan_id, period)
    if window is not None:
        return window
    opens_on, deadline = default_window(Period.parse(period))
    return Window(plan_id, period, opens_on, deadline)


def is_open(window: Window | None, on: date) -> bool:
    """Whether a return may be submitted on a day: the window has opened (no window: open).

    A return submitted after the deadline is accepted and judged late.
    """
    return window is None or on >= window.opens_on


def is_late(submitted_at: str, window: Window | None) -> bool:
    """Whether a return was submitted after the deadline, by the time recorded in it."""
    return window is not None and local_date(submitted_at) > window.deadline


def light(deadline: date | None, today: date, *, done: bool, warn_days: int) -> Light:
    """The 督办 light: green when done or not near, yellow ``warn_days`` before, red overdue."""
    if done:
        return Light.GREEN
    if deadline is None:
        return Light.NONE
    if today > deadline:
        return Light.RED
    if (deadline - today).days <= warn_days:
        return Light.YELLOW
    return Light.GREEN


def warn_days(db: Database) -> int:
    """Days before a deadline when the light turns yellow (setting ``windows.warn_days``)."""
    text = get_setting(db, WARN_DAYS_SETTING)
    try:
        return max(0, int(text)) if text is not None else DEFAULT_WARN_DAYS
    except ValueError:
        return DEFAULT_WARN_DAYS


def board_units(db: Database, plan_id: int, periods: Sequence[str]) -> list[BoardUnit]:
    """The units of the board: the stations open in the periods, and every other unit that
    has submitted a return in the plan, by sort order.

    Divisions with tasks but no return of their own (they enter at the bureau) are left out:
    a row of 未报 in every period would hide the stations that really are missing.
    """
    wanted = {r[0] for r in db.execute(
        "SELECT org_unit_id FROM submission WHERE plan_id = ?", [plan_id])}
    spans = [Period.parse(p) for p in periods]
    for station in list_units(db, UnitType.STATION):
        if any(open_between(station, p.start.isoformat(), p.end.isoformat()) for p in spans):
            wanted.add(station.id)
    units = [get_unit(db, unit_id) for unit_id in wanted]
    units.sort(key=lambda u: (u.sort_order, u.code))
    return [BoardUnit(u.id, u.code, u.name) for u in units]


def board(db: Database, plan_id: int, periods: Sequence[str], *, today: date) -> Board:
    """Per unit and period: on time, late, missing, returned, approved or not yet due."""
    periods = [Period.parse(p).id for p in periods]
    units = board_units(db, plan_id, periods)
    days = warn_days(db)
    windows = {p: effective_window(db, plan_id, p) for p in periods}
    subs = {(s.org_unit_id, s.period): s for s in (
        submission_from_row(r) for r in db.query(
            "SELECT * FROM submission WHERE plan_id = ?", [plan_id]))}
    cells: dict[tuple[int, str], BoardCell] = {}
    for unit in units:
        for period in periods:
            window = windows[period]
            sub = subs.get((unit.id, period))
            status = sub.status if sub else None
            submitted_at = sub.submitted_at if sub else None
            if status is SubmissionStatus.APPROVED:
                state = Timeliness.APPROVED
            elif status is SubmissionStatus.RETURNED:
                state = Timeliness.RETURNED
            elif status is SubmissionStatus.SUBMITTED:
                late = submitted_at is not None and is_late(submitted_at, window)
                state = Timeliness.LATE if late else Timeliness.ON_TIME
            else:
                state = Timeliness.MISSING if today > window.deadline else Timeliness.NOT_DUE
            done = status in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED)
            if not done and today < window.opens_on:
                lamp = Light.NONE
            else:
                lamp = light(window.deadline, today, done=done, warn_days=days)
            cells[(unit.id, period)] = BoardCell(state, lamp, submitted_at,
                                                 sub.reason if sub else "")
    return Board(units, periods, cells)


def task_lights(db: Database, plan_id: int, unit_id: int, *,
                today: date) -> list[tuple[TaskRow, Light]]:
    """The unit's tasks with their latest progress and the light of their deadline."""
    from desktop.models.values import TaskStatus
    from desktop.models.workflow import unit_task_rows

    days = warn_days(db)
    result: list[tuple[TaskRow, Light]] = []
    for row in unit_task_rows(db, plan_id, unit_id):
        deadline = stored_day(row.deadline)
        result.append((row, light(deadline, today, done=row.status is TaskStatus.COMPLETED,
                                  warn_days=days)))
    return result


def stored_day(text: str | None) -> date | None:
    """The day of a stored date or time (``2024-07-15…``); None when empty or malformed."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
