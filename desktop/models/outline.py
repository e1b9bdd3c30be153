"""Read a plan's text into a typed outline tree (章/节/一、/(一)/1./专栏/task paragraphs)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from desktop.models.plans import ItemType, OutlineNode

_CN_NUM = "一二三四五六七八九十百零〇"
_TOC_TAIL = re.compile(r"(\.{3,}|…{2,}|·{3,})\s*\d*\s*$")
_CHAPTER = re.compile(rf"^(第[{_CN_NUM}\d]+章)\s*(.*)$")
_SECTION = re.compile(rf"^(第[{_CN_NUM}\d]+节)\s*(.*)$")
# A section whose "第X节" a word processor turned into list numbering ("  1. 建设…").
_LIST_SECTION = re.compile(r"^\s+(\d{1,2})\.\s+(\S.{0,40})$")
_HEADING = re.compile(rf"^([{_CN_NUM}]+、)\s*(.*)$")
_SUBHEADING = re.compile(rf"^([(（][{_CN_NUM}]+[)）])\s*(.*)$")
_POINT = re.compile(r"^(\d{1,2}[、.．](?!\d))\s*(.*)$")
_BOX = re.compile(r"^(专栏\s*\d+)\s*[:：]?\s*(.*)$")
_CIRCLED = re.compile(r"^([①-⑳]|0[1-9](?=[^\d.]))\s*(.*)$")
# The colophon or the web page's footer: the document's text has ended.
_DOCUMENT_END = re.compile(r"印发\s*$|^抄送|扫一扫|^-->")
_HEADER_FIELD = re.compile(r"\[\s*([^\]]+?)\s*\]\s*([^\[]*)")

#: Chapters whose paragraphs are tasks (主要任务, 重点任务 …).
_TASK_CHAPTER = re.compile(r"任务|举措|重点工作")

# Container ranks: a new node closes every open node of the same or a lower rank.
_RANK = {
    ItemType.CHAPTER: 1,
    ItemType.SECTION: 2,
    ItemType.BOX: 3,
    ItemType.HEADING: 3,
    ItemType.SUBHEADING: 4,
    ItemType.POINT: 5,
}
LEAD_PHRASE_MAX = 40
_TABLE_ENDS = (ItemType.CHAPTER, ItemType.SECTION, ItemType.BOX)


@dataclass(frozen=True)
class PlanHeader:
    """What a government web page's header says about the document."""

    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    issued_on: str | None = None
    published_on: str | None = None


def normalise_line(line: str) -> str:
    """Strip a line and fold NBSP / ideographic spaces; the text is otherwise kept."""
    return line.replace("\u00a0", " ").replace("\u3000", " ").strip()


def parse_header(text: str) -> PlanHeader:
    """Read the ``[ 发文字号 ] … [ 发布机构 ] …`` header of a government portal page."""
    fields: dict[str, str] = {}
    for line in text.splitlines()[:20]:
        for key, value in _HEADER_FIELD.findall(line):
            fields[key.replace(" ", "")] = value.strip()
    title = ""
    for line in text.splitlines()[:20]:
        match = re.search(r"《(.+?)》", line)
        if match:
            title = match.group(1)
            break
    return PlanHeader(
        title=title,
        issuer=fields.get("发布机构", ""),
        doc_number=fields.get("发文字号", ""),
        issued_on=fields.get("成文日期") or None,
        published_on=fields.get("发布日期") or None,
    )


def lead_phrase(paragraph: str) -> str:
    """The phrase that opens a task paragraph: the text up to the first 。 when it is short."""
    head, sep, _ = paragraph.partition("。")
    if sep and len(head) <= LEAD_PHRASE_MAX:
        return head
    return paragraph[:LEAD_PHRASE_MAX] + ("…" if len(paragraph) > LEAD_PHRASE_MAX else "")


def _is_table_cell_run(lines: list[str]) -> bool:
    """A 专栏 laid out one table cell per line (序号 / 指标名称 / …) rather than prose."""
    short = sum(1 for line in lines if len(line) <= 20)
    return bool(lines) and ("序号" in lines[:3] or short >= 0.8 * len(lines))


def parse_outline_text(text: str) -> list[OutlineNode]:
    """Build the outline of a plan's body text.

    The table of contents and everything before the first chapter are skipped; paragraphs of
    chapters about tasks become ``TASK`` nodes, other paragraphs ``PARAGRAPH``; the text of a
    专栏 becomes ``BOX_ITEM`` children, or the box's body when it is a table.
    """
    lines = text.split("\n")
    roots: list[OutlineNode] = []
    stack: list[OutlineNode] = []
    box_lines: list[str] = []
    in_task_chapter = False
    started = False

    def attach(node: OutlineNode) -> None:
        rank = _RANK.get(node.item_type)
        if rank is not None:
            while stack and _RANK[stack[-1].item_type] >= rank:
                stack.pop()
        elif stack and stack[-1].item_type is ItemType.BOX and node.item_type is not (
            ItemType.BOX_ITEM
        ):
            stack.pop()
        node.level = len(stack) + 1
        (stack[-1].children if stack else roots).append(node)
        if rank is not None:
            stack.append(node)

    def close_box() -> None:
        if stack and stack[-1].item_type is ItemType.BOX and box_lines:
            box = stack[-1]
            if _is_table_cell_run(box_lines):
                box.body = "\n".join(box_lines)
                box.children.clear()
        box_lines.clear()

    for number, raw in enumerate(lines, start=1):
        line = normalise_line(raw)
        if not line or _TOC_TAIL.search(line):
            continue
        node = _classify(raw, line, number)
        in_table = bool(stack) and stack[-1].item_type is ItemType.BOX and bool(box_lines) and (
            box_lines[0].startswith("序号"))
        if in_table and node is not None and node.item_type not in _TABLE_ENDS:
            node = None  # a category row such as 一、市场活力 inside an indicator table
        if node is not None and node.item_type is ItemType.CHAPTER:
            started = True
            in_task_chapter = bool(_TASK_CHAPTER.search(node.title))
        if not started:
            continue
        if _DOCUMENT_END.search(line):
            break
        if node is not None and node.item_type is ItemType.SECTION and raw.startswith(" ") and (
            not stack or not any(n.item_type is ItemType.CHAPTER for n in stack)
        ):
            node = None  # a numbered list outside any chapter is not a section
        if node is not None:
            close_box()
            attach(node)
            continue
        if stack and stack[-1].item_type is ItemType.BOX:
            box_lines.append(line)
            match = _CIRCLED.match(line)
            marker = match.group(1) if match else ""
            stack[-1].children.append(OutlineNode(
                ItemType.BOX_ITEM, len(stack) + 1, marker, lead_phrase(line), body=line,
                source_line=number, source_text=line))
            continue
        if unicodedata.category(line[0]).startswith("P") and len(line) < 3:
            continue
        kind = ItemType.TASK if in_task_chapter else ItemType.PARAGRAPH
        attach(OutlineNode(kind, 0, "", lead_phrase(line), body=line, source_line=number,
                           source_text=line))
    close_box()
    return roots


def _classify(raw: str, line: str, number: int) -> OutlineNode | None:
    """The structural node a line opens, or ``None`` for a plain paragraph."""
    patterns: tuple[tuple[re.Pattern[str], ItemType], ...] = (
        (_CHAPTER, ItemType.CHAPTER),
        (_SECTION, ItemType.SECTION),
        (_BOX, ItemType.BOX),
        (_HEADING, ItemType.HEADING),
        (_SUBHEADING, ItemType.SUBHEADING),
    )
    for pattern, kind in patterns:
        match = pattern.match(line)
        if match:
            return _heading_node(kind, match.group(1), match.group(2), line, number)
    match = _LIST_SECTION.match(raw)
    if match and "。" not in match.group(2):
        return _heading_node(ItemType.SECTION, f"{match.group(1)}.", match.group(2), line, number)
    match = _POINT.match(line)
    if match and len(match.group(2)) <= LEAD_PHRASE_MAX and "。" not in match.group(2)[:-1]:
        return _heading_node(ItemType.POINT, match.group(1), match.group(2), line, number)
    return None


def _heading_node(kind: ItemType, marker: str, title: str, line: str,
                  number: int) -> OutlineNode:
    return OutlineNode(kind, 0, marker.replace(" ", ""), title.strip().rstrip("。"),
                       source_line=number, source_text=line)


def count_by_type(roots: list[OutlineNode]) -> dict[ItemType, int]:
    """How many nodes of each type an outline holds."""
    counts: dict[ItemType, int] = {}
    for root in roots:
        for node in root.walk():
            counts[node.item_type] = counts.get(node.item_type, 0) + 1
    return counts
