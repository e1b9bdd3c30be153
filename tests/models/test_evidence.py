"""Evidence files: copied beside the database under their hash, listed, deduplicated, limited."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.models import evidence as ev
from desktop.models.errors import PermissionDenied, ValidationError
from desktop.models.evidence import (
    attach_evidence,
    attach_evidence_bytes,
    evidence_path,
    list_evidence,
    remove_evidence,
)
from desktop.models.workflow import return_sheet

DRAFT = 1


def element_of(demo: Any) -> int:
    sheet = return_sheet(demo.db, demo.admin, demo.plan_id, demo.station(DRAFT).id, "2024")
    return int(sheet.rows[0].element_id)


def test_a_file_is_copied_under_its_hash_and_listed(demo: Any, demo_path: Path,
                                                    tmp_path: Path) -> None:
    source = tmp_path / "核查记录.PDF"
    source.write_bytes(b"%PDF-1.4 evidence")
    element = element_of(demo)
    unit = demo.station(DRAFT).id
    item = attach_evidence(demo.db, demo.clerk(DRAFT), demo.plan_id, unit, "2024", source,
                           element_id=element)
    digest = hashlib.sha256(b"%PDF-1.4 evidence").hexdigest()
    assert item.sha256 == digest
    assert item.size == len(b"%PDF-1.4 evidence")
    assert item.file_name == "核查记录.PDF"
    assert item.stored_name == f"{digest[:2]}/{digest}.pdf"
    stored = evidence_path(demo.db, item)
    assert stored == demo_path.parent / "evidence" / digest[:2] / f"{digest}.pdf"
    assert stored.read_bytes() == b"%PDF-1.4 evidence"
    source.unlink()  # the copy does not depend on the original
    assert list_evidence(demo.db, demo.plan_id, unit, "2024") == [item]
    sheet = return_sheet(demo.db, demo.clerk(DRAFT), demo.plan_id, unit, "2024")
    assert sheet.rows[0].evidence_count == 1
    event = demo.db.execute("SELECT source FROM audit_event WHERE action = 'evidence.add'"
                            ).fetchone()[0]
    assert event == f"file:核查记录.PDF sha256:{digest}"


def test_the_same_file_twice_is_one_record(demo: Any, tmp_path: Path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(b"photo")
    args = (demo.db, demo.clerk(DRAFT), demo.plan_id, demo.station(DRAFT).id, "2024")
    first = attach_evidence(*args, source, element_id=element_of(demo))
    again = attach_evidence(*args, source, element_id=element_of(demo))
    assert again == first
    assert len(list_evidence(demo.db, demo.plan_id, demo.station(DRAFT).id, "2024")) == 1


def test_a_file_over_the_limit_is_refused(demo: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          stored: Callable[..., Any]) -> None:
    monkeypatch.setattr(ev, "MAX_EVIDENCE_BYTES", 1024)
    source = tmp_path / "big.zip"
    source.write_bytes(b"x" * 2048)
    before = stored(demo.db)
    with pytest.raises(ValidationError, match="超过佐证材料"):
        attach_evidence(demo.db, demo.clerk(DRAFT), demo.plan_id, demo.station(DRAFT).id,
                        "2024", source, element_id=element_of(demo))
    assert stored(demo.db) == before


def test_evidence_needs_one_value_or_task(demo: Any, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("x")
    with pytest.raises(ValidationError, match="数据项或一项任务"):
        attach_evidence(demo.db, demo.clerk(DRAFT), demo.plan_id, demo.station(DRAFT).id,
                        "2024", source)


def test_a_submitted_or_locked_return_takes_no_evidence(demo: Any, tmp_path: Path,
                                                        stored: Callable[..., Any]) -> None:
    source = tmp_path / "a.txt"
    source.write_text("x")
    before = stored(demo.db)
    with pytest.raises(PermissionDenied, match="已报送"):
        attach_evidence(demo.db, demo.clerk(0), demo.plan_id, demo.station(0).id, "2024",
                        source, element_id=element_of(demo))
    with pytest.raises(PermissionDenied, match="已审核锁定"):
        attach_evidence(demo.db, demo.clerk(0), demo.plan_id, demo.station(0).id, "2023",
                        source, element_id=element_of(demo))
    with pytest.raises(PermissionDenied):
        attach_evidence(demo.db, demo.clerk(0), demo.plan_id, demo.station(DRAFT).id, "2024",
                        source, element_id=element_of(demo))
    assert stored(demo.db) == before


def test_imported_evidence_is_checked_against_its_hash(demo: Any,
                                                       stored: Callable[..., Any]) -> None:
    data = b"scanned form"
    unit = demo.station(0).id  # submitted: the district receives its evidence
    before = stored(demo.db)
    with pytest.raises(ValidationError, match="校验值不符"):
        attach_evidence_bytes(demo.db, demo.reviewer, demo.plan_id, unit, "2024", "表.pdf", data,
                              element_id=element_of(demo), sha256="0" * 64)
    assert stored(demo.db) == before
    item = attach_evidence_bytes(demo.db, demo.reviewer, demo.plan_id, unit, "2024",
                                 "附件/表.pdf", data, element_id=element_of(demo),
                                 sha256=hashlib.sha256(data).hexdigest())
    assert item.file_name == "表.pdf"
    assert evidence_path(demo.db, item).read_bytes() == data


def test_removing_evidence_while_editable(demo: Any, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("x")
    unit = demo.station(DRAFT).id
    item = attach_evidence(demo.db, demo.clerk(DRAFT), demo.plan_id, unit, "2024", source,
                           element_id=element_of(demo))
    with pytest.raises(PermissionDenied):
        remove_evidence(demo.db, demo.viewer, item.id)
    remove_evidence(demo.db, demo.clerk(DRAFT), item.id)
    assert list_evidence(demo.db, demo.plan_id, unit, "2024") == []
    assert demo.db.execute("SELECT count(*) FROM audit_event WHERE action = 'evidence.remove'"
                           ).fetchone()[0] == 1


def test_an_in_memory_database_keeps_evidence_in_a_temporary_folder(db: Any) -> None:
    folder = ev.evidence_folder(db)
    assert folder.is_dir()
    assert ev.evidence_folder(db) == folder
