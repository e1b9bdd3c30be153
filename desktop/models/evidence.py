"""Evidence files of a value or a task: copied beside the database, named by their hash."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.models.audit import record_event
from desktop.models.auth import Actor
from desktop.models.errors import NotFoundError, StorageError, ValidationError
from desktop.models.orgunits import OrgUnit, get_unit
from desktop.models.periods import Period
from desktop.models.permissions import Action, allowed, deny, require
from desktop.models.store import database_path
from desktop.models.values import SubmissionStatus

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
EVIDENCE_FOLDER = "evidence"
_CHUNK = 1024 * 1024
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_TEMP_FOLDERS: weakref.WeakKeyDictionary[Database, Path] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Evidence:
    id: int
    plan_id: int
    org_unit_id: int
    period: str
    element_id: int | None
    plan_item_id: int | None
    file_name: str  # as the user named it
    sha256: str
    size: int
    stored_name: str  # relative to the evidence folder: ab/abcdef….pdf
    added_at: str
    added_by: int | None = None


def _evidence(row: dict[str, Any]) -> Evidence:
    return Evidence(
        id=row["id"], plan_id=row["plan_id"], org_unit_id=row["org_unit_id"],
        period=row["period"], element_id=row["element_id"], plan_item_id=row["plan_item_id"],
        file_name=row["file_name"], sha256=row["sha256"], size=row["size"],
        stored_name=row["stored_name"], added_at=row["added_at"], added_by=row["added_by"])


def evidence_folder(db: Database) -> Path:
    """Where evidence files are kept: ``evidence`` beside the database (in memory: a temp dir)."""
    path = database_path(db)
    if path is not None:
        return path.parent / EVIDENCE_FOLDER
    folder = _TEMP_FOLDERS.get(db)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="plandesk-evidence-"))
        _TEMP_FOLDERS[db] = folder
    return folder


def evidence_path(db: Database, evidence: Evidence) -> Path:
    """The stored copy of an evidence file."""
    return evidence_folder(db) / evidence.stored_name


def get_evidence(db: Database, evidence_id: int) -> Evidence:
    """A stored evidence record.

    Raises:
        NotFoundError: there is no such record.
    """
    rows = list(db.query("SELECT * FROM evidence WHERE id = ?", [evidence_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {evidence_id} 的佐证材料，可能已被删除。请刷新列表。",
                            f"evidence {evidence_id}")
    return _evidence(rows[0])


def list_evidence(db: Database, plan_id: int, unit_id: int, period: str) -> list[Evidence]:
    """A unit's evidence for a period, in the order it was added."""
    return [_evidence(r) for r in db.query(
        "SELECT * FROM evidence WHERE plan_id = ? AND org_unit_id = ? AND period = ? ORDER BY id",
        [plan_id, unit_id, period])]


def _status(db: Database, plan_id: int, unit_id: int, period: str) -> SubmissionStatus | None:
    row = db.execute("SELECT status FROM submission WHERE plan_id = ? AND org_unit_id = ? "
                     "AND period = ?", [plan_id, unit_id, period]).fetchone()
    return SubmissionStatus(row[0]) if row else None


def _refuse_locked(db: Database, actor: Actor, action: Action, unit: OrgUnit, period: Period,
                   status: SubmissionStatus | None, *, allow_submitted: bool) -> None:
    what = f"{unit.name}{period.label}的佐证材料"
    if status is SubmissionStatus.APPROVED:
        deny(db, actor, action, unit.id,
             f"{unit.name}{period.label}的报表已审核锁定，不能增删佐证材料。"
             "如需更正，请联系区局审核员重新打开。", what=what, detail="approved")
    if status is SubmissionStatus.SUBMITTED and not allow_submitted:
        deny(db, actor, action, unit.id,
             f"{unit.name}{period.label}的报表已报送，等待审核，不能增删佐证材料。"
             "如需更正，请联系区局审核员退回。", what=what, detail="submitted")


def _check_target(element_id: int | None, plan_item_id: int | None) -> None:
    if (element_id is None) == (plan_item_id is None):
        raise ValidationError("佐证材料须对应一个数据项或一项任务，请先选中要附材料的行。",
                              "evidence needs exactly one of element and task")


def _too_big(file_name: str, size: int) -> ValidationError:
    return ValidationError(
        f"文件“{file_name}”有 {size / 1024 / 1024:.1f} MB，超过佐证材料 "
        f"{MAX_EVIDENCE_BYTES // 1024 // 1024} MB 的上限。请压缩或拆分后再添加。",
        f"evidence of {size} bytes")


def _stored_name(sha256: str, file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    return f"{sha256[:2]}/{sha256}{suffix if _SUFFIX.match(suffix) else ''}"


def _existing(db: Database, plan_id: int, unit_id: int, period: str, element_id: int | None,
              plan_item_id: int | None, sha256: str) -> Evidence | None:
    rows = list(db.query(
        "SELECT * FROM evidence WHERE plan_id = ? AND org_unit_id = ? AND period = ? AND "
        "element_id IS ? AND plan_item_id IS ? AND sha256 = ?",
        [plan_id, unit_id, period, element_id, plan_item_id, sha256]))
    return _evidence(rows[0]) if rows else None


def _store(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str,
           file_name: str, sha256: str, size: int, write: Any, element_id: int | None,
           plan_item_id: int | None, source: str) -> Evidence:
    """Copy the file into the folder (unless there) and record it, in one transaction."""
    found = _existing(db, plan_id, unit_id, period, element_id, plan_item_id, sha256)
    if found is not None:
        return found
    stored = _stored_name(sha256, file_name)
    target = evidence_folder(db) / stored
    try:
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    write(out)
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise StorageError(f"无法把佐证材料“{file_name}”复制到“{target.parent}”：{exc.strerror}。"
                           "请检查磁盘空间和文件夹权限。", str(exc)) from exc
    added_at = datetime.now(UTC).isoformat(timespec="seconds")
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO evidence (plan_id, org_unit_id, period, element_id, plan_item_id, "
            "file_name, sha256, size, stored_name, added_at, added_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [plan_id, unit_id, period, element_id, plan_item_id, file_name, sha256, size, stored,
             added_at, actor.user_id])
        evidence_id = int(cursor.lastrowid or 0)
        record_event(db, "evidence.add", "evidence", evidence_id,
                     new={"unit_id": unit_id, "period": period, "element_id": element_id,
                          "plan_item_id": plan_item_id, "file_name": file_name,
                          "sha256": sha256, "size": size},
                     user_id=actor.user_id, username=actor.username, source=source)
    return get_evidence(db, evidence_id)


def attach_evidence(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str,
                    source: Path, *, element_id: int | None = None,
                    plan_item_id: int | None = None) -> Evidence:
    """Copy a file into the evidence folder for a value or task (the same file twice: the
    existing record).

    Raises:
        PermissionDenied: the actor may not enter the unit's figures, or the return is
            submitted or approved.
        ValidationError: not exactly one of element and task, the file is missing or larger
            than 50 MB.
    """
    the_period = Period.parse(period)
    unit = get_unit(db, unit_id)
    require(db, actor, Action.ENTER, unit_id, what=f"{unit.name}{the_period.label}的佐证材料")
    _refuse_locked(db, actor, Action.ENTER, unit, the_period,
                   _status(db, plan_id, unit_id, the_period.id), allow_submitted=False)
    _check_target(element_id, plan_item_id)
    source = Path(source)
    try:
        size = source.stat().st_size
        if not source.is_file():
            raise ValidationError(f"“{source}”不是文件，请选择要附上的文件。", "not a file")
    except OSError as exc:
        raise ValidationError(f"找不到或无法读取文件“{source}”，请重新选择。", str(exc)) from exc
    if size > MAX_EVIDENCE_BYTES:
        raise _too_big(source.name, size)
    digest = hashlib.sha256()
    try:
        with source.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ValidationError(f"无法读取文件“{source}”：{exc.strerror}。请关闭占用它的程序后重试。",
                              str(exc)) from exc
    sha = digest.hexdigest()

    def write(out: Any) -> None:
        with source.open("rb") as fh:
            shutil.copyfileobj(fh, out, _CHUNK)

    return _store(db, actor, plan_id, unit_id, the_period.id, source.name, sha, size, write,
                  element_id, plan_item_id, f"file:{source.name} sha256:{sha}")


def attach_evidence_bytes(db: Database, actor: Actor, plan_id: int, unit_id: int, period: str,
                          file_name: str, data: bytes, *, element_id: int | None = None,
                          plan_item_id: int | None = None,
                          sha256: str | None = None) -> Evidence:
    """Record evidence received inside a submission file (the importer; IMPORT or ENTER).

    Raises:
        PermissionDenied: the actor may neither import nor enter for the unit, or the return
            is approved.
        ValidationError: the content does not match ``sha256``, it is too large, or not
            exactly one of element and task is given.
    """
    the_period = Period.parse(period)
    unit = get_unit(db, unit_id)
    if not allowed(actor, Action.IMPORT, unit_id, unit_type=unit.unit_type):
        require(db, actor, Action.ENTER, unit_id,
                what=f"{unit.name}{the_period.label}的佐证材料")
    _refuse_locked(db, actor, Action.IMPORT, unit, the_period,
                   _status(db, plan_id, unit_id, the_period.id), allow_submitted=True)
    _check_target(element_id, plan_item_id)
    name = Path(file_name.replace("\\", "/")).name or "附件"
    if len(data) > MAX_EVIDENCE_BYTES:
        raise _too_big(name, len(data))
    sha = hashlib.sha256(data).hexdigest()
    if sha256 is not None and sha256.lower() != sha:
        raise ValidationError(
            f"附件“{name}”的内容与报送文件中记录的校验值不符，可能在传递中损坏或被改动。"
            "请让报送单位重新报送。", f"sha256 mismatch for {name}")
    return _store(db, actor, plan_id, unit_id, the_period.id, name, sha, len(data),
                  lambda out: out.write(data), element_id, plan_item_id,
                  f"file:{name} sha256:{sha}")


def remove_evidence(db: Database, actor: Actor, evidence_id: int) -> None:
    """Remove an evidence record while the return is editable.

    The stored copy stays: it is named by its content and may serve another record (or another
    database in the same folder).

    Raises:
        PermissionDenied: the actor may not enter the unit's figures, or the return is
            submitted or approved.
    """
    ev = get_evidence(db, evidence_id)
    unit = get_unit(db, ev.org_unit_id)
    the_period = Period.parse(ev.period)
    require(db, actor, Action.ENTER, ev.org_unit_id,
            what=f"{unit.name}{the_period.label}的佐证材料")
    _refuse_locked(db, actor, Action.ENTER, unit, the_period,
                   _status(db, ev.plan_id, ev.org_unit_id, ev.period), allow_submitted=False)
    with db.atomic():
        db.execute("DELETE FROM evidence WHERE id = ?", [evidence_id])
        record_event(db, "evidence.remove", "evidence", evidence_id,
                     old={"unit_id": ev.org_unit_id, "period": ev.period,
                          "element_id": ev.element_id, "plan_item_id": ev.plan_item_id,
                          "file_name": ev.file_name, "sha256": ev.sha256, "size": ev.size},
                     user_id=actor.user_id, username=actor.username, source="keyboard")
