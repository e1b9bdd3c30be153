"""A target selected in a sentence becomes a proposed indicator with the right kind."""

from __future__ import annotations

import pytest

from desktop.models.indicators import Direction, TargetType, TimeSemantics
from desktop.models.printed import Comparator, ValueKind
from desktop.models.sentences import indicator_from_sentence


@pytest.mark.parametrize(("selection", "name", "target_text", "kind", "comparator", "value",
                          "target_type"), [
    ("每千人食品抽检量达到4批次以上", "每千人食品抽检量", "达到4批次以上", ValueKind.NUMBER,
     Comparator.GE, 4, TargetType.PER_CAPITA),
    ("生产企业产品质量监督抽查合格率达到95%以上", "生产企业产品质量监督抽查合格率",
     "达到95%以上", ValueKind.NUMBER, Comparator.GE, 95, TargetType.RATE),
    ("“十四五”期间基层监管人员比例达到55%", "基层监管人员比例", "达到55%", ValueKind.NUMBER,
     Comparator.GE, 55, TargetType.RATE),  # 达到 reads as "at least"
    ("新增驰名商标4-5家", "新增驰名商标", "4-5家", ValueKind.RANGE, Comparator.RANGE, 4,
     TargetType.RANGE),
    ("有效发明专利拥有量实现翻番", "有效发明专利拥有量", "实现翻番", ValueKind.MULTIPLE, None, 2,
     TargetType.MULTIPLE),
    ("中国质量奖实现零突破", "中国质量奖", "实现零突破", ValueKind.BREAKTHROUGH, Comparator.GE, 1,
     TargetType.BREAKTHROUGH),
    ("到2025年，食品安全满意度保持在全市前列", "食品安全满意度", "保持在全市前列",
     ValueKind.RANKING, None, None, TargetType.RANKING),
])
def test_a_selected_target_is_split_into_name_and_printed_target(
    selection: str, name: str, target_text: str, kind: ValueKind,
    comparator: Comparator | None, value: float | None, target_type: TargetType,
) -> None:
    proposal = indicator_from_sentence(selection)
    assert proposal.name == name
    assert proposal.target_text == target_text
    assert proposal.target.kind is kind
    if comparator is not None:
        assert proposal.target.comparator is comparator
    assert proposal.target.value == value
    assert proposal.target_type is target_type


def test_zero_event_targets_are_lower_is_better_flows() -> None:
    proposal = indicator_from_sentence("不发生重特大食品安全事故")
    assert proposal.target.kind is ValueKind.ZERO_EVENT
    assert proposal.target_type is TargetType.ZERO_EVENT
    assert proposal.direction is Direction.DOWN


def test_caps_are_lower_is_better() -> None:
    proposal = indicator_from_sentence("企业开办时间压减至1个工作日以内")
    assert proposal.name == "企业开办时间"
    assert proposal.direction is Direction.DOWN
    assert proposal.target.value == 1


def test_cumulative_and_growth_targets_get_their_time_semantics() -> None:
    assert indicator_from_sentence("累计培育地理标志商标10件").time_semantics is (
        TimeSemantics.CUMULATIVE)
    growth = indicator_from_sentence("市场主体年均增长10%以上")
    assert growth.target_type is TargetType.GROWTH
    assert growth.time_semantics is TimeSemantics.GROWTH


def test_the_paragraph_is_kept_as_the_source() -> None:
    paragraph = "持续开展抽检。每千人食品抽检量达到4批次以上。"
    proposal = indicator_from_sentence("每千人食品抽检量达到4批次以上", paragraph)
    assert proposal.source_text == paragraph
