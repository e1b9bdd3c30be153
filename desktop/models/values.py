"""Reported figures, a unit's return for a period, and task progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlite_utils import Database


class ValueSource(StrEnum):
    ENTRY = "entry"
    WORKBOOK = "workbook"
    IMPORT = "import"
    DEMO = "demo"


class SubmissionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "submitted": "已报送", "returned": "退回",
                "approved": "已审核"}[self.value]


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"

    @property
    def label(self) -> str:
        return {"not_started": "未启动", "in_progress": "推进中", "completed": "已完成",
                "delayed": "滞后"}[self.value]


@dataclass(frozen=True)
class DataValue:
    """One element's value for one unit and period, with where it came from."""

    period: str
    element_id: int
    org_unit_id: int
    value: float | None
    text_value: str | None = None
    comment: str = ""
    source: ValueSource = ValueSource.ENTRY
    import_id: int | None = None
    updated_by: int | None = None
    updated_at: str = ""


@dataclass(frozen=True)
class Submission:
    """A unit's return for a period of a plan; its status drives the review workflow."""

    id: int
    plan_id: int
    org_unit_id: int
    period: str
    status: SubmissionStatus
    reason: str = ""
    submitted_at: str | None = None
    reviewed_at: str | None = None
    version: int = 0  # bumped at each transition of the workflow
    submitted_source: str = ""  # "keyboard", or the submission workbook's name and hash
    reviewed_by: int | None = None


@dataclass(frozen=True)
class TaskProgress:
    """A unit's progress on a task in a period."""

    plan_item_id: int
    org_unit_id: int
    period: str
    status: TaskStatus
    percent: float | None = None
    progress_text: str = ""
    problems_text: str = ""
    next_steps_text: str = ""


def write_values(db: Database, values: Iterable[DataValue]) -> int:
    """Insert or replace values in one statement batch; returns how many were written.

    Bulk writes use plain ``executemany``: sqlite-utils' ``insert_all`` is several times
    slower for millions of rows.
    """
    rows = [
        (v.period, v.element_id, v.org_unit_id, v.value, v.text_value, v.comment,
         v.source.value, v.import_id, v.updated_by)
        for v in values
    ]
    db.conn.executemany(
        "INSERT INTO data_value (period, element_id, org_unit_id, value, text_value, comment, "
        "source, import_id, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (period, element_id, org_unit_id) DO UPDATE SET value = excluded.value, "
        "text_value = excluded.text_value, comment = excluded.comment, source = excluded.source, "
        "import_id = excluded.import_id, updated_by = excluded.updated_by, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now')",
        rows,
    )
    return len(rows)


def _value(row: dict[str, Any]) -> DataValue:
    return DataValue(
        period=row["period"], element_id=row["element_id"], org_unit_id=row["org_unit_id"],
        value=row["value"], text_value=row["text_value"], comment=row["comment"],
        source=ValueSource(row["source"]), import_id=row["import_id"],
        updated_by=row["updated_by"], updated_at=row["updated_at"],
    )


def list_values(
    db: Database, *, period: str | None = None, org_unit_id: int | None = None,
    element_id: int | None = None,
) -> list[DataValue]:
    """Values filtered by any of period, unit and element."""
    clauses: list[str] = []
    params: list[object] = []
    for column, wanted in (("period", period), ("org_unit_id", org_unit_id),
                           ("element_id", element_id)):
        if wanted is not None:
            clauses.append(f"{column} = ?")
            params.append(wanted)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return [_value(r) for r in db.query(
        f"SELECT * FROM data_value{where} ORDER BY period, org_unit_id, element_id", params)]


def ensure_submission(db: Database, plan_id: int, org_unit_id: int, period: str,
                      status: SubmissionStatus = SubmissionStatus.DRAFT) -> Submission:
    """Return the unit's submission for the period, creating a draft when there is none."""
    db.execute(
        "INSERT OR IGNORE INTO submission (plan_id, org_unit_id, period, status) "
        "VALUES (?, ?, ?, ?)", [plan_id, org_unit_id, period, status.value])
    row = next(db.query(
        "SELECT * FROM submission WHERE plan_id = ? AND org_unit_id = ? AND period = ?",
        [plan_id, org_unit_id, period]))
    return submission_from_row(row)


def submission_from_row(row: dict[str, Any]) -> Submission:
    """A :class:`Submission` from a row of the ``submission`` table."""
    return Submission(id=row["id"], plan_id=row["plan_id"], org_unit_id=row["org_unit_id"],
                      period=row["period"], status=SubmissionStatus(row["status"]),
                      reason=row["reason"], submitted_at=row["submitted_at"],
                      reviewed_at=row["reviewed_at"], version=row.get("version") or 0,
                      submitted_source=row.get("submitted_source") or "",
                      reviewed_by=row["reviewed_by"])


def write_task_progress(db: Database, items: Iterable[TaskProgress]) -> int:
    rows = [(p.plan_item_id, p.org_unit_id, p.period, p.status.value, p.percent,
             p.progress_text, p.problems_text, p.next_steps_text) for p in items]
    db.conn.executemany(
        "INSERT INTO task_progress (plan_item_id, org_unit_id, period, status, percent, "
        "progress_text, problems_text, next_steps_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (plan_item_id, org_unit_id, period) DO UPDATE SET status = excluded.status, "
        "percent = excluded.percent, progress_text = excluded.progress_text, "
        "problems_text = excluded.problems_text, next_steps_text = excluded.next_steps_text, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now')",
        rows,
    )
    return len(rows)
