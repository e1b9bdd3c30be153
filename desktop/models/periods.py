"""Reporting periods with DHIS2-style ids (2024, 2024S1, 2024Q3, 202408) and Chinese labels."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from desktop.models.errors import ValidationError


class PeriodType(StrEnum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"


_PATTERNS: tuple[tuple[re.Pattern[str], PeriodType], ...] = (
    (re.compile(r"^(\d{4})$"), PeriodType.YEAR),
    (re.compile(r"^(\d{4})S([12])$"), PeriodType.HALF),
    (re.compile(r"^(\d{4})Q([1-4])$"), PeriodType.QUARTER),
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), PeriodType.MONTH),
)
_MONTHS_PER = {PeriodType.YEAR: 12, PeriodType.HALF: 6, PeriodType.QUARTER: 3, PeriodType.MONTH: 1}
_CN_DIGITS = "一二三四"


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar period: a year, half-year, quarter or month.

    Ordering follows the start month, then the length (a year sorts before its first half).
    """

    year: int
    first_month: int
    months: int

    @classmethod
    def parse(cls, period_id: str) -> Period:
        """Parse a DHIS2-style id such as ``2024``, ``2024S1``, ``2024Q3`` or ``202408``.

        Raises:
            ValidationError: the id has none of those forms.
        """
        text = period_id.strip()
        for pattern, kind in _PATTERNS:
            match = pattern.match(text)
            if match:
                year = int(match.group(1))
                number = int(match.group(2)) if kind is not PeriodType.YEAR else 1
                months = _MONTHS_PER[kind]
                return cls(year, (number - 1) * months + 1, months)
        raise ValidationError(
            f"期间“{period_id}”的写法不正确，应为 2024、2024S1、2024Q3 或 202408 这样的形式。",
            f"bad period id {period_id!r}",
        )

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(year, 1, 12)

    @property
    def kind(self) -> PeriodType:
        return {12: PeriodType.YEAR, 6: PeriodType.HALF, 3: PeriodType.QUARTER,
                1: PeriodType.MONTH}[self.months]

    @property
    def number(self) -> int:
        """The half, quarter or month number within the year (1 for a year)."""
        return (self.first_month - 1) // self.months + 1

    @property
    def id(self) -> str:
        kind = self.kind
        if kind is PeriodType.YEAR:
            return f"{self.year}"
        if kind is PeriodType.HALF:
            return f"{self.year}S{self.number}"
        if kind is PeriodType.QUARTER:
            return f"{self.year}Q{self.number}"
        return f"{self.year}{self.first_month:02d}"

    @property
    def label(self) -> str:
        """Chinese label such as 2024年, 2024年上半年, 2024年第三季度, 2024年8月."""
        kind = self.kind
        if kind is PeriodType.YEAR:
            return f"{self.year}年"
        if kind is PeriodType.HALF:
            return f"{self.year}年{'上' if self.number == 1 else '下'}半年"
        if kind is PeriodType.QUARTER:
            return f"{self.year}年第{_CN_DIGITS[self.number - 1]}季度"
        return f"{self.year}年{self.first_month}月"

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        last = self.first_month + self.months - 1
        if last == 12:
            return date(self.year, 12, 31)
        return date.fromordinal(date(self.year, last + 1, 1).toordinal() - 1)

    def contains(self, other: Period) -> bool:
        """Whether ``other`` lies wholly inside this period (a period contains itself)."""
        return (
            self.year == other.year
            and self.first_month <= other.first_month
            and other.first_month + other.months <= self.first_month + self.months
        )

    def children(self, kind: PeriodType) -> list[Period]:
        """The periods of ``kind`` that make up this one (empty when ``kind`` is longer)."""
        size = _MONTHS_PER[kind]
        if size > self.months:
            return []
        return [Period(self.year, m, size)
                for m in range(self.first_month, self.first_month + self.months, size)]

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.first_month, -self.months)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return self.id


def plan_years(start_year: int, end_year: int) -> list[Period]:
    """The yearly periods of a plan, first to last."""
    return [Period.year_of(y) for y in range(start_year, end_year + 1)]
