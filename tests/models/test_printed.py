"""Tests for reading printed plan values (desktop.models.printed); no Qt, no seed files."""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

import pytest

from desktop.models.printed import (
    EMPTY_DISPLAY,
    Comparator,
    PrintedValue,
    ValueKind,
    parse_printed,
)

K = ValueKind
C = Comparator


@dataclass(frozen=True)
class Expect:
    """What a printed text should parse to (everything but the text itself)."""

    kind: ValueKind
    comparator: Comparator | None
    value: float | None
    upper: float | None = None
    unit: str = ""
    percent: bool = False


def _number(comparator: Comparator, value: float, unit: str) -> Expect:
    return Expect(K.NUMBER, comparator, value, None, unit, unit == "%")


def eq(value: float, unit: str = "") -> Expect:
    return _number(C.EQ, value, unit)


def ge(value: float, unit: str = "") -> Expect:
    return _number(C.GE, value, unit)


def gt(value: float, unit: str = "") -> Expect:
    return _number(C.GT, value, unit)


def le(value: float, unit: str = "") -> Expect:
    return _number(C.LE, value, unit)


def lt(value: float, unit: str = "") -> Expect:
    return _number(C.LT, value, unit)


def approx(value: float, unit: str = "") -> Expect:
    return _number(C.APPROX, value, unit)


def span(low: float, high: float, unit: str = "") -> Expect:
    return Expect(K.RANGE, C.RANGE, low, high, unit, unit == "%")


def multiple(factor: float, comparator: Comparator = C.GE) -> Expect:
    return Expect(K.MULTIPLE, comparator, factor)


def rank(value: float | None = None, comparator: Comparator = C.LE, unit: str = "") -> Expect:
    return Expect(K.RANKING, comparator, value, None, unit, unit == "%")


PLACEHOLDER = Expect(K.PLACEHOLDER, None, None)
QUALITATIVE = Expect(K.QUALITATIVE, None, None)
ZERO_EVENT = Expect(K.ZERO_EVENT, C.EQ, 0.0)
BREAKTHROUGH = Expect(K.BREAKTHROUGH, C.GE, 1.0)


def _close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=1e-12)


def assert_parses(text: str, expected: Expect) -> None:
    result = parse_printed(text)
    assert result.text == text
    actual = Expect(result.kind, result.comparator, result.value, result.upper, result.unit,
                    result.percent)
    assert dataclasses.replace(actual, value=None, upper=None) == dataclasses.replace(
        expected, value=None, upper=None
    )
    assert _close(actual.value, expected.value), (actual.value, expected.value)
    assert _close(actual.upper, expected.upper), (actual.upper, expected.upper)


def cases(rows: list[tuple[str, str, Expect]]) -> list[object]:
    return [pytest.param(text, expected, id=case_id) for case_id, text, expected in rows]


# --- the indicator tables of the seed plans, every baseline and target cell ----------------
# Rows are (printed 序号, 指标名称 as printed, 2020 cell, expected, 2025 cell, expected); the
# cells are copied from the plain text of the plans, where each cell stands on its own line
# (seeds 000 and 001) or between tabs (seed 003).

Row = tuple[str, str, str, Expect, str, Expect]

# Seed 000, 重庆市潼南区市场监管现代化“十四五”规划, 专栏1:“十四五”市场监管现代化主要指标.
# The plan prints no row 2.
SEED_000_TABLE_1: list[Row] = [
    ("1", "市场主体总量(万户)", "5.3575", eq(5.3575), "8.8575", eq(8.8575)),
    ("3", "千人拥有企业数量(户)", "21.97", eq(21.97), "42.4", eq(42.4)),
    ("4", "万人口发明专利拥有量(件)", "5.2", eq(5.2), "8", eq(8)),
    ("5", "每万户市场主体有效注册商标量(件)", "1153", eq(1153), "1400", eq(1400)),
    ("6", "累计有效注册商标量(万件)", "0.63", eq(0.63), "1.1", eq(1.1)),
    ("7", "驰名商标拥有量", "1", eq(1), "2", eq(2)),
    ("8", "知识产权保护社会满意度", "80.9", eq(80.9), "82", eq(82)),
    ("9", "一般事项双随机、一公开抽查比例(%", "3", eq(3), "5", eq(5)),
    ("10", "食品和农产品抽检量(批次/千人)", "4", eq(4), ">4", gt(4)),
    ("11", "食品评价性抽检合格率(%", "98.25", eq(98.25), ">98", gt(98)),
    ("12", "食品安全综合满意度", "80.94", eq(80.94), "82", eq(82)),
    ("13", "药品抽检合格率%", "97.18", eq(97.18), ">98", gt(98)),
    ("14", "万台特种设备死亡人数年平均值(人)", "--", PLACEHOLDER, "0.3", eq(0.3)),
    ("15", "消费投诉按期办结率(%", "--", PLACEHOLDER, "95", eq(95)),
    ("16", "消费者满意度指数", "--", PLACEHOLDER, "80.5", eq(80.5)),
    ("17", "制造业产品质量合格率(%", "--", PLACEHOLDER, "94", eq(94)),
]

# Seed 001, 洛阳市“十四五”市场监管现代化规划, 十四五时期市场监管现代化主要指标.
SEED_001_MAIN_INDICATORS: list[Row] = [
    ("1", "1.市场主体总量(万户)", "55", eq(55), "80", eq(80)),
    ("2", "2.千人拥有市场主体户数(户)", "22", eq(22), "24", eq(24)),
    ("3", "3.国家标准制定参与占全省(%)", "20.9", eq(20.9), "21.9", eq(21.9)),
    ("4", "4.市地方标准平均制定周期(个月)", "24", eq(24), "12", eq(12)),
    ("5", "5.每万人口高价值发明专利拥有量(件)", "3.4", eq(3.4), "6", eq(6)),
    ("6", "6.PCT国际专利申请量(件)", "25", eq(25), "30", eq(30)),
    ("7", "7.商标有效注册量(万件)", "7.3", eq(7.3), "12", eq(12)),
    ("8", "8.中国质量奖(提名奖)创建量(个)", "3", eq(3), "7", eq(7)),
    ("9", "9.省长质量奖(提名奖)创建量(个)", "6", eq(6), "10", eq(10)),
    ("10", "10.一般事项“双随机、一公开”抽查比例(%)", "3", eq(3), "5", eq(5)),
    ("11", "11.消费投诉按期办结率(%)", "92", eq(92), "96", eq(96)),
    ("12", "12.举报按期核查率(%)", "90", eq(90), "93", eq(93)),
    ("13", "13.制造业产品质量合格率(%)", "94.03", eq(94.03), "95.5", eq(95.5)),
    ("14", "14.高新技术检验检测机构增长率(%)", "5", eq(5), "6", eq(6)),
    ("15", "15.食品抽检量(批次/千人)", "4", eq(4), "4", eq(4)),
    ("16", "16.餐饮单位“明厨亮灶”覆盖率(%)", "80.3", eq(80.3), "95", eq(95)),
    ("17", "17.食品安全群众满意度(%)", "79.8", eq(79.8), "80", eq(80)),
    ("18", "18.万台特种设备死亡率", "≤0.1", le(0.1), "≤0.1", le(0.1)),
    ("19", "19.96333电梯应急处置平台覆盖率(%)", "60", eq(60), "100", eq(100)),
    ("20", "20.重点工业产品监督抽查合格率(%)", "98.4", eq(98.4), "≥98", ge(98)),
    ("21", "21.社会公用计量标准", "192", eq(192), "222", eq(222)),
]

# Seed 003, 重庆市铜梁区市场监管现代化“十四五”规划, 专栏 1 市场监管现代化“十四五”主要指标.
SEED_003_TABLE_1: list[Row] = [
    ("1", "市场主体总量（万户）", "5.5", eq(5.5), "8.6", eq(8.6)),
    ("2", "千人拥有企业数量（户）", "19.3", eq(19.3), "35.8", eq(35.8)),
    ("3", "每万人口高价值发明专利拥有量（件）", "3.18", eq(3.18), "12", eq(12)),
    ("4", "每万户市场主体有效注册商标量（件）", "1451", eq(1451), "2100", eq(2100)),
    ("5", "一般事项“双随机、一公开”抽查比例（%）", "3", eq(3), "5", eq(5)),
    ("6", "新增重庆市市长质量管理奖或提名奖企业（个）", "2", eq(2), "2", eq(2)),
    ("7", "制造业产品质量合格率（%）", "94", eq(94), "95", eq(95)),
    ("8", "公共服务质量满意度（分）", "82", eq(82), "83", eq(83)),
    ("9", "新增社会公用计量标准（项）", "—", PLACEHOLDER, "1", eq(1)),
    ("10", "新增自我声明公开企业标准、团体标准（项）", "713", eq(713), "1005", eq(1005)),
    ("11", "新增国家级、市级标准化试点示范建设项目", "5", eq(5), "7", eq(7)),
    ("12", "食品和农产品抽检量（批次/千人）", "4", eq(4), ">4", gt(4)),
    ("13", "食品评价性抽检合格率（%）", "98", eq(98), ">98", gt(98)),
    ("14", "食品安全满意度（分）", "80", eq(80), "82", eq(82)),
    ("15", "药品抽检合格率（%）", ">98", gt(98), ">98", gt(98)),
    ("16", "万台特种设备事故死亡率", "-", PLACEHOLDER, "<0.05", lt(0.05)),
    ("17", "消费投诉按期办结率（%）", "100", eq(100), "100", eq(100)),
    ("18", "智慧监管应用场景（个）", "4", eq(4), "10", eq(10)),
    ("19", "质量基础设施“一站式”服务平台（个）", "-", PLACEHOLDER, "1", eq(1)),
]

SEED_TABLES: dict[str, list[Row]] = {
    "s000": SEED_000_TABLE_1,
    "s001": SEED_001_MAIN_INDICATORS,
    "s003": SEED_003_TABLE_1,
}


def _seed_cells() -> list[object]:
    params: list[object] = []
    for seed, rows in SEED_TABLES.items():
        for seq, _name, base, base_expected, target, target_expected in rows:
            params.append(pytest.param(base, base_expected, id=f"{seed}-row{seq}-2020"))
            params.append(pytest.param(target, target_expected, id=f"{seed}-row{seq}-2025"))
    return params


def test_seed_tables_are_transcribed_in_full() -> None:
    assert [len(rows) for rows in SEED_TABLES.values()] == [16, 21, 19]
    assert len(_seed_cells()) == 112


@pytest.mark.parametrize(("text", "expected"), _seed_cells())
def test_seed_table_cell_parses_as_printed(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("预期性", id="attribute-expected"),
        pytest.param("约束性", id="attribute-binding-is-not-approx"),
        pytest.param("1.市场主体总量(万户)", id="numbered-name"),
        pytest.param("19.96333电梯应急处置平台覆盖率(%)", id="numbered-name-with-digits"),
        pytest.param("6.PCT国际专利申请量(件)", id="numbered-name-latin"),
        pytest.param("一般事项双随机、一公开抽查比例(%", id="name-with-yi"),
        pytest.param("一、市场活力", id="section-heading"),
    ],
)
def test_names_and_attribute_cells_of_the_tables_are_not_numbers(text: str) -> None:
    assert_parses(text, QUALITATIVE)


# --- target phrasing found in the prose of the seeds ---------------------------------------

SEED_PROSE: list[tuple[str, str, Expect]] = [
    # Seed 000 (潼南)
    ("s000-maintain-above", "食品评价性抽检合格率保持在98%以上", ge(98, "%")),
    ("s000-exceed-per-thousand", "食品及食用农产品抽检量超过4批次/千人/", gt(4, "批次/千人")),
    ("s000-reach-above", "生产企业产品质量监督抽查合格率达到94%以上", ge(94, "%")),
    ("s000-reach-full", "CCC目录内产品认证证书覆盖率达到100%", ge(100, "%")),
    ("s000-items-above", "培育团体标准2项以上", ge(2, "项")),
    ("s000-certificates-above", "管理体系认证证书达到300张以上", ge(300, "张")),
    ("s000-da-above", "全区大中型餐饮企业和单位食堂智慧监管覆盖率达95%以上", ge(95, "%")),
    ("s000-per-million-above", "药品不良反应报告数保持400/百万人以上", ge(400, "/百万人")),
    ("s000-year-then-reach", "2025年全区专职检查员数量达到30人", ge(30, "人")),
    ("s000-reach-share", "基层监管人员比例达到55%", ge(55, "%")),
    ("s000-da-share", "新招录人员中食品、药品及相关专业人员达50%", ge(50, "%")),
    ("s000-not-exceed-share", "交流调动人数不超过本科所队人数的50%", le(50, "%")),
    ("s000-about-area", "各所建筑面积约500平方米", approx(500, "平方米")),
    ("s000-cumulative-exceed", "自我声明企业标准累计突破500项", gt(500, "项")),
    ("s000-double", "力争实现服务认证数量翻番", multiple(2)),
    ("s000-zero-breakthrough", "低碳产品认证零突破", BREAKTHROUGH),
    ("s000-fill-the-blank", "力争突破潼南地方标准空白", BREAKTHROUGH),
    ("s000-no-regional-event", "确保不发生区域性、行业性、系统性、源发性事件", ZERO_EVENT),
    ("s000-no-major-accident", "不发生食品、药品、特种设备、重点工业产品重特大安全事故",
     ZERO_EVENT),
    ("s000-prevent-accident", "坚决防止较大及以上安全事故", ZERO_EVENT),
    ("s000-no-systemic-risk", "确保不发生系统性、区域性风险", ZERO_EVENT),
    ("s000-zero-red-alerts", "系统实现零飘红", ZERO_EVENT),
    ("s000-eliminate", "坚决杜绝选择性执法、随意性监管", ZERO_EVENT),
    ("s000-increase-times", "有效注册商标5844件,增加3.1倍", multiple(4.1)),
    # Seed 001 (洛阳)
    ("s001-keep-above", "企业登记网办率保持90%以上", ge(90, "%")),
    ("s001-reach-above", "抽样合格率达到95%以上", ge(95, "%")),
    ("s001-reach-decimal", "全市每万人口拥有发明专利达到10.96件", ge(10.96, "件")),
    ("s001-grow-from-to", "总量由31万户增至55万户", ge(55, "万户")),
    ("s001-grow-to", "每千人拥有市场主体户数增至22户", ge(22, "户")),
    ("s001-cut-to-days", "缩短企业注销时间,将注销时间压减至1个工作日", le(1, "个工作日")),
    ("s001-reach-per-10k", "每万人高价值发明专利拥有量达到6件", ge(6, "件")),
    ("s001-chao", "中国专利奖获奖项目超40项", gt(40, "项")),
    ("s001-items-above", "培育40个以上", ge(40, "个")),
    ("s001-new-range", "力争新培育4-5家", span(4, 5, "家")),
    ("s001-range-ge", "2-3个", span(2, 3, "个")),
    ("s001-range-build", "筹建2-3家", span(2, 3, "家")),
    ("s001-not-below-per-thousand", "农产品和食品抽检量不低于4批次/千人", ge(4, "批次/千人")),
    ("s001-reach-full", "监督抽检不合格食品核查处置率达到100%", ge(100, "%")),
    ("s001-strive-above", "力争到2025年,食品安全评价性抽检合格率达到98%以上", ge(98, "%")),
    ("s001-da-above", "全市持证餐饮服务提供者“明厨亮灶”覆盖率达95%以上", ge(95, "%")),
    ("s001-keep-full", "入网餐饮服务提供者备案率保持100%", eq(100, "%")),
    ("s001-keep-at-full", "对餐饮服务提供者的风险分级实施率保持在100%", eq(100, "%")),
    ("s001-reach-latin-before", "全市ODR企业“工作联系点”达到500家", ge(500, "家")),
    ("s001-at-least", "至少配备1名", ge(1, "名")),
    ("s001-growth-rate", "高新技术检验检测机构增长率达到6%", ge(6, "%")),
    ("s001-standards-above", "组织制定发布地方标准50项以上", ge(50, "项")),
    ("s001-level-above-in-name", "创建省级以上标准化试点示范项目20个以上", ge(20, "个")),
    ("s001-not-below-count", "全市年度公开标准不低于1000项", ge(1000, "项")),
    ("s001-years-then-da", "企业年报公示率连续五年达90%以上", ge(90, "%")),
    ("s001-second", "位居全省第二", rank(2, C.EQ)),
    ("s001-first", "保持全省第一", rank(1, C.EQ)),
    ("s001-lead", "打击传销社会综合治理工作连续多年保持全省领先", rank()),
    ("s001-no-accident", "没有发生食品药品重特大安全事故和区域性、系统性风险", ZERO_EVENT),
    ("s001-no-market-risk", "确保不发生系统性、区域性市场安全风险", ZERO_EVENT),
    # Seed 002 (福州)
    ("s002-em-dash-range", "每年公益培训150—200名", span(150, 200, "名")),
    ("s002-about-range", "累计公益培训约2100—2400名", span(2100, 2400, "名")),
    ("s002-expected-target", "重点服务行业服务质量满意度预期目标82%", eq(82, "%")),
    ("s002-above-per-thousand", "食品抽检监测批次数量高于每千人5批次", gt(5, "批次/千人")),
    ("s002-stable-above", "食品安全评价性抽检合格率稳定在98.5%以上", ge(98.5, "%")),
    ("s002-raise-from-to", "“一品一码”主体录入率从99.01%提升到99.71%", ge(99.71, "%")),
    ("s002-da-full", "小作坊普查建档率达100%", ge(100, "%")),
    ("s002-not-below", "工业产品合格率平均不低于95%", ge(95, "%")),
    ("s002-no-event", "不发生系统性、行业性、区域性产品质量安全事件", ZERO_EVENT),
    ("s002-break-count", "市场主体总量突破80万户", gt(80, "万户")),
    ("s002-zero-de-breakthrough", "中国质量奖实现零的突破", BREAKTHROUGH),
    ("s002-compress-hours", "企业开办时间压缩至5个工作小时", le(5, "个工作小时")),
    ("s002-compress-day", "各县(市)区已压缩至1个工作日", le(1, "个工作日")),
    ("s002-compress-split", "压缩企业简易注销公示时间至20天", le(20, "天")),
    ("s002-higher", "工业产品质量省级监督抽查平均合格率高于97%", gt(97, "%")),
    ("s002-above", "群众满意率99%以上", ge(99, "%")),
    ("s002-front-rank", "隐患整改率均位居全省前列", rank()),
    ("s002-national-front", "商事制度改革继续走在全国前列", rank()),
    ("s002-top-of-list", "在全省名列前茅", rank()),
    ("s002-hold-no-risk", "坚决守住不发生系统性、区域性药品安全风险的底线", ZERO_EVENT),
    # Seed 003 (铜梁), printed with spaces around the numbers
    ("s003-stable-above", "制造业产品合格率稳定在 95%以上", ge(95, "%")),
    ("s003-break-wan", "全区市场主体总量突破 8.6 万户", gt(8.6, "万户")),
    ("s003-above-per-year", "确保食品安全抽检量高于 4 批次/千人/年", gt(4, "批次/千人/年")),
    ("s003-above-standard", "食品安全抽检量高于 4 批次/千人/年的标准", gt(4, "批次/千人/年")),
    ("s003-da-per-10k", "全区市场主体有效注册商标量达 2100 件/万户", ge(2100, "件/万户")),
    ("s003-from-to", "高价值发明专利拥有量由 3.18 件/万人增至 12 件/万人", ge(12, "件/万人")),
    ("s003-build-count", "建成食品安全规范化农贸市场 10 家", eq(10, "家")),
    ("s003-plain-rate", "做到医疗器械抽检合格率98%", eq(98, "%")),
    ("s003-quoted-name-rate", "“两品一械”审批按时办结率100%", eq(100, "%")),
    ("s003-reach-full", "学校食堂“明厨亮灶”覆盖率达到 100%", ge(100, "%")),
    ("s003-one-platform", "建成质量基础设施“一站式”服务平台 1 个", eq(1, "个")),
    ("s003-keep-front", "持续保持全市前列", rank()),
    ("s003-region-front", "品牌数量位居渝西前列", rank()),
    ("s003-no-accident", "全区未发生重特大安全事故", ZERO_EVENT),
    # Seed 004 (河东)
    ("s004-midstream", "力争达到天津市中游以上的水平", rank()),
    ("s004-top-of-list", "在全市打传工作绩效考核中名列前茅", rank()),
    ("s004-not-below", "食品药品安全风险分级完成率不低于97%", ge(97, "%")),
    ("s004-per-thousand-first", "每年农产品和食品抽检量不少于千人4批次", ge(4, "批次/千人")),
    ("s004-reach-above", "主要农产品质量安全监测总体合格率达到97%以上", ge(97, "%")),
    ("s004-reach", "食品安全抽检合格率达到98%", ge(98, "%")),
    ("s004-per-million", "上报可疑器械不良事件报告数达到100份/百万人", ge(100, "份/百万人")),
    ("s004-per-million-pop", "上报药品不良反应报告书达到350份/百万人口", ge(350, "份/百万人口")),
    ("s004-growth-not-below", "每万人口发明专利拥有量年平均增长率不低于8%", ge(8, "%")),
    ("s004-strive-yearly", "力争每年新增民营企业2000户", ge(2000, "户")),
    ("s004-plain-rate", "问题发现率30%", eq(30, "%")),
    ("s004-year-then-count", "到2025年底,河东区新增民营企业10000户", eq(10000, "户")),
    ("s004-no-event", "确保不发生区域性、行业性、系统性、源发性事件", ZERO_EVENT),
]


@pytest.mark.parametrize(("text", "expected"), cases(SEED_PROSE))
def test_target_phrase_from_seed_prose_is_read(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2025年全市知识产权专员队伍达到千人以上规模", id="s002-thousand-in-words"),
        pytest.param("高于治理指标要求", id="s002-no-number"),
        pytest.param("企业与监管人员比例为1:330", id="s004-ratio"),
        pytest.param("企业开办实现“1日办结+零收费”", id="s001-slogan"),
        pytest.param("实现新突破", id="s003-new-breakthrough"),
        pytest.param("基本建成", id="basically-built"),
        pytest.param("全面完成", id="fully-done"),
    ],
)
def test_text_without_a_readable_target_is_qualitative(text: str) -> None:
    assert_parses(text, QUALITATIVE)


# --- comparators ---------------------------------------------------------------------------

SYMBOLS: list[tuple[str, str, Expect]] = [
    ("ge-sign", "≥98", ge(98)),
    ("ge-ascii", ">=98", ge(98)),
    ("ge-full-width-gt-eq", "＞=98", ge(98)),
    ("ge-full-width-both", "＞＝98", ge(98)),
    ("ge-slanted", "⩾98", ge(98)),
    ("le-sign", "≤0.1", le(0.1)),
    ("le-ascii", "<=0.1", le(0.1)),
    ("le-slanted", "⩽0.1", le(0.1)),
    ("gt-ascii", ">4", gt(4)),
    ("gt-full-width", "＞4", gt(4)),
    ("lt-ascii", "<0.05", lt(0.05)),
    ("lt-full-width", "＜0.05", lt(0.05)),
    ("eq-ascii", "=5", eq(5)),
    ("eq-full-width", "＝5", eq(5)),
    ("approx-sign", "≈500", approx(500)),
    ("approx-tilde", "~500", approx(500)),
    ("approx-full-width-tilde", "～500", approx(500)),
    ("bare-number", "42.4", eq(42.4)),
    ("ge-percent", "≥98%", ge(98, "%")),
]


@pytest.mark.parametrize(("text", "expected"), cases(SYMBOLS))
def test_symbol_comparator_is_read(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


PROSE: list[tuple[str, str, Expect]] = [
    ("not-below", "不低于98%", ge(98, "%")),
    ("not-fewer", "不少于4批次", ge(4, "批次")),
    ("at-least", "至少3家", ge(3, "家")),
    ("reach-above", "达到98%以上", ge(98, "%")),
    ("above", "95%以上", ge(95, "%")),
    ("and-above", "98%及以上", ge(98, "%")),
    ("strive-reach", "力争达到90%", ge(90, "%")),
    ("reach", "达到500家", ge(500, "家")),
    ("keep-at-above", "保持在98%以上", ge(98, "%")),
    ("exceed", "超过1000户", gt(1000, "户")),
    ("break-through", "突破10万户", gt(10, "万户")),
    ("higher", "高于97%", gt(97, "%")),
    ("greater", "大于5", gt(5)),
    ("more", "多于20人", gt(20, "人")),
    ("exceed-above-stays-strict", "超过98%以上", gt(98, "%")),
    ("not-exceed", "不超过0.3", le(0.3)),
    ("not-higher", "不高于5%", le(5, "%")),
    ("not-more", "不多于3次", le(3, "次")),
    ("control-within", "控制在5%以内", le(5, "%")),
    ("within", "5%以内", le(5, "%")),
    ("below", "10%以下", le(10, "%")),
    ("cut-to", "压减至5个工作日", le(5, "个工作日")),
    ("fall-to", "降至3%", le(3, "%")),
    ("drop-to", "下降到2天", le(2, "天")),
    ("lower", "低于0.05", lt(0.05)),
    ("fewer", "少于10起", lt(10, "起")),
    ("smaller", "小于1%", lt(1, "%")),
    ("about", "约500平方米", approx(500, "平方米")),
    ("about-long", "大约500人", approx(500, "人")),
    ("or-so", "500人左右", approx(500, "人")),
    ("about-or-so", "约500左右", approx(500)),
]


@pytest.mark.parametrize(("text", "expected"), cases(PROSE))
def test_prose_comparator_is_read(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


# --- ranges --------------------------------------------------------------------------------

RANGES: list[tuple[str, str, Expect]] = [
    ("hyphen", "4-5家", span(4, 5, "家")),
    ("full-width-tilde", "4～5家", span(4, 5, "家")),
    ("tilde", "4~5家", span(4, 5, "家")),
    ("wave-dash", "4〜5家", span(4, 5, "家")),
    ("em-dash", "150—200名", span(150, 200, "名")),
    ("double-em-dash", "150——200名", span(150, 200, "名")),
    ("en-dash", "150–200名", span(150, 200, "名")),
    ("ascii-hyphen", "150-200名", span(150, 200, "名")),
    ("full-width-hyphen", "150－200名", span(150, 200, "名")),
    ("zhi", "4至5家", span(4, 5, "家")),
    ("dao", "4到5家", span(4, 5, "家")),
    ("unit-on-both", "4家-5家", span(4, 5, "家")),
    ("percent-on-both", "4%-5%", span(4, 5, "%")),
    ("percent-after", "4-5%", span(4, 5, "%")),
    ("decimals", "0.5-1.5", span(0.5, 1.5)),
    ("printed-high-first", "200-150名", span(150, 200, "名")),
]


@pytest.mark.parametrize(("text", "expected"), cases(RANGES))
def test_range_value_is_the_minimum_and_upper_the_maximum(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


def test_words_between_numbers_do_not_make_a_range() -> None:
    assert_parses("5人增至12人", ge(12, "人"))


# --- placeholders and negative numbers -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("--", id="double-hyphen"),
        pytest.param("—", id="em-dash"),
        pytest.param("——", id="double-em-dash"),
        pytest.param("-", id="hyphen"),
        pytest.param("－", id="full-width-hyphen"),
        pytest.param("–", id="en-dash"),
        pytest.param("/", id="slash"),
        pytest.param("无", id="wu"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\u00a0", id="nbsp"),
        pytest.param("\u3000", id="ideographic-space"),
        pytest.param(" -- ", id="spaced-dashes"),
        pytest.param("— —", id="spaced-em-dashes"),
        pytest.param("……", id="ellipsis"),
    ],
)
def test_nothing_printed_is_a_placeholder(text: str) -> None:
    result = parse_printed(text)
    assert result.kind is K.PLACEHOLDER
    assert result.placeholder
    assert (result.comparator, result.value, result.upper) == (None, None, None)
    assert result.text == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("-1.5", -1.5, id="hyphen-minus"),
        pytest.param("−1.5", -1.5, id="minus-sign"),
        pytest.param("－2", -2.0, id="full-width-minus"),
        pytest.param("-0.3%", -0.3, id="negative-percent"),
    ],
)
def test_negative_number_is_a_number_not_a_placeholder(text: str, value: float) -> None:
    result = parse_printed(text)
    assert result.kind is K.NUMBER
    assert not result.placeholder
    assert result.comparator is C.EQ
    assert result.value == pytest.approx(value)


def test_none_is_a_placeholder_with_empty_text() -> None:
    result = parse_printed(None)
    assert result == PrintedValue("", K.PLACEHOLDER, None, None)
    assert result.placeholder
    assert result.display() == EMPTY_DISPLAY == "—"


# --- percent and units ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("98%", id="ascii"),
        pytest.param("98％", id="full-width"),
        pytest.param("９８％", id="full-width-digits"),
        pytest.param("不低于98%", id="prose"),
        pytest.param("≥98%", id="symbol"),
        pytest.param("98%以上", id="suffix"),
    ],
)
def test_percent_value_is_kept_as_printed_not_divided_by_100(text: str) -> None:
    result = parse_printed(text)
    assert result.value == 98
    assert result.percent is True
    assert result.unit == "%"


def test_number_in_a_percent_row_printed_without_sign_is_not_percent() -> None:
    result = parse_printed("98.25")
    assert (result.value, result.unit, result.percent) == (98.25, "", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("突破10万户", gt(10, "万户"), id="wan-in-unit"),
        pytest.param("约1.2亿元", approx(1.2, "亿元"), id="yi-in-unit"),
        pytest.param("8.6万户", eq(8.6, "万户"), id="bare-wan"),
        pytest.param("4批次/千人", eq(4, "批次/千人"), id="per-thousand"),
        pytest.param("2100件/万户", eq(2100, "件/万户"), id="per-ten-thousand"),
        pytest.param("约500㎡", approx(500, "m2"), id="square-metre-sign"),
        pytest.param("5个百分点", eq(5, "个百分点"), id="percentage-points-are-not-percent"),
    ],
)
def test_trailing_unit_is_kept_with_wan_and_yi(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("不少于千人4批次", id="qian-ren-before"),
        pytest.param("高于每千人4批次", id="mei-qian-ren-before"),
        pytest.param("每千人4批次", id="no-comparator"),
    ],
)
def test_per_thousand_printed_before_the_number_joins_the_unit(text: str) -> None:
    assert parse_printed(text).unit == "批次/千人"


def test_thousands_separators_are_ignored() -> None:
    for text in ("1,153", "1，153", "53,575户", "1,000,000"):
        assert parse_printed(text).value == float(text.replace(",", "").replace("，", "")
                                                  .removesuffix("户"))


def test_year_in_a_sentence_is_not_the_value() -> None:
    assert_parses("力争到2025年,食品安全评价性抽检合格率达到98%以上", ge(98, "%"))
    assert_parses("2025年", eq(2025, "年"))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ISO22000", id="standard-code"),
        pytest.param("2022-01-04", id="date"),
        pytest.param("1:330", id="ratio"),
        pytest.param("1.2.3", id="version"),
        pytest.param("4、5", id="list"),
    ],
)
def test_codes_dates_and_lists_are_not_numbers(text: str) -> None:
    assert parse_printed(text).kind is K.QUALITATIVE


# --- special targets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("翻番", multiple(2), id="fan-fan"),
        pytest.param("翻一番", multiple(2), id="fan-yi-fan"),
        pytest.param("翻两番", multiple(4), id="fan-liang-fan"),
        pytest.param("翻三番", multiple(8), id="fan-san-fan"),
        pytest.param("增长1倍", multiple(2), id="grow-one-times"),
        pytest.param("增长一倍", multiple(2), id="grow-yi-times"),
        pytest.param("3倍", multiple(3), id="three-times"),
        pytest.param("约翻一番", multiple(2, C.APPROX), id="about-double"),
        pytest.param("翻番以上", multiple(2, C.GE), id="double-or-more"),
        pytest.param("超过翻番", multiple(2, C.GT), id="more-than-double"),
    ],
)
def test_multiple_is_the_factor_on_the_baseline(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("不发生重特大食品安全事故", id="no-major-food-accident"),
        pytest.param("不发生区域性系统性风险", id="no-systemic-risk"),
        pytest.param("零发生", id="zero-occurrence"),
        pytest.param("杜绝重大事故", id="eliminate"),
        pytest.param("无重大安全事故", id="none-of"),
        pytest.param("不发生3人以上死亡事故", id="number-inside-event"),
    ],
)
def test_zero_event_is_equal_to_zero(text: str) -> None:
    assert_parses(text, ZERO_EVENT)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("零突破", id="zero-breakthrough"),
        pytest.param("实现零的突破", id="zero-de-breakthrough"),
        pytest.param("实现零突破", id="achieve-zero-breakthrough"),
        pytest.param("填补国家标准空白", id="fill-blank"),
    ],
)
def test_breakthrough_is_at_least_one(text: str) -> None:
    assert_parses(text, BREAKTHROUGH)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("全市前列", rank(), id="front-row"),
        pytest.param("中游以上", rank(), id="above-midstream"),
        pytest.param("全市前三", rank(3), id="top-three"),
        pytest.param("全省前3名", rank(3, unit="名"), id="top-three-arabic"),
        pytest.param("进入前10", rank(10), id="top-ten"),
        pytest.param("全国前10%", rank(10, unit="%"), id="top-ten-percent"),
        pytest.param("保持第一", rank(1, C.EQ), id="keep-first"),
        pytest.param("排名第十二位", rank(12, C.EQ, "位"), id="twelfth"),
    ],
)
def test_ranking_keeps_the_rank_when_printed(text: str, expected: Expect) -> None:
    assert_parses(text, expected)


def test_advance_notice_is_not_a_ranking() -> None:
    assert parse_printed("提前5天").kind is K.NUMBER


def test_first_special_phrase_printed_wins() -> None:
    assert parse_printed("服务认证数量翻番与低碳产品认证零突破").kind is K.MULTIPLE
    assert parse_printed("低碳产品认证零突破与服务认证数量翻番").kind is K.BREAKTHROUGH


def test_unrecognised_text_is_qualitative_and_kept() -> None:
    result = parse_printed("  基本建成全面覆盖的体系  ")
    assert result == PrintedValue("  基本建成全面覆盖的体系  ", K.QUALITATIVE, None, None)
    assert result.display() == "基本建成全面覆盖的体系"


def test_impossibly_large_numbers_are_qualitative_not_infinite() -> None:
    for text in ("1" * 400, "翻999番", "前" + "9" * 400, "1" * 400 + "-2"):
        assert parse_printed(text).kind is K.QUALITATIVE, text


# --- normalisation keeps the text ------------------------------------------------------------

EQUIVALENT: list[tuple[str, str, str]] = [
    ("nbsp-before", "\u00a098", "98"),
    ("nbsp-around", "\u00a0≥98\u00a0", "≥98"),
    ("ideographic-space", "\u300098\u3000", "98"),
    ("spaces", "  98  ", "98"),
    ("tab-newline", "\t98\n", "98"),
    ("full-width-digits", "９８", "98"),
    ("full-width-decimal", "９８．２５", "98.25"),
    ("full-width-percent", "９８％", "98%"),
    ("full-width-ge-percent", "≥９８％", "≥98%"),
    ("full-width-gt", "＞４", ">4"),
    ("full-width-brackets", "（≥98）", "(≥98)"),
    ("brackets-are-not-part-of-value", "(≥98)", "≥98"),
    ("full-width-range", "４～５家", "4-5家"),
    ("full-width-thousands", "１，１５３", "1153"),
    ("space-inside", "8.6 万户", "8.6万户"),
    ("zero-width-space", "\u200b98", "98"),
    ("trailing-full-stop", "≥98。", "≥98"),
    ("full-width-dashes", "－－", "--"),
]


@pytest.mark.parametrize(("variant", "plain"), [
    pytest.param(variant, plain, id=case_id) for case_id, variant, plain in EQUIVALENT
])
def test_full_width_nbsp_and_spaces_parse_like_the_ascii_form(variant: str, plain: str) -> None:
    result, reference = parse_printed(variant), parse_printed(plain)
    assert result.text == variant
    assert dataclasses.replace(result, text=plain) == reference


@pytest.mark.parametrize(
    "text",
    ["\u00a098", "９８％", " ≥ 98 ", "（≥98）", "4 — 5 家", "\u3000--\u3000", "不低于\u00a098%"],
)
def test_text_is_kept_exactly_as_given(text: str) -> None:
    assert parse_printed(text).text == text


def test_display_strips_surrounding_whitespace_and_nbsp_only() -> None:
    assert parse_printed("\u00a0≥98 \u3000").display() == "≥98"
    assert parse_printed(" 4 - 5 家 ").display() == "4 - 5 家"
    assert parse_printed("９８％").display() == "９８％"


def test_display_of_a_printed_dash_is_the_dash() -> None:
    assert parse_printed(" -- ").display() == "--"


@pytest.mark.parametrize("text", ["", "   ", "\u00a0", "\u3000", "\u200b"])
def test_display_of_an_empty_placeholder_is_an_em_dash(text: str) -> None:
    result = parse_printed(text)
    assert result.placeholder
    assert result.display() == "—"


def test_printed_value_is_immutable() -> None:
    result = parse_printed("98")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 99  # type: ignore[misc]


def test_stored_enum_values_do_not_change() -> None:
    assert [c.value for c in Comparator] == ["=", ">=", ">", "<=", "<", "~", "range"]
    assert [k.value for k in ValueKind] == [
        "number", "range", "placeholder", "multiple", "zero_event", "breakthrough", "ranking",
        "qualitative",
    ]


# --- property: never raises ----------------------------------------------------------------

_PIECES = [
    *"0123456789０１２３４５６７８９",
    *".．,，%％‰-—–－−~～〜≥≤⩾⩽><=＞＜＝≈/\\()（）[]【】“”",
    " ", "\u00a0", "\u3000", "\t", "\u200b",
    *"万亿家名户个批次千人年月天元约以上下内左右不低于超过突破达到翻番零的发生前列第三一两倍增至到每无",
    "不低于", "不超过", "以上", "以内", "左右", "翻", "番", "前", "第", "不发生", "零突破",
    "空白", "千人", "每万人", "ISO", "m2", "㎡", "℃", "E", "e", "inf", "nan",
]


def _random_strings(count: int) -> list[str]:
    rng = random.Random(1234)
    return [
        "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 24))) for _ in range(count)
    ]


def test_parse_never_raises_on_random_strings() -> None:
    strings = _random_strings(500)
    assert len(set(strings)) > 400
    for text in strings:
        result = parse_printed(text)
        assert result.text == text
        assert isinstance(result.kind, ValueKind)
        assert (result.comparator is None) == (
            result.kind in (K.PLACEHOLDER, K.QUALITATIVE)
        ), text
        assert result.placeholder == (result.kind is K.PLACEHOLDER)
        for number in (result.value, result.upper):
            assert number is None or math.isfinite(number), text
        if result.kind is K.RANGE:
            assert result.value is not None
            assert result.upper is not None
            assert result.value <= result.upper, text
        else:
            assert result.upper is None, text
        assert not result.percent or result.unit.startswith("%"), text
        assert result.display()
