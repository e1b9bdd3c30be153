"""Read a Word (.docx) plan into paragraphs: text, bold lead, tables, text boxes, list numbers."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desktop.models.errors import ImportFormatError
from desktop.models.outline import SourceParagraph

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph

log = logging.getLogger(__name__)

#: Limits that keep a hostile or broken file from exhausting memory or time.
MAX_DOCX_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
MAX_COMPRESSION_RATIO = 200
MAX_PARAGRAPHS = 200_000

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _R, _T, _TAB, _BR, _CR, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (
    _w("p"), _w("r"), _w("t"), _w("tab"), _w("br"), _w("cr"), _w("tbl"), _w("tr"), _w("tc"),
    _w("sdt"), _w("sdtContent"))
_TEXTBOX = _w("txbxContent")
# Text inside these is not the paragraph's own: text boxes are read on their own, the
# fallback copy of a drawing repeats its text box, and deleted revisions are gone.
_NOT_OWN_TEXT = {_TEXTBOX, f"{{{_MC}}}Fallback", _w("del"), _w("moveFrom")}
_REVISIONS = (_w("ins"), _w("del"), _w("moveFrom"), _w("moveTo"))


@dataclass(frozen=True)
class WordContent:
    """What a ``.docx`` holds for the outline: paragraphs, the title in its properties, and
    whether it carries tracked changes (read as accepted)."""

    paragraphs: list[SourceParagraph]
    title: str = ""
    revised: bool = False


def read_docx_paragraphs(data: bytes, file_name: str) -> WordContent:
    """The paragraphs of a ``.docx`` plan, in reading order, numbered from 1.

    Word tables become one paragraph per cell (``in_table``), except one-column tables,
    which are frames around a 专栏 and are read as paragraphs (``in_frame``), like text boxes.
    Automatic list numbering (第一章, 一、, 1.) is written out in front of the text.

    Raises:
        ImportFormatError: the file is not a readable Word document, or is too large.
    """
    _check_zip(data, file_name)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a broken package
        raise ImportFormatError(
            f"文件“{file_name}”无法作为 Word 文档打开（可能已损坏或没有下载完整）。"
            "请在 Word 或 WPS 中打开检查，另存为 .docx 后再导入。",
            f"python-docx: {type(exc).__name__}: {exc}") from exc
    from docx.exceptions import InvalidXmlError

    body = document.element.body
    try:
        reader = _Reader(document, file_name)
        reader.read_block(body)
    except (ValueError, KeyError, InvalidXmlError) as exc:
        log.warning("malformed document %s", file_name, exc_info=True)
        raise ImportFormatError(
            f"文件“{file_name}”的内容结构异常，无法读取。请在 Word 或 WPS 中打开，"
            "另存为 .docx 后再导入。", f"{type(exc).__name__}: {exc}") from exc
    revised = next(iter(body.iter(*_REVISIONS)), None) is not None
    return WordContent(reader.paragraphs, (document.core_properties.title or "").strip(),
                       revised)


def _check_zip(data: bytes, file_name: str) -> None:
    if len(data) > MAX_DOCX_BYTES:
        raise ImportFormatError(
            f"文件“{file_name}”有 {len(data) // (1024 * 1024)} MB，超过可导入的上限 "
            f"{MAX_DOCX_BYTES // (1024 * 1024)} MB。请删除文档中的大图片后另存再导入。",
            f"docx of {len(data)} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFormatError(
            f"文件“{file_name}”不是有效的 Word 文档（.docx），可能已损坏或没有下载完整。"
            "请在 Word 或 WPS 中打开检查，另存为 .docx 后再导入。", f"bad zip: {exc}") from exc
    names = {m.filename for m in members}
    if "word/document.xml" not in names:
        kind = ("Excel 工作簿" if "xl/workbook.xml" in names
                else "PowerPoint 演示文稿" if "ppt/presentation.xml" in names else "其他压缩文件")
        raise ImportFormatError(
            f"文件“{file_name}”是{kind}，不是 Word 文档。请选择规划正文的 .docx 或 .txt 文件。",
            "zip without word/document.xml")
    unpacked = sum(m.file_size for m in members)
    bomb = len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_UNZIPPED_BYTES or any(
        m.file_size > 1024 * 1024 and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1)
        for m in members)
    if bomb:
        raise ImportFormatError(
            f"文件“{file_name}”解压后异常庞大（{len(members)} 个部件，共 "
            f"{unpacked // (1024 * 1024)} MB），不像正常的 Word 文档，程序没有读取它。",
            f"zip bomb suspected: {len(members)} members, {unpacked} bytes")
    if any(m.flag_bits & 0x1 for m in members):
        raise ImportFormatError(
            f"文件“{file_name}”已加密，无法读取。请在 Word 中取消密码后另存为 .docx 再导入。",
            "encrypted zip members")


def _own(element: Any, paragraph: Any) -> bool:
    """Whether an element's text belongs to ``paragraph`` itself (not a text box or deletion)."""
    parent = element.getparent()
    while parent is not None and parent is not paragraph:
        if parent.tag in _NOT_OWN_TEXT:
            return False
        parent = parent.getparent()
    return True


@dataclass
class _Reader:
    """Walks the document body in order and numbers every paragraph it meets."""

    document: Document
    file_name: str
    paragraphs: list[SourceParagraph] = field(default_factory=list)
    counter: int = 0
    page_break: bool = False
    numbering: _Numbering | None = None
    # python-docx looks a style up by scanning them all; each is looked up once here.
    styles: dict[tuple[str | None, Any], Any] = field(default_factory=dict)
    bold_styles: dict[tuple[str | None, Any], bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.numbering = _Numbering(self.document)

    def style(self, style_id: str | None, kind: Any) -> Any:
        key = (style_id, kind)
        if key not in self.styles:
            self.styles[key] = self.document.part.get_style(style_id, kind)
        return self.styles[key]

    def style_bold(self, style_id: str | None, kind: Any) -> bool | None:
        key = (style_id, kind)
        if key not in self.bold_styles:
            self.bold_styles[key] = _style_bold(self.style(style_id, kind))
        return self.bold_styles[key]

    def read_block(self, container: Any, *, frame: bool = False) -> None:
        for child in container.iterchildren():
            if child.tag == _P:
                self.read_paragraph(child, frame=frame)
            elif child.tag == _TBL:
                self.read_table(child, frame=frame)
            elif child.tag == _SDT:
                for content in child.iterchildren(_SDT_CONTENT):
                    self.read_block(content, frame=frame)

    def _emit(self, number: int, text: str, **flags: Any) -> None:
        if len(self.paragraphs) >= MAX_PARAGRAPHS:
            raise ImportFormatError(
                f"文件“{self.file_name}”的段落超过 {MAX_PARAGRAPHS} 个，不像一份规划正文，"
                "程序没有继续读取。", "too many paragraphs")
        self.paragraphs.append(SourceParagraph(number, text, page_break=self.page_break,
                                               **flags))
        self.page_break = False

    def read_paragraph(self, element: Any, *, frame: bool = False) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.text.paragraph import Paragraph

        self.counter += 1
        number = self.counter
        paragraph = Paragraph(element, self.document)
        style = self.style(element.style, WD_STYLE_TYPE.PARAGRAPH)
        style_name = (style.name or "") if style is not None else ""
        text, bold_lead, breaks = self._text(paragraph)
        if paragraph.paragraph_format.page_break_before:
            self.page_break = True
        toc = style_name.lower().startswith("toc") or style_name.startswith("目录")
        prefix = self.numbering.prefix(paragraph, style) if self.numbering else ""
        if text.strip() and not toc:
            if breaks and not text[:breaks[0]].strip():
                self.page_break = True
            self._emit(number, prefix + text, bold_lead=(prefix + bold_lead) if bold_lead else "",
                       in_frame=frame)
            if breaks and not text[breaks[-1]:].strip():
                self.page_break = True
        elif breaks:
            self.page_break = True
        for box in element.iter(_TEXTBOX):
            if _own(box, element):
                self.read_block(box, frame=True)

    def _text(self, paragraph: Paragraph) -> tuple[str, str, list[int]]:
        """The paragraph's text (revisions accepted), its bold lead and page-break offsets."""
        from docx.text.run import Run

        element = paragraph._p
        parts: list[str] = []
        breaks: list[int] = []
        bold: list[str] = []
        leading = True
        length = 0
        for run_element in element.iter(_R):
            if not _own(run_element, element):
                continue
            pieces: list[str] = []
            for child in run_element.iterchildren():
                if child.tag == _T:
                    pieces.append(child.text or "")
                elif child.tag == _TAB:
                    pieces.append("\t")
                elif child.tag == _BR and child.get(_w("type")) == "page":
                    breaks.append(length + sum(len(p) for p in pieces))
            piece = "".join(pieces)
            if leading and piece.strip():
                if self._is_bold(Run(run_element, paragraph), element):
                    bold.append(piece)
                else:
                    leading = False
            elif leading and bold:
                bold.append(piece)
            parts.append(piece)
            length += len(piece)
        return "".join(parts), "".join(bold) if bold else "", breaks

    def _is_bold(self, run: Any, paragraph: Any) -> bool:
        """Bold set on the run, else by its character style, else by the paragraph's style."""
        from docx.enum.style import WD_STYLE_TYPE

        if run.bold is not None:
            return bool(run.bold)
        for style_id, kind in ((run._r.style, WD_STYLE_TYPE.CHARACTER),
                               (paragraph.style, WD_STYLE_TYPE.PARAGRAPH)):
            bold = self.style_bold(style_id, kind)
            if bold is not None:
                return bold
        return False

    def read_table(self, element: Any, *, frame: bool = False) -> None:
        rows = list(element.iterchildren(_TR))
        columns = max((len(list(row.iterchildren(_TC))) for row in rows), default=0)
        if columns <= 1:
            # A one-column table frames a 专栏: its paragraphs are read as text.
            for row in rows:
                for cell in row.iterchildren(_TC):
                    self.read_block(cell, frame=True)
            return
        for row in rows:
            for cell in row.iterchildren(_TC):
                number = self.counter + 1
                texts: list[str] = []
                for cell_paragraph in cell.iter(_P):
                    self.counter += 1
                    from docx.text.paragraph import Paragraph

                    texts.append(self._text(Paragraph(cell_paragraph, self.document))[0])
                text = "".join(texts).strip()
                if getattr(cell, "vMerge", None) == "continue":
                    text = ""  # the lower part of a vertically merged cell
                if text:
                    self._emit(number, text, in_table=True, in_frame=frame)


def _style_bold(style: Any) -> bool | None:
    """Bold as a style (or the styles it is based on) sets it, if any of them does."""
    for _ in range(20):  # guards against a loop of based-on styles
        if style is None:
            return None
        font = getattr(style, "font", None)
        if font is not None and font.bold is not None:
            return bool(font.bold)
        style = getattr(style, "base_style", None)
    return None


# --- automatic list numbering ---------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _chinese(n: int, digits: str = _CN_DIGITS, ten: str = "十") -> str:
    if n <= 0 or n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if not tens:
        return digits[ones]
    return (digits[tens] if tens > 1 else "") + ten + (digits[ones] if ones else "")


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """A list counter as Word prints it in a numbering format (``chineseCounting`` → 三)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
               "taiwaneseCounting", "ideographDigital", "taiwaneseCountingThousand"):
        return _chinese(n)
    if fmt == "chineseLegalSimplified":
        return _chinese(n, _CN_LEGAL, "拾")
    if fmt == "ideographTraditional":
        return _STEMS[(n - 1) % 10]
    if fmt.startswith("decimalEnclosedCircle"):
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str
    suffix: str


class _Numbering:
    """Counters of Word's automatic numbering, to write the numbers out as printed."""

    def __init__(self, document: Document) -> None:
        self.levels: dict[str, dict[int, _Level]] = {}
        self.abstract_of: dict[str, str] = {}
        self.overrides: dict[str, dict[int, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        val = _w("val")
        for abstract in root.iterchildren(_w("abstractNum")):
            levels: dict[int, _Level] = {}
            for lvl in abstract.iterchildren(_w("lvl")):
                def prop(tag: str, default: str, lvl: Any = lvl) -> str:
                    found = lvl.find(_w(tag))
                    return found.get(val, default) if found is not None else default

                levels[int(lvl.get(_w("ilvl"), "0"))] = _Level(
                    int(prop("start", "1") or 1), prop("numFmt", "decimal"),
                    prop("lvlText", ""), prop("suff", "tab"))
            self.levels[abstract.get(_w("abstractNumId"), "")] = levels
        for num in root.iterchildren(_w("num")):
            num_id = num.get(_w("numId"), "")
            ref = num.find(_w("abstractNumId"))
            self.abstract_of[num_id] = ref.get(val, "") if ref is not None else ""
            for override in num.iterchildren(_w("lvlOverride")):
                start = override.find(_w("startOverride"))
                if start is not None:
                    self.overrides.setdefault(num_id, {})[
                        int(override.get(_w("ilvl"), "0"))] = int(start.get(val, "1"))

    @staticmethod
    def _num_pr(paragraph: Paragraph, style: Any) -> tuple[str, int] | None:
        p_pr = paragraph._p.pPr
        num_pr: Any = p_pr.numPr if p_pr is not None else None
        depth = 0
        while num_pr is None and style is not None and depth < 20:
            s_pr = style.element.pPr
            num_pr = s_pr.numPr if s_pr is not None else None
            style = style.base_style
            depth += 1
        if num_pr is None or num_pr.numId is None:
            return None
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        return str(num_pr.numId.val), int(ilvl)

    def prefix(self, paragraph: Paragraph, style: Any) -> str:
        """The number Word shows before this paragraph, e.g. ``第三章 `` or ``（二）``."""
        if not self.levels:
            return ""
        found = self._num_pr(paragraph, style)
        if found is None or found[0] == "0":
            return ""
        num_id, ilvl = found
        abstract = self.abstract_of.get(num_id, "")
        levels = self.levels.get(abstract, {})
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for override_level, start in self.overrides.get(num_id, {}).items():
                counters[override_level] = start - 1
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = level.text
        for index in range(9):
            token = f"%{index + 1}"
            if token in text:
                lvl = levels.get(index, level)
                value = counters.get(index, lvl.start)
                text = text.replace(token, format_number(value, lvl.fmt))
        if level.fmt == "bullet" or not text.strip():
            return ""
        return text + ("" if level.suffix == "nothing" else " ")
