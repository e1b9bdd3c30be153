"""The station clerk's home page: what is due, what was returned and why, tasks to report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from desktop.models.auth import Actor
from desktop.models.errors import ValidationError
from desktop.models.orgunits import get_unit
from desktop.models.periods import Period, plan_years
from desktop.models.permissions import Action, require
from desktop.models.plans import get_plan
from desktop.models.values import Submission, SubmissionStatus, TaskStatus
from desktop.models.windows import (
    Light,
    effective_window,
    light,
    list_windows,
    stored_day,
    task_lights,
)
from desktop.models.windows import warn_days as _warn_days
from desktop.models.workflow import element_and_task_names, list_submissions, review_comments

_LIGHT_ORDER = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2, Light.NONE: 3}


@dataclass(frozen=True)
class DueReport:
    plan_id: int
    period: str
    period_label: str
    deadline: date | None
    light: Light
    status: SubmissionStatus | None


@dataclass(frozen=True)
class ReturnedReport:
    submission: Submission
    period_label: str
    reason: str
    comments: list[tuple[str, str]]  # (item name, comment)


@dataclass(frozen=True)
class TaskDue:
    plan_item_id: int
    marker: str
    title: str
    deadline: date | None
    light: Light
    status: TaskStatus | None
    percent: float | None


@dataclass(frozen=True)
class Inbox:
    unit_id: int
    unit_name: str
    due: list[DueReport]
    returned: list[ReturnedReport]
    tasks: list[TaskDue]


def station_inbox(db: Database, actor: Actor, plan_id: int, *, today: date,
                  unit_id: int | None = None) -> Inbox:
    """What a unit has to do in a plan (requires VIEW of the unit; default: the actor's unit).

    Due: periods whose window is open on ``today`` (or whose deadline passed) and whose return
    is missing, a draft or returned; annual periods, and other periods that have a window.

    Raises:
        ValidationError: no unit given and the actor has none.
        PermissionDenied: the actor may not view the unit.
    """
    unit_id = unit_id if unit_id is not None else actor.org_unit_id
    if unit_id is None:
        raise ValidationError("请先选择要查看的单位。", "inbox without unit")
    unit = get_unit(db, unit_id)
    plan = get_plan(db, plan_id)
    require(db, actor, Action.VIEW, unit_id, what=f"{unit.name}的待办事项")
    days = _warn_days(db)
    subs = {s.period: s for s in list_submissions(db, plan_id) if s.org_unit_id == unit_id}
    periods = {p.id for p in plan_years(plan.start_year, plan.end_year)}
    periods |= {w.period for w in list_windows(db, plan_id)}
    due: list[DueReport] = []
    for period_id in sorted(periods, key=Period.parse):
        window = effective_window(db, plan_id, period_id)
        sub = subs.get(period_id)
        status = sub.status if sub else None
        if today < window.opens_on or status in (SubmissionStatus.SUBMITTED,
                                                 SubmissionStatus.APPROVED):
            continue
        due.append(DueReport(plan_id, period_id, Period.parse(period_id).label, window.deadline,
                             light(window.deadline, today, done=False, warn_days=days), status))
    returned = [_returned(db, plan_id, s) for s in subs.values()
                if s.status is SubmissionStatus.RETURNED]
    returned.sort(key=lambda r: Period.parse(r.submission.period))
    tasks = [TaskDue(row.plan_item_id, row.marker, row.title, stored_day(row.deadline), lamp,
                     row.status, row.percent)
             for row, lamp in task_lights(db, plan_id, unit_id, today=today)
             if row.status is not TaskStatus.COMPLETED]
    tasks.sort(key=lambda t: (_LIGHT_ORDER[t.light], t.deadline or date.max))
    return Inbox(unit_id, unit.name, due, returned, tasks)


def _returned(db: Database, plan_id: int, sub: Submission) -> ReturnedReport:
    elements, items = element_and_task_names(db, plan_id)
    comments = [(elements.get(item_id, "") if kind == "element" else items.get(item_id, ""), text)
                for (kind, item_id), text in review_comments(db, sub.id).items()]
    return ReturnedReport(sub, Period.parse(sub.period).label, sub.reason, comments)


