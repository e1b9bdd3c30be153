"""The reporting cycle through workbooks: a station submits, the district returns, approves.

Two installations: the district (a copy of the demo database) and a station (a fresh database
holding the same plan, received as the district's plan workbook, with its own installation key
and its own clerk). Workbooks and zips travel between them exactly as on a USB stick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlite_utils import Database

from desktop.cli import cli
from desktop.excel.plan_workbook import export_plan, import_plan
from desktop.excel.returns import (
    ImportOutcome,
    ReturnStatus,
    apply_returns,
    import_returns_job,
    preview_returns,
)
from desktop.excel.submission import (
    import_review_notice,
    import_review_notice_job,
    review_notice_job,
    submission_job,
    write_review_notice,
    write_submission,
)
from desktop.excel.template_format import (
    ELEMENT_HEADER_ROW,
    KIND_REVIEW,
    KIND_SUBMISSION,
    REVIEW_COLUMN,
    REVIEW_HEADER,
    SHEET_ENTRY,
    SHEET_META,
    TemplateMeta,
    signed_payload,
    verify,
)
from desktop.excel.templates import build_template
from desktop.models import windows, workflow
from desktop.models.auth import Actor, authenticate
from desktop.models.errors import ImportFormatError, PermissionDenied
from desktop.models.evidence import attach_evidence, evidence_path, list_evidence
from desktop.models.indicators import DataElement
from desktop.models.orgunits import get_unit_by_code
from desktop.models.plans import list_plans
from desktop.models.progress import Progress, run_job
from desktop.models.settings import installation_key
from desktop.models.store import open_database
from desktop.models.users import Role, create_user
from desktop.models.values import SubmissionStatus, TaskStatus

PERIOD = "2025"  # the demo's window: 2025-12-01 to 2026-01-15; nothing stored yet
STATION = "CQ-TN-S01"
OTHER_STATION = "CQ-TN-S02"
PASSWORD = "plandesk-demo"
ON_TIME = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
LATE = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)
TOO_EARLY = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Side:
    """One installation: its database, the plan, the unit and who acts there."""

    db: Database
    path: Path
    plan_id: int
    unit_id: int
    actor: Actor

    def element(self, code: str) -> DataElement:
        unit = get_unit_by_code(self.db, STATION)
        return next(e for e, _ in workflow.unit_elements(self.db, self.plan_id, unit)
                    if e.code == code)

    def submission(self) -> Any:
        return workflow.find_submission(self.db, self.plan_id, self.unit_id, PERIOD)


@pytest.fixture
def district(demo_path: Path) -> Iterator[Side]:
    db = open_database(demo_path)
    reviewer = authenticate(db, "shenhe", PASSWORD)
    yield Side(db, demo_path, list_plans(db)[0].id, get_unit_by_code(db, STATION).id, reviewer)
    db.close()


@pytest.fixture
def station(district: Side, tmp_path: Path) -> Iterator[Side]:
    book = tmp_path / "规划.xlsx"
    export_plan(district.db, district.plan_id, book)
    path = tmp_path / "station" / "plandesk.db"
    path.parent.mkdir()
    db = open_database(path)
    assert import_plan(db, book).ok
    unit = get_unit_by_code(db, STATION)
    create_user(db, "s01", PASSWORD, Role.CLERK, display_name="大佛所填报员",
                org_unit_id=unit.id)
    clerk = authenticate(db, "s01", PASSWORD)
    assert installation_key(db) != installation_key(district.db)
    yield Side(db, path, list_plans(db)[0].id, unit.id, clerk)
    db.close()


def figures(side: Side) -> dict[str, float]:
    """Plausible station figures for 2025 (every share below 100%)."""
    unit = get_unit_by_code(side.db, STATION)
    codes = [e.code for e, _ in workflow.unit_elements(side.db, side.plan_id, unit)]
    base = {"ENT_TOTAL": 5200, "ENT_COMPANY": 1700, "RANDOM_POOL": 4400, "RANDOM_CHECKED": 130,
            "FOOD_SAMPLES": 210, "COMPLAINTS": 96, "COMPLAINTS_ONTIME": 90}
    return {code: base.get(code, 10) for code in codes}


def enter(station: Side, changes: dict[str, float] | None = None,
          comment: str = "含个体工商户") -> None:
    """The clerk types the figures, a comment and two tasks' progress into the grid."""
    values = figures(station) | (changes or {})
    entries = [workflow.EntryValue(station.element(code).id, value,
                                   comment=comment if code == "ENT_TOTAL" else "")
               for code, value in values.items()]
    tasks = workflow.unit_task_rows(station.db, station.plan_id, station.unit_id)[:2]
    progress = [workflow.EntryTask(tasks[0].plan_item_id, TaskStatus.IN_PROGRESS, 60,
                                   "已完成摸底排查", "人手不足", "年底前完成"),
                workflow.EntryTask(tasks[1].plan_item_id, TaskStatus.COMPLETED, 100,
                                   "已建立协作机制")]
    workflow.save_draft(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                        entries, progress)


def attach(station: Side, folder: Path) -> tuple[Path, Path]:
    """A scanned certificate for 市场主体数 and a photo for the first task."""
    folder.mkdir(parents=True, exist_ok=True)
    scan, photo = folder / "营业执照汇总.pdf", folder / "现场照片.jpg"
    scan.write_bytes(b"%PDF-1.4 scanned certificate " * 200)
    photo.write_bytes(b"\xff\xd8\xff photo of the inspection " * 300)
    attach_evidence(station.db, station.actor, station.plan_id, station.unit_id, PERIOD, scan,
                    element_id=station.element("ENT_TOTAL").id)
    task = workflow.unit_task_rows(station.db, station.plan_id, station.unit_id)[0]
    attach_evidence(station.db, station.actor, station.plan_id, station.unit_id, PERIOD, photo,
                    plan_item_id=task.plan_item_id)
    return scan, photo


def stored(side: Side) -> dict[str, float | None]:
    return {r[0]: r[1] for r in side.db.execute(
        "SELECT e.code, v.value FROM data_value v JOIN data_element e ON e.id = v.element_id "
        "WHERE v.org_unit_id = ? AND v.period = ?", [side.unit_id, PERIOD])}


def meta_of(book: Any) -> TemplateMeta:
    return TemplateMeta.from_rows({str(k): "" if v is None else str(v)
                                   for k, v in book[SHEET_META].iter_rows(values_only=True)})


def workbook_of(path: Path, folder: Path) -> Path:
    """The workbook itself: the .xlsx, or the one inside a submission zip (extracted)."""
    if path.suffix == ".xlsx":
        return path
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xlsx"))
        archive.extract(name, folder)
    return folder / name


def receive(district: Side, path: Path, *, confirm: bool = False) -> Any:
    """The district imports a submission file; returns the one file's outcome."""
    result = apply_returns(district.db, preview_returns(district.db, [path]),
                           confirm_resubmissions=confirm, actor=district.actor)
    assert len(result.outcomes) == 1
    return result.outcomes[0]


def issues(item: Any) -> str:
    return "\n".join(str(i) for i in item.issues)


# --- the whole cycle ---------------------------------------------------------------------------


def test_a_return_goes_round_submitted_returned_corrected_and_approved(
        station: Side, district: Side, tmp_path: Path) -> None:
    # The station enters, attaches evidence and submits: one zip with the workbook and 附件/.
    enter(station)
    scan, photo = attach(station, tmp_path / "scans")
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path / "out", now=ON_TIME)
    assert path.name == f"{PERIOD}_{STATION}_报送.zip"
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    assert len(names) == 3
    assert sum(n.startswith("附件/") for n in names) == 2
    assert any(n.endswith("_营业执照汇总.pdf") for n in names)
    local = station.submission()
    assert local.status is SubmissionStatus.SUBMITTED
    assert local.submitted_at == "2026-01-10T02:00:00+00:00"

    # The workbook is a filled template of kind submission, stamped and signed by the station.
    book = load_workbook(workbook_of(path, tmp_path / "unzipped"))
    meta = meta_of(book)
    assert meta.kind == KIND_SUBMISSION
    assert meta.submitted_at == local.submitted_at
    assert meta.submitted_by == "大佛所填报员（所填报员）"
    assert {(e[0], e[2]) for e in meta.evidence} == {("element", "营业执照汇总.pdf"),
                                                      ("task", "现场照片.jpg")}
    assert "报送时间：2026-01-10" in str(book[SHEET_ENTRY]["A4"].value)
    rows = {code: row for row, code in meta.element_rows.items()}
    assert book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 5).value == 5200
    assert book[SHEET_ENTRY].cell(rows["ENT_TOTAL"], 6).value == "含个体工商户"

    # The district imports it: values, the station's time, evidence verified, submitted, on time.
    item = preview_returns(district.db, [path]).files[0]
    assert item.status is ReturnStatus.NEW, issues(item)
    assert item.is_submission
    assert item.submitted_at == local.submitted_at
    assert [e.present for e in item.evidence] == [True, True]
    assert not item.late
    outcome = receive(district, path)
    assert outcome.outcome is ImportOutcome.IMPORTED, outcome.message
    assert stored(district) == figures(station)
    received = district.submission()
    assert received.status is SubmissionStatus.SUBMITTED
    assert received.submitted_at == local.submitted_at
    window = windows.get_window(district.db, district.plan_id, PERIOD)
    assert not windows.is_late(received.submitted_at, window)
    attached = list_evidence(district.db, district.plan_id, district.unit_id, PERIOD)
    assert sorted(e.file_name for e in attached) == ["现场照片.jpg", "营业执照汇总.pdf"]
    for evidence in attached:
        source = scan if evidence.file_name == scan.name else photo
        assert evidence_path(district.db, evidence).read_bytes() == source.read_bytes()
    history = workflow.value_history(district.db, district.unit_id, PERIOD,
                                     district.element("ENT_TOTAL").id)
    assert history[-1].new_value["value"] == 5200
    assert history[-1].username == "shenhe"
    assert history[-1].source is not None
    assert history[-1].source.startswith("file:")

    # The district returns it with a reason and a comment on one value, and writes the notice.
    complaints = district.element("COMPLAINTS_ONTIME")
    reason = "投诉举报按时办结件数与系统记录不符，请核对后重新报送。"
    workflow.return_submission(district.db, district.actor, received.id, reason,
                               {("element", complaints.id): "系统中按时办结为 88 件。"})
    notice = write_review_notice(district.db, district.actor, received.id, tmp_path / "notice")
    assert notice.name == f"{PERIOD}_{STATION}_大佛所_审核通知.xlsx"
    sheet = load_workbook(notice)[SHEET_ENTRY]
    notice_meta = meta_of(load_workbook(notice))
    assert (notice_meta.kind, notice_meta.review_status) == (KIND_REVIEW, "returned")
    assert notice_meta.review_reason == reason
    assert reason in str(sheet["A4"].value)
    row = next(r for r, code in notice_meta.element_rows.items() if code == "COMPLAINTS_ONTIME")
    assert sheet.cell(ELEMENT_HEADER_ROW, REVIEW_COLUMN).value == REVIEW_HEADER
    assert sheet.cell(row, REVIEW_COLUMN).value == "系统中按时办结为 88 件。"
    assert "系统中按时办结为 88 件。" in sheet.cell(row, 5).comment.text

    # The station imports the notice: returned, with the reason and the comment beside the cell.
    result = import_review_notice(station.db, station.actor, notice)
    assert result.status is SubmissionStatus.RETURNED
    assert station.submission().status is SubmissionStatus.RETURNED
    assert station.submission().reason == reason
    grid = workflow.return_sheet(station.db, station.actor, station.plan_id, station.unit_id,
                                 PERIOD)
    assert grid.editable
    assert grid.comments == {("element", station.element("COMPLAINTS_ONTIME").id):
                             "系统中按时办结为 88 件。"}
    assert "被退回" in result.message

    # The station corrects and resubmits (late this time); the district sees the diff.
    enter(station, {"COMPLAINTS_ONTIME": 88})
    again = write_submission(station.db, station.actor, station.plan_id, station.unit_id,
                             PERIOD, tmp_path / "out2", now=LATE)
    item = preview_returns(district.db, [again]).files[0]
    assert item.status is ReturnStatus.RESUBMISSION, issues(item)
    assert [(c.field, c.old, c.new) for c in item.changes] == [("本期数值", "90", "88")]
    assert item.late
    assert any("逾期报送" in i.message for i in item.warnings)
    outcome = receive(district, again, confirm=True)
    assert outcome.outcome is ImportOutcome.IMPORTED, outcome.message
    received = district.submission()
    assert received.status is SubmissionStatus.SUBMITTED
    assert windows.is_late(received.submitted_at, window)
    diff = workflow.diff_since_return(district.db, received.id)
    assert [(d.name, d.field, d.old, d.new) for d in diff] == [
        (complaints.name, "本期数值", "90", "88")]

    # Approved: the notice locks the station's period too.
    workflow.approve(district.db, district.actor, received.id)
    approval = write_review_notice(district.db, district.actor, received.id,
                                   tmp_path / "approved.xlsx")
    result = import_review_notice(station.db, station.actor, approval)
    assert result.status is SubmissionStatus.APPROVED
    assert station.submission().status is SubmissionStatus.APPROVED
    assert not workflow.return_sheet(station.db, station.actor, station.plan_id,
                                     station.unit_id, PERIOD).editable


def test_a_submission_without_evidence_is_a_plain_workbook(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path, now=ON_TIME)
    assert path.name == f"{PERIOD}_{STATION}_大佛所_报送.xlsx"
    assert receive(district, path).outcome is ImportOutcome.IMPORTED
    assert district.submission().submitted_at == "2026-01-10T02:00:00+00:00"


def test_the_same_submission_workbook_imported_twice_is_refused_and_audited(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    attach(station, tmp_path / "scans")
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path, now=ON_TIME)
    assert receive(district, path).outcome is ImportOutcome.IMPORTED
    before = stored(district)
    item = preview_returns(district.db, [path]).files[0]
    assert item.status is ReturnStatus.REJECTED
    assert "已导入过" in item.reason
    assert item.reason.startswith(f"文件 {path.name}/")  # the workbook inside the zip
    assert "工作表“填报”" in item.reason
    outcome = receive(district, path)
    assert outcome.outcome is ImportOutcome.REFUSED
    assert stored(district) == before
    assert len(list_evidence(district.db, district.plan_id, district.unit_id, PERIOD)) == 2
    refused = district.db.execute(
        "SELECT username, new_value FROM audit_event WHERE action = 'submission.import_refused'"
    ).fetchall()
    assert len(refused) == 1
    assert refused[0][0] == "shenhe"
    assert "已导入过" in refused[0][1]


def test_a_submission_for_a_period_not_yet_open_is_refused(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)  # the station's own database has no window: it submits early
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path, now=TOO_EARLY)
    item = preview_returns(district.db, [path]).files[0]
    assert item.status is ReturnStatus.REJECTED
    assert "报送期尚未开始（2025-12-01 开始报送）" in item.reason
    assert "工作表“填报”，第 2 行 H 列" in item.reason
    outcome = receive(district, path)
    assert outcome.outcome is ImportOutcome.REFUSED
    assert stored(district) == {}
    assert district.submission() is None
    assert district.db.execute("SELECT count(*) FROM audit_event "
                               "WHERE action = 'submission.import_refused'").fetchone()[0] == 1


def test_changed_evidence_refuses_the_submission(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    attach(station, tmp_path / "scans")
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path / "out", now=ON_TIME)
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    photo = next((folder / "附件").glob("*_现场照片.jpg"))
    photo.write_bytes(b"another picture")
    item = preview_returns(district.db, [folder]).files[0]
    assert item.status is ReturnStatus.REJECTED
    assert "现场照片.jpg" in item.reason
    assert "校验值不符" in item.reason
    # A folder holding the workbook and its evidence (unzipped) imports when intact.
    photo.unlink()
    item = preview_returns(district.db, [folder]).files[0]
    assert item.status is ReturnStatus.NEW, issues(item)
    assert any("现场照片.jpg" in w.message and "未导入" in w.message for w in item.warnings)
    assert receive(district, folder).outcome is ImportOutcome.IMPORTED
    assert [e.file_name for e in list_evidence(district.db, district.plan_id, district.unit_id,
                                                PERIOD)] == ["营业执照汇总.pdf"]


def test_unchanged_figures_resubmitted_after_a_return_become_submitted_again(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    first = write_submission(station.db, station.actor, station.plan_id, station.unit_id,
                             PERIOD, tmp_path / "1", now=ON_TIME)
    receive(district, first)
    received = district.submission()
    workflow.return_submission(district.db, district.actor, received.id, "请补充说明口径。")
    import_review_notice(station.db, station.actor, write_review_notice(
        district.db, district.actor, received.id, tmp_path / "notice.xlsx"))
    again = write_submission(station.db, station.actor, station.plan_id, station.unit_id,
                             PERIOD, tmp_path / "2", now=LATE)
    item = preview_returns(district.db, [again]).files[0]
    assert item.status is ReturnStatus.NEW, issues(item)
    assert receive(district, again).outcome is ImportOutcome.IMPORTED
    assert district.submission().status is SubmissionStatus.SUBMITTED
    assert district.submission().submitted_at == "2026-01-20T02:00:00+00:00"


# --- refusals at the station -------------------------------------------------------------------


def test_a_notice_for_another_unit_is_refused_at_the_station(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                     tmp_path / "out", now=ON_TIME)
    other = get_unit_by_code(district.db, OTHER_STATION)
    # The district returns the other station's return (imported from its own workbook).
    book = build_template(district.db, district.plan_id, other.id, PERIOD)
    meta = meta_of(book)
    for row, code in meta.element_rows.items():
        book[SHEET_ENTRY].cell(row, 5).value = figures(station)[code]
    book.save(tmp_path / "other.xlsx")
    assert receive(district, tmp_path / "other.xlsx").outcome is ImportOutcome.IMPORTED
    submission = workflow.find_submission(district.db, district.plan_id, other.id, PERIOD)
    workflow.return_submission(district.db, district.actor, submission.id, "请核对。")
    notice = write_review_notice(district.db, district.actor, submission.id, tmp_path)
    events = district.db.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    with pytest.raises(PermissionDenied) as refused:
        import_review_notice(station.db, station.actor, notice)
    message = refused.value.user_message
    assert message.startswith(f"文件 {notice.name}，工作表“填报”，第 2 行 D 列")
    assert OTHER_STATION in message
    assert station.submission().status is SubmissionStatus.SUBMITTED
    denied = station.db.execute("SELECT new_value FROM audit_event WHERE action = 'denied'"
                                ).fetchall()
    assert len(denied) == 1
    assert OTHER_STATION in denied[0][0]
    assert district.db.execute("SELECT count(*) FROM audit_event").fetchone()[0] == events


def test_an_old_or_repeated_notice_is_refused(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    first = write_submission(station.db, station.actor, station.plan_id, station.unit_id,
                             PERIOD, tmp_path / "1", now=ON_TIME)
    receive(district, first)
    received = district.submission()
    workflow.return_submission(district.db, district.actor, received.id, "请核对。")
    notice = write_review_notice(district.db, district.actor, received.id, tmp_path / "n1.xlsx")
    import_review_notice(station.db, station.actor, notice)
    with pytest.raises(ImportFormatError, match="已导入过"):
        import_review_notice(station.db, station.actor, notice)
    enter(station, {"ENT_TOTAL": 5300})
    write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                     tmp_path / "2", now=LATE)
    with pytest.raises(ImportFormatError, match="通知已过时"):
        import_review_notice(station.db, station.actor, notice)
    assert station.submission().status is SubmissionStatus.SUBMITTED


def test_a_submission_workbook_is_not_a_review_notice_and_vice_versa(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path / "out", now=ON_TIME)
    with pytest.raises(ImportFormatError, match="不是审核通知"):
        import_review_notice(station.db, station.actor, path)
    receive(district, path)
    received = district.submission()
    workflow.approve(district.db, district.actor, received.id)
    notice = write_review_notice(district.db, district.actor, received.id, tmp_path)
    item = preview_returns(district.db, [notice]).files[0]
    assert item.status is ReturnStatus.REJECTED
    assert "审核通知" in item.reason


def test_nothing_is_submitted_when_the_file_cannot_be_written(
        station: Side, tmp_path: Path) -> None:
    enter(station)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(Exception, match="无法写入"):
        write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                         blocker / "out", now=ON_TIME)
    assert station.submission().status is SubmissionStatus.DRAFT


def test_a_viewer_may_not_import_submissions(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path, now=ON_TIME)
    viewer = authenticate(district.db, "chakan", PASSWORD)
    with pytest.raises(PermissionDenied, match="没有导入权限"):
        apply_returns(district.db, preview_returns(district.db, [path]), actor=viewer)
    assert stored(district) == {}
    assert district.submission() is None


# --- jobs, command line, LibreOffice ----------------------------------------------------------


def test_the_jobs_report_progress_and_do_the_same(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    steps: list[Progress] = []
    job = submission_job(station.path, station.actor, station.plan_id, station.unit_id, PERIOD,
                         tmp_path / "out", now=ON_TIME)
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            path = stop.value
            break
    assert steps[0].label
    assert steps[-1].done == steps[-1].total
    assert path.exists()
    result = run_job(import_returns_job(district.path, [path], actor=district.actor))
    assert result.ok
    received = district.submission()
    assert received.status is SubmissionStatus.SUBMITTED
    workflow.return_submission(district.db, district.actor, received.id, "请核对。")
    notice = run_job(review_notice_job(district.path, district.actor, received.id, tmp_path))
    imported = run_job(import_review_notice_job(station.path, station.actor, notice))
    assert imported.status is SubmissionStatus.RETURNED
    assert station.submission().status is SubmissionStatus.RETURNED


def test_the_command_line_submits_writes_the_notice_and_imports_it(
        station: Side, district: Side, tmp_path: Path) -> None:
    enter(station)
    station.db.close()
    district.db.close()
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", str(station.path), "submit", "--unit", STATION,
                              "--period", PERIOD, str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert "已报送" in out.stdout
    path = next((tmp_path / "out").iterdir())
    done = runner.invoke(cli, ["--db", str(district.path), "import", str(path)])
    assert done.exit_code == 0, done.output
    again = runner.invoke(cli, ["--db", str(district.path), "import", str(path)])
    assert again.exit_code == 1
    assert "已导入过" in again.output
    db = open_database(district.path)
    try:
        received = workflow.find_submission(db, list_plans(db)[0].id,
                                            get_unit_by_code(db, STATION).id, PERIOD)
        reviewer = authenticate(db, "shenhe", PASSWORD)
        workflow.return_submission(db, reviewer, received.id, "请核对企业数。")
    finally:
        db.close()
    notice = runner.invoke(cli, ["--db", str(district.path), "review-notice", "--unit", STATION,
                                 "--period", PERIOD, str(tmp_path)])
    assert notice.exit_code == 0, notice.output
    written = next(tmp_path.glob("*_审核通知.xlsx"))
    imported = runner.invoke(cli, ["--db", str(station.path), "import-review", str(written)])
    assert imported.exit_code == 0, imported.output
    assert "请核对企业数" in imported.stdout
    station.db = open_database(station.path)
    district.db = open_database(district.path)
    assert station.submission().status is SubmissionStatus.RETURNED


def test_old_templates_without_the_new_fields_still_verify(district: Side) -> None:
    book = build_template(district.db, district.plan_id, district.unit_id, PERIOD)
    meta = meta_of(book)
    keys = [k for (k, _) in book[SHEET_META].iter_rows(values_only=True)]
    assert "submitted_at" not in keys
    assert "evidence" not in keys
    cells = [(c.coordinate, str(c.value)) for row in book[SHEET_ENTRY].iter_rows() for c in row
             if c.value is not None and not (c.row in meta.element_rows and c.column in (5, 6))
             and not (c.row in meta.task_rows and 5 <= c.column <= 9)]
    assert verify(installation_key(district.db), signed_payload(meta, cells), meta.signature)


def _soffice() -> str:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return soffice


def test_a_submission_resaved_by_libreoffice_still_imports(
        station: Side, district: Side, tmp_path: Path) -> None:
    soffice = _soffice()
    enter(station)
    path = write_submission(station.db, station.actor, station.plan_id, station.unit_id, PERIOD,
                            tmp_path / "out", now=ON_TIME)
    home = tmp_path / "home"
    out = tmp_path / "resaved"
    subprocess.run([soffice, f"-env:UserInstallation={home.as_uri()}/lo", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180,
                   env=dict(os.environ, HOME=str(home)))
    resaved = out / path.name
    item = preview_returns(district.db, [resaved]).files[0]
    assert item.status is ReturnStatus.NEW, issues(item)
    assert item.is_submission
    assert item.submitted_at == "2026-01-10T02:00:00+00:00"
    assert receive(district, resaved).outcome is ImportOutcome.IMPORTED
    assert stored(district) == figures(station)
    assert district.submission().submitted_at == "2026-01-10T02:00:00+00:00"
