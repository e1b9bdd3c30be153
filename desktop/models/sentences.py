"""Propose an indicator from a target written in a sentence (每千人食品抽检量达到4批次以上)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.models.indicators import Direction, TargetType, TimeSemantics
from desktop.models.printed import Comparator, PrintedValue, ValueKind, parse_printed

# Words that introduce the target value; the indicator's name is what comes before them.
_VERBS = re.compile(
    r"(力争|确保|实现|保持在|保持|稳定在|控制在|压减至|压减到|降至|降到|下降到|下降至|提升至|提升到|"
    r"提高到|提高至|增至|增加到|达到|达|不低于|不少于|不超过|不高于|超过|突破|高于|低于|约为|为|在)"
)
_DOWN_WORDS = ("不超过", "不高于", "控制在", "以内", "以下", "压减", "降至", "降到", "下降", "低于",
               "少于", "不发生", "杜绝", "零发生", "减少")
_PER_CAPITA = re.compile(r"每[千万百]人|[千万]人口?|人均|/千人|/万人|每万户|/万户")
_CUMULATIVE = ("累计", "新增", "共计", "总计")
_GROWTH = ("年均增长", "年均增速", "年均提高", "增长率", "增速")
_ANNUAL = ("每年", "年度", "年均", "全年")
_LEAD_IN = re.compile(r"^(到|至)?\s*20\d\d\s*年(底|末)?[，,]?|^“?十[四五六]五”?(期间|末)[，,]?")


@dataclass(frozen=True)
class SentenceIndicator:
    """What the 新建指标 form is filled with when a user selects a target in a sentence."""

    name: str
    target_text: str
    target: PrintedValue
    target_type: TargetType
    direction: Direction
    time_semantics: TimeSemantics
    unit: str
    source_text: str


def indicator_from_sentence(selection: str, paragraph: str = "") -> SentenceIndicator:
    """Read a selected target phrase: the name before the verb, the printed target after it.

    Args:
        selection: The text the user selected, e.g. ``每千人食品抽检量达到4批次以上``.
        paragraph: The whole paragraph, kept as the source text when given.
    """
    text = " ".join(selection.split()).strip("，,。；;、 ")
    text = _LEAD_IN.sub("", text).strip()
    match = _VERBS.search(text)
    if match and match.start() > 0:
        name = text[:match.start()]
        target_text = text[match.start():]
    else:
        name, target_text = _split_at_number(text)
    name = name.strip("，,：:的 ")
    target = parse_printed(target_text)
    return SentenceIndicator(
        name=name or text[:20],
        target_text=target_text,
        target=target,
        target_type=guess_target_type(text, target),
        direction=Direction.DOWN if any(w in text for w in _DOWN_WORDS) else Direction.UP,
        time_semantics=guess_time_semantics(text, target),
        unit=target.unit,
        source_text=paragraph or selection,
    )


def _split_at_number(text: str) -> tuple[str, str]:
    match = re.search(r"[0-9０-９]", text)
    if match and match.start() > 0:
        return text[:match.start()], text[match.start():]
    return text, text


def guess_target_type(text: str, target: PrintedValue) -> TargetType:
    """The kind of target a phrase sets, from its printed value and its words."""
    by_kind = {
        ValueKind.RANGE: TargetType.RANGE,
        ValueKind.MULTIPLE: TargetType.MULTIPLE,
        ValueKind.BREAKTHROUGH: TargetType.BREAKTHROUGH,
        ValueKind.ZERO_EVENT: TargetType.ZERO_EVENT,
        ValueKind.RANKING: TargetType.RANKING,
        ValueKind.QUALITATIVE: TargetType.QUALITATIVE,
    }
    if target.kind in by_kind:
        return by_kind[target.kind]
    if any(w in text for w in _GROWTH):
        return TargetType.GROWTH
    if any(w in text for w in _CUMULATIVE):
        return TargetType.CUMULATIVE
    if _PER_CAPITA.search(text) or _PER_CAPITA.search(target.unit):
        return TargetType.PER_CAPITA
    if target.percent or "率" in text or "比例" in text:
        return TargetType.RATE
    if any(w in text for w in _ANNUAL):
        return TargetType.ANNUAL_FLOW
    return TargetType.LEVEL


def guess_time_semantics(text: str, target: PrintedValue) -> TimeSemantics:
    """How yearly values make up the value checked against this target."""
    if any(w in text for w in _GROWTH):
        return TimeSemantics.GROWTH
    if any(w in text for w in _CUMULATIVE):
        return TimeSemantics.CUMULATIVE
    if "年平均" in text or "年均值" in text:
        return TimeSemantics.AVERAGE
    if target.percent or "率" in text or any(w in text for w in _ANNUAL) or (
        target.comparator is Comparator.EQ and target.kind is ValueKind.ZERO_EVENT
    ):
        return TimeSemantics.FLOW
    return TimeSemantics.STOCK
