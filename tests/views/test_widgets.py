"""The period picker offers every kind of period with its Chinese label."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.models.periods import Period
from desktop.views.widgets import PeriodPicker


def test_the_picker_gives_the_period_chosen(qtbot: QtBot) -> None:
    picker = PeriodPicker([2021, 2022, 2023, 2024, 2025], Period.parse("2024"))
    qtbot.addWidget(picker)
    assert picker.period().id == "2024"
    picker.kind.setCurrentIndex(picker.kind.findData("quarter"))
    assert picker.number.count() == 4
    picker.number.setCurrentIndex(2)
    assert picker.period().id == "2024Q3"
    assert picker.number.currentText() == "2024年第三季度"
    picker.set_period(Period.parse("202308"))
    assert picker.period().id == "202308"
    assert picker.number.currentText() == "2023年8月"
