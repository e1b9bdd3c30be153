"""Read a plain-text plan (UTF-8 with or without BOM, UTF-16 with BOM, GB18030) into paragraphs."""

from __future__ import annotations

import codecs
import unicodedata

from desktop.models.errors import ImportFormatError
from desktop.models.outline import SourceParagraph, paragraphs_from_text

#: A plan's text is well under a megabyte; anything far larger is not a plan.
MAX_TEXT_BYTES = 16 * 1024 * 1024
# Share of control or private-use characters above which decoded bytes are not text.
_MAX_JUNK_SHARE = 0.01


def decode_text(data: bytes, file_name: str) -> str:
    """The text of a file saved by Notepad, WPS or a browser, whatever its encoding.

    Raises:
        ImportFormatError: the file is empty, too large or not text.
    """
    if len(data) > MAX_TEXT_BYTES:
        raise ImportFormatError(
            f"文件“{file_name}”有 {len(data) // (1024 * 1024)} MB，远大于一份规划正文，"
            "程序没有读取它。请确认选择的是规划的文本文件。",
            f"text file of {len(data)} bytes")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16", file_name)
    else:
        if b"\x00" in data:
            raise _not_text(file_name, "NUL bytes")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode(data, "gb18030", file_name)
    if not text.strip():
        raise ImportFormatError(f"文件“{file_name}”是空的，没有可导入的内容。", "empty text file")
    junk = sum(1 for char in text if char not in "\t\n\r\f"
               and unicodedata.category(char) in ("Cc", "Co", "Cs"))
    if junk > _MAX_JUNK_SHARE * len(text):
        raise _not_text(file_name, f"{junk} control characters")
    return text


def read_text_paragraphs(data: bytes, file_name: str) -> list[SourceParagraph]:
    """The non-blank lines of a ``.txt`` plan as paragraphs numbered by line.

    Raises:
        ImportFormatError: see :func:`decode_text`.
    """
    text = decode_text(data, file_name).replace("\r\n", "\n").replace("\r", "\n")
    return paragraphs_from_text(text)


def _decode(data: bytes, encoding: str, file_name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _not_text(file_name, f"not {encoding}: {exc}") from exc


def _not_text(file_name: str, detail: str) -> ImportFormatError:
    return ImportFormatError(
        f"文件“{file_name}”不是可识别的文本文件（编码无法识别，或是其他程序的文件）。"
        "请在记事本或 WPS 中打开规划正文，另存为 UTF-8 编码的 .txt 后再导入。",
        detail)
