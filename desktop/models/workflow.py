"""A unit's return for a period: entry, submission, return, approval, reopening and diffs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from desktop.models.audit import AuditEvent, events_for, record_event
from desktop.models.auth import Actor
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.indicators import (
    DataElement,
    EntryLevel,
    Indicator,
    ValueType,
    list_elements,
    list_indicators,
)
from desktop.models.orgunits import OrgUnit, UnitType, get_unit
from desktop.models.periods import Period
from desktop.models.permissions import Action, allowed, deny, require
from desktop.models.plans import get_plan, list_plan_items
from desktop.models.reported import MAX_TEXT, parse_reported_value, shown_number
from desktop.models.values import (
    Submission,
    SubmissionStatus,
    TaskStatus,
    ValueSource,
    ensure_submission,
    submission_from_row,
)

_EDITABLE = frozenset({SubmissionStatus.DRAFT, SubmissionStatus.RETURNED})


@dataclass(frozen=True)
class EntryValue:
    """A value as entered for one element (``value`` None: no value, which is not 0)."""

    element_id: int
    value: float | None
    text_value: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class EntryTask:
    """A unit's progress on one task as entered."""

    plan_item_id: int
    status: TaskStatus
    percent: float | None = None
    progress_text: str = ""
    problems_text: str = ""
    next_steps_text: str = ""


@dataclass(frozen=True)
class EntryRow:
    """One data element of the entry grid."""

    element_id: int
    code: str
    name: str
    unit: str
    value_type: ValueType
    previous: float | None  # the unit's value for the previous period of the same type
    baseline: str  # printed texts of the element's indicators ("" if none)
    annual_target: str
    value: float | None
    text_value: str | None
    comment: str
    evidence_count: int


@dataclass(frozen=True)
class TaskRow:
    """One assigned task of the entry grid."""

    plan_item_id: int
    marker: str
    title: str
    deadline: str | None
    status: TaskStatus | None
    percent: float | None
    progress_text: str
    problems_text: str
    next_steps_text: str
    evidence_count: int


@dataclass(frozen=True)
class ReturnSheet:
    """Everything the entry grid shows for a unit and period."""

    plan_id: int
    unit_id: int
    unit_name: str
    period: str
    period_label: str
    submission: Submission | None
    rows: list[EntryRow]
    tasks: list[TaskRow]
    comments: dict[tuple[str, int], str]  # ("element"|"task", id) → the last return's comment
    editable: bool
    locked_reason: str  # why not editable, in Chinese ("" when editable)


@dataclass(frozen=True)
class SubmissionVersion:
    """The snapshot taken when a submission entered a status (a row of submission_version)."""

    id: int
    submission_id: int
    version: int
    status: SubmissionStatus
    at: str
    user_id: int | None
    username: str
    reason: str
    values: dict[int, tuple[float | None, str | None, str]]  # element → value, text, comment
    tasks: dict[int, tuple[str, float | None, str, str, str]]  # item → status, %, 进展, 问题, 下步
    source: str


@dataclass(frozen=True)
class ValueDiff:
    """One field that differs between a snapshot and the current figures."""

    kind: str  # "element" | "task"
    item_id: int
    name: str
    field: str  # 本期数值/说明/状态/完成百分比/进展/问题/下步
    old: str
    new: str


# --------------------------------------------------------------------------------------------
# Reading


def _now_stamp(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _period(period: str) -> Period:
    return Period.parse(period)


def _previous(period: Period) -> Period:
    first = period.first_month - period.months
    if first >= 1:
        return Period(period.year, first, period.months)
    return Period(period.year - 1, 12 - period.months + 1, period.months)


def get_submission(db: Database, submission_id: int) -> Submission:
    """A stored submission.

    Raises:
        NotFoundError: there is no such submission.
    """
    rows = list(db.query("SELECT * FROM submission WHERE id = ?", [submission_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {submission_id} 的报表，可能已被删除。请刷新列表。",
                            f"submission {submission_id}")
    return submission_from_row(rows[0])


def find_submission(db: Database, plan_id: int, unit_id: int, period: str) -> Submission | None:
    """The unit's submission for the period, or ``None`` when nothing was entered yet."""
    rows = list(db.query(
        "SELECT * FROM submission WHERE plan_id = ? AND org_unit_id = ? AND period = ?",
        [plan_id, unit_id, period]))
    return submission_from_row(rows[0]) if rows else None


def list_submissions(db: Database, plan_id: int, period: str | None = None) -> list[Submission]:
    """A plan's submissions (of one period, or all), by period then unit order."""
    where = "s.plan_id = ?"
    params: list[object] = [plan_id]
    if period is not None:
        where += " AND s.period = ?"
        params.append(period)
    rows = list(db.query(
        f"SELECT s.* FROM submission s JOIN org_unit u ON u.id = s.org_unit_id WHERE {where} "
        "ORDER BY s.period, u.sort_order, u.code", params))
    return [submission_from_row(r) for r in rows]


def unit_elements(db: Database, plan_id: int, unit: OrgUnit) -> list[tuple[DataElement,
                                                                           list[Indicator]]]:
    """The elements a unit reports for a plan, with the indicators using each, in order.

    A station reports the station-level elements the plan's indicators use, the district
    bureau the district-level ones; other units report only task progress (as the templates).
    """
    if unit.unit_type is UnitType.STATION:
        level: EntryLevel | None = EntryLevel.STATION
    elif unit.unit_type is UnitType.DISTRICT_BUREAU:
        level = EntryLevel.DISTRICT
    else:
        return []
    by_id = {e.id: e for e in list_elements(db)}
    related: dict[int, list[Indicator]] = {}
    for ind in list_indicators(db, plan_id):
        for element_id in (ind.numerator_id, ind.denominator_id):
            if element_id is not None and ind not in related.setdefault(element_id, []):
                related[element_id].append(ind)
    return [(by_id[eid], inds) for eid, inds in related.items()
            if by_id[eid].entry_level is level]


def _joined(indicators: Sequence[Indicator], texts: Sequence[str]) -> str:
    """The indicators' texts; named unless the one indicator is the element's own figure.

    A rate's baseline (3%) beside a count (户) would read as the count's, so it is shown as
    “3%（双随机抽查比例）”: the figure first, so that a narrow column still shows it.
    """
    if len(indicators) == 1 and indicators[0].denominator_id is None:
        return texts[0]
    return "\n".join(f"{text}（{ind.name}）" for ind, text in zip(indicators, texts, strict=True)
                     if text)


def _values(db: Database, unit_id: int, period: str) -> dict[int, tuple[float | None,
                                                                         str | None, str]]:
    return {r[0]: (r[1], r[2], r[3]) for r in db.execute(
        "SELECT element_id, value, text_value, comment FROM data_value "
        "WHERE org_unit_id = ? AND period = ?", [unit_id, period])}


def _tasks(db: Database, plan_id: int, unit_id: int,
           period: str) -> dict[int, tuple[str, float | None, str, str, str]]:
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in db.execute(
        "SELECT t.plan_item_id, t.status, t.percent, t.progress_text, t.problems_text, "
        "t.next_steps_text FROM task_progress t JOIN plan_item p ON p.id = t.plan_item_id "
        "WHERE p.plan_id = ? AND t.org_unit_id = ? AND t.period = ?", [plan_id, unit_id, period])}


def _evidence_counts(db: Database, plan_id: int, unit_id: int,
                     period: str) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for element_id, item_id, n in db.execute(
            "SELECT element_id, plan_item_id, count(*) FROM evidence WHERE plan_id = ? AND "
            "org_unit_id = ? AND period = ? GROUP BY element_id, plan_item_id",
            [plan_id, unit_id, period]):
        key = ("element", element_id) if element_id is not None else ("task", item_id)
        counts[key] = n
    return counts


def unit_task_rows(db: Database, plan_id: int, unit_id: int,
                   period: str | None = None) -> list[TaskRow]:
    """The unit's assigned tasks (lead or cooperating) with its progress.

    Args:
        period: The period whose progress is shown; ``None``: the latest progress entered.
    """
    items = {i.id: i for i in list_plan_items(db, plan_id)}
    order = {item_id: n for n, item_id in enumerate(items)}
    assigned = sorted(
        db.execute("SELECT a.plan_item_id, a.deadline FROM assignment a JOIN plan_item p "
                   "ON p.id = a.plan_item_id WHERE p.plan_id = ? AND a.org_unit_id = ?",
                   [plan_id, unit_id]).fetchall(), key=lambda r: order.get(r[0], 0))
    if period is not None:
        progress = _tasks(db, plan_id, unit_id, period)
        counts = _evidence_counts(db, plan_id, unit_id, period)
    else:
        progress = {}
        for r in db.execute(
                "SELECT t.plan_item_id, t.status, t.percent, t.progress_text, t.problems_text, "
                "t.next_steps_text FROM task_progress t JOIN plan_item p ON p.id = t.plan_item_id"
                " WHERE p.plan_id = ? AND t.org_unit_id = ? ORDER BY t.updated_at, t.id",
                [plan_id, unit_id]):
            progress[r[0]] = (r[1], r[2], r[3], r[4], r[5])
        counts = {}
    rows: list[TaskRow] = []
    for item_id, deadline in assigned:
        item = items[item_id]
        title = item.title.strip() or item.body.strip()[:60]
        p = progress.get(item_id)
        rows.append(TaskRow(
            plan_item_id=item_id, marker=item.marker, title=title, deadline=deadline,
            status=TaskStatus(p[0]) if p else None, percent=p[1] if p else None,
            progress_text=p[2] if p else "", problems_text=p[3] if p else "",
            next_steps_text=p[4] if p else "", evidence_count=counts.get(("task", item_id), 0)))
    return rows


def _last_return(db: Database, submission_id: int) -> int | None:
    row = db.execute("SELECT max(version) FROM submission_version WHERE submission_id = ? "
                     "AND status = ?", [submission_id, SubmissionStatus.RETURNED.value]).fetchone()
    return row[0] if row and row[0] is not None else None


def review_comments(db: Database, submission_id: int,
                    version: int | None = None) -> dict[tuple[str, int], str]:
    """The reviewer's comments of a return (by default the last one), by ("element"|"task", id)."""
    if version is None:
        version = _last_return(db, submission_id)
        if version is None:
            return {}
    comments: dict[tuple[str, int], str] = {}
    for element_id, item_id, text in db.execute(
            "SELECT element_id, plan_item_id, text FROM review_comment WHERE submission_id = ? "
            "AND version = ? ORDER BY id", [submission_id, version]):
        key = ("element", element_id) if element_id is not None else ("task", item_id)
        comments[key] = text
    return comments


def _locked_reason(unit: OrgUnit, period: Period, status: SubmissionStatus | None) -> str:
    if status is SubmissionStatus.APPROVED:
        return (f"{unit.name}{period.label}的报表已审核锁定，不能修改。"
                "如需更正，请联系区局审核员重新打开。")
    if status is SubmissionStatus.SUBMITTED:
        return (f"{unit.name}{period.label}的报表已报送，等待审核，不能修改。"
                "如需更正，请联系区局审核员退回。")
    return ""


def return_sheet(db: Database, actor: Actor, plan_id: int, unit_id: int,
                 period: str) -> ReturnSheet:
    """What the entry grid shows for a unit and period (requires VIEW of the unit).

    Raises:
        PermissionDenied: the actor may not view the unit's figures.
        NotFoundError: no such plan or unit.
        ValidationError: the period id is malformed.
    """
    the_period = _period(period)
    get_plan(db, plan_id)
    unit = get_unit(db, unit_id)
    require(db, actor, Action.VIEW, unit_id, what=f"{unit.name}{the_period.label}的报表")
    submission = find_submission(db, plan_id, unit_id, the_period.id)
    current = _values(db, unit_id, the_period.id)
    previous = _values(db, unit_id, _previous(the_period).id)
    counts = _evidence_counts(db, plan_id, unit_id, the_period.id)
    rows: list[EntryRow] = []
    for element, inds in unit_elements(db, plan_id, unit):
        annual = [ind.annual_target_shown(the_period.year) for ind in inds]
        value = current.get(element.id, (None, None, ""))
        rows.append(EntryRow(
            element_id=element.id, code=element.code, name=element.name, unit=element.unit,
            value_type=element.value_type, previous=previous.get(element.id, (None,))[0],
            baseline=_joined(inds, [i.shown(i.baseline) for i in inds]),
            annual_target=_joined(inds, annual), value=value[0], text_value=value[1],
            comment=value[2], evidence_count=counts.get(("element", element.id), 0)))
    status = submission.status if submission else None
    may_enter = allowed(actor, Action.ENTER, unit_id, unit_type=unit.unit_type)
    reason = _locked_reason(unit, the_period, status)
    if not reason and not may_enter:
        reason = f"{actor.label}没有填报{unit.name}数据的权限，只能查看。"
    return ReturnSheet(
        plan_id=plan_id, unit_id=unit_id, unit_name=unit.name, period=the_period.id,
        period_label=the_period.label, submission=submission, rows=rows,
        tasks=unit_task_rows(db, plan_id, unit_id, the_period.id),
        comments=review_comments(db, submission.id) if submission else {},
        editable=not reason, locked_reason=reason)


# --------------------------------------------------------------------------------------------
# Validation of what a user typed

def validate_entry(element: DataElement, raw: str) -> tuple[EntryValue | None, str]:
    """Parse what a user typed for an element, as tolerantly as the returns importer.

    Accepted: ``1,234.5``, full-width digits, the element's unit after the number, ``12%`` for
    percentages; ``""``, ``-`` and ``—`` mean no value (not 0).

    Returns:
        ``(value, "")``, or ``(None, reason)`` with a Chinese sentence saying what to type.
    """
    text = raw if isinstance(raw, str) else str(raw)
    parsed = parse_reported_value(text, element.value_type, unit=element.unit)
    if parsed.error:
        return None, parsed.error
    if parsed.text is not None:
        return EntryValue(element.id, None, parsed.text), ""
    return EntryValue(element.id, parsed.value), ""


# --------------------------------------------------------------------------------------------
# Snapshots and transitions


def _snapshot_json(db: Database, plan_id: int, unit_id: int, period: str) -> tuple[str, str]:
    values = {str(k): list(v) for k, v in sorted(_values(db, unit_id, period).items())}
    tasks = {str(k): list(v) for k, v in sorted(_tasks(db, plan_id, unit_id, period).items())}
    return (json.dumps(values, ensure_ascii=False, sort_keys=True),
            json.dumps(tasks, ensure_ascii=False, sort_keys=True))


def snapshot_submission(db: Database, submission_id: int, status: SubmissionStatus, *,
                        at: str, actor: Actor | None = None, reason: str = "",
                        source: str = "") -> int:
    """Bump a submission's version and store a snapshot of its current figures.

    Call inside the transaction that changes the submission's status; returns the new version.
    """
    sub = get_submission(db, submission_id)
    version = sub.version + 1
    values_json, tasks_json = _snapshot_json(db, sub.plan_id, sub.org_unit_id, sub.period)
    db.execute(
        "INSERT INTO submission_version (submission_id, version, status, at, user_id, username, "
        "reason, values_json, tasks_json, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [submission_id, version, status.value, at, actor.user_id if actor else None,
         actor.username if actor else "", reason, values_json, tasks_json, source])
    db.execute("UPDATE submission SET version = ?, "
               "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') WHERE id = ?",
               [version, submission_id])
    return version


def _version(row: dict[str, Any]) -> SubmissionVersion:
    values = {int(k): (v[0], v[1], v[2]) for k, v in json.loads(row["values_json"]).items()}
    tasks = {int(k): (v[0], v[1], v[2], v[3], v[4])
             for k, v in json.loads(row["tasks_json"]).items()}
    return SubmissionVersion(
        id=row["id"], submission_id=row["submission_id"], version=row["version"],
        status=SubmissionStatus(row["status"]), at=row["at"], user_id=row["user_id"],
        username=row["username"], reason=row["reason"], values=values, tasks=tasks,
        source=row["source"])


def versions(db: Database, submission_id: int) -> list[SubmissionVersion]:
    """Every snapshot of a submission, oldest first."""
    return [_version(r) for r in db.query(
        "SELECT * FROM submission_version WHERE submission_id = ? ORDER BY version",
        [submission_id])]


def _what(unit: OrgUnit, period: str) -> str:
    return f"{unit.name}{_period(period).label}的报表"


def _check_editable(db: Database, actor: Actor, action: Action, unit: OrgUnit, period: str,
                    status: SubmissionStatus | None, *, allow_submitted: bool = False) -> None:
    if status is SubmissionStatus.APPROVED or (
            status is SubmissionStatus.SUBMITTED and not allow_submitted):
        deny(db, actor, action, unit.id, _locked_reason(unit, _period(period), status),
             what=_what(unit, period), detail=f"status {status}")


def _value_source(source: str) -> ValueSource:
    return ValueSource.WORKBOOK if source.startswith("file:") else ValueSource.ENTRY


def _task_dict(t: tuple[str, float | None, str, str, str] | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"status": t[0], "percent": t[1], "progress": t[2], "problems": t[3], "next": t[4]}


def _check_entries(db: Database, plan_id: int, unit: OrgUnit, values: Sequence[EntryValue],
                   tasks: Sequence[EntryTask]) -> None:
    known = {e.id: e for e, _ in unit_elements(db, plan_id, unit)}
    for v in values:
        if v.element_id not in known:
            raise ValidationError(f"数据项（编号 {v.element_id}）不在{unit.name}的填报范围内，"
                                  "请刷新填报表后重新填写。", f"element {v.element_id}")
        for text, label in ((v.comment, "说明"), (v.text_value or "", "内容")):
            if len(text) > MAX_TEXT:
                raise ValidationError(
                    f"“{known[v.element_id].name}”的{label}超过 {MAX_TEXT:,} 字的上限，请精简。",
                    "text too long")
    assigned = {r[0] for r in db.execute(
        "SELECT a.plan_item_id FROM assignment a JOIN plan_item p ON p.id = a.plan_item_id "
        "WHERE p.plan_id = ? AND a.org_unit_id = ?", [plan_id, unit.id])}
    for t in tasks:
        if t.plan_item_id not in assigned:
            raise ValidationError(f"任务（编号 {t.plan_item_id}）没有分工给{unit.name}，"
                                  "不能填写其进展。请刷新填报表。", f"task {t.plan_item_id}")
        if t.percent is not None and not 0 <= t.percent <= 100:
            raise ValidationError(f"完成百分比 {shown_number(t.percent)} 不在 0 到 100 之间，"
                                  "请核对。", "percent out of range")
        for text in (t.progress_text, t.problems_text, t.next_steps_text):
            if len(text) > MAX_TEXT:
                raise ValidationError(f"任务进展文字超过 {MAX_TEXT:,} 字的上限，请精简。",
                                      "text too long")


def save_draft(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str,
               values: Sequence[EntryValue] = (), tasks: Sequence[EntryTask] = (), *,
               source: str = "keyboard") -> int:
    """Save entered values and task progress as a draft; returns how many changed.

    Only changed values are written, each with an audit event (``value.set`` / ``task.set``).

    Raises:
        PermissionDenied: the actor may not enter the unit's figures, or the return is
            submitted or approved (locked).
        ValidationError: an element or task is not the unit's, or a text is too long.
    """
    the_period = _period(period)
    unit = get_unit(db, unit_id)
    require(db, actor, Action.ENTER, unit_id, what=_what(unit, the_period.id))
    submission = find_submission(db, plan_id, unit_id, the_period.id)
    _check_editable(db, actor, Action.ENTER, unit, the_period.id,
                    submission.status if submission else None)
    _check_entries(db, plan_id, unit, values, tasks)
    changed = 0
    with db.atomic():
        ensure_submission(db, plan_id, unit_id, the_period.id)
        current = _values(db, unit_id, the_period.id)
        for v in values:
            text = v.text_value.strip() if v.text_value else None
            new = (v.value, text or None, v.comment.strip())
            old = current.get(v.element_id)
            if old == new or (old is None and new == (None, None, "")):
                continue
            if new == (None, None, ""):
                db.execute("DELETE FROM data_value WHERE period = ? AND element_id = ? "
                           "AND org_unit_id = ?", [the_period.id, v.element_id, unit_id])
            else:
                db.execute(
                    "INSERT INTO data_value (period, element_id, org_unit_id, value, text_value, "
                    "comment, source, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (period, element_id, org_unit_id) DO UPDATE SET "
                    "value = excluded.value, text_value = excluded.text_value, "
                    "comment = excluded.comment, source = excluded.source, import_id = NULL, "
                    "updated_by = excluded.updated_by, "
                    "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now')",
                    [the_period.id, v.element_id, unit_id, new[0], new[1], new[2],
                     _value_source(source).value, actor.user_id])
            record_event(
                db, "value.set", "data_value", f"{unit_id}/{the_period.id}/{v.element_id}",
                old=None if old is None else {"value": old[0], "text_value": old[1],
                                              "comment": old[2]},
                new={"value": new[0], "text_value": new[1], "comment": new[2]},
                user_id=actor.user_id, username=actor.username, source=source)
            current[v.element_id] = new
            changed += 1
        progress = _tasks(db, plan_id, unit_id, the_period.id)
        for t in tasks:
            new_task = (t.status.value, t.percent, t.progress_text.strip(),
                        t.problems_text.strip(), t.next_steps_text.strip())
            old_task = progress.get(t.plan_item_id)
            if old_task == new_task:
                continue
            db.execute(
                "INSERT INTO task_progress (plan_item_id, org_unit_id, period, status, percent, "
                "progress_text, problems_text, next_steps_text, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (plan_item_id, org_unit_id, period) DO UPDATE SET "
                "status = excluded.status, percent = excluded.percent, "
                "progress_text = excluded.progress_text, problems_text = excluded.problems_text,"
                " next_steps_text = excluded.next_steps_text, updated_by = excluded.updated_by, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now')",
                [t.plan_item_id, unit_id, the_period.id, *new_task, actor.user_id])
            record_event(db, "task.set", "task_progress",
                         f"{unit_id}/{the_period.id}/{t.plan_item_id}",
                         old=_task_dict(old_task), new=_task_dict(new_task),
                         user_id=actor.user_id, username=actor.username, source=source)
            progress[t.plan_item_id] = new_task
            changed += 1
        if changed:
            db.execute("UPDATE submission SET updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') "
                       "WHERE plan_id = ? AND org_unit_id = ? AND period = ?",
                       [plan_id, unit_id, the_period.id])
    return changed


def _is_empty(db: Database, plan_id: int, unit_id: int, period: str) -> bool:
    values = db.execute(
        "SELECT count(*) FROM data_value WHERE org_unit_id = ? AND period = ? AND "
        "(value IS NOT NULL OR coalesce(text_value, '') != '')", [unit_id, period]).fetchone()[0]
    return not values and not _tasks(db, plan_id, unit_id, period)


def _audit(db: Database, actor: Actor, action: str, sub: Submission, old: Submission,
           *, source: str | None, extra: dict[str, Any] | None = None) -> None:
    new: dict[str, Any] = {"status": sub.status.value, "version": sub.version}
    if extra:
        new.update(extra)
    record_event(db, action, "submission", sub.id,
                 old={"status": old.status.value, "version": old.version}, new=new,
                 user_id=actor.user_id, username=actor.username, source=source)


def _check_window(db: Database, actor: Actor, action: Action, plan_id: int, unit_id: int,
                  period: Period, stamp: str, what: str) -> None:
    """Refuse a return submitted (by its recorded time) before the period's window opened."""
    from desktop.models.windows import get_window, local_date

    window = get_window(db, plan_id, period.id)
    if window is not None and local_date(stamp) < window.opens_on:
        deny(db, actor, action, unit_id,
             f"{period.label}的报送期尚未开始（{window.opens_on.isoformat()} 开始，"
             f"{window.deadline.isoformat()} 截止），{what}不能在此之前报送。请到时再报送。",
             what=what, detail="window not open", error=ValidationError)


def _set_submitted(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str, *,
                   stamp: str, source: str, by: int | None, action: str) -> Submission:
    """Mark a return submitted (``by`` None: received from a workbook), snapshot and audit it."""
    with db.atomic():
        old = ensure_submission(db, plan_id, unit_id, period)
        db.execute("UPDATE submission SET status = ?, reason = '', submitted_at = ?, "
                   "submitted_by = ?, submitted_source = ? WHERE id = ?",
                   [SubmissionStatus.SUBMITTED.value, stamp, by, source, old.id])
        snapshot_submission(db, old.id, SubmissionStatus.SUBMITTED, at=stamp, actor=actor,
                            source=source)
        sub = get_submission(db, old.id)
        _audit(db, actor, action, sub, old, source=source, extra={"submitted_at": stamp})
    return sub


def submit(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str, *,
           now: datetime | None = None, source: str = "keyboard") -> Submission:
    """Submit a unit's return (draft or returned → submitted); audited ``submission.submit``.

    Raises:
        PermissionDenied: the actor may not submit for the unit, or it is submitted already
            or approved.
        ValidationError: nothing was entered, or the period's window has not opened.
    """
    the_period = _period(period)
    unit = get_unit(db, unit_id)
    what = _what(unit, the_period.id)
    require(db, actor, Action.SUBMIT, unit_id, what=what)
    existing = find_submission(db, plan_id, unit_id, the_period.id)
    _check_editable(db, actor, Action.SUBMIT, unit, the_period.id,
                    existing.status if existing else None)
    stamp = _now_stamp(now)
    _check_window(db, actor, Action.SUBMIT, plan_id, unit_id, the_period, stamp, what)
    if _is_empty(db, plan_id, unit_id, the_period.id):
        deny(db, actor, Action.SUBMIT, unit_id,
             f"{what}没有填写任何数值或任务进展，不能报送。请先填写本期数值再报送。",
             what=what, detail="empty", error=ValidationError)
    return _set_submitted(db, actor, plan_id, unit_id, the_period.id, stamp=stamp, source=source,
                          by=actor.user_id, action="submission.submit")


def receive_submission(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str, *,
                       submitted_at: str, source: str) -> Submission:
    """Record an imported submission workbook at the district (status submitted).

    Call it after writing the workbook's values, inside the same transaction. Lateness is
    judged later by ``submitted_at``, the time recorded in the workbook.

    Raises:
        PermissionDenied: the actor may not import, or the return is approved (locked).
        ValidationError: ``submitted_at`` is not an ISO date and time, or lies before the
            period's window opened.
    """
    the_period = _period(period)
    unit = get_unit(db, unit_id)
    what = _what(unit, the_period.id)
    require(db, actor, Action.IMPORT, unit_id, what=what)
    try:
        moment = datetime.fromisoformat(submitted_at)
    except ValueError:
        raise ValidationError(f"报送时间“{submitted_at}”的格式不正确，无法判断是否按时报送。",
                              "bad submitted_at") from None
    stamp = _now_stamp(moment)
    existing = find_submission(db, plan_id, unit_id, the_period.id)
    if existing is not None and existing.status is SubmissionStatus.APPROVED:
        _check_editable(db, actor, Action.IMPORT, unit, the_period.id, existing.status)
    _check_window(db, actor, Action.IMPORT, plan_id, unit_id, the_period, stamp, what)
    return _set_submitted(db, actor, plan_id, unit_id, the_period.id, stamp=stamp, source=source,
                          by=None, action="submission.receive")


def _comment_rows(db: Database, comments: Mapping[tuple[str, int], str]) -> list[
        tuple[int | None, int | None, str]]:
    rows: list[tuple[int | None, int | None, str]] = []
    for (kind, item_id), text in comments.items():
        if not text.strip():
            continue
        if kind == "element":
            rows.append((item_id, None, text.strip()))
        elif kind == "task":
            rows.append((None, item_id, text.strip()))
        else:
            raise ValidationError("审核意见只能针对数据项或任务。", f"comment kind {kind!r}")
        if len(text) > MAX_TEXT:
            raise ValidationError(f"审核意见超过 {MAX_TEXT:,} 字的上限，请精简。", "too long")
    return rows


def _store_comments(db: Database, submission_id: int, version: int,
                    rows: list[tuple[int | None, int | None, str]]) -> None:
    db.conn.executemany(
        "INSERT INTO review_comment (submission_id, version, element_id, plan_item_id, text) "
        "VALUES (?, ?, ?, ?, ?)", [(submission_id, version, *r) for r in rows])


def _only_from(db: Database, actor: Actor, action: Action, sub: Submission,
               wanted: SubmissionStatus, verb: str) -> None:
    if sub.status is wanted:
        return
    unit = get_unit(db, sub.org_unit_id)
    deny(db, actor, action, sub.org_unit_id,
         f"{_what(unit, sub.period)}当前状态为“{sub.status.label}”，只有“{wanted.label}”的报表"
         f"才能{verb}。请刷新列表后再操作。",
         what=_what(unit, sub.period), detail=f"status {sub.status}", error=ValidationError)


def _for_review(db: Database, actor: Actor, action: Action, submission_id: int,
                wanted: SubmissionStatus, verb: str, reason: str | None = None,
                no_reason: str = "") -> tuple[Submission, str]:
    """The submission and its description, once the actor may act on it in its status.

    ``reason`` None: the action needs none; otherwise a blank one is refused with
    ``no_reason``.
    """
    sub = get_submission(db, submission_id)
    unit = get_unit(db, sub.org_unit_id)
    what = _what(unit, sub.period)
    require(db, actor, action, sub.org_unit_id, what=what)
    if reason is not None and not reason.strip():
        deny(db, actor, action, sub.org_unit_id, no_reason, what=what, detail="no reason",
             error=ValidationError)
    _only_from(db, actor, action, sub, wanted, verb)
    return sub, what


def _set_reviewed(db: Database, actor: Actor, submission_id: int, status: SubmissionStatus,
                  reason: str, stamp: str) -> int:
    """Set a reviewed status and snapshot it, inside the caller's transaction; the version."""
    db.execute("UPDATE submission SET status = ?, reason = ?, reviewed_at = ?, "
               "reviewed_by = ? WHERE id = ?",
               [status.value, reason, stamp, actor.user_id, submission_id])
    return snapshot_submission(db, submission_id, status, at=stamp, actor=actor, reason=reason,
                               source="keyboard")


def return_submission(db: Database, actor: Actor, submission_id: int, reason: str,
                      comments: Mapping[tuple[str, int], str] | None = None) -> Submission:
    """Return a submitted return to its unit with a reason and comments per value or task.

    Raises:
        PermissionDenied: the actor may not return it.
        ValidationError: no reason, or the return is not submitted.
    """
    sub, _ = _for_review(db, actor, Action.RETURN, submission_id,
                         SubmissionStatus.SUBMITTED, "退回", reason,
                         "退回必须填写原因，请写明需要填报单位核对或更正的内容。")
    rows = _comment_rows(db, comments or {})
    stamp = _now_stamp()
    with db.atomic():
        version = _set_reviewed(db, actor, submission_id, SubmissionStatus.RETURNED,
                                reason.strip(), stamp)
        _store_comments(db, submission_id, version, rows)
        new = get_submission(db, submission_id)
        _audit(db, actor, "submission.return", new, sub, source="keyboard",
               extra={"reason": reason.strip(),
                      "comments": {f"{'element' if e is not None else 'task'}:{e or i}": t
                                   for e, i, t in rows}})
    return new


def approve(db: Database, actor: Actor, submission_id: int) -> Submission:
    """Approve a submitted return, which locks it; audited ``submission.approve``.

    Raises:
        PermissionDenied: the actor may not approve.
        ValidationError: the return is not submitted, or it is empty.
    """
    sub, what = _for_review(db, actor, Action.APPROVE, submission_id,
                            SubmissionStatus.SUBMITTED, "审核通过")
    if _is_empty(db, sub.plan_id, sub.org_unit_id, sub.period):
        deny(db, actor, Action.APPROVE, sub.org_unit_id,
             f"{what}没有填写任何数值或任务进展，不能审核通过。请退回并说明原因。",
             what=what, detail="empty", error=ValidationError)
    stamp = _now_stamp()
    with db.atomic():
        _set_reviewed(db, actor, submission_id, SubmissionStatus.APPROVED, "", stamp)
        new = get_submission(db, submission_id)
        _audit(db, actor, "submission.approve", new, sub, source="keyboard")
    return new


def reopen(db: Database, actor: Actor, submission_id: int, reason: str) -> Submission:
    """Reopen an approved return (approved → returned) with a reason.

    Raises:
        PermissionDenied: the actor may not reopen.
        ValidationError: no reason, or the return is not approved.
    """
    sub, _ = _for_review(db, actor, Action.REOPEN, submission_id,
                         SubmissionStatus.APPROVED, "重新打开", reason,
                         "重新打开已审核的报表必须填写原因，请写明需要更正的内容。")
    stamp = _now_stamp()
    with db.atomic():
        _set_reviewed(db, actor, submission_id, SubmissionStatus.RETURNED, reason.strip(), stamp)
        new = get_submission(db, submission_id)
        _audit(db, actor, "submission.reopen", new, sub, source="keyboard",
               extra={"reason": reason.strip()})
    return new


def apply_review(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str, *,
                 status: SubmissionStatus, reason: str, comments: Mapping[tuple[str, int], str],
                 reviewed_at: str, source: str) -> Submission:
    """Record at the station the district's review notice (returned or approved).

    Raises:
        PermissionDenied: the actor may not view the unit.
        ValidationError: the status is neither returned nor approved, or a return has no
            reason.
    """
    the_period = _period(period)
    unit = get_unit(db, unit_id)
    what = _what(unit, the_period.id)
    require(db, actor, Action.VIEW, unit_id, what=what)
    if status not in (SubmissionStatus.RETURNED, SubmissionStatus.APPROVED):
        raise ValidationError("审核通知只能是“退回”或“已审核”。", f"review status {status}")
    if status is SubmissionStatus.RETURNED and not reason.strip():
        raise ValidationError("审核通知为退回，但没有写明原因，请联系区局重新发送。",
                              "return without reason")
    rows = _comment_rows(db, comments)
    try:
        stamp = _now_stamp(datetime.fromisoformat(reviewed_at))
    except ValueError:
        raise ValidationError(f"审核时间“{reviewed_at}”的格式不正确。", "bad reviewed_at") from None
    with db.atomic():
        old = ensure_submission(db, plan_id, unit_id, the_period.id)
        db.execute("UPDATE submission SET status = ?, reason = ?, reviewed_at = ? WHERE id = ?",
                   [status.value, reason.strip(), stamp, old.id])
        version = snapshot_submission(db, old.id, status, at=stamp, actor=actor,
                                      reason=reason.strip(), source=source)
        _store_comments(db, old.id, version, rows)
        new = get_submission(db, old.id)
        _audit(db, actor, "submission.review", new, old, source=source,
               extra={"reason": reason.strip(), "reviewed_at": stamp})
    return new


# --------------------------------------------------------------------------------------------
# Diffs and history


def element_and_task_names(db: Database, plan_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """Names by id: of every data element, and of the plan's items (marker and title)."""
    elements = {e.id: e.name for e in list_elements(db)}
    tasks = {i.id: (f"{i.marker}{i.title}".strip() or i.body.strip()[:60])
             for i in list_plan_items(db, plan_id)}
    return elements, tasks


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return shown_number(float(value))
    return str(value)


def _diff(db: Database, sub: Submission, snap: SubmissionVersion) -> list[ValueDiff]:
    elements, items = element_and_task_names(db, sub.plan_id)
    diffs: list[ValueDiff] = []
    current = _values(db, sub.org_unit_id, sub.period)
    for element_id in sorted(set(current) | set(snap.values)):
        old = snap.values.get(element_id, (None, None, ""))
        new = current.get(element_id, (None, None, ""))
        name = elements.get(element_id, f"数据项 {element_id}")
        old_value = _text(old[0]) if old[0] is not None else (old[1] or "")
        new_value = _text(new[0]) if new[0] is not None else (new[1] or "")
        if old_value != new_value:
            diffs.append(ValueDiff("element", element_id, name, "本期数值", old_value, new_value))
        if (old[2] or "") != (new[2] or ""):
            diffs.append(ValueDiff("element", element_id, name, "说明", old[2] or "",
                                   new[2] or ""))
    tasks = _tasks(db, sub.plan_id, sub.org_unit_id, sub.period)
    empty: tuple[str, float | None, str, str, str] = ("", None, "", "", "")
    for item_id in sorted(set(tasks) | set(snap.tasks)):
        old_t = snap.tasks.get(item_id, empty)
        new_t = tasks.get(item_id, empty)
        name = items.get(item_id, f"任务 {item_id}")
        for index, label in enumerate(("状态", "完成百分比", "进展", "问题", "下步")):
            a: object = old_t[index]
            b: object = new_t[index]
            if index == 0:
                a = TaskStatus(str(a)).label if a else ""
                b = TaskStatus(str(b)).label if b else ""
            if _text(a) != _text(b):
                diffs.append(ValueDiff("task", item_id, name, label, _text(a), _text(b)))
    return diffs


def _last_version(db: Database, submission_id: int,
                  status: SubmissionStatus) -> SubmissionVersion | None:
    rows = list(db.query(
        "SELECT * FROM submission_version WHERE submission_id = ? AND status = ? "
        "ORDER BY version DESC LIMIT 1", [submission_id, status.value]))
    return _version(rows[0]) if rows else None


def diff_since_return(db: Database, submission_id: int) -> list[ValueDiff]:
    """The current figures against those of the last return ([] if never returned)."""
    sub = get_submission(db, submission_id)
    snap = _last_version(db, submission_id, SubmissionStatus.RETURNED)
    return [] if snap is None else _diff(db, sub, snap)


def changed_since_approval(db: Database, plan_id: int) -> list[tuple[Submission,
                                                                     list[ValueDiff]]]:
    """Submissions whose current figures differ from their last approved snapshot.

    Submissions approved before versions were kept (no snapshot) are left out.
    """
    found: list[tuple[Submission, list[ValueDiff]]] = []
    for sub in list_submissions(db, plan_id):
        snap = _last_version(db, sub.id, SubmissionStatus.APPROVED)
        if snap is None:
            continue
        diffs = _diff(db, sub, snap)
        if diffs:
            found.append((sub, diffs))
    return found


def value_history(db: Database, unit_id: int, period: str, element_id: int) -> list[AuditEvent]:
    """Every recorded change of one value, oldest first."""
    return events_for(db, "data_value", f"{unit_id}/{period}/{element_id}")


def task_history(db: Database, unit_id: int, period: str, plan_item_id: int) -> list[AuditEvent]:
    """Every recorded change of a unit's progress on one task in a period, oldest first."""
    return events_for(db, "task_progress", f"{unit_id}/{period}/{plan_item_id}")

