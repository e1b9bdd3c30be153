"""Read any workbook a clerk may send (.xlsx, .xls, .ods) safely into plain cells.

Every importer reads through :func:`read_workbook`, which refuses files that are not
workbooks, are truncated, password-protected or inflate beyond a limit, never evaluates
formulas (it reports them), and stops at a row limit instead of trusting a sheet's claimed
dimension.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from desktop.models.errors import ImportFormatError

CellValue = str | float | int | bool | datetime | date | time | None

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
#: Limits that keep a forged file from hanging the app or eating memory.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ROWS = 20_000
MAX_COLUMNS = 256
MAX_CELLS = 5_000_000


@dataclass(frozen=True)
class Cell:
    """A cell's value as stored; a formula is kept as its text and flagged, never evaluated."""

    row: int
    column: int
    value: CellValue
    formula: bool = False
    number_format: str = "General"

    @property
    def ref(self) -> str:
        return f"{column_letter(self.column)}{self.row}"

    @property
    def text(self) -> str:
        """The value as text, as a user would read it (``""`` for an empty cell)."""
        if self.value is None:
            return ""
        if isinstance(self.value, float) and self.value.is_integer() and abs(self.value) < 1e15:
            return str(int(self.value))
        return str(self.value)

    @property
    def is_percent_format(self) -> bool:
        return "%" in self.number_format


@dataclass
class Sheet:
    name: str
    rows: list[list[Cell]]
    #: Merged ranges as (min_row, min_col, max_row, max_col), 1-based.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    truncated: bool = False  # more rows than MAX_ROWS; the rest was not read

    def cell(self, row: int, column: int) -> Cell:
        """The cell at a 1-based position (an empty cell outside the data)."""
        if 1 <= row <= len(self.rows):
            cells = self.rows[row - 1]
            if 1 <= column <= len(cells):
                return cells[column - 1]
        return Cell(row, column, None)

    def merged_value(self, row: int, column: int) -> Cell:
        """The cell itself, or the top-left cell of the merged range that covers it."""
        for min_row, min_col, max_row, max_col in self.merged:
            if min_row <= row <= max_row and min_col <= column <= max_col:
                return self.cell(min_row, min_col)
        return self.cell(row, column)


@dataclass
class WorkbookData:
    path: Path
    sheets: list[Sheet]


def column_letter(column: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_workbook(path: Path) -> WorkbookData:
    """Read every sheet of a workbook into cells.

    Raises:
        ImportFormatError: the file is missing, not a workbook, truncated, encrypted or too
            large when unpacked; the Chinese message names the file.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ImportFormatError(f"无法打开文件“{path.name}”：{exc.strerror or exc}。",
                                str(exc)) from exc
    if head.startswith(ZIP_MAGIC):
        _check_zip(path)
        if _is_ods(path):
            _check_ods_extent(path)
            return _read_calamine(path)
        return _read_openpyxl(path)
    if head.startswith(OLE_MAGIC):
        if _is_encrypted_ooxml(path):
            raise ImportFormatError(
                f"工作簿“{path.name}”设有打开密码，PlanDesk 无法读取。请在 Excel 或 WPS 中取消密码"
                "（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存，再导入。",
                "encrypted OOXML")
        return _read_calamine(path)
    raise ImportFormatError(
        f"文件“{path.name}”不是 Excel 工作簿（.xlsx、.xls）或 WPS/LibreOffice 表格（.ods），"
        "数据库未作改动。请确认选择了正确的文件。",
        f"unknown signature {head!r}")


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if total > MAX_UNCOMPRESSED or (info.file_size > 10_000_000 and ratio > MAX_RATIO):
                    raise ImportFormatError(
                        f"工作簿“{path.name}”解压后异常巨大（可能是恶意构造的文件），已拒绝导入，"
                        "数据库未作改动。",
                        f"zip entry {info.filename}: {info.file_size} bytes, ratio {ratio:.0f}")
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("CRC mismatch")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ImportFormatError(
            f"工作簿“{path.name}”不完整或已损坏（可能复制或下载时中断），无法读取，数据库未作改动。"
            "请重新获取该文件。",
            f"bad zip: {exc}") from exc


def _is_ods(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        try:
            return archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument")
        except KeyError:
            return False


def _check_ods_extent(path: Path) -> None:
    """Refuse an .ods whose farthest cell would make calamine allocate a huge grid.

    calamine aborts the whole process (it does not raise) when that allocation fails.
    """
    with zipfile.ZipFile(path) as archive:
        try:
            content = archive.read("content.xml")
        except KeyError:
            return
    _check_prolog(content, path.name, "content.xml")
    _ods_scan(content, path.name, set(), 1_048_576, 16_384, max_cells=MAX_CELLS)


def _is_encrypted_ooxml(path: Path) -> bool:
    data = path.read_bytes()[:200_000]
    return "EncryptedPackage".encode("utf-16-le") in data or b"EncryptionInfo" in data or (
        "EncryptionInfo".encode("utf-16-le") in data)


def _read_openpyxl(path: Path) -> WorkbookData:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=False, read_only=False, keep_links=False)
    except ImportFormatError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for malformed parts
        raise ImportFormatError(
            f"工作簿“{path.name}”的内容无法识别（不是有效的 .xlsx 文件或已损坏），数据库未作改动。",
            f"openpyxl: {type(exc).__name__}: {exc}") from exc
    sheets: list[Sheet] = []
    try:
        for ws in book.worksheets:
            # Only the cells stored in the file are visited: walking the whole rectangle up to a
            # far-away cell (Z1000000) would create millions of empty cells.
            stored = sorted((key, cell) for key, cell in ws._cells.items()
                            if key[0] <= MAX_ROWS and key[1] <= MAX_COLUMNS)
            rows: list[list[Cell]] = [[] for _ in range(stored[-1][0][0] if stored else 0)]
            for (row_number, column), cell in stored:
                cells = rows[row_number - 1]
                cells.extend(Cell(row_number, c, None) for c in range(len(cells) + 1, column))
                value = cell.value
                formula = cell.data_type == "f"
                if formula and not isinstance(value, str):
                    value = str(getattr(value, "text", value))  # array formulas
                cells.append(Cell(row_number, column, _plain(value), formula,
                                  cell.number_format or "General"))
            merged = [(r.min_row, r.min_col, r.max_row, r.max_col)
                      for r in ws.merged_cells.ranges]
            sheets.append(Sheet(ws.title, _trim(rows), merged, (ws.max_row or 0) > MAX_ROWS))
    finally:
        book.close()
    return WorkbookData(path, sheets)


def _read_calamine(path: Path) -> WorkbookData:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets: list[Sheet] = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows, truncated = _calamine_rows(sheet)
            merged = _calamine_merges(sheet)
            sheets.append(Sheet(name, _trim(rows), merged, truncated))
    except Exception as exc:
        message = str(exc).lower()
        if "password" in message or "encrypt" in message:
            raise ImportFormatError(
                f"工作簿“{path.name}”设有打开密码，PlanDesk 无法读取。请取消密码后另存，再导入。",
                f"calamine: {exc}") from exc
        raise ImportFormatError(
            f"工作簿“{path.name}”的内容无法识别（不是有效的 .xls/.ods 文件或已损坏），"
            "数据库未作改动。",
            f"calamine: {type(exc).__name__}: {exc}") from exc
    return WorkbookData(path, sheets)


def _calamine_rows(sheet: Any) -> tuple[list[list[Cell]], bool]:
    """The sheet's rows from A1 and whether some were left unread.

    Rows are taken one by one so that a stray cell far down or far right of the data never
    becomes millions of Python objects: at most MAX_ROWS rows, and fewer when the sheet is so
    wide that they would hold more than MAX_CELLS values. ``iter_rows`` yields the empty rows
    above the first used cell, but starts each row at the first used column.
    """
    if sheet.start is None:
        return [], False
    first_col = sheet.start[1] + 1
    width = max(int(sheet.width), 1)
    limit = max(1, min(MAX_ROWS, MAX_CELLS // width))
    keep = max(MAX_COLUMNS - first_col + 1, 0)
    rows: list[list[Cell]] = []
    for r, values in enumerate(sheet.iter_rows(), start=1):
        if r > limit:
            return rows, True
        if r <= sheet.start[0]:
            rows.append([])
            continue
        rows.append([Cell(r, c, None) for c in range(1, first_col)] + [
            Cell(r, c, _plain(v if v != "" else None))
            for c, v in enumerate(values[:keep], start=first_col)])
    return rows, False


def _calamine_merges(sheet: Any) -> list[tuple[int, int, int, int]]:
    ranges = getattr(sheet, "merged_cell_ranges", None) or []
    merged = []
    for start, end in ranges:
        merged.append((start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1))
    return merged


def _plain(value: Any) -> CellValue:
    if value is None or isinstance(value, str | int | float | bool | datetime | date | time):
        return value
    return str(value)


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Drop trailing empty rows and trailing empty cells of each row."""
    trimmed: list[list[Cell]] = []
    for cells in rows:
        end = len(cells)
        while end and (cells[end - 1].value is None or cells[end - 1].value == ""):
            end -= 1
        trimmed.append(cells[:end])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


# --- fast value reading for bulk imports -----------------------------------------------------
#
# Importing hundreds of returns through openpyxl takes seconds per hundred files; python-calamine
# reads the same values 20-30 times faster but evaluates nothing about the cells: it hides
# formulas behind their cached values, knows no number formats, and allocates a dense grid up to
# the farthest cell holding a value (one value at XFD1048576 aborts the process). read_values()
# therefore checks the zip and the XML of the sheets it is asked for before calamine sees them:
# declared and actual sizes (every part calamine reads is inflated once, capped, CRC-checked),
# DTDs (entity bombs, external entities), the farthest cell with content, formulas and percent
# formats, which it reports beside the values.

#: A workbook file larger than this is refused before it is opened.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Defaults for read_values(): a reporting form is far smaller than a general table.
FAST_MAX_ROWS = 5_000
FAST_MAX_COLUMNS = 64

_HAS_FORMULA = re.compile(rb"<f[\s>/]")
_DIMENSION = re.compile(rb"<dimension ref=\"([A-Z0-9:$]{1,32})\"")
_UNUSUAL = re.compile(
    rb"<(?:(?:c|row)(?=[\s>/])(?! r=\")|c r=\"[A-Z]{2}|row r=\"\d{4}|f[\s>/])")
_CELL_FULL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ROW_TAG = re.compile(rb"<row\b([^>]*?)(/?)>")
_ATTR_R = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_ATTR_ROW_R = re.compile(rb"\br=\"(\d+)\"")
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_XF = re.compile(rb"<xf\b([^>]*?)/?>")
_NUMFMT = re.compile(rb"<numFmt\b[^>]*?numFmtId=\"(\d+)\"[^>]*?formatCode=\"([^\"]*)\"")
_NUMFMT_ID = re.compile(rb"\bnumFmtId=\"(\d+)\"")
_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b([^>]*?)/?>")
_REL = re.compile(rb"<Relationship\b([^>]*?)/?>")
_ATTR = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
#: Parts compressed to at most this many bytes are not inflated twice (see _Zip.check_unread).
_UNCHECKED_COMPRESSED = 64 * 1024
#: Built-in number formats that show a percentage.
_PERCENT_FORMAT_IDS = {9: "0%", 10: "0.00%"}


@dataclass
class ValueSheet:
    """One sheet's values and what calamine hides about them.

    ``rows`` are row-major from A1 as python-calamine gives them (``""`` for an empty cell,
    short rows not padded); read them through :meth:`value`, which gives ``None`` for empty.

    ``formulas`` maps (row, column), 1-based, to the formula text of cells that hold one (their
    value is the cached result, if any). ``formats`` maps cells with a percent number format to
    that format (.xlsx and .ods; .xls formats are not known).
    """

    name: str
    rows: list[list[Any]]
    visible: bool = True
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    #: The used range the sheet claims (.xlsx ``<dimension>``), which nothing here trusts.
    dimension: str = ""

    def value(self, row: int, column: int) -> CellValue:
        if 1 <= row <= len(self.rows):
            cells = self.rows[row - 1]
            if 1 <= column <= len(cells):
                value = cells[column - 1]
                if value == "":
                    return None
                return value if not isinstance(value, timedelta) else str(value)
        return None

    def cell(self, row: int, column: int) -> Cell:
        """The cell as a :class:`Cell`: a formula keeps its text and is flagged."""
        formula = self.formulas.get((row, column))
        if formula is not None:
            return Cell(row, column, formula, True)
        return Cell(row, column, self.value(row, column),
                    number_format=self.formats.get((row, column), "General"))


@dataclass
class ValueWorkbook:
    """What :func:`read_values` read: the sheets asked for, and the names of all sheets."""

    name: str
    kind: str  # "xlsx", "ods" or "xls"
    sheet_names: list[str]
    sheets: dict[str, ValueSheet]
    has_macros: bool = False
    digest: str = ""  # SHA-256 of the file's bytes (hex)


def read_values(
    source: Path | bytes,
    *,
    name: str | None = None,
    sheets: Collection[str] | None = None,
    max_rows: int = FAST_MAX_ROWS,
    max_columns: int = FAST_MAX_COLUMNS,
) -> ValueWorkbook:
    """Read the values of some sheets of a workbook quickly (python-calamine), checked first.

    Args:
        source: The file, or its bytes (a member of a zip archive).
        name: The file's name as messages show it (default: the path's name).
        sheets: Read only these sheets (missing names are skipped); ``None`` for all.
        max_rows: A value below this row refuses the file.
        max_columns: A value right of this column refuses the file.

    Raises:
        ImportFormatError: the file is not a workbook, is truncated or damaged, encrypted, too
            large (as a file, unpacked, or in the extent of its cells), or its XML declares
            entities; the Chinese message names the file (and sheet and cell where it can).
    """
    path: Path | None = None
    if isinstance(source, bytes):
        data = source
        name = name or "工作簿"
    else:
        path = Path(source)
        name = name or path.name
        data = _read_capped(path, name)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(name, f"{len(data)} bytes")
    book = _read_data(data, name, path, sheets, max_rows, max_columns)
    book.digest = hashlib.sha256(data).hexdigest()
    return book


def _read_data(data: bytes, name: str, path: Path | None, sheets: Collection[str] | None,
               max_rows: int, max_columns: int) -> ValueWorkbook:
    head = data[:8]
    if head.startswith(ZIP_MAGIC):
        return _read_zip_values(data, name, path, sheets, max_rows, max_columns)
    if head.startswith(OLE_MAGIC):
        if _is_encrypted_bytes(data):
            raise ImportFormatError(
                f"工作簿“{name}”设有打开密码，PlanDesk 无法读取。请在 Excel 或 WPS 中取消密码"
                "（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存，再导入。",
                "encrypted OOXML")
        return _calamine_values(data, path, name, "xls", sheets, {})
    raise ImportFormatError(
        f"文件“{name}”不是 Excel 工作簿（.xlsx、.xls）或 WPS/LibreOffice 表格（.ods），"
        "数据库未作改动。请确认选择了正确的文件。",
        f"unknown signature {head!r}")


def _read_capped(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as fh:
            # read(n) allocates n bytes up front: ask for the file's size, not the limit.
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(min(size, MAX_FILE_BYTES) + 1)
    except OSError as exc:
        raise ImportFormatError(f"无法打开文件“{name}”：{exc.strerror or exc}。",
                                str(exc)) from exc
    return data


def _too_large(name: str, detail: str) -> ImportFormatError:
    return ImportFormatError(
        f"工作簿“{name}”过大或解压后异常巨大（可能是恶意构造的文件），已拒绝导入，数据库未作改动。",
        detail)


def _damaged(name: str, detail: str) -> ImportFormatError:
    return ImportFormatError(
        f"工作簿“{name}”不完整或已损坏（可能复制或下载时中断），无法读取，数据库未作改动。"
        "请重新获取该文件。", detail)


def _is_encrypted_bytes(data: bytes) -> bool:
    head = data[:200_000]
    return ("EncryptedPackage".encode("utf-16-le") in head or b"EncryptionInfo" in head
            or "EncryptionInfo".encode("utf-16-le") in head)


class _Entry(NamedTuple):
    """A member of a zip as its central directory describes it."""

    name: str
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int


_EOCD = b"PK\x05\x06"
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_LOCAL = struct.Struct("<4s5H3I2H")


def _central_directory(data: bytes, name: str) -> dict[str, _Entry]:
    """The members of a zip held in memory, read from its central directory.

    zipfile takes ~0.3 ms to open a small workbook and read five parts; this reads the
    directory with struct and inflates with zlib. Zip64 archives go through zipfile.
    """
    end = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        raise _damaged(name, "no end of central directory")
    disk, cd_disk, on_disk, count, cd_size, cd_offset = struct.unpack_from("<4H2I", data, end + 4)
    if count == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        return _zipfile_directory(data, name)
    if disk or cd_disk or on_disk != count or cd_offset + cd_size > end:
        raise _damaged(name, "multi-disk or inconsistent central directory")
    entries: dict[str, _Entry] = {}
    position = cd_offset
    for _ in range(count):
        if position + _CENTRAL.size > end:
            raise _damaged(name, "central directory truncated")
        (signature, _made, _needed, flags, method, _time, _date, crc, compressed, size,
         name_length, extra_length, comment_length, _disk, _internal, _external,
         offset) = _CENTRAL.unpack_from(data, position)
        if signature != b"PK\x01\x02":
            raise _damaged(name, "bad central directory entry")
        if 0xFFFFFFFF in (compressed, size, offset):
            return _zipfile_directory(data, name)
        raw = data[position + 46: position + 46 + name_length]
        member = raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if member in entries:
            raise _damaged(name, f"duplicate member {member}")
        entries[member] = _Entry(member, flags, method, crc, compressed, size, offset)
        position += 46 + name_length + extra_length + comment_length
    return entries


def _zipfile_directory(data: bytes, name: str) -> dict[str, _Entry]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _damaged(name, f"bad zip: {exc}") from exc
    entries: dict[str, _Entry] = {}
    for info in infos:
        if info.filename in entries:
            raise _damaged(name, f"duplicate member {info.filename}")
        entries[info.filename] = _Entry(info.filename, info.flag_bits, info.compress_type,
                                        info.CRC, info.compress_size, info.file_size,
                                        info.header_offset)
    return entries


class _Zip:
    """A workbook's zip held in memory; parts are inflated capped at their declared size and
    CRC-checked, so a lying header cannot make a part larger than the checks saw."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self.data = data
        self.entries = _central_directory(data, name)
        total = 0
        for entry in self.entries.values():
            total += entry.size
            ratio = entry.size / max(entry.compressed, 1)
            if total > MAX_UNCOMPRESSED or (entry.size > 10_000_000 and ratio > MAX_RATIO):
                raise _too_large(name, f"zip entry {entry.name}: {entry.size} bytes, "
                                       f"ratio {ratio:.0f}")

    def __contains__(self, part: str) -> bool:
        return part in self.entries

    def check_unread(self, scanned: Collection[str]) -> None:
        """Inflate and check the parts calamine may read but the scans do not need.

        A part whose compressed size is small cannot inflate to much (deflate expands at most
        ~1,032 times): it is left to calamine. Larger ones are inflated here first, so that a
        size lied about in the directory is caught before calamine streams the part.
        """
        for part, entry in self.entries.items():
            if part not in scanned and entry.compressed > _UNCHECKED_COMPRESSED and (
                    part.endswith((".xml", ".rels"))):
                self.read(part)

    def read(self, part: str, *, xml: bool = True) -> bytes | None:
        """A part's bytes, or None when there is no such part."""
        entry = self.entries.get(part)
        if entry is None:
            return None
        data = self.data
        if entry.offset + _LOCAL.size > len(data):
            raise _damaged(self.name, f"{part}: local header beyond the end")
        signature, *_, name_length, extra_length = _LOCAL.unpack_from(data, entry.offset)
        if signature != b"PK\x03\x04":
            raise _damaged(self.name, f"{part}: bad local header")
        if entry.flags & 0x1:
            raise ImportFormatError(
                f"工作簿“{self.name}”的内容经过加密，PlanDesk 无法读取。请取消密码后另存，再导入。",
                f"{part}: encrypted member")
        start = entry.offset + _LOCAL.size + name_length + extra_length
        packed = data[start: start + entry.compressed]
        if len(packed) < entry.compressed:
            raise _damaged(self.name, f"{part}: truncated")
        if entry.method == zipfile.ZIP_STORED:
            body = packed
        elif entry.method == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            try:
                body = inflater.decompress(packed, entry.size + 1)
            except zlib.error as exc:
                raise _damaged(self.name, f"{part}: {exc}") from exc
            if len(body) > entry.size:
                raise _too_large(self.name, f"{part} inflates beyond its declared size")
        else:
            raise _damaged(self.name, f"{part}: compression method {entry.method}")
        if len(body) != entry.size or zlib.crc32(body) != entry.crc:
            raise _damaged(self.name, f"{part}: size or CRC mismatch")
        if xml:
            _check_prolog(body, self.name, part)
        return body


def _check_prolog(data: bytes, name: str, part: str) -> None:
    """Refuse XML that declares a DTD: no workbook needs one, entity bombs do."""
    i = 0
    while True:
        j = data.find(b"<", i)
        if j < 0:
            return
        if data.startswith(b"<?", j):
            end = data.find(b"?>", j)
        elif data.startswith(b"<!--", j):
            end = data.find(b"-->", j)
        elif data.startswith(b"<!", j):
            raise ImportFormatError(
                f"工作簿“{name}”含有 XML 实体声明（DTD，部件 {part}），这是恶意构造文件"
                "（“实体炸弹”或外部实体）的特征，Excel、WPS 不会生成，已拒绝导入，数据库未作改动。",
                f"DTD in {part}")
        else:
            return  # the root element: no DTD can follow
        if end < 0:
            return
        i = end + 2


def _read_zip_values(data: bytes, name: str, path: Path | None, sheets: Collection[str] | None,
                     max_rows: int, max_columns: int) -> ValueWorkbook:
    archive = _Zip(data, name)
    if "mimetype" in archive:
        mimetype = archive.read("mimetype", xml=False) or b""
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return _ods_values(archive, data, path, sheets, max_rows, max_columns)
    if "xl/workbook.xml" not in archive:
        raise ImportFormatError(
            f"文件“{name}”是压缩文件，但不是 Excel 工作簿（.xlsx）或 WPS/LibreOffice 表格"
            "（.ods），数据库未作改动。", "zip without xl/workbook.xml")
    return _xlsx_values(archive, data, path, sheets, max_rows, max_columns)


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode(): html.unescape(v.decode("utf-8", "replace"))
            for k, v in _ATTR.findall(raw)}


def _xlsx_values(archive: _Zip, data: bytes, path: Path | None,
                 sheets: Collection[str] | None, max_rows: int,
                 max_columns: int) -> ValueWorkbook:
    name = archive.name
    workbook = archive.read("xl/workbook.xml") or b""
    rels = archive.read("xl/_rels/workbook.xml.rels") or b""
    targets: dict[str, str] = {}
    worksheets: set[str] = set()
    for raw in _REL.findall(rels):
        attrs = _attrs(raw)
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        target = posixpath.normpath(target)
        targets[attrs.get("Id", "")] = target
        if not attrs.get("Type", "").endswith(("/styles", "/theme", "/sharedStrings")):
            worksheets.add(target)
    parts: dict[str, str] = {}
    for raw in _SHEET_ENTRY.findall(workbook):
        attrs = _attrs(raw)
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        sheet_name = attrs.get("name", "")
        if sheet_name in parts:
            raise _damaged(name, f"two sheets named {sheet_name}")
        parts[sheet_name] = targets.get(rid, "")
    has_macros = any(part.lower().endswith("vbaproject.bin") for part in archive.entries)
    # Every part calamine could take for a sheet is bounded, not only those asked for: a
    # workbook.xml read differently by calamine and by these regular expressions must not lead
    # it to an unchecked part.
    candidates = {p for p in archive.entries
                  if p.startswith("xl/worksheets/") and p.endswith(".xml")}
    candidates |= {p for p in worksheets if p in archive and p.endswith(".xml")}
    percent_styles = _styles_of(archive)
    wanted = {part: sheet_name for sheet_name, part in parts.items()
              if sheets is None or sheet_name in sheets}
    extras: dict[str, tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]] = {}
    dimensions: dict[str, str] = {}
    for part in sorted(candidates):
        xml = archive.read(part)
        if xml is None:
            continue
        sheet_name = wanted.get(part) or next((n for n, p in parts.items() if p == part), part)
        has_formulas = _xlsx_bounds(xml, name, sheet_name, max_rows, max_columns)
        if part in wanted:
            formulas = _xlsx_formulas(xml) if has_formulas else {}
            formats = _xlsx_percent_cells(xml, percent_styles) if percent_styles else {}
            extras[sheet_name] = (formulas, formats)
            claimed = _DIMENSION.search(xml, 0, 4096)
            if claimed is not None:
                dimensions[sheet_name] = claimed.group(1).decode("ascii", "replace")
    archive.check_unread({*candidates, "xl/workbook.xml", "xl/_rels/workbook.xml.rels"})
    book = _calamine_values(data, path, name, "xlsx", sheets, extras, has_macros)
    for sheet_name, ref in dimensions.items():
        if sheet_name in book.sheets:
            book.sheets[sheet_name].dimension = ref
    return book


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - 64
    return number


def _xlsx_bounds(xml: bytes, name: str, sheet: str, max_rows: int, max_columns: int) -> bool:
    """Refuse a sheet with a value beyond the limits (calamine would allocate up to it).

    One pass looks for anything unusual: a row or cell without a reference (Excel, WPS,
    LibreOffice and openpyxl write ``<row r="7">`` and ``<c r="E7">``), a two-letter column, a
    four-digit row, and formulas. Only a sheet with such a thing has its cells holding values
    located one by one (styled empty cells far away are harmless: calamine skips them).

    Returns:
        Whether the sheet holds formulas.
    """
    unusual = formulas = False
    for match in _UNUSUAL.finditer(xml):
        if match.group().startswith(b"<f"):
            formulas = True
        else:
            unusual = True
        if unusual and formulas:
            break
    if unusual:
        _xlsx_cell_bounds(xml, name, sheet, max_rows, max_columns)
    return formulas


def _xlsx_cell_bounds(xml: bytes, name: str, sheet: str, max_rows: int,
                      max_columns: int) -> None:
    """Locate every cell holding a value; refuse the sheet if the farthest is out of bounds."""
    row = far_row = far_column = 0
    for row_match in _ROW_TAG.finditer(xml):
        found = _ATTR_ROW_R.search(row_match.group(1))
        row = int(found.group(1)) if found else row + 1
        if row_match.group(2):
            continue
        end = xml.find(b"</row>", row_match.end())
        body = xml[row_match.end(): end if end >= 0 else len(xml)]
        column = 0
        for cell in _CELL_FULL.finditer(body):
            ref = _ATTR_R.search(cell.group(1))
            column = _column_number(ref.group(1)) if ref else column + 1
            content = cell.group(2) or b""
            if b"<v" not in content and b"<is" not in content and b"<f" not in content:
                continue
            if row > far_row:
                far_row = row
            if column > far_column:
                far_column = column
    if far_row > max_rows or far_column > max_columns:
        raise _too_far(name, sheet, far_row, far_column, max_rows, max_columns)


def _too_far(name: str, sheet: str, row: int, column: int, max_rows: int,
             max_columns: int) -> ImportFormatError:
    """The refusal of a sheet whose cells reach row ``row`` or column ``column``."""
    if column > max_columns:
        what = (f"有内容的单元格一直到第 {column} 列（{column_letter(column)} 列），"
                f"超过 {max_columns} 列")
    else:
        what = f"有内容的单元格一直到第 {row} 行，超过 {max_rows} 行"
    return ImportFormatError(
        f"工作簿“{name}”的工作表“{sheet}”{what}的读取上限，不是正常的报表（可能是恶意构造或误操作），"
        "已拒绝导入，数据库未作改动。请删除多余的行列后另存再导入。",
        f"content up to row {row}, column {column} in {sheet}")


def _xlsx_formulas(xml: bytes) -> dict[tuple[int, int], str]:
    formulas: dict[tuple[int, int], str] = {}
    row = 0
    for row_match in _ROW_TAG.finditer(xml):
        found = _ATTR_ROW_R.search(row_match.group(1))
        row = int(found.group(1)) if found else row + 1
        if row_match.group(2):
            continue
        end = xml.find(b"</row>", row_match.end())
        body = xml[row_match.end(): end if end >= 0 else len(xml)]
        if not _HAS_FORMULA.search(body):
            continue
        column = 0
        for cell in _CELL_FULL.finditer(body):
            ref = _ATTR_R.search(cell.group(1))
            column = _column_number(ref.group(1)) if ref else column + 1
            formula = _FORMULA.search(cell.group(2) or b"")
            if formula is not None:
                text = html.unescape((formula.group(1) or b"").decode("utf-8", "replace"))
                formulas[(row, column)] = "=" + text if text else "=（共享公式）"
    return formulas


_STYLE_CACHE: dict[tuple[int, int], dict[int, str]] = {}


def _styles_of(archive: _Zip) -> dict[int, str]:
    """The percent styles of a workbook, cached by the CRC and size of its styles part.

    Templates from one generator share their styles; a forged CRC could only make a percent
    cell of its own file be misread, so the directory's CRC is a good enough key here.
    """
    entry = archive.entries.get("xl/styles.xml")
    if entry is None:
        return {}
    key = (entry.crc, entry.size)
    found = _STYLE_CACHE.get(key)
    if found is None:
        found = _percent_styles(archive.read("xl/styles.xml") or b"")
        if len(_STYLE_CACHE) > 64:
            _STYLE_CACHE.clear()
        _STYLE_CACHE[key] = found
    return found


def _percent_styles(styles: bytes) -> dict[int, str]:
    """Style indexes (cellXfs order) whose number format shows a percentage."""
    custom = {int(i): html.unescape(code.decode("utf-8", "replace"))
              for i, code in _NUMFMT.findall(styles)}
    start = styles.find(b"<cellXfs")
    end = styles.find(b"</cellXfs>", start)
    if start < 0 or end < 0:
        return {}
    found: dict[int, str] = {}
    for index, raw in enumerate(_XF.findall(styles[start:end])):
        match = _NUMFMT_ID.search(raw)
        fmt_id = int(match.group(1)) if match else 0
        code = _PERCENT_FORMAT_IDS.get(fmt_id) or custom.get(fmt_id, "")
        if "%" in re.sub(r'"[^"]*"|\\.', "", code.split(";")[0]):
            found[index] = code
    return found


def _xlsx_percent_cells(xml: bytes, styles: dict[int, str]) -> dict[tuple[int, int], str]:
    ids = b"|".join(str(i).encode() for i in sorted(styles))
    pattern = re.compile(rb"<c\s(?=[^>]*?\bs=\"(" + ids + rb")\")[^>]*?\br=\"([A-Z]+)(\d+)\"")
    return {(int(row), _column_number(col)): styles[int(style)]
            for style, col, row in pattern.findall(xml)}


_ODS_TAG = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_ROWS_REPEATED = re.compile(rb"table:number-rows-repeated=\"(\d+)\"")
_ODS_COLUMNS_REPEATED = re.compile(rb"table:number-columns-repeated=\"(\d+)\"")
_ODS_NAME = re.compile(rb"table:name=\"([^\"]*)\"")
_ODS_FORMULA = re.compile(rb"table:formula=\"([^\"]*)\"")


def _ods_values(archive: _Zip, data: bytes, path: Path | None,
                sheets: Collection[str] | None, max_rows: int,
                max_columns: int) -> ValueWorkbook:
    content = archive.read("content.xml")
    if content is None:
        raise _damaged(archive.name, "ods without content.xml")
    archive.check_unread({"content.xml"})
    extras = _ods_scan(content, archive.name, sheets, max_rows, max_columns)
    return _calamine_values(data, path, archive.name, "ods", sheets, extras)


def _ods_scan(content: bytes, name: str, sheets: Collection[str] | None, max_rows: int,
              max_columns: int, max_cells: int | None = None,
              ) -> dict[str, tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]]:
    """Formulas and percentage cells of the tables asked for; the extent of every table.

    calamine builds every table of an .ods when it opens it, as a dense grid up to the farthest
    cell with content, so every table is bounded: by rows and columns, and with ``max_cells``
    by the area of that grid.
    """
    extras: dict[str, tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]] = {}
    table = ""
    wanted = False
    formulas: dict[tuple[int, int], str] = {}
    formats: dict[tuple[int, int], str] = {}
    row = column = far_row = far_column = 0
    row_repeat = 1
    for match in _ODS_TAG.finditer(content):
        closing, tag, attrs, empty = match.groups()
        if tag == b"table":
            if closing:
                if wanted:
                    extras[table] = (formulas, formats)
                wanted = False
                if max_cells is not None and far_row * far_column > max_cells:
                    raise _too_large(name, f"table {table}: {far_row} x {far_column} cells")
                far_row = far_column = 0
            else:
                found = _ODS_NAME.search(attrs)
                table = html.unescape(found.group(1).decode("utf-8", "replace")) if found \
                    else ""
                wanted = sheets is None or table in sheets
                formulas, formats = {}, {}
                row = 0
            continue
        if tag == b"table-row":
            if closing:
                row += row_repeat
                continue
            found = _ODS_ROWS_REPEATED.search(attrs)
            row_repeat = int(found.group(1)) if found else 1
            column = 0
            if empty:
                row += row_repeat
            continue
        if closing:
            continue
        found = _ODS_COLUMNS_REPEATED.search(attrs)
        repeat = int(found.group(1)) if found else 1
        if not empty or b"office:value-type" in attrs or b"table:formula" in attrs:
            last_row, last_column = row + row_repeat, column + repeat
            far_row, far_column = max(far_row, last_row), max(far_column, last_column)
            if last_row > max_rows or last_column > max_columns:
                far = (row + 1, last_column) if last_column > max_columns else (
                    last_row, column + 1)
                raise _too_far(name, table, *far, max_rows, max_columns)
            formula = _ODS_FORMULA.search(attrs) if wanted else None
            percent = wanted and b"office:value-type=\"percentage\"" in attrs
            if formula is not None or percent:
                for r in range(row + 1, last_row + 1):
                    for c in range(column + 1, last_column + 1):
                        if formula is not None:
                            text = html.unescape(formula.group(1).decode("utf-8", "replace"))
                            formulas[(r, c)] = text.removeprefix("of:")
                        if percent:
                            formats[(r, c)] = "0%"
        column += repeat
    return extras


def _calamine_values(
    data: bytes, path: Path | None, name: str, kind: str, sheets: Collection[str] | None,
    extras: dict[str, tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]],
    has_macros: bool = False,
) -> ValueWorkbook:
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        # From the path when there is one: calamine reads a file faster than a BytesIO. The
        # file is the one just checked; one changed in between could at worst be misread.
        book = (CalamineWorkbook.from_path(str(path)) if path is not None
                else CalamineWorkbook.from_filelike(io.BytesIO(data)))
    except Exception as exc:
        raise _calamine_error(name, kind, exc) from exc
    try:
        names = list(book.sheet_names)
        visible = {meta.name: meta.visible == SheetVisibleEnum.Visible
                   for meta in book.sheets_metadata}
        read: dict[str, ValueSheet] = {}
        for sheet_name in names:
            if sheets is not None and sheet_name not in sheets:
                continue
            sheet = book.get_sheet_by_name(sheet_name)
            rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
            formulas, formats = extras.get(sheet_name, ({}, {}))
            read[sheet_name] = ValueSheet(sheet_name, rows, visible.get(sheet_name, True),
                                          formulas, formats)
    except ImportFormatError:
        raise
    except Exception as exc:
        raise _calamine_error(name, kind, exc) from exc
    finally:
        book.close()
    return ValueWorkbook(name, kind, names, read, has_macros)


def _calamine_error(name: str, kind: str, exc: Exception) -> ImportFormatError:
    message = str(exc).lower()
    if "password" in message or "encrypt" in message:
        return ImportFormatError(
            f"工作簿“{name}”设有打开密码，PlanDesk 无法读取。请取消密码后另存，再导入。",
            f"calamine: {exc}")
    if "entity" in message:
        return ImportFormatError(
            f"工作簿“{name}”含有未定义的 XML 实体引用（恶意构造文件“实体炸弹”或外部实体的特征），"
            "Excel、WPS 不会生成，已拒绝导入，数据库未作改动。", f"calamine: {exc}")
    return ImportFormatError(
        f"工作簿“{name}”的内容无法识别（不是有效的 .{kind} 文件或已损坏），数据库未作改动。",
        f"calamine: {type(exc).__name__}: {exc}")
