"""The reporting cycle's workbooks: a station's submission and the district's review notice.

A station submits in PlanDesk: :func:`write_submission` marks the return submitted and writes
the filled template (kind ``submission``), stamped with the time of submission and signed, in
one zip with its evidence files (``附件/<sha256>_<name>``) when there are any. The district
imports it with the returns importer (:mod:`desktop.excel.returns`), returns it with a reason
or approves it, and writes a review notice (:func:`write_review_notice`, kind ``review``): the
unit's template with the figures received, the result and reason in row 4, and each comment
beside its value or task. The station imports the notice (:func:`import_review_notice`) and
sees the reason and comments in its inbox and entry grid.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.excel.plan_workbook import save_workbook
from desktop.excel.reading import ValueSheet, read_values
from desktop.excel.template_format import (
    EVIDENCE_ELEMENT,
    EVIDENCE_FOLDER,
    EVIDENCE_TASK,
    KIND_REVIEW,
    KIND_SUBMISSION,
    REVIEW_COLUMN,
    SHEET_ENTRY,
    SHEET_META,
    EvidenceEntry,
    TemplateMeta,
    cell_text,
    evidence_member_name,
    is_input_cell,
    plan_version_hash,
    signed_payload,
    verify,
)
from desktop.excel.templates import Stamp, build_template, safe_file_name
from desktop.models import workflow
from desktop.models.auth import Actor
from desktop.models.errors import (
    ImportFormatError,
    ImportIssue,
    NotFoundError,
    PlanDeskError,
    ValidationError,
)
from desktop.models.evidence import evidence_path, list_evidence
from desktop.models.indicators import list_elements
from desktop.models.orgunits import OrgUnit, get_unit, get_unit_by_code
from desktop.models.periods import Period
from desktop.models.permissions import Action, allowed, deny, require
from desktop.models.plans import get_plan
from desktop.models.progress import Progress
from desktop.models.settings import installation_id, installation_key
from desktop.models.store import backup_before_import, open_database
from desktop.models.values import (
    Submission,
    SubmissionStatus,
    TaskProgress,
    TaskStatus,
    list_values,
)

__all__ = [
    "ReviewNoticeResult",
    "import_review_notice",
    "import_review_notice_job",
    "review_notice_file_name",
    "review_notice_job",
    "submission_file_name",
    "submission_job",
    "submission_zip_name",
    "write_review_notice",
    "write_submission",
]

log = logging.getLogger(__name__)

#: The statuses a review notice can carry.
_REVIEW_STATUSES = (SubmissionStatus.RETURNED, SubmissionStatus.APPROVED)


@dataclass(frozen=True)
class ReviewNoticeResult:
    """What importing a review notice did at the station."""

    file: str
    submission: Submission  # the station's submission after the notice
    unit_name: str
    period_label: str
    status: SubmissionStatus  # returned or approved
    reason: str
    comments: dict[tuple[str, int], str]  # ("element", element id) / ("task", item id) → text
    reviewed_at: str
    reviewed_by: str

    @property
    def message(self) -> str:
        """One Chinese sentence for the status bar and the CLI."""
        if self.status is SubmissionStatus.APPROVED:
            return (f"已导入审核通知：{self.unit_name}{self.period_label}的报表已审核通过"
                    "（已锁定）。")
        comments = f"，另有 {len(self.comments)} 条具体意见" if self.comments else ""
        return (f"已导入审核通知：{self.unit_name}{self.period_label}的报表被退回，原因："
                f"{self.reason}{comments}。请按意见修改后重新报送。")


# --- names ------------------------------------------------------------------------------------


def submission_file_name(unit: OrgUnit, period: Period | str) -> str:
    """``<period>_<unit code>_<short name>_报送.xlsx``, made safe."""
    period_id = Period.parse(str(period)).id if not isinstance(period, Period) else period.id
    return safe_file_name(f"{period_id}_{unit.code}_{unit.display_name}_报送") + ".xlsx"


def submission_zip_name(unit: OrgUnit, period: Period | str) -> str:
    """``<period>_<unit code>_报送.zip``, made safe."""
    period_id = Period.parse(str(period)).id if not isinstance(period, Period) else period.id
    return safe_file_name(f"{period_id}_{unit.code}_报送") + ".zip"


def review_notice_file_name(unit: OrgUnit, period: Period | str) -> str:
    """``<period>_<unit code>_<short name>_审核通知.xlsx``, made safe."""
    period_id = Period.parse(str(period)).id if not isinstance(period, Period) else period.id
    return safe_file_name(f"{period_id}_{unit.code}_{unit.display_name}_审核通知") + ".xlsx"


def _local_time(stamp: str) -> str:
    """A stored UTC time as the user reads it: local, to the minute."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


# --- the station submits ----------------------------------------------------------------------


def _task_progress(db: Database, unit_id: int, period: str) -> list[TaskProgress]:
    return [TaskProgress(r[0], unit_id, period, TaskStatus(r[1]), r[2], r[3] or "", r[4] or "",
                         r[5] or "")
            for r in db.execute(
                "SELECT plan_item_id, status, percent, progress_text, problems_text, "
                "next_steps_text FROM task_progress WHERE org_unit_id = ? AND period = ?",
                [unit_id, period]).fetchall()]


def write_submission(db: Database, actor: Actor, plan_id: int, unit_id: int,
                     period: Period | str, out_dir: Path, *, now: datetime | None = None,
                     source: str = "keyboard") -> Path:
    """Submit a unit's return and write the submission workbook (and its evidence).

    The return becomes submitted (``workflow.submit``) and the filled template is written,
    kind ``submission``, stamped with ``submitted_at`` and signed. When the unit has evidence
    files for the period, one zip ``<period>_<unit code>_报送.zip`` holds the workbook and
    ``附件/<sha256>_<name>``; otherwise the ``.xlsx`` alone is written. Nothing is marked
    submitted when writing fails.

    Returns:
        The path written (the zip or the workbook) in ``out_dir``.

    Raises:
        PermissionDenied: the actor may not submit for the unit, or the period is locked.
        ValidationError: an empty return, a period whose window has not opened.
        PlanDeskError: the file cannot be written.
    """
    period = period if isinstance(period, Period) else Period.parse(str(period))
    unit = get_unit(db, unit_id)
    out_dir = Path(out_dir)
    written: list[Path] = []
    try:
        with db.atomic():
            submission = workflow.submit(db, actor, plan_id, unit_id, period.id, now=now,
                                         source=source)
            files = list_evidence(db, plan_id, unit_id, period.id)
            codes = {e.id: e.code for e in list_elements(db)}
            entries: list[EvidenceEntry] = []
            for item in files:
                if item.element_id is not None:
                    entries.append((EVIDENCE_ELEMENT, codes[item.element_id], item.file_name,
                                    item.sha256, item.size))
                else:
                    entries.append((EVIDENCE_TASK, str(item.plan_item_id), item.file_name,
                                    item.sha256, item.size))
            submitted_at = submission.submitted_at or ""
            banner = f"报送时间：{_local_time(submitted_at)}    报送人：{actor.label}"
            if files:
                banner += (f"    佐证材料 {len(files)} 个，见同一压缩包的“{EVIDENCE_FOLDER}”文件夹"
                           "（请整包报送）")
            stamp = Stamp(banner=banner, submitted_at=submitted_at, submitted_by=actor.label,
                          evidence=tuple(entries))
            book = build_template(
                db, plan_id, unit_id, period,
                values=list_values(db, period=period.id, org_unit_id=unit_id),
                task_progress=_task_progress(db, unit_id, period.id), kind=KIND_SUBMISSION,
                generated_at=now.astimezone() if now else None, stamp=stamp)
            name = submission_file_name(unit, period)
            if not files:
                path = out_dir / name
                save_workbook(book, path)
                written.append(path)
            else:
                members = [(f"{EVIDENCE_FOLDER}/"
                            f"{evidence_member_name(item.sha256, safe_file_name(item.file_name))}",
                            evidence_path(db, item)) for item in files]
                path = out_dir / submission_zip_name(unit, period)
                _write_zip(path, name, book, members)
                written.append(path)
            log.info("submission of %s %s written to %s", unit.code, period.id, path)
    except BaseException:
        for file in written:
            file.unlink(missing_ok=True)
        raise
    return path


def _write_zip(path: Path, workbook_name: str, book: Any,
              members: list[tuple[str, Path]]) -> None:
    """The workbook and the evidence files in one zip, via a temporary file."""
    buffer = io.BytesIO()
    book.save(buffer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(suffix=".zip", dir=path.parent)
        os.close(handle)
        try:
            with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(workbook_name, buffer.getvalue())
                for member, source in members:
                    archive.write(source, arcname=member)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as exc:
        raise PlanDeskError(
            f"无法写入报送文件“{path}”：{exc.strerror or exc}。如果佐证材料文件已被移走或删除，"
            "请在填报页面重新添加；否则请另选一个有写入权限的文件夹。",
            f"submission zip {path}: {exc}") from exc


# --- the district's review notice -------------------------------------------------------------


def write_review_notice(db: Database, actor: Actor, submission_id: int, out: Path) -> Path:
    """Write the review notice of a returned or approved submission.

    The unit's template with the figures received (kind ``review``), the result, reason,
    reviewer and time in row 4 and in the signed metadata, and each comment of the return as
    a cell comment on the value (or task status) and in the 审核意见 column.

    Args:
        out: The ``.xlsx`` to write, or a folder (the file is then named
            ``<period>_<unit code>_<short name>_审核通知.xlsx``).

    Raises:
        ValidationError: the submission is neither returned nor approved.
        PermissionDenied: the actor may not return or approve the unit's submissions.
    """
    submission = workflow.get_submission(db, submission_id)
    unit = get_unit(db, submission.org_unit_id)
    period = Period.parse(submission.period)
    if submission.status not in _REVIEW_STATUSES:
        raise ValidationError(
            f"“{unit.name}”{period.label}的报表当前为“{submission.status.label}”，只有退回或"
            "审核通过的报表才能导出审核通知。请先在审核页面退回或审核通过。",
            f"submission {submission_id} is {submission.status}")
    returned = submission.status is SubmissionStatus.RETURNED
    require(db, actor, Action.RETURN if returned else Action.APPROVE, unit.id,
            what=f"导出{unit.name}{period.label}的审核通知")
    comments: Mapping[tuple[str, int], str] = {}
    if returned:
        comments = {key: text for key, text in
                    workflow.review_comments(db, submission_id).items() if text}
    history = workflow.versions(db, submission_id)
    last = history[-1] if history else None
    reviewed_at = (last.at if last is not None else "") or submission.reviewed_at or ""
    reviewed_by = _display_name(db, last.user_id, last.username) if last is not None else ""
    reviewed_by = reviewed_by or actor.display_name or actor.username
    if returned:
        banner = (f"审核结果：退回（{_local_time(reviewed_at)}，{reviewed_by}）    "
                  f"退回原因：{submission.reason}")
        if comments:
            banner += f"    具体意见 {len(comments)} 条，见“审核意见”列和单元格批注"
    else:
        banner = f"审核结果：审核通过，已锁定（{_local_time(reviewed_at)}，{reviewed_by}）"
    stamp = Stamp(banner=banner, submitted_at=submission.submitted_at or "",
                  review_status=submission.status.value,
                  review_reason=submission.reason if returned else "",
                  reviewed_at=reviewed_at, reviewed_by=reviewed_by, comments=comments,
                  review_column=True)
    book = build_template(
        db, submission.plan_id, unit.id, period,
        values=list_values(db, period=period.id, org_unit_id=unit.id),
        task_progress=_task_progress(db, unit.id, period.id), kind=KIND_REVIEW, stamp=stamp)
    out = Path(out)
    folder = out.is_dir() or out.suffix.lower() != ".xlsx"
    path = out / review_notice_file_name(unit, period) if folder else out
    save_workbook(book, path)
    log.info("review notice of submission %d written to %s", submission_id, path)
    return path


def _display_name(db: Database, user_id: int | None, username: str) -> str:
    """A user's display name (the username when none, or when the user is gone)."""
    if user_id is None:
        return username
    row = db.execute("SELECT display_name FROM app_user WHERE id = ?", [user_id]).fetchone()
    return (row[0] if row else "") or username


# --- the station imports the notice -----------------------------------------------------------


def _refusal(file: str, message: str, row: int | None = None, column: str | None = None,
             sheet: str | None = SHEET_ENTRY) -> ImportFormatError:
    issue = ImportIssue(file, message, sheet, row, column)
    return ImportFormatError(f"{issue}", f"review notice {file}: refused")


def _notice_meta(file: str, sheets: Mapping[str, ValueSheet]) -> TemplateMeta:
    entry, meta_sheet = sheets.get(SHEET_ENTRY), sheets.get(SHEET_META)
    if entry is None or meta_sheet is None:
        raise _refusal(file, "不是 PlanDesk 审核通知（没有“填报”工作表或隐藏的模板信息），"
                             "未导入。请导入上级发来的、未经改动的审核通知工作簿。", sheet=None)
    rows = {cell_text(r[0]): cell_text(r[1]) for r in meta_sheet.rows
            if len(r) >= 2 and r[0] not in ("", None)}
    try:
        meta = TemplateMeta.from_rows(rows)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _refusal(file, "隐藏的模板信息已损坏或被改动，无法确认这是上级的审核通知，未导入。"
                             "请让上级重新导出审核通知。", sheet=SHEET_META) from exc
    if meta.kind != KIND_REVIEW:
        kinds = {"template": "填报模板", "return": "填好的报表", "submission": "报送工作簿"}
        raise _refusal(file, f"这是{kinds.get(meta.kind, meta.kind)}，不是审核通知，未导入。"
                             "报送工作簿和报表请由上级在“导入报送”中导入。", sheet=None)
    for row, column, label, expected in ((2, 4, "单位代码", meta.unit_code),
                                          (2, 8, "期间代码", meta.period),
                                          (3, 4, "规划代码", meta.plan_code)):
        shown = cell_text(entry.value(row, column))
        if shown and shown != expected:
            letter = "D" if column == 4 else "H"
            raise _refusal(file, f"表头的{label}“{shown}”与模板信息中的“{expected}”不一致，"
                                 "该通知可能被改动过，未导入。", row, letter)
    if meta.review_status not in {s.value for s in _REVIEW_STATUSES}:
        raise _refusal(file, f"审核通知中的审核结果“{meta.review_status}”无法识别，未导入。",
                       sheet=SHEET_META)
    return meta


def _locked_cells(sheet: ValueSheet, meta: TemplateMeta) -> list[tuple[str, str]]:
    from desktop.excel.reading import column_letter

    return [(f"{column_letter(c)}{r}", text)
            for r, row in enumerate(sheet.rows, start=1)
            for c, value in enumerate(row, start=1)
            if not is_input_cell(meta, r, c) and (text := cell_text(value))]


def import_review_notice(db: Database, actor: Actor, path: Path) -> ReviewNoticeResult:
    """Import the district's review notice at the station: status, reason and comments.

    The notice must be for a unit the actor may view (a clerk: its own unit), of a plan held
    here in the same version, and about the return the unit last submitted (the same
    submission time); a notice already imported, or older than the one imported, is refused.

    Raises:
        ImportFormatError: not a review notice, damaged, another plan version, about an
            earlier submission or already imported; the message names file, sheet and cell.
        PermissionDenied: the notice is for a unit the actor may not view.
    """
    path = Path(path)
    file = path.name
    book = read_values(path, name=file, sheets={SHEET_ENTRY, SHEET_META})
    meta = _notice_meta(file, book.sheets)
    entry = book.sheets[SHEET_ENTRY]
    try:
        unit = get_unit_by_code(db, meta.unit_code)
    except NotFoundError as exc:
        raise _refusal(file, f"本数据库中没有代码为“{meta.unit_code}”的单位，该审核通知不是发给"
                             "本单位的，未导入。", 2, "D") from exc
    if not allowed(actor, Action.VIEW, unit.id):
        issue = ImportIssue(file, f"该审核通知是发给“{unit.name}”（{unit.code}）的，"
                                  f"{actor.label}不能导入其他单位的审核通知，未导入。"
                                  "请确认文件是否发错。", SHEET_ENTRY, 2, "D")
        deny(db, actor, Action.VIEW, unit.id, str(issue), what=f"导入审核通知 {file}",
             detail="review notice of another unit")
    plan_row = db.execute("SELECT id FROM plan WHERE code = ?", [meta.plan_code]).fetchone()
    if plan_row is None:
        raise _refusal(file, f"本数据库中没有规划代码为“{meta.plan_code}”的规划，未导入。", 3, "D")
    plan = get_plan(db, plan_row[0])
    if plan_version_hash(db, plan.id) != meta.plan_hash:
        raise _refusal(file, "审核通知来自规划的其他版本（上级改动了数据项或任务），行次对不上，"
                             "未导入。请向上级领取新的规划工作簿导入后，再导入审核通知。", 3, "D")
    if meta.generator == installation_id(db) and not verify(
            installation_key(db), signed_payload(meta, _locked_cells(entry, meta)),
            meta.signature):
        raise _refusal(file, "审核通知的锁定单元格被改动，签名校验不符，未导入。")
    period = Period.parse(meta.period)
    current = workflow.find_submission(db, plan.id, unit.id, period.id)
    if current is None or not current.submitted_at:
        raise _refusal(file, f"本单位没有{period.label}的报送记录，该审核通知无从对应，未导入。"
                             "请确认数据库和文件是否选对。", 2, "H")
    if meta.submitted_at and current.submitted_at != meta.submitted_at:
        raise _refusal(file, f"该审核通知针对的是 {_local_time(meta.submitted_at)} 报送的报表，"
                             f"而本单位最近一次报送是 {_local_time(current.submitted_at)}，"
                             "通知已过时，未导入。", sheet=SHEET_META)
    status = SubmissionStatus(meta.review_status)
    if current.status is status and current.reason == meta.review_reason:
        raise _refusal(file, f"该审核通知已导入过（报表状态已是“{status.label}”），未重复导入。",
                       sheet=None)
    if (current.reviewed_at and meta.reviewed_at
            and current.reviewed_at > meta.reviewed_at):
        raise _refusal(file, f"该审核通知（{_local_time(meta.reviewed_at)}）早于已导入的审核结果"
                             f"（{_local_time(current.reviewed_at)}），未导入。", sheet=SHEET_META)
    comments = _comments(db, entry, meta)
    source = f"file:{file} sha256:{book.digest}"
    with db.atomic():
        submission = workflow.apply_review(
            db, actor, plan.id, unit.id, period.id, status=status, reason=meta.review_reason,
            comments=comments, reviewed_at=meta.reviewed_at, source=source)
    log.info("review notice %s applied: %s %s %s", file, unit.code, period.id, status)
    return ReviewNoticeResult(file, submission, unit.name, period.label, status,
                              meta.review_reason, comments, meta.reviewed_at, meta.reviewed_by)


def _comments(db: Database, entry: ValueSheet, meta: TemplateMeta) -> dict[tuple[str, int], str]:
    """The 审核意见 column, by element id or plan item id."""
    ids = {e.code: e.id for e in list_elements(db)}
    comments: dict[tuple[str, int], str] = {}
    for row, code in meta.element_rows.items():
        text = cell_text(entry.value(row, REVIEW_COLUMN))
        if text and code in ids:
            comments[("element", ids[code])] = text
    for row, item_id in meta.task_rows.items():
        text = cell_text(entry.value(row, REVIEW_COLUMN))
        if text:
            comments[("task", item_id)] = text
    return comments


# --- jobs for the app -------------------------------------------------------------------------


def submission_job(database_path: Path, actor: Actor, plan_id: int, unit_id: int,
                   period: str, out_dir: Path, *,
                   now: datetime | None = None) -> Generator[Progress, None, Path]:
    """:func:`write_submission` on its own connection, for the app's worker."""
    db = open_database(database_path)
    try:
        yield Progress(0, 1, "正在报送并写入报送文件")
        path = write_submission(db, actor, plan_id, unit_id, period, out_dir, now=now)
        yield Progress(1, 1, "报送完成")
        return path
    finally:
        db.close()


def review_notice_job(database_path: Path, actor: Actor, submission_id: int,
                      out: Path) -> Generator[Progress, None, Path]:
    """:func:`write_review_notice` on its own connection, for the app's worker."""
    db = open_database(database_path)
    try:
        yield Progress(0, 1, "正在写入审核通知")
        path = write_review_notice(db, actor, submission_id, out)
        yield Progress(1, 1, "完成")
        return path
    finally:
        db.close()


def import_review_notice_job(database_path: Path, actor: Actor,
                             path: Path) -> Generator[Progress, None, ReviewNoticeResult]:
    """:func:`import_review_notice` on its own connection, after a backup."""
    db = open_database(database_path)
    try:
        yield Progress(0, 2, f"正在读取 {Path(path).name}")
        backup_before_import(db, "import-review")
        yield Progress(1, 2, "正在导入审核通知")
        result = import_review_notice(db, actor, path)
        yield Progress(2, 2, "完成")
        return result
    finally:
        db.close()
