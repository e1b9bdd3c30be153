"""Read any workbook a clerk may send (.xlsx, .xls, .ods) safely into plain cells.

Every importer reads through :func:`read_workbook`, which refuses files that are not
workbooks, are truncated, password-protected or inflate beyond a limit, never evaluates
formulas (it reports them), and stops at a row limit instead of trusting a sheet's claimed
dimension.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

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
