"""Reported values read tolerantly: typed in the entry grid or returned in a workbook cell."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from desktop.models.indicators import ValueType

__all__ = [
    "MAX_NUMBER",
    "MAX_TEXT",
    "PLACEHOLDER",
    "ParsedValue",
    "RawValue",
    "cell_text",
    "normal_text",
    "parse_reported_value",
    "shown_number",
    "text_error",
]

#: Longest comment, progress or text value accepted.
MAX_TEXT = 2_000
#: Largest magnitude accepted for a number.
MAX_NUMBER = 1e13

#: A value as typed or as read from a cell (the same as ``desktop.excel.reading.CellValue``).
RawValue = str | float | int | bool | datetime | date | time | None

#: Full-width ASCII (！ … ～) to half-width, and the ideographic space to a space.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\xa0]+")
#: What people write for "no value": dashes of every width, slashes.
PLACEHOLDER = re.compile(r"^[-—–―─‐‑﹣/\\]+$")
_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d+)?(?:[eE](?P<exp>[+-]?\d+))?"
    r"(?P<percent>%)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRUE = frozenset({"是", "有", "true", "yes", "y", "1", "√", "✓", "✔"})
_FALSE = frozenset({"否", "无", "false", "no", "n", "0", "×", "✗", "✘"})

_NUMERIC = frozenset({ValueType.INTEGER, ValueType.NUMBER, ValueType.PERCENTAGE})


@dataclass(frozen=True)
class ParsedValue:
    """A reported cell read tolerantly: a number, a text, or no value, and what is wrong."""

    value: float | None = None
    text: str | None = None
    error: str | None = None
    warning: str | None = None

    @property
    def empty(self) -> bool:
        return self.value is None and not self.text


def cell_text(value: object) -> str:
    """How a cell's value enters the signature (stable across Excel, WPS and LibreOffice)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def normal_text(text: str) -> str:
    """Full-width digits and signs made ASCII; every kind of space and invisible mark removed."""
    return _INVISIBLE.sub("", text.translate(_HALF_WIDTH))


def shown_number(number: float | None) -> str:
    """A number as the grid and diffs show it: 1234, 12.5 (no exponent, no trailing zeros)."""
    if number is None:
        return ""
    if math.isfinite(number) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = f"{number:.12g}"
    if "e" in text:
        text = f"{number:.12f}".rstrip("0").rstrip(".")
    return text


def _control_error(text: str, label: str) -> str | None:
    found = _CONTROL.search(text)
    if found is None:
        return None
    return (f"{label}含有不可见的控制字符（U+{ord(found.group()):04X}），可能是从其他程序复制"
            "时带入的。请删除该单元格的内容后重新输入。")


def text_error(text: str, label: str, limit: int = MAX_TEXT) -> str | None:
    """What is wrong with a text (too long, control characters), or None."""
    if len(text) > limit:
        return (f"{label}有 {len(text):,} 个字符，超过 {limit:,} 字的上限。请精简文字，"
                "较长的材料请作为支撑材料另行报送。")
    return _control_error(text, label)


def parse_reported_value(
    raw: RawValue,
    value_type: ValueType,
    *,
    percent_format: bool = False,
    unit: str = "",
) -> ParsedValue:
    """Read a reported cell as its element's value type, tolerating how people type numbers.

    Accepted: numbers and numbers stored as text, ``1,234.5``, full-width digits (``１２３``),
    the element's unit after the number (``1234户``), and for percentage elements ``12%``,
    ``12.5 %`` or a percent-formatted cell (0.125 shown as 12.5%), all stored as 12.5.
    Empty cells and ``—``, ``-``, ``/`` mean "no value", which is not 0.

    Args:
        raw: The cell's value as read.
        value_type: The element's value type.
        percent_format: The cell has a percent number format (its value is a fraction).
        unit: The element's unit, which may follow the number.

    Returns:
        The value (or text), or an ``error`` (a Chinese sentence without the cell's place).
    """
    if raw is None:
        return ParsedValue()
    if raw.__class__ is float and not percent_format and value_type in _NUMERIC:
        return _check_range(raw, value_type, False)  # the common case, kept short
    if isinstance(raw, str) and PLACEHOLDER.match(normal_text(raw)):
        return ParsedValue()
    if isinstance(raw, str) and not normal_text(raw):
        return ParsedValue()
    if value_type is ValueType.TEXT:
        text = cell_text(raw)
        return ParsedValue(text=text, error=text_error(text, "内容"))
    if value_type is ValueType.BOOLEAN:
        return _parse_boolean(raw)
    if isinstance(raw, bool):
        return ParsedValue(error=f"“{cell_text(raw)}”不是数值。")
    if isinstance(raw, datetime | date | time):
        shown = raw.strftime("%Y-%m-%d") if isinstance(raw, date) else str(raw)
        return ParsedValue(error=f"单元格被表格软件识别成了日期（{shown}），不是数值。请把单元格"
                                 "设为“常规”或“数值”格式后重新输入数字。")
    percent = False
    if isinstance(raw, int | float):
        number = float(raw)
        if percent_format:
            if value_type is not ValueType.PERCENTAGE:
                shown = shown_number(number * 100)
                return ParsedValue(error=(
                    f"单元格设成了百分比格式（显示为 {shown}%），但该数据项不是百分比，"
                    f"应填写数值（单位：{unit or '无'}）。请把单元格设为“常规”格式后重新输入。"))
            number = round(number * 100, 10)
            percent = True
    else:
        text = str(raw)
        error = _control_error(text, "内容")
        if error:
            return ParsedValue(error=error)
        parsed = _parse_number_text(text, unit)
        if parsed is None:
            shown = text if len(text) <= 40 else text[:40] + "…"
            hint = "，百分比可写成 12.5 或 12.5%" if value_type is ValueType.PERCENTAGE else ""
            return ParsedValue(error=f"“{shown}”无法识别为数值。请只填写数字（如 1234 或 "
                                     f"1,234.5{hint}）；没有数值时填“—”，为零时填 0。")
        number, percent = parsed
        if percent and value_type is not ValueType.PERCENTAGE:
            return ParsedValue(error=f"“{text.strip()}”带有 %，但该数据项不是百分比，应填写数值"
                                     f"（单位：{unit or '无'}）。")
    return _check_range(number, value_type, percent)


def _parse_boolean(raw: RawValue) -> ParsedValue:
    if isinstance(raw, bool):
        return ParsedValue(1.0 if raw else 0.0)
    if isinstance(raw, int | float) and raw in (0, 1):
        return ParsedValue(float(raw))
    text = normal_text(cell_text(raw)).lower()
    if text in _TRUE:
        return ParsedValue(1.0)
    if text in _FALSE:
        return ParsedValue(0.0)
    return ParsedValue(error=f"“{cell_text(raw)[:40]}”无法识别，请填写“是”或“否”。")


def _parse_number_text(text: str, unit: str) -> tuple[float, bool] | None:
    """A number typed as text, and whether it carried a percent sign."""
    work = normal_text(text)
    for suffix in {unit, normal_text(unit), unicodedata.normalize("NFKC", unit)} - {"", "%"}:
        if work.endswith(suffix) and len(work) > len(suffix):
            work = work[: -len(suffix)]
            break
    match = _NUMBER.match(work)
    if match is None or not (match["int"] or match["frac"]):
        return None
    try:
        number = float(work.rstrip("%").replace(",", ""))
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return number, bool(match["percent"])


def _check_range(number: float, value_type: ValueType, percent: bool) -> ParsedValue:
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        return ParsedValue(error=f"数值 {number:g} 超出合理范围，请核对。")
    if number < 0:
        shown = shown_number(number) + ("%" if percent else "")
        return ParsedValue(error=f"数值 {shown} 为负数，该数据项不能为负。")
    if value_type is ValueType.INTEGER:
        whole = round(number)
        if abs(number - whole) > 1e-9:
            shown = shown_number(number) + ("%" if percent else "")
            return ParsedValue(error=f"数值 {shown} 不是整数，该数据项应填写整数（如户数、件数）。")
        return ParsedValue(float(whole))
    if value_type is ValueType.PERCENTAGE:
        shown = shown_number(number) + ("%" if percent else "")
        if number > 100:
            return ParsedValue(error=f"百分比 {shown} 大于 100%，请核对。")
        if 0 < number < 1 and not percent:
            hundred = shown_number(round(number * 100, 10))
            return ParsedValue(number, warning=(
                f"百分比数据项填写的是 {shown}（即 {shown}%）；如果原意是 "
                f"{hundred}%，请改为 {hundred}。"))
    return ParsedValue(number)
