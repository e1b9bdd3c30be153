"""The one entry point for reading a plan document (.txt or .docx) into header and outline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.models.errors import ImportFormatError, ImportIssue
from desktop.models.outline import PlanHeader, parse_header, read_outline
from desktop.models.plans import OutlineNode

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# Word 97-2003, WPS and encrypted Office files are OLE compound files.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_ENCRYPTION = "EncryptionInfo".encode("utf-16-le")
#: The largest file read at all; each format has a tighter limit of its own.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class PlanDocument:
    """A plan document as read: what its header says, its outline and the spots to check."""

    file_name: str
    source_hash: str  # SHA-256 of the file's bytes, to recognise a re-import
    header: PlanHeader
    roots: list[OutlineNode]
    issues: list[ImportIssue] = field(default_factory=list)
    format: str = "txt"  # "txt" or "docx"
    paragraph_count: int = 0

    @property
    def title(self) -> str:
        """The plan's title, or the file's name when the document does not print one."""
        return self.header.title or Path(self.file_name).stem


def read_plan_document(path: Path | str) -> PlanDocument:
    """Read a plan from a ``.txt`` or ``.docx`` file.

    The format is recognised from the content, not only the name. Nothing is written.

    Raises:
        ImportFormatError: the file cannot be read, is not a plan document, or holds no
            outline; the Chinese message names the file and says what to do.
    """
    path = Path(path)
    name = path.name
    data = _read_bytes(path)
    source_hash = hashlib.sha256(data).hexdigest()
    kind = _sniff(data, path)
    issues: list[ImportIssue] = []
    if kind == "docx":
        from desktop.documents.word import read_docx_paragraphs

        content = read_docx_paragraphs(data, name)
        paragraphs = content.paragraphs
        header = parse_header("\n".join(p.text for p in paragraphs if not p.in_table))
        if not header.title and content.title:
            header = replace(header, title=content.title)
        if content.revised:
            issues.append(ImportIssue(
                name, "文档含有未处理的修订（修订痕迹），已按“接受全部修订”后的文字导入，"
                "请核对。", severity="warning"))
    else:
        from desktop.documents.text import read_text_paragraphs

        paragraphs = read_text_paragraphs(data, name)
        header = parse_header("\n".join(p.text for p in paragraphs))
    parsed = read_outline(paragraphs, file_name=name)
    if kind == "docx":  # a Word document's positions are paragraphs, not lines
        parsed = replace(parsed, issues=[replace(i, row_unit="段") for i in parsed.issues])
    if not parsed.roots:
        reason = next((i.message for i in parsed.issues if i.severity == "error"), "")
        raise ImportFormatError(f"文件“{name}”中{reason or '没有找到规划的章节结构。'}",
                                f"no outline in {name}")
    return PlanDocument(name, source_hash, header, parsed.roots, issues + parsed.issues, kind,
                        len(paragraphs))


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFormatError(
                f"文件“{path.name}”有 {size // (1024 * 1024)} MB，超过可导入的上限 "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB，不像一份规划正文，程序没有读取它。",
                f"{size} bytes")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except ImportFormatError:
        raise
    except IsADirectoryError as exc:
        raise ImportFormatError(f"“{path}”是文件夹，请选择规划正文文件（.docx 或 .txt）。",
                                str(exc)) from exc
    except OSError as exc:
        raise ImportFormatError(
            f"无法读取文件“{path}”：文件不存在、正被其他程序占用或没有读取权限。",
            f"{type(exc).__name__}: {exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ImportFormatError(f"文件“{path.name}”超过可导入的上限，程序没有读取它。",
                                "file grew while reading")
    if not data.strip():
        raise ImportFormatError(f"文件“{path.name}”是空的，没有可导入的内容。", "empty file")
    return data


def _sniff(data: bytes, path: Path) -> str:
    """``docx`` or ``txt`` from the file's first bytes; anything else is refused."""
    name = path.name
    suffix = path.suffix.lower()
    if data.startswith(_OLE_MAGIC):
        if _OLE_ENCRYPTION in data:
            raise ImportFormatError(
                f"文件“{name}”设置了打开密码（已加密），无法读取。请在 Word 或 WPS 中取消密码，"
                "另存为 .docx 后再导入。", "encrypted OLE document")
        raise ImportFormatError(
            f"文件“{name}”是旧版 Word 97-2003（.doc）或 WPS 格式，PlanDesk 只能读取 .docx 和 "
            ".txt。请在 Word 或 WPS 中打开，“另存为” .docx 后再导入。", "OLE compound file")
    if data.startswith(b"%PDF"):
        raise ImportFormatError(
            f"文件“{name}”是 PDF，无法直接导入。请用 Word 或 WPS 打开后另存为 .docx，"
            "或复制全文保存为 .txt 再导入。", "PDF")
    if data.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return "docx"
    if suffix in (".docx", ".docm", ".dotx", ".doc", ".wps"):
        raise ImportFormatError(
            f"文件“{name}”不是有效的 Word 文档（.docx），可能已损坏或没有下载完整。"
            "请在 Word 或 WPS 中打开检查，另存为 .docx 后再导入。", "not a zip package")
    if suffix in (".xlsx", ".xls", ".pptx", ".ppt", ".zip", ".rar", ".7z", ".png", ".jpg",
                  ".jpeg", ".exe", ".db", ".sqlite"):
        raise ImportFormatError(
            f"文件“{name}”不是规划正文。请选择规划的 .docx 或 .txt 文件。", f"suffix {suffix}")
    return "txt"
