"""Read a plan's text into a typed outline tree (章/节/一、/(一)/1./专栏/task paragraphs)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from desktop.models.errors import ImportIssue
from desktop.models.plans import ItemType, OutlineNode

_CN_NUM = "一二三四五六七八九十百零〇两"
_NUM = rf"[{_CN_NUM}\d]+"

# Table-of-contents entries end in dot leaders or a tab and the page number. The leader is a
# fixed-length prefix so that a line of ten thousand dots is rejected in linear time.
_TOC_TAIL = re.compile(r"(?:\.{3}|…{2}|·{3}|-{4})[\s\d]*$")
_TOC_TAB = re.compile(r"^[^\t]{2,80}\t\s*\d{1,3}\s*$")

_CHAPTER = re.compile(rf"^(第\s*{_NUM}\s*(?:章|部分|篇))\s*(.*)$")
_SECTION = re.compile(rf"^(第\s*{_NUM}\s*节)\s*(.*)$")
# A section whose "第X节" a word processor turned into list numbering ("  1. 建设…").
_LIST_SECTION = re.compile(r"^\s+(\d{1,2})\.\s+(\S.{0,40})$")
_HEADING = re.compile(rf"^([{_CN_NUM}]+、)\s*(.*)$")
_SUBHEADING = re.compile(rf"^([(（]\s*[{_CN_NUM}]+\s*[)）])\s*(.*)$")
_POINT = re.compile(r"^(\d{1,2}\s*[、.．](?!\d))\s*(.*)$")
_BOX = re.compile(rf"^(专栏\s*{_NUM})(?![\d%])\s*[:：.、]?\s*(.*)$")
# Items of a 专栏: "01 高价值知识产权培育工程" or "①…".
_BOX_NUMBERED = re.compile(r"^(0[1-9]|1\d)(?![\d.．%,，、])\s*(\S.*)$")
_CIRCLED_CHARS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CIRCLED = re.compile(rf"[{_CIRCLED_CHARS}]")
# Numbering that no level of the outline uses: reported, then read as a plain paragraph.
_UNKNOWN_NUMBERING = re.compile(
    r"^([(（]\d{1,2}[)）]|\d{1,2}[)）]|[A-Za-z][.、)）](?=\D)|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+[.、]"
    rf"|[{_CIRCLED_CHARS}])")

# The colophon or the web page's footer: the document's text has ended.
_DOCUMENT_END = re.compile(
    r"印发\s*$|^抄送|^扫一扫|^-->|^(政策解读|相关链接|相关文件|原文链接)|^logo$|^https?://"
    r"|^附件\s*[:：]?\s*\d*\s*$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(
    r"^(\d{1,4}|[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(\s*[,，]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4})$")
_NUMERIC_CELL = re.compile(
    r"^([≥≤><=＞＜约+±~～-]{0,2}\s*\d[\d.,，%‰\s]*(万|亿)?[%‰]?"
    r"|[-—–]{1,2}|--|[\d.]+\s*[-—–~～]\s*[\d.]+%?)$")
# A sentence (and so a paragraph) ends here; a closing quote only after 。！？.
_SENTENCE_END = re.compile(r"([。！？；：!?;:…]|[。！？!?][”’」』）)])$")
# A paragraph that starts like this is a new paragraph, never the rest of a broken one.
_NEW_PARAGRAPH = re.compile(rf"^(——|—|[{_CN_NUM}]+是|首先|其次|最后|从\S{{1,6}}看[，,])")
_FIRST_FRAGMENT = re.compile(r"^[^，、。；：,;:]*")
_LEAD = re.compile(r"^[^，、。；：,;:！？!?]{2,25}[。：:！？!?]")
_QUOTING = re.compile(r"(指出|强调|要求|提出|表示|说)$")

#: Chapters whose paragraphs are tasks (主要任务, 重点任务 …).
_TASK_CHAPTER = re.compile(r"任务|举措|重点工作")
#: Chapters about carrying the plan out (保障措施): their paragraphs are not tasks.
_SAFEGUARD_CHAPTER = re.compile(r"保障措施|实施保障|保障机制|组织保障|规划实施|组织实施")
#: Chapters of context, aims and principles: their paragraphs are not tasks either.
_CONTEXT_CHAPTER = re.compile(
    r"发展基础|工作基础|现实基础|回顾|成就|形势|指导思想|总体要求|目标|原则|展望|背景|挑战"
    r"|机遇|总则|总论|现状")
_HEADER_FIELD = re.compile(r"\[\s*([^\]]+?)\s*\]\s*([^\[]*)")
_HEADER_KEYS = ("索引号", "主题分类", "发文机关", "发布机构", "成文日期", "标题", "发文字号",
                "发布日期", "来源", "有效性", "体裁分类")
_HEADER_PAIR = re.compile(
    "(" + "|".join(r"\s*".join(key) for key in _HEADER_KEYS) + r")\s*[:：]\s*(\S+)")
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号$")
_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")

# Container ranks: a new node closes every open node of the same or a lower rank.
_RANK = {
    ItemType.CHAPTER: 1,
    ItemType.SECTION: 2,
    ItemType.HEADING: 3,
    ItemType.SUBHEADING: 4,
    ItemType.POINT: 5,
}
_STRUCTURAL = (*_RANK, ItemType.BOX)
#: A 专栏 hangs under a chapter or under one level below it, never deeper.
_BOX_DEPTH = 2
LEAD_PHRASE_MAX = 40
BOLD_LEAD_MAX = 60
_CELL_MAX = 30
_TABLE_MIN_CELLS = 6
_HEADER_LINES = 40
# A document with this many paragraphs that clearly go on after a page break (and at least a
# quarter of all unfinished ones) is a converted PDF: every unfinished paragraph goes on.
_BROKEN_MIN = 3
_CLASSIFY_PREFIX = 400


@dataclass(frozen=True)
class PlanHeader:
    """What a government web page's header says about the document."""

    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    issued_on: str | None = None
    published_on: str | None = None


@dataclass(frozen=True)
class SourceParagraph:
    """One paragraph of a source document, as a reader hands it to the parser.

    ``number`` is 1-based: the line of a text file, the paragraph of a Word document.
    ``bold_lead`` is the text of a Word paragraph's leading bold run(s). ``in_table`` marks a
    cell of a multi-column table (one paragraph per cell); ``in_frame`` a paragraph inside a
    one-column table or a text box (how Word documents draw a 专栏); ``page_break`` says
    that a page break comes before the paragraph.
    """

    number: int
    text: str
    bold_lead: str = ""
    in_table: bool = False
    in_frame: bool = False
    page_break: bool = False


@dataclass(frozen=True)
class ParsedOutline:
    """The outline read from a document and the doubtful spots found on the way."""

    roots: list[OutlineNode]
    issues: list[ImportIssue] = field(default_factory=list)


def normalise_line(line: str) -> str:
    """Strip a line and fold NBSP / ideographic spaces; the text is otherwise kept."""
    return line.replace("\u00a0", " ").replace("\u3000", " ").strip()


def paragraphs_from_text(text: str) -> list[SourceParagraph]:
    """The non-blank lines of a plain text, numbered from 1; a form feed is a page break."""
    paragraphs: list[SourceParagraph] = []
    page_break = False
    for number, line in enumerate(text.split("\n"), start=1):
        if "\f" in line:
            page_break = True
            line = line.replace("\f", "")
        line = line.rstrip("\r")
        if not normalise_line(line):
            continue
        paragraphs.append(SourceParagraph(number, line, page_break=page_break))
        page_break = False
    return paragraphs


def parse_header(text: str) -> PlanHeader:
    """Read the title, issuer, document number and dates from the top of a published plan.

    Understands a portal's ``[ 发文字号 ] …`` and ``发文机关: …`` fields, a document number
    or a signature date on a line of its own, and the title quoted in ``《…》``.
    """
    head = [normalise_line(line).strip("*").strip() for line in text.splitlines()[:_HEADER_LINES]]
    fields: dict[str, str] = {}
    for line in head:
        for key, value in _HEADER_FIELD.findall(line):
            fields.setdefault(key.replace(" ", ""), value.strip())
        for key, value in _HEADER_PAIR.findall(line.lstrip("-• ")):
            fields.setdefault(re.sub(r"\s+", "", key), value.strip())
    doc_number = fields.get("发文字号", "") or next(
        (line for line in head if _DOC_NUMBER.match(line)), "")
    issuer = fields.get("发布机构") or fields.get("发文机关") or fields.get("来源") or ""
    if not issuer:
        for index, line in enumerate(head):
            before, sep, _ = line.partition("关于印发")
            if sep:
                issuer = before.strip() or (head[index - 1] if index else "")
                break
    issued = fields.get("成文日期") or next(
        (line for line in head if _CN_DATE.match(line)), "")
    return PlanHeader(
        title=_header_title(head),
        issuer=issuer,
        doc_number=doc_number,
        issued_on=_iso_date(issued),
        published_on=_iso_date(fields.get("发布日期", "")),
    )


def _header_title(head: list[str]) -> str:
    quoted = [m.group(1).replace("\n", "").strip()
              for m in re.finditer(r"《([^《》]{4,120}?)》", "\n".join(head))]
    standalone = [line for line in head if len(line) <= 60 and not re.search(
        r"关于|通知|印发|[:：]|[。，,]", line)]
    for candidates, words in ((quoted, "规划|纲要"), (standalone, "规划|纲要"),
                              (quoted, "计划|方案")):
        title = next((c for c in candidates if re.search(words, c)), "")
        if title:
            return title
    return ""


def _iso_date(value: str) -> str | None:
    value = value.strip()
    match = _ISO_DATE.match(value) or _CN_DATE.match(value)
    if not match:
        return value or None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def lead_phrase(paragraph: str) -> str:
    """The phrase that opens a task paragraph: the text up to the first 。 (or ：) when short."""
    text = paragraph.lstrip("—-－ ")
    colon = min((i for i in (text.find("："), text.find(":")) if i > 0), default=-1)
    if colon > 0 and _QUOTING.search(text[:colon]):
        colon = -1  # 习近平总书记指出：“…” quotes a speech; it is not a lead phrase
    cut = min((i for i in (text.find("。"), colon) if i > 0), default=-1)
    if 0 < cut <= LEAD_PHRASE_MAX:
        return text[:cut]
    return text[:LEAD_PHRASE_MAX] + ("…" if len(text) > LEAD_PHRASE_MAX else "")


def count_by_type(roots: list[OutlineNode]) -> dict[ItemType, int]:
    """How many nodes of each type an outline holds."""
    counts: dict[ItemType, int] = {}
    for root in roots:
        for node in root.walk():
            counts[node.item_type] = counts.get(node.item_type, 0) + 1
    return counts


def parse_outline_text(text: str) -> list[OutlineNode]:
    """Build the outline of a plan's body text (see :func:`read_outline`)."""
    return read_outline(paragraphs_from_text(text)).roots


def parse_outline(paragraphs: Iterable[SourceParagraph]) -> list[OutlineNode]:
    """Build the outline of a plan from its paragraphs (see :func:`read_outline`)."""
    return read_outline(paragraphs).roots


def read_outline(paragraphs: Iterable[SourceParagraph], *, file_name: str = "") -> ParsedOutline:
    """Build the outline of a plan and list the spots a person should check.

    Everything before the first chapter (a web page's header, the notice, the table of
    contents) and after the colophon is skipped; paragraphs broken across pages are joined.
    Top-level parts are 第X章, or 一、 when the plan has no chapters. Paragraphs of chapters
    about tasks become ``TASK`` nodes, other paragraphs ``PARAGRAPH``; a heading printed on the
    same line as its text (``(一)加强…。深化…``) becomes one such node carrying the marker.
    A 专栏 holds ``BOX_ITEM`` children (prose, ``01`` items, ``①`` items), or its table as
    one cell per line in its body.

    Args:
        paragraphs: From :func:`paragraphs_from_text` or a document reader.
        file_name: Named in the issues, whose ``row`` is the paragraph's ``number``.
    """
    return _Parser(list(paragraphs), file_name).run()


# --- classification -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    """The structural node a line opens: kind, marker and title, and whether text follows."""

    kind: ItemType
    marker: str
    title: str
    rest: str = ""  # the text after the marker, for a heading inline with its paragraph
    inline: bool = False


@dataclass
class _Line:
    number: int
    raw: str
    text: str
    bold_lead: str = ""
    table: bool = False
    frame: bool = False
    page_break: bool = False
    cells: list[str] = field(default_factory=list)
    mark: _Mark | None = None


def _clean_marker(marker: str) -> str:
    return re.sub(r"\s+", "", marker)


def _classify(line: _Line) -> _Mark | None:
    """The structural node a line opens, or ``None`` for a plain paragraph."""
    text = line.text[:_CLASSIFY_PREFIX] if len(line.text) > _CLASSIFY_PREFIX else line.text
    for pattern, kind in ((_CHAPTER, ItemType.CHAPTER), (_SECTION, ItemType.SECTION),
                          (_BOX, ItemType.BOX)):
        match = pattern.match(text)
        if match:
            return _Mark(kind, _clean_marker(match.group(1)),
                         match.group(2).strip().rstrip("。"))
    match = _LIST_SECTION.match(line.raw)
    if match and "。" not in match.group(2):
        return _Mark(ItemType.SECTION, f"{match.group(1)}.", match.group(2).strip())
    for pattern, kind in ((_HEADING, ItemType.HEADING), (_SUBHEADING, ItemType.SUBHEADING),
                          (_POINT, ItemType.POINT)):
        match = pattern.match(line.text)
        if match:
            marker = _clean_marker(match.group(1))
            return _heading_mark(kind, marker, match.group(2).strip(), line)
    return None


def _heading_mark(kind: ItemType, marker: str, rest: str, line: _Line) -> _Mark | None:
    """A heading alone on its line, or a heading followed by its paragraph's text."""
    if not rest:
        return None if kind is ItemType.POINT else _Mark(kind, marker, "")
    stop = rest.find("。")
    if (stop == -1 or stop == len(rest) - 1) and len(rest) <= LEAD_PHRASE_MAX:
        return _Mark(kind, marker, rest.rstrip("。"))
    title = _bold_title(line.bold_lead, line.text) or lead_phrase(rest)
    return _Mark(kind, marker, title, rest=rest, inline=True)


def _bold_title(bold_lead: str, text: str) -> str:
    """The bold lead of a Word paragraph as a title, when it is a true lead of the text.

    A numbering marker in the bold run (``（一）``) is not part of the title.
    """
    bold = re.sub(r"\s+", "", bold_lead)
    whole = re.sub(r"\s+", "", text)
    if not bold or len(bold) >= len(whole) or not whole.startswith(bold):
        return ""
    for pattern in (_HEADING, _SUBHEADING, _POINT):
        match = pattern.match(bold)
        if match:
            bold = match.group(2)
            break
    bold = bold.rstrip("。：:；;，,")
    return bold if 0 < len(bold) <= BOLD_LEAD_MAX else ""


def _number_of(marker: str) -> int | None:
    """The number a marker counts: 第三章 → 3, （十二） → 12, 05 → 5, ⑦ → 7."""
    if marker and marker[0] in _CIRCLED_CHARS:
        return _CIRCLED_CHARS.index(marker[0]) + 1
    match = re.search(rf"\d+|[{_CN_NUM}]+", marker)
    if not match:
        return None
    digits = match.group(0)
    if digits.isdigit():
        return int(digits)
    values = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
    total = current = 0
    for char in digits:
        if char in values:
            current = values[char]
        else:
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
    return total + current


def _is_toc(text: str) -> bool:
    tail = text[-120:]
    return bool(_TOC_TAIL.search(tail) or _TOC_TAB.match(text)) and not tail.endswith("。")


def _is_cell(line: _Line) -> bool:
    if line.table:
        return True
    text = line.text
    if len(text) > _CELL_MAX or "。" in text or text.endswith(("：", ":")):
        return False
    return not (_CHAPTER.match(text) or _SECTION.match(text) or _BOX.match(text))


def _split_circled(text: str) -> list[str]:
    """``前言。①甲。②乙。`` → [``前言。``, ``①甲。``, ``②乙。``], when the numbers run 1, 2, 3…"""
    positions = [m.start() for m in _CIRCLED.finditer(text)]
    numbers = [_CIRCLED_CHARS.index(text[p]) + 1 for p in positions]
    if not positions or numbers != list(range(1, len(numbers) + 1)):
        return [text]
    parts = [text[:positions[0]]] if positions[0] else []
    ends = [*positions[1:], len(text)]
    parts.extend(text[start:end].strip() for start, end in zip(positions, ends, strict=True))
    return parts


def _is_task_chapter(node: OutlineNode) -> bool:
    """Whether a top-level part is about tasks, from its title or those of its parts."""
    if _SAFEGUARD_CHAPTER.search(node.title):
        return False
    if _TASK_CHAPTER.search(node.title):
        return True
    if _CONTEXT_CHAPTER.search(node.title):
        return False
    parts = [c.title for c in node.children if c.item_type in _RANK]
    context = sum(1 for title in parts if _CONTEXT_CHAPTER.search(title))
    return not (parts and context * 2 > len(parts))


# --- the parser -----------------------------------------------------------------------------


class _Parser:
    """One pass over a document's paragraphs; see :func:`read_outline`."""

    def __init__(self, paragraphs: Sequence[SourceParagraph], file_name: str) -> None:
        self.paragraphs = paragraphs
        self.file_name = file_name
        self.issues: list[ImportIssue] = []
        self.roots: list[OutlineNode] = []
        self.stack: list[tuple[OutlineNode, int]] = []
        self.kinds: dict[int, ItemType] = {}  # id(node) → the level its marker names
        self.box: OutlineNode | None = None
        self.box_style = ""  # "prose", "circled", "numbered" or "table"
        self.box_in_frame = False
        self.numbered_item: OutlineNode | None = None
        self.table: list[_Line] = []
        self.split_kinds: set[ItemType] = set()

    def warn(self, number: int | None, message: str) -> None:
        self.issues.append(ImportIssue(self.file_name, message, row=number, severity="warning"))

    def run(self) -> ParsedOutline:
        lines = self._prepare()
        start, top = self._find_start(lines)
        if start is None:
            self.issues.append(ImportIssue(
                self.file_name, "没有找到规划的章节结构（“第一章”或“一、”“二、”等编号的标题），"
                "无法生成任务大纲。请确认所选文件是规划正文。", severity="error"))
            return ParsedOutline([], self.issues)
        body: list[_Line] = []
        for line in lines[start:]:
            if not line.table and _DOCUMENT_END.search(line.text[:200]):
                break
            body.append(line)
        body = self._join_broken(body)
        self.split_kinds = self._heading_levels(body)
        for line in body:
            self._feed(line, top)
        self._flush_table()
        self._close_box()
        self._finish()
        return ParsedOutline(self.roots, self.issues)

    # -- preparing lines

    def _prepare(self) -> list[_Line]:
        """Normalise lines; mark table cells; drop the table of contents and page furniture."""
        lines: list[_Line] = []
        for paragraph in self.paragraphs:
            text = normalise_line(paragraph.text)
            if not text:
                continue
            line = _Line(paragraph.number, paragraph.text.replace("\u00a0", " "), text,
                         paragraph.bold_lead, paragraph.in_table, paragraph.in_frame,
                         paragraph.page_break)
            if line.table:
                line.cells = [text]
            elif paragraph.text.count("\t") >= 2:
                line.table = True  # a table row with tab-separated cells
                line.cells = [c for c in (normalise_line(c) for c in text.split("\t")) if c]
            elif _is_toc(text):
                continue
            lines.append(line)
        self._mark_cell_runs(lines)
        kept: list[_Line] = []
        repeated = Counter(line.text for line in lines
                           if not line.table and len(line.text) <= LEAD_PHRASE_MAX)
        page_break = False
        for line in lines:
            furniture = not line.table and (
                _PAGE_NUMBER.match(line.text) is not None
                or (repeated[line.text] >= 3 and _classify(line) is None))
            if furniture:
                page_break = True
                continue
            line.page_break = line.page_break or page_break
            page_break = False
            if not line.table:
                line.mark = _classify(line)
            kept.append(line)
        return kept

    @staticmethod
    def _mark_cell_runs(lines: list[_Line]) -> None:
        """A run of short lines, many of them numbers, is a table laid out one cell per line."""
        index = 0
        while index < len(lines):
            if lines[index].table or not _is_cell(lines[index]):
                index += 1
                continue
            end = index
            while end < len(lines) and not lines[end].table and _is_cell(lines[end]):
                end += 1
            run = lines[index:end]
            numeric = sum(1 for line in run if _NUMERIC_CELL.match(line.text))
            if len(run) >= _TABLE_MIN_CELLS and numeric * 4 >= len(run):
                for line in run:
                    line.table = True
                    line.cells = [line.text]
            index = end

    @staticmethod
    def _find_start(lines: list[_Line]) -> tuple[int | None, ItemType]:
        """Where the body starts: the first chapter, else the first 一、 followed by a 二、.

        A list of headings with no text between them (a table of contents printed without
        page numbers) is passed over when the numbering starts again after it.
        """
        for top in (ItemType.CHAPTER, ItemType.HEADING):
            marks = [(i, _number_of(line.mark.marker)) for i, line in enumerate(lines)
                     if line.mark and line.mark.kind is top and not line.mark.inline]
            firsts = [i for position, (i, n) in enumerate(marks) if n == 1 and (
                top is ItemType.CHAPTER or any(m == 2 for _, m in marks[position + 1:]))]
            for position, index in enumerate(firsts):
                following = firsts[position + 1] if position + 1 < len(firsts) else None
                if following is not None and all(
                        len(line.text) <= LEAD_PHRASE_MAX and "。" not in line.text
                        for line in lines[index:following]):
                    continue
                return index, top
            if top is ItemType.CHAPTER and marks:
                return marks[0][0], top
        return None, ItemType.CHAPTER

    # -- paragraphs broken across pages

    @staticmethod
    def _may_continue(prev: _Line) -> bool:
        """A prose paragraph that stops without ending its sentence."""
        if prev.table or (prev.mark and not prev.mark.inline):
            return False
        text = prev.text
        if len(text) < 8 or _SENTENCE_END.search(text):
            return False
        if _BOX_NUMBERED.match(text) and len(text) <= LEAD_PHRASE_MAX:
            return False
        return bool(re.search(r"[，,。；、]", text))

    @staticmethod
    def _may_follow(line: _Line) -> bool:
        return not (line.table or line.mark or _NEW_PARAGRAPH.match(line.text)
                    or _BOX_NUMBERED.match(line.text) or _CIRCLED.match(line.text))

    @staticmethod
    def _clearly_continues(line: _Line) -> bool:
        """Text that starts mid-sentence (``制，构建…``) or has no lead phrase of its own.

        A new item opens with a lead phrase (``共建良好市场秩序。建立…``, ``提升人员素质：…``,
        a bold run) and goes on after it; the rest of a broken paragraph does not.
        """
        fragment = _FIRST_FRAGMENT.match(line.text)
        if fragment is not None and len(fragment.group(0)) <= 3:
            return True
        lead = _LEAD.match(line.text)
        has_lead = bool(line.bold_lead) or (lead is not None and len(line.text) > lead.end())
        return not has_lead

    def _join_broken(self, lines: list[_Line]) -> list[_Line]:
        """Join paragraphs that a page break cut in two.

        A paragraph that stops mid-sentence is joined with the next when a page number or
        break lies between them, when the next clearly starts mid-sentence, or when the
        document shows such breaks often enough that every unfinished paragraph is one.
        """
        pairs = [(a, b) for a, b in itertools.pairwise(lines)
                 if self._may_continue(a) and self._may_follow(b)]
        clear = sum(1 for _, b in pairs if self._clearly_continues(b))
        broken_document = clear >= _BROKEN_MIN and clear * 4 >= len(pairs)
        joined: list[_Line] = []
        for line in lines:
            prev = joined[-1] if joined else None
            if prev and self._may_continue(prev):
                if self._may_follow(line) and (
                        line.page_break or broken_document or self._clearly_continues(line)):
                    prev.text += line.text
                    prev.raw += line.text
                    if prev.mark and prev.mark.inline:
                        prev.mark = _Mark(prev.mark.kind, prev.mark.marker, prev.mark.title,
                                          prev.mark.rest + line.text, inline=True)
                    continue
                if not (line.table or line.mark) and len(prev.text) >= 15:
                    self.warn(prev.number, f"段落“{prev.text[:12]}…”没有以句号等标点结束，"
                              "已与下一段分开导入；如是跨页断开的同一段，请核对。")
            joined.append(line)
        return joined

    @staticmethod
    def _heading_levels(lines: list[_Line]) -> set[ItemType]:
        """Levels that this document mostly prints as headings on a line of their own.

        A heading of such a level printed on the same line as its text (``一、标题。正文``) is
        split into the heading and a paragraph; at a level that is always printed inline
        (``（一）标题。正文`` throughout), the line stays one paragraph carrying the marker.
        """
        alone: Counter[ItemType] = Counter()
        inline: Counter[ItemType] = Counter()
        for line in lines:
            if line.mark and not line.table:
                (inline if line.mark.inline else alone)[line.mark.kind] += 1
        return {kind for kind in inline if alone[kind] >= inline[kind]}

    # -- building the tree

    def _attach(self, node: OutlineNode, rank: int | None, *, push: bool) -> None:
        if rank is not None:
            while self.stack and self.stack[-1][1] >= rank:
                self.stack.pop()
        parent = self.stack[-1][0] if self.stack else None
        (parent.children if parent else self.roots).append(node)
        if push and rank is not None:
            self.stack.append((node, rank))

    def _feed(self, line: _Line, top: ItemType) -> None:
        if line.table:
            self.table.append(line)
            return
        self._flush_table()
        mark = line.mark
        if mark and mark.kind is ItemType.SECTION and line.raw[:1].isspace() and not any(
                n.item_type is ItemType.CHAPTER for n, _ in self.stack):
            # a numbered list outside any chapter is not a section
            point = _POINT.match(line.text)
            mark = point and _heading_mark(ItemType.POINT, _clean_marker(point.group(1)),
                                           point.group(2).strip(), line)
        if self.box is not None:
            inside = mark is None or (self.box_in_frame and line.frame
                                      and mark.kind is not ItemType.BOX)
            if inside and self._feed_box(line):
                return
            self._close_box()
        if mark is None:
            self._paragraph(line)
        elif mark.kind is ItemType.BOX:
            node = OutlineNode(ItemType.BOX, 0, mark.marker, mark.title,
                               source_line=line.number, source_text=line.text)
            self.kinds[id(node)] = ItemType.BOX
            self._open_box(node, line.frame)
        elif mark.inline:
            rest = self._split_rest(mark, line) if mark.kind in self.split_kinds else ""
            kind = mark.kind if rest else ItemType.PARAGRAPH
            node = OutlineNode(kind, 0, mark.marker, mark.title, body="" if rest else mark.rest,
                               source_line=line.number, source_text=line.text)
            self.kinds[id(node)] = mark.kind
            self._attach(node, _RANK[mark.kind], push=True)
            if rest:
                self._paragraph(_Line(line.number, rest, rest, page_break=line.page_break),
                                source_text=line.text)
        else:
            node = OutlineNode(mark.kind, 0, mark.marker, mark.title,
                               source_line=line.number, source_text=line.text)
            self.kinds[id(node)] = mark.kind
            if top is ItemType.HEADING and mark.kind is ItemType.HEADING:
                self.stack.clear()  # 一、 is the top level of a plan without chapters
            self._attach(node, _RANK[mark.kind], push=True)

    @staticmethod
    def _split_rest(mark: _Mark, line: _Line) -> str:
        """The paragraph after an inline heading's title sentence, or "" if it has none."""
        if line.bold_lead:
            bold = re.sub(r"\s+", "", line.bold_lead)
            whole = re.sub(r"\s+", "", line.text)
            if whole.startswith(bold) and _bold_title(line.bold_lead, line.text):
                return whole[len(bold):].strip()
        stop = mark.rest.find("。")
        if stop < 0 or mark.rest[:stop] != mark.title:
            return ""
        return mark.rest[stop + 1:].strip()

    def _paragraph(self, line: _Line, source_text: str = "") -> None:
        unknown = _UNKNOWN_NUMBERING.match(line.text)
        if unknown:
            self.warn(line.number, f"编号“{unknown.group(1)}”不属于可识别的层级（第X章、第X节、"
                      "一、、（一）、1.、专栏），已按普通段落导入，请核对层级。")
        if len(line.text) < 3 and all(unicodedata.category(c)[0] in "PS" for c in line.text):
            return
        title = _bold_title(line.bold_lead, line.text) or lead_phrase(line.text)
        self._attach(OutlineNode(ItemType.PARAGRAPH, 0, "", title, body=line.text,
                                 source_line=line.number, source_text=source_text or line.text),
                     None, push=False)

    def _open_box(self, node: OutlineNode, in_frame: bool) -> None:
        while self.stack and (len(self.stack) > _BOX_DEPTH or self.stack[-1][0].item_type
                              is ItemType.PARAGRAPH):
            self.stack.pop()
        self._attach(node, None, push=False)
        self.box = node
        self.box_style = ""
        self.box_in_frame = in_frame
        self.numbered_item = None

    def _close_box(self) -> None:
        self.box = None
        self.numbered_item = None
        self.box_style = ""

    def _feed_box(self, line: _Line) -> bool:
        """Add a line to the open 专栏; ``False`` when the line is no longer part of it."""
        box = self.box
        assert box is not None
        if self.box_in_frame and not line.frame:
            return False
        if self.box_style == "table":
            return False
        text = line.text
        numbered = _BOX_NUMBERED.match(text)
        if numbered and (numbered.group(1) == "01" or self.box_style == "numbered"):
            self.box_style = "numbered"
            rest = numbered.group(2).strip()
            stop = rest.find("。")
            title, body = rest, ""
            if 0 <= stop < len(rest) - 1 or len(rest) > LEAD_PHRASE_MAX:
                title, body = lead_phrase(rest), rest
            item = OutlineNode(ItemType.BOX_ITEM, 0, numbered.group(1), title.rstrip("。"),
                               body=body, source_line=line.number, source_text=text)
            box.children.append(item)
            self.numbered_item = item
            return True
        if self.box_style == "numbered" and self.numbered_item is not None:
            item = self.numbered_item
            item.body = f"{item.body}\n{text}" if item.body else text
            return True
        has_circled = bool(_CIRCLED.search(text))
        if self.box_style == "circled" and not has_circled:
            return False  # the 专栏 held ①… items; plain text after it is the body's again
        if not self.box_style:
            self.box_style = "circled" if has_circled else "prose"
        parts = _split_circled(text)
        if _CIRCLED.match(text):
            for part in parts:
                box.children.append(self._box_item(part, line, marker=part[0]))
            return True
        item = self._box_item(text, line)
        for part in parts[1:]:
            item.children.append(self._box_item(part, line, marker=part[0]))
        box.children.append(item)
        return True

    @staticmethod
    def _box_item(text: str, line: _Line, marker: str = "") -> OutlineNode:
        body = text[len(marker):].strip() if marker else text
        title = (_bold_title(line.bold_lead, text) if not marker else "") or lead_phrase(body)
        return OutlineNode(ItemType.BOX_ITEM, 0, marker, title, body=text,
                           source_line=line.number, source_text=line.text)

    def _flush_table(self) -> None:
        """A finished table: the open 专栏's body, or an unnumbered 专栏 of its own."""
        if not self.table:
            return
        lines, self.table = self.table, []
        cells = [cell for line in lines for cell in line.cells]
        box = self.box
        if box is not None and not box.children and not box.body:
            box.body = "\n".join(cells)
            self.box_style = "table"
            return
        title = ""
        if cells and re.search(r"指标|表|一览|清单", cells[0]) and not _NUMERIC_CELL.match(
                cells[0]):
            title, cells = cells[0], cells[1:]
        node = OutlineNode(ItemType.BOX, 0, "", title or "表格", body="\n".join(cells),
                           source_line=lines[0].number, source_text=lines[0].text)
        self._close_box()
        self._attach(node, None, push=False)
        self.warn(lines[0].number, f"从这里开始的表格“{title or '表格'}”没有“专栏”编号，"
                  "已作为未编号的专栏导入。")

    # -- finishing

    def _finish(self) -> None:
        any_tasks = False
        for root in self.roots:
            if _is_task_chapter(root):
                any_tasks = True
                _mark_tasks(root)
        if self.roots and not any_tasks:
            self.warn(None, "没有找到“主要任务”“重点任务”等任务章节，所有段落均按普通段落导入。"
                      "可在任务页中把段落改为任务。")
        for root in self.roots:
            _set_levels(root, 1)
        self._check_numbering(self.roots)
        boxes = [n for root in self.roots for n in root.walk()
                 if n.item_type is ItemType.BOX and n.marker]
        self._check_sequence(boxes)
        for root in self.roots:
            for node in root.walk():
                if node.item_type in _STRUCTURAL and not node.children and not node.body:
                    self.warn(node.source_line, f"“{node.marker}{node.title}”下没有内容，"
                              "请核对原文是否有缺漏。")

    def _check_numbering(self, siblings: list[OutlineNode]) -> None:
        groups: dict[ItemType, list[OutlineNode]] = {}
        for node in siblings:
            kind = self.kinds.get(id(node))
            if kind is not None and kind is not ItemType.BOX:
                groups.setdefault(kind, []).append(node)
        for nodes in groups.values():
            self._check_sequence(nodes)
        for node in siblings:
            if node.item_type is not ItemType.BOX:
                self._check_numbering(node.children)

    def _check_sequence(self, nodes: list[OutlineNode]) -> None:
        expected = 1
        for node in nodes:
            number = _number_of(node.marker)
            if number is None:
                continue
            if number != expected:
                self.warn(node.source_line, f"编号“{node.marker}”与前后不连续（此处应为第 "
                          f"{expected} 个），请核对是否漏读或多读了标题。")
            expected = number + 1


def _mark_tasks(node: OutlineNode) -> None:
    for child in node.children:
        if child.item_type is ItemType.BOX:
            continue
        if child.item_type is ItemType.PARAGRAPH:
            child.item_type = ItemType.TASK
        _mark_tasks(child)


def _set_levels(node: OutlineNode, level: int) -> None:
    node.level = level
    for child in node.children:
        _set_levels(child, level + 1)
