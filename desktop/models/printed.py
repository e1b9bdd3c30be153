"""Read values as printed in plans (≥98, 4-5家, 翻番, --) into structure, keeping the text."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["EMPTY_DISPLAY", "Comparator", "PrintedValue", "ValueKind", "parse_printed"]


class Comparator(StrEnum):
    """How a printed number bounds the quantity it is about; the values are stored as is."""

    EQ = "="
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    APPROX = "~"
    RANGE = "range"


class ValueKind(StrEnum):
    """What sort of value a printed text expresses; the values are stored as is."""

    NUMBER = "number"
    RANGE = "range"
    PLACEHOLDER = "placeholder"
    MULTIPLE = "multiple"
    ZERO_EVENT = "zero_event"
    BREAKTHROUGH = "breakthrough"
    RANKING = "ranking"
    QUALITATIVE = "qualitative"


#: What :meth:`PrintedValue.display` shows when nothing was printed.
EMPTY_DISPLAY = "—"

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = re.compile(rf"^[\s{_INVISIBLE}]+|[\s{_INVISIBLE}]+$")


@dataclass(frozen=True)
class PrintedValue:
    """A value as printed in a plan: the untouched text and the structure read from it.

    ``value`` is the number: the minimum of a range, the factor of a multiple (2 for 翻番), 0 for
    a zero event, 1 for a breakthrough, the rank of a ranking when one is printed. ``upper`` is
    the maximum of a range. ``comparator`` is ``None`` only for placeholders and qualitative text.
    """

    text: str
    kind: ValueKind
    comparator: Comparator | None
    value: float | None
    upper: float | None = None
    unit: str = ""
    percent: bool = False

    @property
    def placeholder(self) -> bool:
        """Whether nothing was printed: an empty cell, a dash, ``/`` or ``无``."""
        return self.kind is ValueKind.PLACEHOLDER

    def display(self) -> str:
        """The text for showing to the user.

        Returns:
            The text as printed without surrounding whitespace (NBSP and U+3000 included), or
            ``—`` when that leaves nothing.
        """
        return _EDGES.sub("", self.text) or EMPTY_DISPLAY


def with_unit(value: PrintedValue, unit: str) -> str:
    """A printed value with the indicator's unit when the text has none (5.3575 → 5.3575万户)."""
    text = value.text.strip()
    if not text or value.kind is ValueKind.PLACEHOLDER or not unit:
        return text
    if value.unit or value.percent or text.endswith(unit):
        return text
    if value.kind in (ValueKind.NUMBER, ValueKind.RANGE):
        return f"{text}{unit}"
    return text


def parse_printed(text: str | None) -> PrintedValue:
    """Read a value printed in an indicator table or in the prose of a plan.

    The text is kept untouched in ``text``; a working copy is normalised (NFKC, whitespace and
    NBSP removed, thousands separators dropped) and read as, in this order: a placeholder
    (``--``, ``—``, ``/``, ``无``, empty), a breakthrough (零突破), a zero event (不发生…事故),
    a multiple (翻番, 增长1倍), a ranking (全市前列, 前三, 保持第一), a number or range with
    its comparator and unit (``≥98``, ``不低于98%``, ``95%以上``, ``4-5家``), else qualitative
    text. When several of the special phrases occur, the first one printed wins.

    Args:
        text: The value exactly as printed, or ``None`` for a missing cell.

    Returns:
        The parsed value. Never raises: text that is not understood is ``QUALITATIVE``, and
        ``None`` is a ``PLACEHOLDER`` whose text is ``""``.
    """
    if text is None:
        return PrintedValue("", ValueKind.PLACEHOLDER, None, None)
    work = _normalise(text)
    if _PLACEHOLDER_MARKS.fullmatch(work) or work.casefold() in _PLACEHOLDER_WORDS:
        return PrintedValue(text, ValueKind.PLACEHOLDER, None, None)
    return (
        _special(text, work)
        or _numeric(text, work)
        or PrintedValue(text, ValueKind.QUALITATIVE, None, None)
    )


# --- normalisation -------------------------------------------------------------------------

_TRANSLATE = str.maketrans(
    {
        # Every dash reads as a hyphen-minus: range separator, minus sign or placeholder.
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u2e3a": "--", "\u2e3b": "---",
        # Wave dashes and tildes (the full-width ～ is already ~ after NFKC).
        "\u301c": "~", "\u223c": "~", "\u2053": "~",
        # Comparison signs that NFKC leaves alone.
        "\u2a7e": "≥", "\u2267": "≥", "\u226e": "≥",
        "\u2a7d": "≤", "\u2266": "≤", "\u226f": "≤",
        "\u2252": "≈", "\u2243": "≈",
        **dict.fromkeys(_INVISIBLE),
    }
)
_SPACE = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_TRAILING = "。.,;、!?"
_PAIRS = {"(": ")", "[": "]", "【": "】", "“": "”", "‘": "’", "「": "」", "『": "』", '"': '"'}

_PLACEHOLDER_MARKS = re.compile(r"[-/\\_·…]*")
_PLACEHOLDER_WORDS = frozenset({"无", "暂无", "空", "不适用", "n/a", "na"})


def _normalise(text: str) -> str:
    """The working copy: NFKC, one dash and tilde, no whitespace, no thousands separators."""
    work = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    work = _SPACE.sub("", work)
    work = work.replace(">=", "≥").replace("<=", "≤").replace("==", "=")
    work = _THOUSANDS.sub("", work).rstrip(_TRAILING)
    # One pair of brackets or quotes around the whole value is not part of it: （≥98） is ≥98.
    while len(work) >= 2 and _PAIRS.get(work[0]) == work[-1]:
        inner = work[1:-1]
        if work[0] in inner or work[-1] in inner:
            break
        work = inner.rstrip(_TRAILING)
    return work


# --- special phrases -----------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_CN = "零〇一二两三四五六七八九十百"
_AMOUNT = rf"[0-9]+(?:\.[0-9]+)?|[{_CN}]{{1,4}}"
_CLAUSE_BREAK = r",;:。、!?"

_BREAKTHROUGH = re.compile(rf"零的?突破|(?:突破|填补)[^0-9{_CLAUSE_BREAK}]{{0,20}}?空白")
_ZERO_EVENT = re.compile(
    r"不发生|未发生|没有发生|零发生|不出现|未出现|杜绝"
    r"|零(?:事故|死亡|伤亡|飘红|事件|案件)"
    rf"|防止[^0-9{_CLAUSE_BREAK}]{{0,20}}?(?:事故|事件)"
    rf"|^(?:确保|实现|保持|力争)?无[^0-9{_CLAUSE_BREAK}]{{0,20}}(?:事故|事件)$"
)
_DOUBLING = re.compile(rf"翻(?P<n>[0-9]{{1,3}}|[{_CN}]{{1,3}})?番")
_TIMES = re.compile(rf"(?P<verb>增长|增加|提高|提升|扩大|增)?了?(?P<n>{_AMOUNT})倍")
_RANK_TOP = re.compile(
    rf"(?<![提超])前(?P<n>{_AMOUNT})(?P<tail>名|位|强|%)?(?:以内|之内|之列|行列)?$"
)
_RANK_NTH = re.compile(rf"第(?P<n>{_AMOUNT})(?P<tail>名|位)?$")
_RANK_WORDS = re.compile(r"前列|前茅|中上游|中游|领先|靠前")
_MAX_DOUBLINGS = 10


def _amount(printed: str) -> float:
    """A printed amount in Arabic digits or small Chinese numerals (三, 十二, 一百)."""
    if printed[0].isascii():
        return float(printed)
    total = current = 0
    for char in printed:
        if char == "十":
            total, current = total + (current or 1) * 10, 0
        elif char == "百":
            total, current = total + (current or 1) * 100, 0
        else:
            current = _CN_DIGITS.get(char, 0)
    return float(total + current)


def _special(text: str, work: str) -> PrintedValue | None:
    """The first breakthrough, zero event, multiple or ranking phrase printed, if any."""
    found: list[tuple[int, int, PrintedValue]] = []
    if match := _BREAKTHROUGH.search(work):
        found.append((match.start(), 0, PrintedValue(
            text, ValueKind.BREAKTHROUGH, Comparator.GE, 1.0)))
    if match := _ZERO_EVENT.search(work):
        found.append((match.start(), 1, PrintedValue(
            text, ValueKind.ZERO_EVENT, Comparator.EQ, 0.0)))
    if multiple := _multiple(text, work):
        found.append((multiple[0], 2, multiple[1]))
    if ranking := _ranking(text, work):
        found.append((ranking[0], 3, ranking[1]))
    if not found:
        return None
    return min(found, key=lambda item: (item[0], item[1]))[2]


def _multiple(text: str, work: str) -> tuple[int, PrintedValue] | None:
    """翻番 (2), 翻两番 (4), 增长1倍 (2), 3倍 (3): the factor on the baseline.

    A multiple is a target reached at or above the factor, so the comparator is GE unless a
    comparator is printed with it (约翻一番, 超过翻番).
    """
    if match := _DOUBLING.search(work):
        doublings = _amount(match["n"]) if match["n"] else 1.0
        factor = 2.0**doublings if doublings <= _MAX_DOUBLINGS else math.inf
    elif match := _TIMES.search(work):
        factor = _amount(match["n"]) + (1.0 if match["verb"] else 0.0)
    else:
        return None
    if not math.isfinite(factor):  # 翻999番: a multiple, but not one a number can hold
        return match.start(), PrintedValue(text, ValueKind.QUALITATIVE, None, None)
    anchor = _anchor(work[: match.start()])
    suffix = _SUFFIX.match(work, match.end())
    comparator = _combine(anchor[0] if anchor else Comparator.GE, _suffix_comparator(suffix))
    return match.start(), PrintedValue(text, ValueKind.MULTIPLE, comparator, factor)


def _ranking(text: str, work: str) -> tuple[int, PrintedValue] | None:
    """全市前三 (LE 3), 保持第一 (EQ 1), 全市前列 / 中游以上 (LE, no rank printed)."""
    if match := _RANK_TOP.search(work):
        comparator = Comparator.LE
    elif match := _RANK_NTH.search(work):
        comparator = Comparator.EQ
    elif match := _RANK_WORDS.search(work):
        # Ranks count from the top: being among the leaders is a rank at or above some place.
        return match.start(), PrintedValue(text, ValueKind.RANKING, Comparator.LE, None)
    else:
        return None
    rank = _amount(match["n"])
    if not math.isfinite(rank):
        return match.start(), PrintedValue(text, ValueKind.QUALITATIVE, None, None)
    tail = match["tail"] or ""
    return match.start(), PrintedValue(
        text, ValueKind.RANKING, comparator, rank, unit=tail, percent=tail == "%")


# --- numbers and ranges --------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_RANGE = re.compile(
    r"(?P<a>[+-]?[0-9]+(?:\.[0-9]+)?)(?P<ua>[\u3400-\u9fffA-Za-z%‰/]{0,4}?)"
    r"(?:-{1,2}|~|至|到)(?P<b>[0-9]+(?:\.[0-9]+)?)"
)
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_UNIT = re.compile(
    r"(?:(?!以上|以下|以内|之内|左右|上下|及以[上下]|或以[上下]|的)[\u3400-\u9fffA-Za-z%‰/·°])*"
    r"(?:(?<=[A-Za-z])[23](?![0-9.]))?"
)
_MAX_UNIT = 8
_SUFFIX = re.compile(
    r"(?P<ge>及以上|或以上|以上|之上)|(?P<le>及以下|或以下|以下|以内|之内)|(?P<approx>左右|上下)"
)
# After the number, its unit and suffix only a short qualifier (的水平) or a note may follow.
_TAIL = re.compile(r"(?:的[\u4e00-\u9fff]{1,4})?(?:\([^()]*\))?")
_CLAUSES = re.compile(rf"[{_CLAUSE_BREAK}]")
_DENOMINATOR = (
    r"每?(?:百万|十万|千|万|百)(?:人口|人|户|台|家)|每(?:人口|人|户|台|家|年|月|季度|周|天|日)"
)
_DENOMINATOR_ALONE = re.compile(_DENOMINATOR)
_DENOMINATOR_AT_END = re.compile(rf"(?:{_DENOMINATOR})$")

_GAP = rf"[^0-9{_CLAUSE_BREAK}]{{0,12}}?"
# At one position the first alternative wins, so longer words come before their own endings
# (不低于 before 低于, 大于等于 before 大于, 达到 before 达). Groups ending in 1 must stand
# right before the number (≥98, 约500, 超40项); the others may have words between (不超过
# 本科所队人数的50%).
_KEYWORDS = re.compile(
    r"(?P<ge>力争达到|不低于|不少于|不小于|大于等于|至少|最少|力争|达到"
    rf"|(?:提高|提升|增加|增长|上升|扩大|增){_GAP}(?:至|到))"
    r"|(?P<le>不超过|未超过|不高于|不多于|不大于|小于等于|至多|最多|控制在"
    rf"|(?:压减|压缩|缩短|缩减|降低|减少|下降|削减|降){_GAP}(?:至|到))"
    r"|(?P<gt>超过|突破|高于|大于|多于)"
    r"|(?P<lt>低于|少于|小于|不足|不到)"
    r"|(?P<approx>大约|大概)"
    r"|(?P<eq>保持在|稳定在|维持在|保持|稳定|维持|等于)"
    r"|(?P<ge1>≥|达)|(?P<le1>≤)|(?P<gt1>>|超|逾)|(?P<lt1><)|(?P<approx1>≈|~|约)|(?P<eq1>=|为)"
)
_KEYWORD_MEANING: dict[str, tuple[Comparator, bool]] = {
    "ge": (Comparator.GE, False), "le": (Comparator.LE, False), "gt": (Comparator.GT, False),
    "lt": (Comparator.LT, False), "approx": (Comparator.APPROX, False),
    "eq": (Comparator.EQ, False), "ge1": (Comparator.GE, True), "le1": (Comparator.LE, True),
    "gt1": (Comparator.GT, True), "lt1": (Comparator.LT, True),
    "approx1": (Comparator.APPROX, True), "eq1": (Comparator.EQ, True),
}
_MAX_GAP = 12


@dataclass(frozen=True)
class _Group:
    """One printed number or range in the working copy."""

    start: int
    end: int
    low: str
    high: str | None = None
    low_unit: str = ""


def _groups(work: str) -> list[_Group]:
    """The numbers and ranges of the working copy, left to right, without codes or years."""
    groups: list[_Group] = []
    position = 0
    while match := _NUMBER.search(work, position):
        start = match.start()
        if start > 0 and work[start - 1].isascii() and work[start - 1].isalpha():
            position = match.end()  # part of a code such as ISO22000 or m2
            continue
        span = _RANGE.match(work, start)
        if span is not None:
            high_unit = _unit_at(work, span.end("b"))
            if high_unit.startswith(span["ua"]):  # 4家-5家, 4-5家; not 5人增至12人
                groups.append(_Group(start, span.end("b"), span["a"], span["b"], span["ua"]))
                position = span.end("b")
                continue
        groups.append(_Group(start, match.end(), match.group()))
        position = match.end()
    # A year in a sentence (到2025年，达到30人) is a date, not the value.
    dated = [
        group for group in groups
        if group.high is None and _YEAR.fullmatch(group.low) and work.startswith("年", group.end)
    ]
    if dated and len(dated) < len(groups):
        groups = [group for group in groups if group not in dated]
    return groups


def _numeric(text: str, work: str) -> PrintedValue | None:
    """A number or range, after the comparator word nearest before it or on its own."""
    groups = _groups(work)
    previous_end = 0
    for group in groups:
        anchor = _anchor(work[previous_end: group.start])
        previous_end = group.end
        if anchor is not None and (parsed := _read(text, work, group, *anchor)) is not None:
            return parsed
    if not groups:
        return None
    first = groups[0]
    clause = _CLAUSES.split(work[: first.start])[-1]
    denominator = _DENOMINATOR_AT_END.search(clause)
    return _read(text, work, first, None, denominator.group() if denominator else None)


def _anchor(segment: str) -> tuple[Comparator, str | None] | None:
    """The comparator word nearest the end of the segment, and a per-denominator after it."""
    clause = _CLAUSES.split(segment)[-1]
    found: tuple[Comparator, str | None] | None = None
    for match in _KEYWORDS.finditer(clause):
        comparator, immediate = _KEYWORD_MEANING[match.lastgroup or "eq"]
        rest = clause[match.end():]
        if immediate:
            if rest and not _DENOMINATOR_ALONE.fullmatch(rest):
                continue
            found = (comparator, rest or None)
        elif len(rest) <= _MAX_GAP:
            denominator = _DENOMINATOR_AT_END.search(rest)
            found = (comparator, denominator.group() if denominator else None)
    return found


def _read(
    text: str, work: str, group: _Group, comparator: Comparator | None, denominator: str | None
) -> PrintedValue | None:
    """The value of a number group, its unit and suffix, if nothing unexpected follows."""
    printed_unit = _unit_at(work, group.end)
    if len(printed_unit) > _MAX_UNIT:
        return None
    position = group.end + len(printed_unit)
    suffix = _SUFFIX.match(work, position)
    if suffix is not None:
        position = suffix.end()
    if not _TAIL.fullmatch(work, position):
        return None
    unit = (printed_unit or group.low_unit).rstrip("/")
    if denominator:
        unit = f"{unit}/{denominator.removeprefix('每')}"
    low = float(group.low)
    high = float(group.high) if group.high is not None else None
    if not math.isfinite(low) or (high is not None and not math.isfinite(high)):
        return None
    percent = unit.startswith("%")
    if high is not None:
        return PrintedValue(text, ValueKind.RANGE, Comparator.RANGE, min(low, high),
                            max(low, high), unit, percent)
    return PrintedValue(text, ValueKind.NUMBER, _combine(comparator, _suffix_comparator(suffix)),
                        low, None, unit, percent)


def _unit_at(work: str, position: int) -> str:
    """The unit printed at a position (家, 万户, %, 批次/千人/年), possibly empty."""
    match = _UNIT.match(work, position)
    return match.group() if match else ""


def _suffix_comparator(suffix: re.Match[str] | None) -> Comparator | None:
    if suffix is None:
        return None
    return {"ge": Comparator.GE, "le": Comparator.LE}.get(suffix.lastgroup or "", Comparator.APPROX)


def _combine(prefix: Comparator | None, suffix: Comparator | None) -> Comparator:
    """达到…以上 is GE, 超过…以上 stays GT, 约…左右 is APPROX; a bare number is EQ."""
    if suffix is None:
        return prefix or Comparator.EQ
    if suffix is Comparator.GE:
        return Comparator.GT if prefix is Comparator.GT else Comparator.GE
    if suffix is Comparator.LE:
        return Comparator.LT if prefix is Comparator.LT else Comparator.LE
    return suffix
