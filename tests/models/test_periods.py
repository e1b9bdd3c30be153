"""Periods: DHIS2-style ids, Chinese labels, containment and order."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.models.errors import ValidationError
from desktop.models.periods import Period, PeriodType, plan_years


@pytest.mark.parametrize(("period_id", "kind", "label", "start", "end"), [
    ("2024", PeriodType.YEAR, "2024年", date(2024, 1, 1), date(2024, 12, 31)),
    ("2024S1", PeriodType.HALF, "2024年上半年", date(2024, 1, 1), date(2024, 6, 30)),
    ("2024S2", PeriodType.HALF, "2024年下半年", date(2024, 7, 1), date(2024, 12, 31)),
    ("2024Q3", PeriodType.QUARTER, "2024年第三季度", date(2024, 7, 1), date(2024, 9, 30)),
    ("202408", PeriodType.MONTH, "2024年8月", date(2024, 8, 1), date(2024, 8, 31)),
    ("202402", PeriodType.MONTH, "2024年2月", date(2024, 2, 1), date(2024, 2, 29)),
])
def test_period_ids_parse_to_kind_label_and_dates(period_id: str, kind: PeriodType, label: str,
                                                  start: date, end: date) -> None:
    period = Period.parse(period_id)
    assert period.kind is kind
    assert period.id == period_id
    assert period.label == label
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("bad", ["24", "2024Q5", "2024S3", "202413", "2024-08", "", "二〇二四"])
def test_bad_period_ids_are_refused_in_chinese(bad: str) -> None:
    with pytest.raises(ValidationError, match="期间"):
        Period.parse(bad)


def test_a_year_contains_its_halves_quarters_and_months_but_not_other_years() -> None:
    year = Period.parse("2024")
    assert year.contains(Period.parse("2024S2"))
    assert year.contains(Period.parse("2024Q3"))
    assert year.contains(Period.parse("202412"))
    assert not year.contains(Period.parse("2025Q1"))
    assert Period.parse("2024S2").contains(Period.parse("2024Q3"))
    assert not Period.parse("2024S1").contains(Period.parse("2024Q3"))
    assert Period.parse("2024Q3").contains(Period.parse("202409"))
    assert not Period.parse("2024Q3").contains(Period.parse("2024S2"))


def test_children_split_a_period_into_shorter_ones() -> None:
    assert [p.id for p in Period.parse("2024S2").children(PeriodType.QUARTER)] == [
        "2024Q3", "2024Q4"]
    assert len(Period.parse("2024").children(PeriodType.MONTH)) == 12
    assert Period.parse("2024Q1").children(PeriodType.YEAR) == []


def test_periods_sort_in_time() -> None:
    ids = ["2025", "202403", "2024Q1", "2024", "2024S2"]
    assert [p.id for p in sorted(Period.parse(i) for i in ids)] == [
        "2024", "2024Q1", "202403", "2024S2", "2025"]


def test_plan_years_follow_the_plan_not_a_fixed_range() -> None:
    assert [p.id for p in plan_years(2026, 2030)] == ["2026", "2027", "2028", "2029", "2030"]
