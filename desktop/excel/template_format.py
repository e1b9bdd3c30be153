"""The reporting template's layout, metadata and signature: one definition for writer and reader.

A template is one ``.xlsx`` per unit and period. Its layout (version :data:`TEMPLATE_VERSION`):

Sheet ``填报`` (the only sheet a station edits):

===== ==============================================================================
row   content
===== ==============================================================================
1     title: "<plan short title> 数据填报表" (merged A1:K1)
2     A2 "填报单位" | B2 unit name | C2 "单位代码" | D2 unit code |
      E2 "填报期间" | F2 period label | G2 "期间代码" | H2 period id
3     A3 "规划" | B3 plan title | C3 "规划代码" | D3 plan code | E3 "模板版本" | F3 version
5     section title "一、数据项"
6     element header: :data:`ELEMENT_HEADERS`
7…    one row per data element; column B holds its code; E (本期数值) and F (说明) are input
…     a blank row, then the section title "二、任务进展" and :data:`TASK_HEADERS`
…     one row per task; column B holds the plan item id; E–I are input
…     two blank rows, then the signature lines (:data:`SIGNATURE_LABELS`)
===== ==============================================================================

Rows 2–3 identify the workbook even when the metadata sheet is lost (LibreOffice and WPS keep
them). Row 4 (:data:`BANNER_ROW`) is empty in a template; a submission shows who submitted it
and when there, a review notice the review's result and reason. A review notice adds the
column :data:`REVIEW_COLUMN` (审核意见) with the reviewer's comment beside each value or task.
Sheet ``填报说明`` explains how to fill in. Sheet ``_plandesk`` (very hidden) holds the
metadata keys of :data:`META_KEYS` (and, when not empty, :data:`OPTIONAL_META_KEYS`) in
columns A (key) and B (value), and the signature: an HMAC-SHA256, with the generating
installation's key, over the canonical JSON of the metadata and of every locked cell of
``填报`` (see :func:`signed_payload`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlite_utils import Database

from desktop.models.reported import (
    cell_text as cell_text,  # re-exported: readers and writers use it
)

TEMPLATE_FORMAT = "PlanDesk 填报模板"
TEMPLATE_VERSION = 1

SHEET_ENTRY = "填报"
SHEET_HELP = "填报说明"
SHEET_META = "_plandesk"

TITLE_ROW = 1
UNIT_ROW = 2
PLAN_ROW = 3
BANNER_ROW = 4  # a submission's stamp or a review's result (empty in a template)
ELEMENT_SECTION_ROW = 5
ELEMENT_HEADER_ROW = 6
FIRST_ELEMENT_ROW = 7

ELEMENT_SECTION_TITLE = "一、数据项"
TASK_SECTION_TITLE = "二、任务进展"

#: Columns of an element row (1-based index → header).
ELEMENT_HEADERS = ("序号", "代码", "数据项", "计量单位", "本期数值", "说明", "上期数值（已审核）",
                   "相关指标", "年度目标", "基期值", "目标值")
ELEMENT_CODE_COLUMN = 2
ELEMENT_VALUE_COLUMN = 5
ELEMENT_COMMENT_COLUMN = 6
ELEMENT_INPUT_COLUMNS = (ELEMENT_VALUE_COLUMN, ELEMENT_COMMENT_COLUMN)

#: Columns of a task row.
TASK_HEADERS = ("序号", "任务编号", "任务", "分工", "状态", "完成百分比", "进展", "问题", "下步",
                "完成时限")
TASK_ID_COLUMN = 2
TASK_STATUS_COLUMN = 5
TASK_PERCENT_COLUMN = 6
TASK_PROGRESS_COLUMN = 7
TASK_PROBLEMS_COLUMN = 8
TASK_NEXT_COLUMN = 9
TASK_INPUT_COLUMNS = (TASK_STATUS_COLUMN, TASK_PERCENT_COLUMN, TASK_PROGRESS_COLUMN,
                      TASK_PROBLEMS_COLUMN, TASK_NEXT_COLUMN)

#: A review notice's column of reviewer comments (after the last template column, K).
REVIEW_COLUMN = 12
REVIEW_HEADER = "审核意见"

#: The status list offered in the template (the labels of ``TaskStatus``).
TASK_STATUS_LABELS = ("未启动", "推进中", "已完成", "滞后")

SIGNATURE_LABELS = ("填报人：", "审核人：", "负责人：", "日期：", "单位（盖章）：")

#: Metadata keys, in the order they are written.
META_KEYS = ("format", "version", "plan_code", "plan_id", "plan_hash", "unit_code", "unit_name",
             "period", "generated_at", "generator", "element_rows", "task_rows", "kind",
             "signature")
#: Optional metadata keys, written (between ``kind`` and ``signature``) only when not empty, so
#: that a template without them signs and verifies exactly as before they existed.
OPTIONAL_META_KEYS = ("submitted_at", "submitted_by", "review_status", "review_reason",
                      "reviewed_at", "reviewed_by", "evidence")
#: ``kind``: "template" (sent out to be filled), "return" (filled by PlanDesk itself: a
#: district's return upwards), "submission" (a station's submission: filled, stamped with the
#: time it was submitted) or "review" (the district's notice of a return or an approval).
KIND_TEMPLATE = "template"
KIND_RETURN = "return"
KIND_SUBMISSION = "submission"
KIND_REVIEW = "review"
KINDS = (KIND_TEMPLATE, KIND_RETURN, KIND_SUBMISSION, KIND_REVIEW)
#: ``evidence`` entry kinds: evidence of a data element (ref: its code) or a task (ref: the
#: plan item id).
EVIDENCE_ELEMENT = "element"
EVIDENCE_TASK = "task"
#: Folder of a submission zip that holds the evidence files, each as ``<sha256>_<name>``.
EVIDENCE_FOLDER = "附件"

#: One evidence file listed in a submission: (kind, ref, file name, sha256 hex, size in bytes).
EvidenceEntry = tuple[str, str, str, str, int]


def evidence_member_name(sha256: str, file_name: str) -> str:
    """The name an evidence file has in the 附件 folder: ``<sha256>_<name>``."""
    return f"{sha256}_{file_name}"


@dataclass(frozen=True)
class TemplateMeta:
    """What the hidden sheet says about a workbook."""

    plan_code: str
    plan_id: int
    plan_hash: str
    unit_code: str
    unit_name: str
    period: str
    generated_at: str
    generator: str  # the installation id of the PlanDesk that wrote it
    element_rows: dict[int, str] = field(default_factory=dict)  # row → element code
    task_rows: dict[int, int] = field(default_factory=dict)  # row → plan item id
    kind: str = KIND_TEMPLATE
    version: int = TEMPLATE_VERSION
    signature: str = ""
    # optional, signed when present (see OPTIONAL_META_KEYS)
    submitted_at: str = ""  # UTC ISO seconds: when the station submitted (kind submission)
    submitted_by: str = ""  # who submitted: "张三（所填报员）"
    review_status: str = ""  # "returned" or "approved" (kind review)
    review_reason: str = ""  # the reason of a return
    reviewed_at: str = ""  # UTC ISO seconds: when the district returned or approved
    reviewed_by: str = ""  # who reviewed
    evidence: tuple[EvidenceEntry, ...] = ()

    def as_rows(self) -> list[tuple[str, str]]:
        """(key, value) rows for the metadata sheet, all values as text."""
        values = {
            "format": TEMPLATE_FORMAT, "version": str(self.version),
            "plan_code": self.plan_code, "plan_id": str(self.plan_id),
            "plan_hash": self.plan_hash, "unit_code": self.unit_code,
            "unit_name": self.unit_name, "period": self.period,
            "generated_at": self.generated_at, "generator": self.generator,
            "element_rows": json.dumps({str(k): v for k, v in sorted(self.element_rows.items())},
                                       ensure_ascii=False),
            "task_rows": json.dumps({str(k): v for k, v in sorted(self.task_rows.items())}),
            "kind": self.kind, "signature": self.signature,
            "submitted_at": self.submitted_at, "submitted_by": self.submitted_by,
            "review_status": self.review_status, "review_reason": self.review_reason,
            "reviewed_at": self.reviewed_at, "reviewed_by": self.reviewed_by,
            "evidence": json.dumps([list(entry) for entry in self.evidence], ensure_ascii=False)
            if self.evidence else "",
        }
        keys = [*META_KEYS[:-1], *(k for k in OPTIONAL_META_KEYS if values[k]), META_KEYS[-1]]
        return [(key, values[key]) for key in keys]

    @classmethod
    def from_rows(cls, rows: Mapping[str, str]) -> TemplateMeta:
        """Read the metadata sheet's (key → value) pairs.

        Raises:
            ValueError: a key is missing or malformed (the caller reports it in Chinese).
        """
        if rows.get("format") != TEMPLATE_FORMAT:
            raise ValueError("not a PlanDesk template")
        return cls(
            plan_code=rows["plan_code"], plan_id=int(rows["plan_id"]),
            plan_hash=rows["plan_hash"], unit_code=rows["unit_code"],
            unit_name=rows.get("unit_name", ""), period=rows["period"],
            generated_at=rows.get("generated_at", ""), generator=rows.get("generator", ""),
            element_rows={int(k): str(v) for k, v in json.loads(rows["element_rows"]).items()},
            task_rows={int(k): int(v)
                       for k, v in json.loads(rows.get("task_rows") or "{}").items()},
            kind=rows.get("kind") or KIND_TEMPLATE, version=int(rows["version"]),
            signature=rows.get("signature", ""),
            submitted_at=rows.get("submitted_at", ""), submitted_by=rows.get("submitted_by", ""),
            review_status=rows.get("review_status", ""),
            review_reason=rows.get("review_reason", ""),
            reviewed_at=rows.get("reviewed_at", ""), reviewed_by=rows.get("reviewed_by", ""),
            evidence=_evidence(rows.get("evidence") or "[]"),
        )


def _evidence(text: str) -> tuple[EvidenceEntry, ...]:
    """The ``evidence`` key: a JSON list of ``[kind, ref, file name, sha256, size]``."""
    entries = []
    for kind, ref, name, digest, size in json.loads(text):
        if kind not in (EVIDENCE_ELEMENT, EVIDENCE_TASK) or not isinstance(name, str):
            raise ValueError(f"bad evidence entry {kind!r}")
        if not (isinstance(digest, str) and len(digest) == 64
                and all(c in "0123456789abcdef" for c in digest)):
            raise ValueError("bad evidence sha256")
        entries.append((str(kind), str(ref), name, digest, int(size)))
    return tuple(entries)


def is_input_cell(meta: TemplateMeta, row: int, column: int) -> bool:
    """Whether the station may change this cell of the ``填报`` sheet."""
    if row in meta.element_rows:
        return column in ELEMENT_INPUT_COLUMNS
    if row in meta.task_rows:
        return column in TASK_INPUT_COLUMNS
    return False


def signed_payload(meta: TemplateMeta, locked_cells: Iterable[tuple[str, str]]) -> bytes:
    """The bytes the signature covers: the metadata (without the signature) and locked cells.

    ``locked_cells`` are (cell reference, text) pairs of every non-empty cell of ``填报`` that is
    not an input cell, in any order; texts are compared as written (numbers as ``str(int)`` when
    whole, else ``repr``-free ``str``), so a LibreOffice round trip that keeps values verifies.
    """
    rows = [(k, v) for k, v in meta.as_rows() if k != "signature"]
    cells = sorted((ref, text) for ref, text in locked_cells if text != "")
    return json.dumps([rows, cells], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def verify(key: bytes, payload: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, payload), signature)


def plan_version_hash(db: Database, plan_id: int) -> str:
    """A fingerprint of what a template depends on: the plan's elements and tasks.

    Two databases holding the same plan definition (e.g. a district and the stations it sent
    the plan workbook to) give the same hash; editing an element or a task changes it.

    An element's time aggregation is left out on purpose: it does not change what a unit
    enters for one period (a month's figure is the same whether the year adds the months up
    or takes the last), only how periods combine afterwards. Leaving it out keeps every
    template written before PlanDesk knew it importable, and lets a district correct it
    without sending new templates.
    """
    plan = db.execute("SELECT code FROM plan WHERE id = ?", [plan_id]).fetchone()
    elements = db.execute(
        "SELECT DISTINCT e.code, e.name, e.unit, e.value_type, e.aggregation, e.entry_level "
        "FROM data_element e JOIN indicator i ON e.id IN (i.numerator_id, i.denominator_id) "
        "WHERE i.plan_id = ? ORDER BY e.code", [plan_id]).fetchall()
    tasks = db.execute(
        "SELECT marker, title FROM plan_item WHERE plan_id = ? AND item_type = 'task' "
        "ORDER BY id", [plan_id]).fetchall()
    payload = json.dumps([plan[0] if plan else "", elements, tasks], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
