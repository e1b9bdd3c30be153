"""Writing cells safely: user text never becomes a live formula in any workbook we write."""

from __future__ import annotations

from typing import Any

#: Leading characters that make Excel, WPS or LibreOffice treat typed text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def write_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` at (row, column) of an openpyxl sheet; text always stays text.

    openpyxl stores any ``str`` that starts with ``=`` as a formula. Text is therefore written
    as an inline string, and text that a spreadsheet would take for a formula also gets the
    quote prefix, so that editing the cell in Excel or WPS keeps it text.

    Returns:
        The openpyxl cell.
    """
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


def looks_like_formula(text: str) -> bool:
    """Whether a text would be taken for a formula when typed into a spreadsheet."""
    return text.startswith(FORMULA_TRIGGERS)
