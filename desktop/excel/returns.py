"""Import the returns stations send back: filled templates checked, previewed, then written."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from time import monotonic
from typing import Any

from sqlite_utils import Database

from desktop.excel.reading import (
    MAX_RATIO,
    CellValue,
    ValueSheet,
    ValueWorkbook,
    column_letter,
    read_values,
)
from desktop.excel.template_format import (
    ELEMENT_COMMENT_COLUMN,
    ELEMENT_HEADERS,
    ELEMENT_SECTION_TITLE,
    ELEMENT_VALUE_COLUMN,
    EVIDENCE_ELEMENT,
    EVIDENCE_FOLDER,
    KIND_RETURN,
    KIND_REVIEW,
    KIND_SUBMISSION,
    KIND_TEMPLATE,
    SHEET_ENTRY,
    SHEET_META,
    TASK_NEXT_COLUMN,
    TASK_PERCENT_COLUMN,
    TASK_PROBLEMS_COLUMN,
    TASK_PROGRESS_COLUMN,
    TASK_SECTION_TITLE,
    TASK_STATUS_COLUMN,
    TEMPLATE_VERSION,
    TemplateMeta,
    cell_text,
    plan_version_hash,
    signed_payload,
    verify,
)
from desktop.excel.workers import OrderedPool, start_method, worker_count
from desktop.models import windows, workflow
from desktop.models.audit import Change, record_event, record_events, record_lasting_event
from desktop.models.auth import Actor
from desktop.models.errors import ImportFormatError, ImportIssue, PlanDeskError, ValidationError
from desktop.models.evidence import MAX_EVIDENCE_BYTES, attach_evidence_bytes
from desktop.models.indicators import (
    Aggregation,
    DataElement,
    EntryLevel,
    TimeAggregation,
    ValueType,
)
from desktop.models.periods import Period, PeriodType
from desktop.models.permissions import Action, require
from desktop.models.progress import Progress, run_job
from desktop.models.reported import (
    PLACEHOLDER,
    ParsedValue,
    normal_text,
    parse_reported_value,
    shown_number,
    text_error,
)
from desktop.models.settings import INSTALLATION_KEY, get_setting, installation_id
from desktop.models.store import backup_before_import, open_database
from desktop.models.values import (
    DataValue,
    SubmissionStatus,
    TaskProgress,
    TaskStatus,
    ValueSource,
    ensure_submission,
    write_task_progress,
    write_values,
)

__all__ = [
    "DEFAULT_JUMP_SHARE",
    "JUMP_SHARE_SETTING",
    "CellChange",
    "FileOutcome",
    "ImportOutcome",
    "ParsedValue",
    "ReturnEvidence",
    "ReturnFile",
    "ReturnStatus",
    "ReturnTask",
    "ReturnValue",
    "ReturnsPreview",
    "ReturnsResult",
    "apply_returns",
    "import_returns_job",
    "parse_reported_value",
    "preview_returns",
    "preview_returns_job",
    "summary_line",
]

log = logging.getLogger(__name__)

# How a batch is read. A batch is any mix of workbooks, folders (searched recursively) and zip
# archives (read in memory, never extracted). Each workbook is read quickly (python-calamine,
# after the checks of desktop.excel.reading.read_values), identified by its hidden metadata sheet
# or, failing that, by the visible header (rows 2–3), checked against the plan version, the
# unit, the period and, when this installation generated it, the signature over its locked
# cells. Its values are read tolerantly (1,234.5, full-width digits, 12.5 %, numbers stored as
# text, — for no value), validated, and compared with what is stored, which classifies it:
#   new           nothing stored for the unit, period and these elements or tasks;
#   resubmission  differs from what is stored (each changed cell listed); needs confirmation;
#   duplicate     identical to what is stored, or to an earlier file of the same batch;
#   rejected      has errors, or the period is approved (locked).
# preview_returns writes nothing. apply_returns writes each file in its own transaction, after
# one backup, comparing with the database again at that moment, so applying the same preview
# (or importing the same files) twice changes nothing. The jobs do the same off the UI thread.
#
# A station's submission workbook (kind "submission", see desktop.excel.submission) imports
# like a return, plus: its submitted_at is recorded (workflow.receive_submission: lateness is
# judged by it, not by the import time); the evidence files it lists and that lie beside it
# (附件/<sha256>_<name> in the same zip or folder) are verified and attached; it is refused
# for a period whose reporting window had not opened when it was submitted, and when the very
# same workbook (same SHA-256) was imported before. Refused submission workbooks are audited.

ERROR = "error"
WARNING = "warning"

#: A value that moves by more than this share against the previous period is flagged.
DEFAULT_JUMP_SHARE = 0.5
#: Setting (in the database) that overrides :data:`DEFAULT_JUMP_SHARE`, e.g. ``"0.3"``.
JUMP_SHARE_SETTING = "returns.jump_share"

#: Suffixes taken from folders and archives; .xlsm only to be refused by name.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xls", ".ods", ".xlsm"})
ARCHIVE_SUFFIX = ".zip"
#: Limits on archives: members, declared size of one member and of all of them.
MAX_ARCHIVE_MEMBERS = 5_000
MAX_MEMBER_BYTES = 32 * 1024 * 1024
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
#: Rows and columns read from a return (a template is far smaller).
RETURN_MAX_ROWS = 5_000
RETURN_MAX_COLUMNS = 64

_LAST_TEMPLATE_COLUMN = len(ELEMENT_HEADERS)
_TASK_INPUTS = (TASK_STATUS_COLUMN, TASK_PERCENT_COLUMN, TASK_PROGRESS_COLUMN,
                TASK_PROBLEMS_COLUMN, TASK_NEXT_COLUMN)
_ELEMENT_INPUTS = frozenset({ELEMENT_VALUE_COLUMN, ELEMENT_COMMENT_COLUMN})
_TASK_INPUT_SET = frozenset(_TASK_INPUTS)
_LETTERS = [column_letter(c) for c in range(1, RETURN_MAX_COLUMNS + 2)]
#: 0-based indexes of the input columns, for the hot loop of _locked_cells.
_ELEMENT_INPUT_INDEXES = frozenset(c - 1 for c in _ELEMENT_INPUTS)
_TASK_INPUT_INDEXES = frozenset(c - 1 for c in _TASK_INPUTS)


class ReturnStatus(StrEnum):
    """What a file would do to the database."""

    NEW = "new"
    RESUBMISSION = "resubmission"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"new": "新报送", "resubmission": "重新报送", "duplicate": "重复（内容相同）",
                "rejected": "拒绝"}[self.value]


class ImportOutcome(StrEnum):
    """What :func:`apply_returns` did with a file."""

    IMPORTED = "imported"
    DUPLICATE = "duplicate"  # identical to what is stored: nothing written
    UNCONFIRMED = "unconfirmed"  # a resubmission that was not confirmed: nothing written
    REFUSED = "refused"  # errors, or an approved period: nothing written
    NOT_SELECTED = "not_selected"

    @property
    def label(self) -> str:
        return {"imported": "已导入", "duplicate": "重复，未写入", "unconfirmed": "待确认，未写入",
                "refused": "已拒绝", "not_selected": "未选择"}[self.value]


@dataclass(frozen=True)
class ReturnValue:
    """One element's figure and comment as a return reports them."""

    element_id: int
    code: str
    name: str
    row: int
    value: float | None
    text_value: str | None
    comment: str

    @property
    def reported(self) -> bool:
        return self.value is not None or bool(self.text_value) or bool(self.comment)


@dataclass(frozen=True)
class ReturnTask:
    """One task's progress as a return reports it."""

    plan_item_id: int
    row: int
    title: str
    status: TaskStatus
    percent: float | None
    progress_text: str
    problems_text: str
    next_steps_text: str


@dataclass(frozen=True)
class CellChange:
    """A cell whose content differs from what is stored."""

    cell: str  # "E7"
    item: str  # the element's name or the task's title
    field: str  # 本期数值, 说明, 状态, 完成百分比, 进展, 问题, 下步
    old: str
    new: str

    def __str__(self) -> str:
        return (f"{self.cell} {self.item}（{self.field}）：{self.old or '（空）'} → "
                f"{self.new or '（空）'}")

    def as_dict(self) -> dict[str, str]:
        return {"cell": self.cell, "item": self.item, "field": self.field, "old": self.old,
                "new": self.new}


@dataclass(frozen=True)
class ReturnEvidence:
    """An evidence file a submission workbook lists, and where it was found."""

    kind: str  # "element" or "task"
    ref: str  # the element's code or the plan item id, as listed
    element_id: int | None
    plan_item_id: int | None
    file_name: str
    sha256: str
    size: int
    path: Path | None = None  # the file on disk, or the archive holding it; None: not found
    member: str | None = None  # its name inside the archive

    @property
    def present(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class ReturnFile:
    """Everything read from one file of a batch, and how it compares with the database."""

    name: str  # as messages show it: a.xlsx, 城关所/a.xlsx, returns.zip/a.xlsx
    path: Path  # the file on disk (the archive, for a member of one)
    member: str | None  # the member's name inside the archive
    status: ReturnStatus
    digest: str = ""  # SHA-256 of the workbook's bytes
    plan_id: int | None = None
    plan_code: str = ""
    unit_id: int | None = None
    unit_code: str = ""
    unit_name: str = ""
    period: str = ""
    generated_at: str = ""
    identified_by: str = ""  # "metadata", "header" or "" (not identified)
    values: tuple[ReturnValue, ...] = ()
    tasks: tuple[ReturnTask, ...] = ()
    changes: tuple[CellChange, ...] = ()
    issues: tuple[ImportIssue, ...] = ()
    duplicate_of: str = ""  # an earlier file of the batch with the same content
    kind: str = ""  # the metadata's kind: template, return, submission ("" without metadata)
    submitted_at: str = ""  # a submission workbook's time of submission (UTC ISO seconds)
    submitted_by: str = ""
    evidence: tuple[ReturnEvidence, ...] = ()
    late: bool = False  # a submission after the period's deadline

    @property
    def is_submission(self) -> bool:
        return self.kind == KIND_SUBMISSION

    @property
    def errors(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    @property
    def reason(self) -> str:
        """Why the file is refused (its first error), or ``""``."""
        errors = self.errors
        return str(errors[0]) if errors else ""

    @property
    def period_label(self) -> str:
        try:
            return Period.parse(self.period).label if self.period else ""
        except ValidationError:
            return self.period

    def counts(self) -> dict[str, int]:
        return {
            "values": sum(1 for v in self.values if v.value is not None or v.text_value),
            "comments": sum(1 for v in self.values if v.comment),
            "tasks": len(self.tasks),
            "changes": len(self.changes),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name, "path": str(self.path), "member": self.member,
            "status": self.status.value, "status_label": self.status.label,
            "plan": self.plan_code or None,
            "unit": ({"code": self.unit_code, "name": self.unit_name}
                     if self.unit_code else None),
            "period": self.period or None, "identified_by": self.identified_by or None,
            "digest": self.digest, "counts": self.counts(), "kind": self.kind or None,
            "submitted_at": self.submitted_at or None, "late": self.late,
            "evidence": [{"file": e.file_name, "sha256": e.sha256, "present": e.present}
                         for e in self.evidence],
            "changes": [change.as_dict() for change in self.changes],
            "errors": [_issue_dict(issue) for issue in self.errors],
            "warnings": [_issue_dict(issue) for issue in self.warnings],
        }


@dataclass(frozen=True)
class ReturnsPreview:
    """A batch as read: every file with its status, values, changes and issues."""

    files: tuple[ReturnFile, ...]
    skipped: tuple[str, ...] = ()  # files in folders/archives that are no workbooks

    def by_status(self, status: ReturnStatus) -> list[ReturnFile]:
        return [f for f in self.files if f.status is status]

    def counts(self) -> dict[str, int]:
        return {status.value: len(self.by_status(status)) for status in ReturnStatus}

    def file(self, name: str) -> ReturnFile:
        return next(f for f in self.files if f.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {"files": [f.as_dict() for f in self.files], "counts": self.counts(),
                "skipped": list(self.skipped)}


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file when the batch was written."""

    file: ReturnFile  # as compared with the database at that moment
    outcome: ImportOutcome
    message: str  # Chinese, one sentence

    def as_dict(self) -> dict[str, Any]:
        data = self.file.as_dict()
        data.update({"outcome": self.outcome.value, "message": self.message})
        return data


@dataclass(frozen=True)
class ReturnsResult:
    """The outcome of writing a batch."""

    outcomes: tuple[FileOutcome, ...]
    backup: Path | None = None
    skipped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every file chosen was imported or was an identical duplicate."""
        return all(o.outcome in (ImportOutcome.IMPORTED, ImportOutcome.DUPLICATE,
                                 ImportOutcome.NOT_SELECTED) for o in self.outcomes)

    def by_outcome(self, outcome: ImportOutcome) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.outcome is outcome]

    def counts(self) -> dict[str, int]:
        return {outcome.value: len(self.by_outcome(outcome)) for outcome in ImportOutcome}

    def as_dict(self) -> dict[str, Any]:
        return {"files": [o.as_dict() for o in self.outcomes], "counts": self.counts(),
                "backup": str(self.backup) if self.backup else None,
                "ok": self.ok, "skipped": list(self.skipped)}


def _issue_dict(issue: ImportIssue) -> dict[str, object]:
    data = issue.as_dict()
    data["text"] = str(issue)
    return data


# --- public functions ------------------------------------------------------------------------


def preview_returns(
    db: Database,
    paths: Iterable[Path | str],
    *,
    period: str | None = None,
    unit_codes: Collection[str] | None = None,
) -> ReturnsPreview:
    """Read and check a batch of returns without writing anything.

    Args:
        paths: Workbooks, folders (searched recursively) and zip archives.
        period: Refuse files of any other period (``None``: any period of the plan).
        unit_codes: Refuse files of any other unit (``None``: any unit).

    Returns:
        Every file with its status, values, changes against the database and issues.
    """
    return run_job(_preview_batch(db, paths, period=period, unit_codes=unit_codes))


def apply_returns(
    db: Database,
    preview: ReturnsPreview,
    *,
    confirm_resubmissions: bool = False,
    files: Collection[str] | None = None,
    actor: Actor | None = None,
) -> ReturnsResult:
    """Write the previewed files, each in its own transaction, after one backup.

    Each file is compared with the database again when it is written: a file identical to
    what is stored is skipped, a file that changes stored figures is written only when
    ``confirm_resubmissions`` is true, and an approved (locked) period is never written.

    Args:
        confirm_resubmissions: Overwrite stored figures with those of resubmitted files.
        files: The names of the files to write (``None``: all).
        actor: Who imports (``None``: the command line); needs the right to import.

    Returns:
        What happened to each file, and the backup written before the first change.

    Raises:
        PermissionDenied: the actor may not import returns (audited).
    """
    actor = actor or Actor.command_line()
    require(db, actor, Action.IMPORT, what="导入报表")
    outcomes = []
    with _Writer(db, confirm_resubmissions, actor) as writer:
        for item in preview.files:
            if files is not None and item.name not in files:
                outcomes.append(FileOutcome(item, ImportOutcome.NOT_SELECTED,
                                            "未选择导入该文件。"))
                continue
            outcomes.append(writer.apply(item))
    return ReturnsResult(tuple(outcomes), writer.backup, skipped=preview.skipped)


def preview_returns_job(
    database_path: Path,
    paths: Sequence[Path | str],
    *,
    period: str | None = None,
    unit_codes: Collection[str] | None = None,
) -> Generator[Progress, None, ReturnsPreview]:
    """:func:`preview_returns` as a job: its own connection, progress per file, cancellable."""
    db = open_database(database_path)
    try:
        return (yield from _preview_batch(db, paths, period=period, unit_codes=unit_codes))
    finally:
        db.close()


def import_returns_job(
    database_path: Path,
    paths: Sequence[Path | str],
    confirm_resubmissions: bool = False,
    *,
    files: Collection[str] | None = None,
    period: str | None = None,
    unit_codes: Collection[str] | None = None,
    actor: Actor | None = None,
) -> Generator[Progress, None, ReturnsResult]:
    """Read, check and write a batch, file by file, on its own connection.

    Progress is reported per file. Large batches are checked by reader processes while this
    one writes (see :mod:`desktop.excel.workers`). Closing the generator (cancel) stops
    between two files: the files written so far stay written (each all or nothing), nothing of
    the others is written. ``actor`` (``None``: the command line) needs the right to import.
    """
    actor = actor or Actor.command_line()
    db = open_database(database_path)
    try:
        require(db, actor, Action.IMPORT, what="导入报表")
        reader = _Reader(db, period=period, unit_codes=unit_codes)
        outcomes: list[FileOutcome] = []
        with (_Writer(db, confirm_resubmissions, actor) as writer, _Batch(paths) as batch,
              contextlib.closing(reader.read_all(batch.sources)) as items):
            for step in _steps(batch.sources, "正在导入", "导入完成"):
                yield step
                item = next(items, None)
                if item is None:
                    break
                if files is not None and item.name not in files:
                    outcomes.append(FileOutcome(item, ImportOutcome.NOT_SELECTED,
                                                "未选择导入该文件。"))
                else:
                    outcomes.append(writer.apply(item, fresh=True))
            return ReturnsResult(tuple(outcomes), writer.backup, skipped=tuple(batch.skipped))
    finally:
        db.close()


def _parse_percent(raw: CellValue, percent_format: bool) -> ParsedValue:
    """A task's completion percentage, 0–100."""
    parsed = parse_reported_value(raw, ValueType.PERCENTAGE, percent_format=percent_format)
    if parsed.error or parsed.value is None:
        return parsed
    if 0 < parsed.value <= 1 and not percent_format and not (
            isinstance(raw, str) and "%" in normal_text(raw)):
        return ParsedValue(parsed.value, warning=(
            f"完成百分比填写的是 {shown_number(parsed.value)}（即 {shown_number(parsed.value)}%），"
            f"如果原意是 {shown_number(round(parsed.value * 100, 10))}%，请改为 "
            f"{shown_number(round(parsed.value * 100, 10))}。"))
    return ParsedValue(parsed.value)


# --- finding the files of a batch ------------------------------------------------------------


@dataclass
class _Source:
    """One workbook of a batch, not yet read."""

    name: str
    path: Path
    member: str | None = None
    load: Callable[[], bytes] | None = None  # None: ``data``, or read the file at ``path``
    data: bytes | None = None  # the bytes of an archive member, read already
    refusal: str = ""  # refused before reading (a macro workbook, an unsafe archive member)


def _file_error(name: str, message: str) -> ImportFormatError:
    return ImportFormatError(message, f"{name}: {message}")


def _load(source: _Source) -> ValueWorkbook | ImportFormatError:
    """A source's workbook read and checked, or why it cannot be; touches no database."""
    if source.refusal:
        return ImportFormatError(source.refusal, "refused before reading")
    try:
        if source.data is not None:
            data: Path | bytes = source.data
        elif source.load is not None:
            data = source.load()
        elif source.path.is_file():
            data = source.path
        else:
            raise _file_error(source.name, f"找不到文件“{source.path}”（或它不是文件）。")
        book = read_values(data, name=source.name, sheets={SHEET_ENTRY, SHEET_META},
                           max_rows=RETURN_MAX_ROWS, max_columns=RETURN_MAX_COLUMNS)
        if book.has_macros:
            raise _file_error(source.name, _macro_refusal(source.name))
        if SHEET_ENTRY not in book.sheets:
            book = _renamed_entry_sheet(data, source.name, book)
    except ImportFormatError as exc:
        return exc
    return book


def _renamed_entry_sheet(data: Path | bytes, name: str, book: ValueWorkbook) -> ValueWorkbook:
    """A workbook whose 填报 sheet was renamed: the sheet whose header says 单位代码."""
    full = read_values(data, name=name, max_rows=RETURN_MAX_ROWS,
                       max_columns=RETURN_MAX_COLUMNS)
    for sheet in full.sheets.values():
        if _header_labels_ok(sheet):
            renamed = ValueSheet(SHEET_ENTRY, sheet.rows, sheet.visible, sheet.formulas,
                                 sheet.formats, sheet.dimension)
            sheets = {SHEET_ENTRY: renamed}
            if SHEET_META in full.sheets:
                sheets[SHEET_META] = full.sheets[SHEET_META]
            return ValueWorkbook(full.name, full.kind, full.sheet_names, sheets,
                                 full.has_macros, full.digest)
    return book


class _Batch:
    """The workbooks behind a list of paths; archives stay open until the batch is closed."""

    def __init__(self, paths: Iterable[Path | str]) -> None:
        self.sources: list[_Source] = []
        self.skipped: list[str] = []
        self._stack = contextlib.ExitStack()
        self._seen: set[Path] = set()
        self._names: set[str] = set()
        try:
            for raw in paths:
                self._add_path(Path(raw))
        except BaseException:
            self._stack.close()
            raise

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _unique(self, name: str, longer: str = "") -> str:
        """The name shown for a file; its longer form (the path) when the name is taken."""
        if name in self._names and longer:
            name = longer
        candidate, n = name, 1
        while candidate in self._names:
            n += 1
            candidate = f"{name} ({n})"
        self._names.add(candidate)
        return candidate

    def _add_path(self, path: Path) -> None:
        if path.is_dir():
            for child in _walk(path):
                if EVIDENCE_FOLDER in child.relative_to(path).parts[:-1]:
                    continue  # a submission's evidence, read with its workbook
                relative = child.relative_to(path.parent).as_posix()
                suffix = child.suffix.lower()
                if suffix in WORKBOOK_SUFFIXES:
                    self._add_file(child, relative)
                elif suffix == ARCHIVE_SUFFIX:
                    self._add_archive(child, relative)
                else:
                    self.skipped.append(relative)
            return
        if path.suffix.lower() == ARCHIVE_SUFFIX and zipfile.is_zipfile(path):
            self._add_archive(path, path.name)
            return
        self._add_file(path, path.name)

    def _add_file(self, path: Path, name: str) -> None:
        try:
            resolved = path.resolve()
        except OSError:
            resolved = path
        if resolved in self._seen:
            return
        self._seen.add(resolved)
        refusal = _macro_refusal(name) if path.suffix.lower() == ".xlsm" else ""
        self.sources.append(_Source(self._unique(name, str(path)), path, refusal=refusal))

    def _add_archive(self, path: Path, name: str) -> None:
        resolved = path.resolve()
        if resolved in self._seen:
            return
        self._seen.add(resolved)
        try:
            archive = self._stack.enter_context(zipfile.ZipFile(path))
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            self.sources.append(_Source(self._unique(name), path, refusal=(
                f"压缩包“{name}”已损坏或不完整，无法读取（{type(exc).__name__}），数据库未作改动。"
                "请重新获取该文件。")))
            return
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            self.sources.append(_Source(self._unique(name), path, refusal=(
                f"压缩包“{name}”含有 {len(infos):,} 个文件，超过 {MAX_ARCHIVE_MEMBERS:,} 个的上限，"
                "已拒绝。请分批导入。")))
            return
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            member = _member_name(info)
            shown = self._unique(f"{name}/{member}")
            base = PurePosixPath(member).name
            suffix = PurePosixPath(base).suffix.lower()
            if (_hidden(base) or member.startswith("__MACOSX/")
                    or EVIDENCE_FOLDER in PurePosixPath(member).parts[:-1]):
                self._names.discard(shown)  # evidence is read with its submission workbook
                continue
            if suffix == ARCHIVE_SUFFIX:
                self.sources.append(_Source(shown, path, member, refusal=(
                    f"“{shown}”是压缩包中的压缩包，不会展开。请先解压外层压缩包，再导入。")))
                continue
            if suffix not in WORKBOOK_SUFFIXES:
                self.skipped.append(shown)
                continue
            total += info.file_size
            refusal = _member_refusal(info, member, shown, total)
            if not refusal and suffix == ".xlsm":
                refusal = _macro_refusal(shown)
            self.sources.append(_Source(shown, path, member, _member_loader(archive, info, shown),
                                        refusal=refusal))


def _walk(folder: Path) -> list[Path]:
    """The files under a folder, in name order; hidden files and folders and links skipped."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder, followlinks=False):
        folders[:] = [f for f in folders if not _hidden(f) and f != "__MACOSX"]
        base = Path(root)
        found.extend(base / name for name in files
                     if not _hidden(name) and not (base / name).is_symlink())
    return sorted(found, key=lambda path: path.relative_to(folder).parts)


def _hidden(name: str) -> bool:
    """Hidden files and the lock files of Office (~$a.xlsx) and LibreOffice (.~lock.a.xlsx#)."""
    return name.startswith((".", "~$")) or name.endswith("#")


def _macro_refusal(name: str) -> str:
    return (f"“{name}”是含宏的工作簿（.xlsm），为安全起见不予导入，数据库未作改动。"
            "请在 Excel 或 WPS 中另存为“Excel 工作簿（*.xlsx）”后再导入。")


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; Chinese Windows writes GBK names without the UTF-8 flag."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
    return name.replace("\\", "/")


def _member_refusal(info: zipfile.ZipInfo, member: str, shown: str, total: int) -> str:
    parts = PurePosixPath(member).parts
    if member.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
        return (f"压缩包中的“{member}”路径含有“..”或绝对路径（可能是恶意构造的压缩包），"
                "已拒绝，数据库未作改动。")
    if info.flag_bits & 0x1:
        return f"压缩包中的“{shown}”设有密码，无法读取。请解压后导入。"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MAX_MEMBER_BYTES or total > MAX_ARCHIVE_BYTES or (
            info.file_size > 1_000_000 and ratio > MAX_RATIO):
        return (f"压缩包中的“{shown}”解压后有 {info.file_size:,} 字节（压缩比 {ratio:.0f}:1），"
                "异常巨大（可能是恶意构造的“压缩炸弹”），已拒绝，数据库未作改动。")
    return ""


def _member_loader(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   shown: str) -> Callable[[], bytes]:
    def load() -> bytes:
        try:
            with archive.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
            raise _file_error(shown, f"压缩包中的“{shown}”已损坏，无法读取"
                                     f"（{type(exc).__name__}），数据库未作改动。"
                                     "请重新获取该文件。") from exc
        if len(data) > info.file_size:
            raise _file_error(shown, f"压缩包中的“{shown}”解压后超过其声明的大小（可能是恶意"
                                     "构造的“压缩炸弹”），已拒绝，数据库未作改动。")
        return data

    return load


# --- reading one file ------------------------------------------------------------------------


@dataclass
class _PlanInfo:
    id: int
    code: str
    title: str
    start_year: int
    end_year: int
    hash: str
    elements: dict[str, DataElement]
    items: dict[int, tuple[str, str]]  # plan item id → (title, item_type)
    #: (numerator code, denominator code, indicator name) of share indicators (≤ 100%)
    shares: list[tuple[str, str, str]]


@dataclass
class _UnitInfo:
    id: int
    code: str
    name: str
    unit_type: str
    closed_on: str | None


class _Issues:
    """Collects the issues of one file, located in the entry sheet."""

    def __init__(self, file: str, sheet: str | None = SHEET_ENTRY) -> None:
        self.file = file
        self.sheet = sheet
        self.items: list[ImportIssue] = []

    def add(self, message: str, row: int | None = None, column: int | None = None,
            severity: str = ERROR, sheet: str | None = None) -> None:
        self.items.append(ImportIssue(
            self.file, message, sheet if sheet is not None else self.sheet, row,
            column_letter(column) if column else None, severity))

    def error(self, message: str, row: int | None = None, column: int | None = None) -> None:
        self.add(message, row, column, ERROR)

    def warning(self, message: str, row: int | None = None, column: int | None = None) -> None:
        self.add(message, row, column, WARNING)

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == ERROR for issue in self.items)


class _Rejected(Exception):  # noqa: N818 - internal control flow, never escapes this module
    """Stop reading a file: it cannot be identified or must be refused as a whole."""


_STATUS_BY_LABEL = {status.label: status for status in TaskStatus} | {
    status.value: status for status in TaskStatus}


@dataclass(frozen=True)
class _Context:
    """What checking a file needs from the database, read once per batch.

    Plain data: reader processes get it once when they start and never open the database.
    """

    plans: dict[str, _PlanInfo]
    units: dict[str, _UnitInfo]
    key: bytes | None
    installation: str | None
    jump_share: float
    expected_period: str | None
    expected_units: frozenset[str] | None


def _read_context(db: Database, period: str | None,
                  unit_codes: Collection[str] | None) -> _Context:
    units = {
        row["code"]: _UnitInfo(row["id"], row["code"], row["name"], row["unit_type"],
                               row["closed_on"])
        for row in db.query("SELECT id, code, name, unit_type, closed_on FROM org_unit")}
    plans = {row[1]: _plan_info(db, row) for row in db.execute(
        "SELECT id, code, title, start_year, end_year FROM plan").fetchall()}
    key = get_setting(db, INSTALLATION_KEY)
    try:
        jump_share = float(get_setting(db, JUMP_SHARE_SETTING) or DEFAULT_JUMP_SHARE)
    except ValueError:
        jump_share = DEFAULT_JUMP_SHARE
    return _Context(plans, units, bytes.fromhex(key) if key else None,
                    installation_id(db) if key else None, jump_share,
                    Period.parse(period).id if period else None,
                    frozenset(unit_codes) if unit_codes is not None else None)


def _plan_info(db: Database, row: tuple[Any, ...]) -> _PlanInfo:
    plan_id = row[0]
    elements = {r["code"]: _data_element(r) for r in db.query(
        "SELECT DISTINCT e.* FROM data_element e JOIN indicator i "
        "ON e.id IN (i.numerator_id, i.denominator_id) WHERE i.plan_id = ?", [plan_id])}
    by_id = {e.id: e for e in elements.values()}
    shares = []
    for ind in db.query(
            "SELECT name, numerator_id, denominator_id, factor, unit_printed, unit_canonical "
            "FROM indicator WHERE plan_id = ? AND denominator_id IS NOT NULL", [plan_id]):
        if (ind["unit_canonical"] or ind["unit_printed"]) == "%" and ind["factor"] == 100:
            shares.append((by_id[ind["numerator_id"]].code,
                           by_id[ind["denominator_id"]].code, ind["name"]))
    items = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT id, title, item_type FROM plan_item WHERE plan_id = ?", [plan_id])}
    return _PlanInfo(plan_id, row[1], row[2], row[3], row[4], plan_version_hash(db, plan_id),
                     elements, items, shares)


#: What checking one file gives: its fields so far and its issues.
_Checked = tuple[dict[str, Any], list[ImportIssue]]


class _Checker:
    """Reads and checks one file against the batch's context; touches no database.

    Everything here may run in a reader process (see :func:`_check_in_worker`).
    """

    def __init__(self, context: _Context) -> None:
        self.context = context

    def check(self, source: _Source) -> _Checked:
        issues = _Issues(source.name)
        fields: dict[str, Any] = {}
        if source.refusal:
            issues.add(source.refusal, sheet="")
            return fields, issues.items
        book = _load(source)
        if isinstance(book, ImportFormatError):
            issues.add(book.user_message, sheet="")
            return fields, issues.items
        fields["digest"] = book.digest
        with contextlib.suppress(_Rejected):
            self._read_book(book, fields, issues)
        return fields, issues.items

    def _read_book(self, book: ValueWorkbook, fields: dict[str, Any], issues: _Issues) -> None:
        sheet = book.sheets.get(SHEET_ENTRY)
        if sheet is None:
            names = "、".join(f"“{n}”" for n in book.sheet_names) or "无"
            issues.add(f"工作簿中没有“{SHEET_ENTRY}”工作表（现有工作表：{names}），不是 PlanDesk "
                       "填报模板，数据库未作改动。", sheet="")
            raise _Rejected
        _check_dimension(sheet, issues)
        meta, identified_by = self._identify(book, sheet, issues)
        plan = self._plan(meta, sheet, issues)
        unit = self._unit(meta, sheet, issues)
        period = self._period(meta, sheet, plan, issues)
        if unit.closed_on and unit.closed_on < period.start.isoformat():
            issues.warning(f"“{unit.name}”已于 {unit.closed_on} 撤销，早于{period.label}，"
                           "请确认该报表是否应当导入。", 2, 4)
        fields.update(plan_id=plan.id, plan_code=plan.code, unit_id=unit.id,
                      unit_code=unit.code, unit_name=unit.name, period=period.id,
                      generated_at=meta.generated_at if meta else "",
                      identified_by=identified_by, kind=meta.kind if meta else "")
        if meta is not None and meta.kind == KIND_SUBMISSION:
            fields.update(submitted_at=meta.submitted_at, submitted_by=meta.submitted_by,
                          evidence=self._evidence(meta, plan, issues))
        if meta is not None:
            self._check_signature(meta, sheet, plan, issues)
        element_rows = self._element_rows(meta, sheet, issues)
        task_rows = self._task_rows(meta, sheet, issues)
        values = self._values(sheet, element_rows, plan, unit, issues)
        tasks = self._tasks(sheet, task_rows, plan, issues)
        fields.update(values=tuple(values), tasks=tuple(tasks))
        self._check_extra_columns(sheet, element_rows, task_rows, issues)
        self._check_shares(values, plan, issues)

    # -- identification ----------------------------------------------------------------------

    def _identify(self, book: ValueWorkbook, sheet: ValueSheet,
                  issues: _Issues) -> tuple[TemplateMeta | None, str]:
        header = {"unit": _text(sheet, 2, 4), "period": _text(sheet, 2, 8),
                  "plan": _text(sheet, 3, 4)}
        meta: TemplateMeta | None = None
        meta_sheet = book.sheets.get(SHEET_META)
        if meta_sheet is not None:
            rows = {cell_text(r[0]): cell_text(r[1]) for r in meta_sheet.rows
                    if len(r) >= 2 and r[0] not in ("", None)}
            try:
                meta = TemplateMeta.from_rows(rows)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.info("metadata of %s unreadable: %s", issues.file, exc)
                issues.warning(f"隐藏的模板信息工作表“{SHEET_META}”已损坏或被改动，无法使用；"
                               "已按第 2–3 行的表头识别，无法校验签名。")
        if meta is not None:
            if meta.version > TEMPLATE_VERSION:
                issues.add(f"该模板由更新版本的 PlanDesk 生成（模板版本 {meta.version}，本版本支持 "
                           f"{TEMPLATE_VERSION}），请升级 PlanDesk 后再导入。数据库未作改动。",
                           sheet="")
                raise _Rejected
            for key, row, column, label in (("unit", 2, 4, "单位代码"),
                                             ("period", 2, 8, "期间代码"),
                                             ("plan", 3, 4, "规划代码")):
                expected = {"unit": meta.unit_code, "period": meta.period,
                            "plan": meta.plan_code}[key]
                if header[key] and header[key] != expected:
                    issues.error(f"表头的{label}“{header[key]}”与模板信息中的“{expected}”不一致："
                                 "该表可能是从其他单位或其他期间的模板复制来的，已拒绝。",
                                 row, column)
            if issues.has_errors:
                raise _Rejected
            if meta.kind == KIND_REVIEW:
                issues.add("这是上级发回的审核通知，不是报表，不能在这里导入。审核通知由填报单位"
                           "在 PlanDesk 的填报页面用“导入审核通知”导入。数据库未作改动。", sheet="")
                raise _Rejected
            if meta.kind == KIND_SUBMISSION and not meta.submitted_at:
                issues.add("报送工作簿的模板信息中没有报送时间，无法判断是否按时报送，已拒绝。"
                           "请让填报单位在 PlanDesk 中重新报送。", sheet=SHEET_META)
                raise _Rejected
            if meta.kind not in (KIND_TEMPLATE, KIND_RETURN, KIND_SUBMISSION):
                issues.warning(f"模板信息中的类型“{meta.kind}”无法识别，按填报模板读取。")
            return meta, "metadata"
        if not (_header_labels_ok(sheet) and header["unit"] and header["period"]
                and header["plan"]):
            issues.add("不是 PlanDesk 填报模板：没有隐藏的模板信息，第 2–3 行也找不到单位代码"
                       "（D2）、期间代码（H2）和规划代码（D3）。数据库未作改动。", sheet="")
            raise _Rejected
        if meta_sheet is None:
            issues.warning("工作簿中没有隐藏的模板信息（可能在 WPS 或 LibreOffice 中另存时丢失），"
                           "已按第 2–3 行的表头识别（单位代码 D2、期间代码 H2、规划代码 D3），"
                           "无法校验签名，请核对数值。")
        return None, "header"

    def _plan(self, meta: TemplateMeta | None, sheet: ValueSheet, issues: _Issues) -> _PlanInfo:
        code = meta.plan_code if meta else _text(sheet, 3, 4)
        plan = self.context.plans.get(code)
        if plan is None:
            issues.error(f"数据库中没有规划代码为“{code}”的规划，无法导入。请先导入该规划（规划工作簿），"
                         "或确认选择了正确的数据库。", 3, 4)
            raise _Rejected
        if meta is not None and meta.plan_hash != plan.hash:
            issues.error("模板来自规划的其他版本：生成模板之后，规划的数据项或任务已经改动"
                         f"（模板版本标识 {meta.plan_hash[:8]}，当前 {plan.hash[:8]}）。"
                         "请重新下发模板，由填报单位按新模板填报。", 3, 4)
            raise _Rejected
        return plan

    def _unit(self, meta: TemplateMeta | None, sheet: ValueSheet, issues: _Issues) -> _UnitInfo:
        code = meta.unit_code if meta else _text(sheet, 2, 4)
        unit = self.context.units.get(code)
        if unit is None:
            issues.error(f"数据库中没有代码为“{code}”的单位，无法导入。请确认该文件是发给本区局"
                         "所属单位的模板。", 2, 4)
            raise _Rejected
        expected = self.context.expected_units
        if expected is not None and code not in expected:
            wanted = "、".join(sorted(expected)) or "（无）"
            issues.error(f"该文件是“{unit.name}”（{code}）的报表，不是本次导入的单位（{wanted}），"
                         "已拒绝。", 2, 4)
            raise _Rejected
        return unit

    def _period(self, meta: TemplateMeta | None, sheet: ValueSheet, plan: _PlanInfo,
                issues: _Issues) -> Period:
        text = meta.period if meta else _text(sheet, 2, 8)
        try:
            period = Period.parse(text)
        except ValidationError as exc:
            issues.error(exc.user_message, 2, 8)
            raise _Rejected from exc
        if not plan.start_year <= period.year <= plan.end_year:
            issues.error(f"期间“{period.label}”不在规划“{plan.title}”的规划期（{plan.start_year}—"
                         f"{plan.end_year}年）内，已拒绝。", 2, 8)
            raise _Rejected
        expected = self.context.expected_period
        if expected is not None and period.id != expected:
            wanted = Period.parse(expected).label
            issues.error(f"该文件是{period.label}的报表，不是本次导入的{wanted}，已拒绝。", 2, 8)
            raise _Rejected
        return period

    def _check_signature(self, meta: TemplateMeta, sheet: ValueSheet, plan: _PlanInfo,
                         issues: _Issues) -> None:
        key, installation = self.context.key, self.context.installation
        if installation is None or key is None or meta.generator != installation:
            issues.warning(f"该模板由其他 PlanDesk 安装生成（生成标识 {meta.generator or '无'}），"
                           "无法校验签名，不能确认锁定单元格未被改动，请核对表中的名称、单位和"
                           "基期值。")
            return
        payload = signed_payload(meta, _locked_cells(sheet, meta))
        if verify(key, payload, meta.signature):
            return
        suspects = _suspect_cells(sheet, meta, plan)
        where = f"可能被改动的单元格：{'、'.join(suspects[:8])}。" if suspects else ""
        issues.error("锁定单元格被改动：模板生成后，不允许修改的单元格（代码、名称、单位、上期数值、"
                     f"基期值、目标值、任务等）被改动，或插入、删除了行，签名校验不符。{where}"
                     "已拒绝；请让填报单位在原模板上重新填写。")
        raise _Rejected

    def _evidence(self, meta: TemplateMeta, plan: _PlanInfo,
                  issues: _Issues) -> tuple[ReturnEvidence, ...]:
        """The evidence files a submission lists, matched to this plan's elements and tasks."""
        found = []
        for kind, ref, name, digest, size in meta.evidence:
            element_id = item_id = None
            if kind == EVIDENCE_ELEMENT:
                element = plan.elements.get(ref)
                element_id = element.id if element is not None else None
            elif ref.isdigit() and plan.items.get(int(ref), ("", ""))[1] == "task":
                item_id = int(ref)
            if element_id is None and item_id is None:
                what = f"数据项“{ref}”" if kind == EVIDENCE_ELEMENT else f"任务编号 {ref}"
                issues.add(f"佐证材料“{name}”所属的{what}不在规划“{plan.title}”中，该附件未导入。",
                           severity=WARNING, sheet="")
                continue
            found.append(ReturnEvidence(kind, ref, element_id, item_id, name, digest, size))
        return tuple(found)

    # -- rows -------------------------------------------------------------------------------

    def _element_rows(self, meta: TemplateMeta | None, sheet: ValueSheet,
                      issues: _Issues) -> dict[int, str]:
        if meta is not None and all(_text(sheet, row, 2) == code
                                    for row, code in meta.element_rows.items()):
            return dict(meta.element_rows)
        found: dict[int, str] = {}
        start = _find_row(sheet, ELEMENT_SECTION_TITLE)
        if start is None:
            issues.error(f"找不到“{ELEMENT_SECTION_TITLE}”部分，表格结构被改动，无法读取数值。")
            return found
        row = start + 2  # section title, header, then the elements
        while row <= len(sheet.rows):
            code = _text(sheet, row, 2)
            first = _text(sheet, row, 1)
            if not code or first == TASK_SECTION_TITLE:
                break
            found[row] = code
            row += 1
        if meta is not None:
            issues.warning("数据项所在的行与模板信息不一致（可能插入、删除或移动了行），已按 B 列"
                           "的代码读取，请核对。")
        return found

    def _task_rows(self, meta: TemplateMeta | None, sheet: ValueSheet,
                   issues: _Issues) -> dict[int, int]:
        if meta is not None and all(_text(sheet, row, 2) == str(item)
                                    for row, item in meta.task_rows.items()):
            return dict(meta.task_rows)
        found: dict[int, int] = {}
        start = _find_row(sheet, TASK_SECTION_TITLE)
        if start is None:
            if meta is not None and meta.task_rows:
                issues.error(f"找不到“{TASK_SECTION_TITLE}”部分，表格结构被改动，无法读取任务进展。")
            return found
        row = start + 2
        while row <= len(sheet.rows):
            text = _text(sheet, row, 2)
            if not text:
                break
            if not text.isdigit():
                issues.error(f"任务编号“{text}”不是数字，表格结构被改动，该行无法读取。", row, 2)
            else:
                found[row] = int(text)
            row += 1
        if meta is not None:
            issues.warning("任务所在的行与模板信息不一致（可能插入、删除或移动了行），已按 B 列"
                           "的任务编号读取，请核对。")
        return found

    def _values(self, sheet: ValueSheet, rows: dict[int, str], plan: _PlanInfo,
                unit: _UnitInfo, issues: _Issues) -> list[ReturnValue]:
        values: list[ReturnValue] = []
        seen: dict[str, int] = {}
        formulas = sheet.formulas
        station = unit.unit_type == "station"
        for row, code in sorted(rows.items()):
            element = plan.elements.get(code)
            if element is None:
                issues.error(f"数据项代码“{code}”不属于规划“{plan.title}”，该行无法导入。", row, 2)
                continue
            if code in seen:
                issues.error(f"数据项“{element.name}”（{code}）在第 {seen[code]} 行已经出现过。",
                             row, 2)
                continue
            seen[code] = row
            if formulas and (row, ELEMENT_VALUE_COLUMN) in formulas:
                _formula_error(sheet, row, ELEMENT_VALUE_COLUMN,
                               f"“{element.name}”的本期数值", issues)
                continue
            cells = _row(sheet, row)
            raw = cells[ELEMENT_VALUE_COLUMN - 1]
            percent = bool(sheet.formats) and "%" in sheet.formats.get(
                (row, ELEMENT_VALUE_COLUMN), "")
            parsed = parse_reported_value(None if raw == "" else raw, element.value_type,
                                          percent_format=percent, unit=element.unit)
            if parsed.error:
                issues.error(f"“{element.name}”的本期数值：{parsed.error}", row,
                             ELEMENT_VALUE_COLUMN)
            elif parsed.warning:
                issues.warning(f"“{element.name}”的本期数值：{parsed.warning}", row,
                               ELEMENT_VALUE_COLUMN)
            comment = "" if cells[ELEMENT_COMMENT_COLUMN - 1] == "" and not formulas else (
                self._text_input(sheet, cells, row, ELEMENT_COMMENT_COLUMN,
                                 f"“{element.name}”的说明", issues))
            if (station and element.entry_level is EntryLevel.DISTRICT
                    and not parsed.empty):
                issues.warning(f"“{element.name}”由区局统一录入，所报数值也会导入，请核对。",
                               row, ELEMENT_VALUE_COLUMN)
            values.append(ReturnValue(element.id, code, element.name, row, parsed.value,
                                      parsed.text, comment))
        return values

    def _text_input(self, sheet: ValueSheet, cells: list[Any], row: int, column: int,
                    label: str, issues: _Issues) -> str:
        if sheet.formulas and (row, column) in sheet.formulas:
            _formula_error(sheet, row, column, label, issues)
            return ""
        raw = cells[column - 1]
        if raw == "" or raw is None:
            return ""
        text = raw.strip() if type(raw) is str else cell_text(raw)
        if not text or PLACEHOLDER.match(normal_text(text)):
            return ""
        error = text_error(text, label)
        if error:
            issues.error(error, row, column)
            return ""
        return text

    def _tasks(self, sheet: ValueSheet, rows: dict[int, int], plan: _PlanInfo,
               issues: _Issues) -> list[ReturnTask]:
        tasks: list[ReturnTask] = []
        seen: set[int] = set()
        formulas = sheet.formulas
        for row, item_id in sorted(rows.items()):
            item = plan.items.get(item_id)
            if item is None or item[1] != "task":
                issues.error(f"任务编号 {item_id} 不是规划“{plan.title}”中的任务，该行无法导入。",
                             row, 2)
                continue
            if item_id in seen:
                issues.error(f"任务编号 {item_id} 重复出现。", row, 2)
                continue
            seen.add(item_id)
            title = item[0]
            if formulas and any((row, c) in formulas for c in _TASK_INPUTS):
                for column in _TASK_INPUTS:
                    if (row, column) in formulas:
                        _formula_error(sheet, row, column, f"任务“{title}”", issues)
                continue
            cells = _row(sheet, row)
            inputs = cells[TASK_STATUS_COLUMN - 1: TASK_NEXT_COLUMN]
            if all(v == "" or v is None or (type(v) is str and not v.strip()) for v in inputs):
                continue  # not reported
            texts = [self._text_input(sheet, cells, row, c, f"任务“{title}”的{label}", issues)
                     for c, label in ((TASK_PROGRESS_COLUMN, "进展"),
                                      (TASK_PROBLEMS_COLUMN, "问题"), (TASK_NEXT_COLUMN, "下步"))]
            raw_percent = cells[TASK_PERCENT_COLUMN - 1]
            percent = _parse_percent(None if raw_percent == "" else raw_percent,
                                     bool(sheet.formats) and "%" in sheet.formats.get(
                                         (row, TASK_PERCENT_COLUMN), ""))
            if percent.error:
                issues.error(f"任务“{title}”的完成百分比：{percent.error}", row,
                             TASK_PERCENT_COLUMN)
            elif percent.warning:
                issues.warning(percent.warning, row, TASK_PERCENT_COLUMN)
            status = self._status(cells, row, title, percent.value, issues)
            if status is None:
                continue
            tasks.append(ReturnTask(item_id, row, title, status, percent.value, *texts))
        return tasks

    def _status(self, cells: list[Any], row: int, title: str, percent: float | None,
                issues: _Issues) -> TaskStatus | None:
        raw = cells[TASK_STATUS_COLUMN - 1]
        text = normal_text(cell_text(raw))
        if not text or PLACEHOLDER.match(text):
            status = TaskStatus.COMPLETED if percent == 100 else TaskStatus.IN_PROGRESS
            issues.warning(f"任务“{title}”没有选择状态，按“{status.label}”导入，请核对。",
                           row, TASK_STATUS_COLUMN)
            return status
        found = _STATUS_BY_LABEL.get(text) or _STATUS_BY_LABEL.get(text.lower())
        if found is None:
            labels = "、".join(s.label for s in TaskStatus)
            issues.error(f"任务“{title}”的状态“{cell_text(raw)[:20]}”无法识别，"
                         f"应为 {labels} 之一。", row, TASK_STATUS_COLUMN)
        return found

    def _check_extra_columns(self, sheet: ValueSheet, element_rows: dict[int, str],
                             task_rows: dict[int, int], issues: _Issues) -> None:
        extra = [f"{column_letter(c)}{r}" for r in (*element_rows, *task_rows)
                 for c in range(_LAST_TEMPLATE_COLUMN + 1, len(sheet.rows[r - 1]) + 1)
                 if r <= len(sheet.rows) and not _blank(sheet.value(r, c))]
        if extra:
            more = f" 等 {len(extra)} 处" if len(extra) > 5 else ""
            last = column_letter(_LAST_TEMPLATE_COLUMN)
            issues.warning(f"模板范围（A–{last} 列）以外的单元格有内容"
                           f"（{'、'.join(extra[:5])}{more}），未导入。")

    # -- rules ------------------------------------------------------------------------------

    def _check_shares(self, values: list[ReturnValue], plan: _PlanInfo,
                      issues: _Issues) -> None:
        """A numerator larger than its denominator where the indicator is a share (≤ 100%)."""
        if not plan.shares:
            return
        by_code = {v.code: v for v in values}
        for numerator, denominator, name in plan.shares:
            num, den = by_code.get(numerator), by_code.get(denominator)
            if num is None or den is None or num.value is None or den.value is None:
                continue
            if num.value > den.value:
                issues.error(f"“{num.name}”（{shown_number(num.value)}）大于“{den.name}”"
                             f"（E{den.row}：{shown_number(den.value)}），指标“{name}”将超过 100%。"
                             "请核对这两个数值。", num.row, ELEMENT_VALUE_COLUMN)



class _Reader:
    """Reads the files of a batch: checks each one (in reader processes when the batch is
    large) and compares it with the database and with the batch's earlier files."""

    def __init__(self, db: Database, *, period: str | None = None,
                 unit_codes: Collection[str] | None = None) -> None:
        self.db = db
        self.context = _read_context(db, period, unit_codes)
        self.checker = _Checker(self.context)
        self.jump_share = self.context.jump_share
        #: (plan, unit, period) → (file name, content) of the first file of the batch
        self.batch: dict[tuple[int, int, str], tuple[str, tuple[Any, ...]]] = {}
        #: archive → {member name as shown: name stored}, for finding evidence files
        self._archives: dict[Path, dict[str, str]] = {}

    def read(self, source: _Source) -> ReturnFile:
        """Check one file in this process and compare it with the database."""
        return self._finish(source, self.checker.check(source))

    def read_all(self, sources: Sequence[_Source]) -> Generator[ReturnFile, None, None]:
        """Every source read, in order; checked by reader processes when that pays off.

        Closing the generator cancels the files not yet checked.
        """
        method = start_method()
        workers = worker_count(len(sources), method)
        if workers < 2:
            for source in sources:
                yield self.read(source)
            return
        with OrderedPool(_check_in_worker, workers, initializer=_start_worker,
                         initargs=(self.context,), on_crash=_crashed,
                         local=self.checker.check, method=method,
                         preload=(__name__,)) as pool:
            for source, checked in pool.map(_shippable(s) for s in sources):
                yield self._finish(source, checked)

    def _finish(self, source: _Source, checked: _Checked) -> ReturnFile:
        fields, items = checked
        issues = _Issues(source.name)
        issues.items = list(items)
        if fields.get("evidence") and not issues.has_errors:
            fields["evidence"] = self._locate_evidence(source, fields["evidence"], issues)
        if not issues.has_errors and "values" in fields:
            unit = self.context.units[fields["unit_code"]]
            period = Period.parse(fields["period"])
            if fields.get("kind") == KIND_SUBMISSION:
                self._check_submission(fields, unit, period, issues)
            if not issues.has_errors:
                self._classify(fields, list(fields["values"]), list(fields["tasks"]), unit,
                               period, issues)
        return _file(source, fields, issues)

    # -- submission workbooks --------------------------------------------------------------

    def _locate_evidence(self, source: _Source, entries: Sequence[ReturnEvidence],
                         issues: _Issues) -> tuple[ReturnEvidence, ...]:
        """Each listed evidence file found beside the workbook and verified, or why not."""
        located = []
        for entry in entries:
            prefix = f"{entry.sha256}_"
            path: Path | None = None
            member: str | None = None
            if source.member is not None:
                folder = PurePosixPath(source.member).parent / EVIDENCE_FOLDER
                names = self._archive_names(source.path)
                member = next((stored for shown, stored in names.items()
                               if PurePosixPath(shown).parent == folder
                               and PurePosixPath(shown).name.startswith(prefix)), None)
                path = source.path if member is not None else None
            else:
                folder_path = source.path.parent / EVIDENCE_FOLDER
                if folder_path.is_dir():
                    path = next((child for child in sorted(folder_path.iterdir())
                                 if child.name.startswith(prefix) and child.is_file()), None)
            if path is None:
                issues.add(f"报送工作簿登记的佐证材料“{entry.file_name}”不在同一压缩包（或文件夹）"
                           f"的“{EVIDENCE_FOLDER}”文件夹中，该附件未导入。如需要，请让填报单位"
                           "重新发送完整的报送压缩包。", severity=WARNING, sheet="")
                located.append(entry)
                continue
            found = replace(entry, path=path, member=member)
            try:
                _read_evidence(found)
            except ImportFormatError as exc:
                issues.add(exc.user_message, sheet="")
                continue
            located.append(found)
        return tuple(located)

    def _archive_names(self, archive: Path) -> dict[str, str]:
        names = self._archives.get(archive)
        if names is None:
            try:
                with zipfile.ZipFile(archive) as handle:
                    names = {_member_name(info): info.filename for info in handle.infolist()
                             if not info.is_dir()}
            except (zipfile.BadZipFile, OSError, EOFError, ValueError):
                names = {}
            self._archives[archive] = names
        return names

    def _check_submission(self, fields: dict[str, Any], unit: _UnitInfo, period: Period,
                          issues: _Issues) -> None:
        """A submission workbook imported before, submitted before its window opened, or late."""
        digest = fields.get("digest", "")
        earlier = self.db.execute(
            "SELECT at FROM audit_event WHERE action = 'returns.import' AND new_value LIKE ? "
            "ORDER BY id DESC LIMIT 1", [f'%"digest": "{digest}"%']).fetchone()
        if digest and earlier is not None:
            issues.error(f"该报送工作簿已导入过（{_local_minute(earlier[0])} 导入，内容完全相同），"
                         "不再重复导入，数据库未作改动。如填报单位修改后重新报送，会是一个新的"
                         "报送文件。", 4, 1)
            return
        submitted_at = fields["submitted_at"]
        window = windows.get_window(self.db, fields["plan_id"], period.id)
        submitted_on = _local_date(submitted_at)
        if submitted_on is None:
            issues.add(f"报送工作簿中的报送时间“{submitted_at}”无法识别，已拒绝。",
                       sheet=SHEET_META)
            return
        if not windows.is_open(window, submitted_on):
            opens = f"（{window.opens_on.isoformat()} 开始报送）" if window is not None else ""
            issues.error(f"{period.label}的报送期尚未开始{opens}，而该报表的报送时间是 "
                         f"{_local_minute(submitted_at)}：不接受报送期开始前的报送，已拒绝。"
                         f"请让“{unit.name}”在报送期开始后重新报送。", 2, 8)
            return
        if windows.is_late(submitted_at, window) and window is not None:
            fields["late"] = True
            issues.warning(f"报送时间 {_local_minute(submitted_at)} 晚于{period.label}的截止日期 "
                           f"{window.deadline.isoformat()}，记为逾期报送。", 4, 1)


    def _check_jumps(self, values: list[ReturnValue], previous: Period,
                     old: dict[int, float], issues: _Issues) -> None:
        """Values that moved by more than the set share against the previous period."""
        if self.jump_share <= 0:
            return
        for value in values:
            before = old.get(value.element_id)
            if not before or value.value is None:
                continue
            share = (value.value - before) / abs(before)
            if abs(share) > self.jump_share:
                direction = "增加" if share > 0 else "减少"
                issues.warning(f"“{value.name}”为 {shown_number(value.value)}，比上期"
                               f"（{previous.label}）的 {shown_number(before)} {direction}了 "
                               f"{abs(share):.0%}，超过 {self.jump_share:.0%} 的提示幅度，"
                               "请核对。", value.row, ELEMENT_VALUE_COLUMN)

    # -- comparing with the database -------------------------------------------------------

    def _classify(self, fields: dict[str, Any], values: list[ReturnValue],
                  tasks: list[ReturnTask], unit: _UnitInfo, period: Period,
                  issues: _Issues) -> None:
        previous = _previous(period)
        stored, old = _stored_values(self.db, unit.id, period.id, values, previous.id)
        self._check_jumps(values, previous, old, issues)
        key = (fields["plan_id"], unit.id, period.id)
        content = _content(values, tasks)
        earlier = self.batch.get(key)
        if earlier is not None:
            if earlier[1] == content:
                issues.add(f"与本批中的“{earlier[0]}”是同一单位、同一期间的报表，内容相同，"
                           "只导入一次。", severity=WARNING, sheet="")
                fields.update(status=ReturnStatus.DUPLICATE, duplicate_of=earlier[0])
                return
            issues.add(f"与本批中的“{earlier[0]}”是同一单位（{unit.name}）、同一期间"
                       f"（{period.label}）的报表，但内容不同，无法判断以哪个为准，已拒绝。"
                       "请确认哪一份是最终报表，只导入那一份。", sheet="")
            return
        status, changes, refusal = _compare(
            self.db, fields["plan_id"], unit.id, unit.name, period, values, tasks, stored)
        if refusal:
            issues.add(refusal, sheet="")
            return
        if fields.get("kind") == KIND_SUBMISSION:
            compared = status
            status = _submission_status(self.db, fields["plan_id"], unit.id, period.id,
                                        fields["submitted_at"], status)
            if status is not compared:
                issues.add("内容与已存数据相同，按该工作簿的报送时间记为已报送。",
                           severity=WARNING, sheet="")
        self.batch[key] = (issues.file, content)
        if not any(v.reported for v in values) and not tasks:
            issues.add("表中没有填写任何数值或任务进展。", severity=WARNING, sheet="")
        fields.update(status=status, changes=tuple(changes))


# --- reader processes ------------------------------------------------------------------------

_WORKER: _Checker | None = None


def _start_worker(context: _Context) -> None:
    """Run once in each reader process: the context every file is checked against."""
    global _WORKER
    _WORKER = _Checker(context)


def _check_in_worker(source: _Source) -> _Checked:
    if _WORKER is None:
        raise RuntimeError("reader process not started")
    return _WORKER.check(source)


def _shippable(source: _Source) -> _Source:
    """The source as a reader process can take it: an archive member's bytes read here."""
    if source.load is None:
        return source
    try:
        data = source.load()
    except ImportFormatError as exc:
        return replace(source, load=None, refusal=exc.user_message)
    return replace(source, load=None, data=data)


def _crashed(source: _Source) -> _Checked:
    return {}, [ImportIssue(
        source.name, f"读取“{source.name}”时读取进程意外终止（文件可能已损坏或是恶意构造，"
        "也可能是内存不足），已拒绝，数据库未作改动。请重新获取该文件；如反复出现，请把该文件"
        "交给技术支持。", "")]


def _file(source: _Source, fields: dict[str, Any], issues: _Issues) -> ReturnFile:
    if issues.has_errors:
        fields["status"] = ReturnStatus.REJECTED
        fields.pop("changes", None)
    return ReturnFile(source.name, source.path, source.member,
                      fields.pop("status", ReturnStatus.REJECTED),
                      issues=tuple(_clean(issues.items)), **fields)


def _compare(
    db: Database, plan_id: int, unit_id: int, unit_name: str, period: Period,
    values: Sequence[ReturnValue], tasks: Sequence[ReturnTask],
    stored: dict[int, tuple[float | None, str | None, str]] | None = None,
) -> tuple[ReturnStatus, list[CellChange], str]:
    """How a readable return compares with what is stored now: status, changed cells, refusal."""
    row = db.execute("SELECT status FROM submission WHERE plan_id = ? AND org_unit_id = ? "
                     "AND period = ?", [plan_id, unit_id, period.id]).fetchone()
    if row is not None and row[0] == SubmissionStatus.APPROVED.value:
        return ReturnStatus.REJECTED, [], _approved_refusal(unit_name, period)
    if stored is None:
        stored = _stored_values(db, unit_id, period.id, values)[0]
    stored_tasks = _stored_tasks(db, unit_id, period.id, tasks)
    if not stored and not stored_tasks:
        return ReturnStatus.NEW, [], ""
    changes: list[CellChange] = []
    for value in values:
        old = stored.get(value.element_id)
        old_value, old_text, old_comment = old if old is not None else (None, None, "")
        if not _same_number(old_value, value.value) or (old_text or None) != (
                value.text_value or None):
            changes.append(CellChange(f"{column_letter(ELEMENT_VALUE_COLUMN)}{value.row}",
                                      value.name, "本期数值", _value_text(old_value, old_text),
                                      _value_text(value.value, value.text_value)))
        if (old_comment or "") != value.comment:
            changes.append(CellChange(f"{column_letter(ELEMENT_COMMENT_COLUMN)}{value.row}",
                                      value.name, "说明", old_comment or "", value.comment))
    for task in tasks:
        changes.extend(_task_changes(task, stored_tasks.get(task.plan_item_id)))
    if not changes:
        return ReturnStatus.DUPLICATE, [], ""
    return ReturnStatus.RESUBMISSION, changes, ""


def _submission_status(db: Database, plan_id: int, unit_id: int, period: str,
                       submitted_at: str, status: ReturnStatus) -> ReturnStatus:
    """A submission identical to the stored figures is new when its time is not recorded.

    (A station may resubmit unchanged figures after a return: the status must still become
    submitted, with the new time.)
    """
    if status is not ReturnStatus.DUPLICATE:
        return status
    row = db.execute("SELECT submitted_at FROM submission WHERE plan_id = ? AND org_unit_id = ? "
                     "AND period = ?", [plan_id, unit_id, period]).fetchone()
    return status if row is not None and row[0] == submitted_at else ReturnStatus.NEW


def _parse_time(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _local_date(stamp: str) -> date | None:
    """The local day of a stored UTC time."""
    moment = _parse_time(stamp)
    return moment.astimezone().date() if moment is not None else None


def _local_minute(stamp: str) -> str:
    moment = _parse_time(stamp)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else stamp


def _read_evidence(evidence: ReturnEvidence) -> bytes:
    """An evidence file's bytes from disk or its archive, checked against the workbook's list.

    Raises:
        ImportFormatError: missing, too large, unreadable or not what the workbook lists.
    """
    name = evidence.file_name
    if evidence.path is None:
        raise _file_error(name, f"找不到佐证材料“{name}”。")
    limit = MAX_EVIDENCE_BYTES
    try:
        if evidence.member is not None:
            with zipfile.ZipFile(evidence.path) as archive:
                info = archive.getinfo(evidence.member)
                if info.file_size > limit or info.flag_bits & 0x1:
                    raise _file_error(name, f"佐证材料“{name}”有 {info.file_size:,} 字节或设有"
                                            f"密码，超过 {limit // 1024 // 1024} MB 的上限或"
                                            "无法读取，已拒绝。")
                with archive.open(info) as handle:
                    data = handle.read(limit + 1)
        else:
            if evidence.path.stat().st_size > limit:
                raise _file_error(name, f"佐证材料“{name}”超过 {limit // 1024 // 1024} MB 的上限，"
                                        "已拒绝。")
            data = evidence.path.read_bytes()
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise _file_error(name, f"佐证材料“{name}”无法读取（{type(exc).__name__}），已拒绝，"
                                "数据库未作改动。请让填报单位重新发送报送压缩包。") from exc
    if len(data) > limit:
        raise _file_error(name, f"佐证材料“{name}”超过 {limit // 1024 // 1024} MB 的上限，已拒绝。")
    if hashlib.sha256(data).hexdigest() != evidence.sha256 or len(data) != evidence.size:
        raise _file_error(name, f"佐证材料“{name}”的内容与报送工作簿登记的校验值不符（文件可能在"
                                "报送后被改动或已损坏），已拒绝，数据库未作改动。请让填报单位"
                                "重新发送完整的报送压缩包。")
    return data


def _approved_refusal(unit_name: str, period: Period) -> str:
    return (f"“{unit_name}”{period.label}的报表已审核通过：该期间已审核锁定，不能覆盖，已拒绝。"
            "如确需修改，请先由审核人员退回（重新打开）该期间的报表。")


def _stored_values(
    db: Database, unit_id: int, period: str, values: Sequence[ReturnValue],
    previous: str | None = None,
) -> tuple[dict[int, tuple[float | None, str | None, str]], dict[int, float]]:
    """The stored values of a period for these elements, and the previous period's numbers."""
    ids = {v.element_id for v in values}
    if not ids:
        return {}, {}
    current: dict[int, tuple[float | None, str | None, str]] = {}
    old: dict[int, float] = {}
    for row_period, element_id, value, text, comment in db.execute(
            "SELECT period, element_id, value, text_value, comment FROM data_value "
            "WHERE org_unit_id = ? AND period IN (?, ?)",
            [unit_id, period, previous or period]).fetchall():
        if element_id not in ids:
            continue
        if row_period == period:
            current[element_id] = (value, text, comment)
        elif value is not None:
            old[element_id] = value
    return current, old


def _stored_tasks(db: Database, unit_id: int, period: str,
                  tasks: Sequence[ReturnTask]) -> dict[int, tuple[Any, ...]]:
    ids = [t.plan_item_id for t in tasks]
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    return {r[0]: tuple(r[1:]) for r in db.execute(
        f"SELECT plan_item_id, status, percent, progress_text, problems_text, next_steps_text "
        f"FROM task_progress WHERE period = ? AND org_unit_id = ? AND plan_item_id IN ({marks})",
        [period, unit_id, *ids]).fetchall()}


def _task_changes(task: ReturnTask, old: tuple[Any, ...] | None) -> list[CellChange]:
    if old is None:
        old = ("", None, "", "", "")
    changes = []
    old_status = TaskStatus(old[0]).label if old[0] else ""
    pairs = ((TASK_STATUS_COLUMN, "状态", old_status, task.status.label),
             (TASK_PERCENT_COLUMN, "完成百分比", _value_text(old[1], None),
              _value_text(task.percent, None)),
             (TASK_PROGRESS_COLUMN, "进展", old[2] or "", task.progress_text),
             (TASK_PROBLEMS_COLUMN, "问题", old[3] or "", task.problems_text),
             (TASK_NEXT_COLUMN, "下步", old[4] or "", task.next_steps_text))
    for column, label, before, after in pairs:
        if before != after:
            changes.append(CellChange(f"{column_letter(column)}{task.row}", task.title, label,
                                      before, after))
    return changes


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _value_text(value: float | None, text: str | None) -> str:
    if text:
        return text
    return "" if value is None else shown_number(value)


def _content(values: Sequence[ReturnValue], tasks: Sequence[ReturnTask]) -> tuple[Any, ...]:
    return (tuple((v.element_id, v.value, v.text_value, v.comment) for v in values),
            tuple((t.plan_item_id, t.status, t.percent, t.progress_text, t.problems_text,
                   t.next_steps_text) for t in tasks))


# --- helpers for sheets ----------------------------------------------------------------------


def _text(sheet: ValueSheet, row: int, column: int) -> str:
    return cell_text(sheet.value(row, column))


_EMPTY_ROW: list[Any] = [""] * _LAST_TEMPLATE_COLUMN


def _row(sheet: ValueSheet, row: int) -> list[Any]:
    """A row of the sheet as calamine gives it, at least as wide as the template."""
    rows = sheet.rows
    if 1 <= row <= len(rows):
        cells = rows[row - 1]
        if len(cells) >= _LAST_TEMPLATE_COLUMN:
            return cells
        return cells + _EMPTY_ROW[len(cells):]
    return _EMPTY_ROW


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_labels_ok(sheet: ValueSheet) -> bool:
    return (_text(sheet, 2, 3) == "单位代码" and _text(sheet, 2, 7) == "期间代码"
            and _text(sheet, 3, 3) == "规划代码")


def _find_row(sheet: ValueSheet, title: str) -> int | None:
    for row in range(1, len(sheet.rows) + 1):
        if normal_text(_text(sheet, row, 1)) == normal_text(title):
            return row
    return None


_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})$")


def _check_dimension(sheet: ValueSheet, issues: _Issues) -> None:
    """Warn about a sheet that claims a used range far beyond its cells (read as they are)."""
    found = _REF.search(sheet.dimension)
    if found is None:
        return
    letters, row = found.groups()
    column = 0
    for char in letters:
        column = column * 26 + ord(char) - 64
    if int(row) > RETURN_MAX_ROWS or column > RETURN_MAX_COLUMNS:
        issues.warning(f"工作表声明的使用范围为 {sheet.dimension}，远大于实际内容（可能由其他软件"
                       "生成或被改动过），已按实际有内容的单元格读取，请核对。")


def _formula_error(sheet: ValueSheet, row: int, column: int, label: str,
                   issues: _Issues) -> None:
    formula = sheet.formulas[(row, column)]
    shown = formula if len(formula) <= 40 else formula[:40] + "…"
    issues.error(f"{label}是公式（{shown}），PlanDesk 不计算公式。请在 Excel/WPS 中复制该单元格后"
                 "“选择性粘贴 → 数值”，保存后再导入。", row, column)


def _locked_cells(sheet: ValueSheet, meta: TemplateMeta) -> list[tuple[str, str]]:
    """(reference, text) of every non-empty cell of the entry sheet that is not an input cell.

    The same texts as :func:`cell_text` gives, computed inline: this runs for every file.
    """
    cells: list[tuple[str, str]] = []
    append = cells.append
    letters = _LETTERS
    element_rows, task_rows = meta.element_rows, meta.task_rows
    for r, row in enumerate(sheet.rows, start=1):
        number = str(r)
        inputs = (_ELEMENT_INPUT_INDEXES if r in element_rows
                  else _TASK_INPUT_INDEXES if r in task_rows else ())
        for c, value in enumerate(row):
            if value == "" or c in inputs:
                continue
            kind = value.__class__
            if kind is str:
                text = value.strip()
                if not text:
                    continue
            elif kind is float and value.is_integer() and abs(value) < 1e15:
                text = str(int(value))
            else:
                text = cell_text(value)
                if not text:
                    continue
            append((letters[c] + number, text))
    return cells


def _suspect_cells(sheet: ValueSheet, meta: TemplateMeta, plan: _PlanInfo) -> list[str]:
    """Locked cells that disagree with the plan as stored: where to look first."""
    suspects = []
    for row, code in sorted(meta.element_rows.items()):
        element = plan.elements.get(code)
        if _text(sheet, row, 2) != code:
            suspects.append(f"B{row}")
        if element is not None:
            if _text(sheet, row, 3) != element.name:
                suspects.append(f"C{row}")
            if _text(sheet, row, 4) != element.unit:
                suspects.append(f"D{row}")
    for row, item_id in sorted(meta.task_rows.items()):
        if _text(sheet, row, 2) != str(item_id):
            suspects.append(f"B{row}")
        item = plan.items.get(item_id)
        if item is not None and _text(sheet, row, 3) != item[0]:
            suspects.append(f"C{row}")
    return suspects


def _ids(item: ReturnFile) -> tuple[int, int]:
    """The plan and unit of an identified file."""
    if item.plan_id is None or item.unit_id is None:
        raise ValueError(f"{item.name} was not identified")
    return item.plan_id, item.unit_id


def _data_element(row: dict[str, Any]) -> DataElement:
    return DataElement(
        id=row["id"], code=row["code"], name=row["name"],
        value_type=ValueType(row["value_type"]), aggregation=Aggregation(row["aggregation"]),
        entry_level=EntryLevel(row["entry_level"]), unit=row["unit"],
        unit_scale=row["unit_scale"], description=row["description"],
        time_aggregation=TimeAggregation(row["time_aggregation"]))


def _previous(period: Period) -> Period:
    """The period of the same length just before this one."""
    if period.kind is PeriodType.YEAR:
        return Period.year_of(period.year - 1)
    month = period.first_month - period.months
    if month >= 1:
        return Period(period.year, month, period.months)
    return Period(period.year - 1, month + 12, period.months)


def _clean(issues: Iterable[ImportIssue]) -> list[ImportIssue]:
    """Issues without sheet for file-level messages; sorted by place, errors first per cell."""
    result = []
    for issue in issues:
        if issue.sheet == "":
            issue = replace(issue, sheet=None)
        result.append(issue)
    return result


# --- writing ---------------------------------------------------------------------------------


_TASK_KEYS = ("status", "percent", "progress", "problems", "next")


class _Writer:
    """Writes checked files, each all or nothing, with one backup before the first.

    Each file is written inside a savepoint: a file that fails leaves nothing behind. The
    files are committed in groups (:data:`GROUP_FILES` files or :data:`GROUP_SECONDS`,
    whichever comes first, and when the writer is closed), because a commit costs as much as
    writing a file's forty values; a crash loses at most the last group, never part of a file.
    """

    GROUP_FILES = 64
    GROUP_SECONDS = 0.5

    def __init__(self, db: Database, confirm_resubmissions: bool, actor: Actor) -> None:
        self.db = db
        self.confirm = confirm_resubmissions
        self.actor = actor
        self.backup: Path | None = None
        self._backed_up = False
        self._group = 0
        self._group_started = 0.0

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.commit()

    def commit(self) -> None:
        """Commit the files written since the last commit."""
        if self._group:
            self._group = 0
            if self.db.conn.in_transaction:
                self.db.conn.execute("COMMIT")

    def apply(self, item: ReturnFile, *, fresh: bool = False) -> FileOutcome:
        """Write one file unless it is refused, a duplicate or an unconfirmed resubmission.

        Args:
            fresh: ``item`` was compared with the database just now, on this connection (the
                import job); otherwise it is compared again first.
        """
        if item.status is ReturnStatus.REJECTED:
            if item.is_submission:
                self._record_refusal(item, item.reason)
            return FileOutcome(item, ImportOutcome.REFUSED,
                               item.reason or "该文件有错误，未导入，数据库未作改动。")
        if item.duplicate_of:
            return FileOutcome(item, ImportOutcome.DUPLICATE,
                               f"与本批中的“{item.duplicate_of}”内容相同，未重复写入。")
        plan_id, unit_id = _ids(item)
        period = Period.parse(item.period)
        current = item
        if not fresh:
            status, changes, refusal = _compare(self.db, plan_id, unit_id, item.unit_name,
                                                period, item.values, item.tasks)
            if item.is_submission and not refusal:
                status = _submission_status(self.db, plan_id, unit_id, period.id,
                                            item.submitted_at, status)
            current = replace(item, status=status, changes=tuple(changes))
            if refusal:
                issue = ImportIssue(item.name, refusal)
                return FileOutcome(replace(current, issues=(*item.issues, issue)),
                                   ImportOutcome.REFUSED, str(issue))
        status, changed = current.status, current.changes
        if status is ReturnStatus.DUPLICATE:
            return FileOutcome(current, ImportOutcome.DUPLICATE,
                               "内容与已存数据相同，未重复写入。")
        if status is ReturnStatus.RESUBMISSION and not self.confirm:
            return FileOutcome(current, ImportOutcome.UNCONFIRMED,
                               f"内容与已存数据有 {len(changed)} 处不同（重新报送），需要确认后才"
                               "覆盖，本次未写入。")
        if not self._backed_up:
            self.backup = backup_before_import(self.db, "import-returns")
            self._backed_up = True
        try:
            counts = self._write(current)
        except PlanDeskError as exc:  # refused by the workflow (e.g. evidence, permission)
            log.warning("%s refused while writing: %s", item.name, exc.detail)
            message = f"文件 {item.name}：{exc.user_message}"
            if item.is_submission:
                self._record_refusal(item, message)
            return FileOutcome(current, ImportOutcome.REFUSED, message)
        if counts is None:  # approved by someone else between the check and the write
            return FileOutcome(current, ImportOutcome.REFUSED, _approved_refusal(
                item.unit_name, period))
        verb = "覆盖" if status is ReturnStatus.RESUBMISSION else "写入"
        return FileOutcome(current, ImportOutcome.IMPORTED,
                           f"已{verb}：数值 {counts['values']} 项，任务进展 {counts['tasks']} 项"
                           + (f"，改动 {len(changed)} 处" if changed else "") + "。")

    def _record_refusal(self, item: ReturnFile, reason: str) -> None:
        """A refused submission workbook goes on record (it survives any rollback)."""
        record_lasting_event(
            self.db, "submission.import_refused", "submission",
            f"{item.unit_code}/{item.period}" if item.unit_code else item.name,
            new={"file": item.name, "digest": item.digest, "reason": reason,
                 "submitted_at": item.submitted_at},
            user_id=self.actor.user_id, username=self.actor.username,
            source=f"file:{item.name} sha256:{item.digest}")

    def _record_changes(self, item: ReturnFile, unit_id: int, values: Sequence[ReturnValue],
                        source: str) -> None:
        """One audit event per value and task the file changes (what value_history shows)."""
        stored = _stored_values(self.db, unit_id, item.period, values)[0]
        changes: list[Change] = []
        for v in values:
            old = stored.get(v.element_id)
            new = (v.value, v.text_value or None, v.comment)
            if old is not None and _same_number(old[0], new[0]) and (old[1] or None) == new[1] \
                    and (old[2] or "") == new[2]:
                continue
            changes.append(Change(
                "value.set", "data_value", f"{unit_id}/{item.period}/{v.element_id}",
                old=None if old is None else {"value": old[0], "text_value": old[1],
                                              "comment": old[2]},
                new={"value": new[0], "text_value": new[1], "comment": new[2]}))
        tasks = _stored_tasks(self.db, unit_id, item.period, item.tasks)
        for t in item.tasks:
            new_task = (t.status.value, t.percent, t.progress_text, t.problems_text,
                        t.next_steps_text)
            old_task = tasks.get(t.plan_item_id)
            if old_task is not None and tuple(old_task) == new_task:
                continue
            changes.append(Change(
                "task.set", "task_progress", f"{unit_id}/{item.period}/{t.plan_item_id}",
                old=None if old_task is None else dict(zip(_TASK_KEYS, old_task, strict=True)),
                new=dict(zip(_TASK_KEYS, new_task, strict=True))))
        record_events(self.db, changes, user_id=self.actor.user_id,
                      username=self.actor.username, source=source)

    def _write(self, item: ReturnFile) -> dict[str, int] | None:
        """Write one file in one transaction; None (nothing written) if its period is locked.

        Raises:
            PlanDeskError: the workflow refused it (nothing of the file is written).
        """
        plan_id, unit_id = _ids(item)
        changed = {change.cell for change in item.changes}
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        source = f"file:{item.name} sha256:{item.digest}"
        if not self._group:
            if not self.db.conn.in_transaction:
                self.db.conn.execute("BEGIN IMMEDIATE")
            self._group_started = monotonic()
        self._group += 1
        with self.db.atomic():  # a savepoint inside the group's transaction
            # An approved (locked) period is never written.
            submission = ensure_submission(self.db, plan_id, unit_id, item.period)
            if submission.status is SubmissionStatus.APPROVED:
                return None
            counts = {"values": sum(1 for v in item.values if v.reported),
                      "tasks": len(item.tasks), "changes": len(item.changes)}
            extra = ({"kind": item.kind, "submitted_at": item.submitted_at,
                      "evidence": sum(1 for e in item.evidence if e.present)}
                     if item.is_submission else {})
            record_event(self.db, "returns.import", "submission", submission.id,
                         new={"file": item.name, "digest": item.digest,
                              "status": item.status.value, "unit": item.unit_code,
                              "period": item.period, **counts, **extra,
                              "changed_cells": [c.cell for c in item.changes][:200]},
                         user_id=self.actor.user_id, username=self.actor.username,
                         source=source)
            event_id = self.db.execute("SELECT last_insert_rowid()").fetchone()[0]
            written = [v for v in item.values if v.reported or f"E{v.row}" in changed
                       or f"F{v.row}" in changed]
            self._record_changes(item, unit_id, written, source)
            write_values(self.db, [
                DataValue(item.period, v.element_id, unit_id, v.value, v.text_value,
                          v.comment, ValueSource.WORKBOOK, event_id) for v in written])
            if item.tasks:
                write_task_progress(self.db, [
                    TaskProgress(t.plan_item_id, unit_id, item.period, t.status, t.percent,
                                 t.progress_text, t.problems_text, t.next_steps_text)
                    for t in item.tasks])
            for evidence in item.evidence:
                if evidence.present:
                    attach_evidence_bytes(
                        self.db, self.actor, plan_id, unit_id, item.period, evidence.file_name,
                        _read_evidence(evidence), element_id=evidence.element_id,
                        plan_item_id=evidence.plan_item_id, sha256=evidence.sha256)
            # The return becomes submitted: at the time the station submitted a submission
            # workbook (lateness is judged by it), at the time of import for a plain return.
            workflow.receive_submission(
                self.db, self.actor, plan_id, unit_id, item.period,
                submitted_at=item.submitted_at if item.is_submission else stamp, source=source)
        if self._group >= self.GROUP_FILES or (
                monotonic() - self._group_started >= self.GROUP_SECONDS):
            self.commit()
        return counts


# --- the batch as a generator ----------------------------------------------------------------


def _preview_batch(
    db: Database,
    paths: Iterable[Path | str],
    *,
    period: str | None,
    unit_codes: Collection[str] | None,
) -> Generator[Progress, None, ReturnsPreview]:
    reader = _Reader(db, period=period, unit_codes=unit_codes)
    files: list[ReturnFile] = []
    with _Batch(paths) as batch, contextlib.closing(reader.read_all(batch.sources)) as items:
        for step in _steps(batch.sources, "正在读取", "读取完成"):
            yield step
            item = next(items, None)
            if item is None:
                break
            files.append(item)
        return ReturnsPreview(tuple(files), tuple(batch.skipped))


def _steps(sources: Sequence[_Source], doing: str, done: str) -> Iterator[Progress]:
    """The progress before each file (“正在读取 a.xlsx（1/3）”), then the end (“读取完成”)."""
    total = len(sources)
    for n, source in enumerate(sources):
        yield Progress(n, total, f"{doing} {source.name}（{n + 1}/{total}）")
    yield Progress(total, total, done)


def summary_line(item: ReturnFile) -> str:
    """One Chinese line about a file for lists and the CLI."""
    who = f"{item.unit_name} {item.period_label}" if item.unit_code else ""
    counts = item.counts()
    parts = [f"数值 {counts['values']} 项", f"任务进展 {counts['tasks']} 项"]
    if item.changes:
        parts.append(f"改动 {counts['changes']} 处")
    if item.warnings:
        parts.append(f"提示 {counts['warnings']} 条")
    if item.status is ReturnStatus.REJECTED:
        return f"[{item.status.label}] {item.name}" + (f"（{who}）" if who else "")
    return f"[{item.status.label}] {item.name}（{who}）：{'，'.join(parts)}"

