"""The outline of the real 潼南区 plan is read into a typed tree with source pointers."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.models.outline import (
    SourceParagraph,
    count_by_type,
    lead_phrase,
    paragraphs_from_text,
    parse_header,
    parse_outline,
    parse_outline_text,
    read_outline,
)
from desktop.models.plans import ItemType, OutlineNode
from desktop.paths import resource_path


@pytest.fixture(scope="module")
def text() -> str:
    return resource_path("demo", "tongnan-plan.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def roots(text: str) -> list[OutlineNode]:
    return parse_outline_text(text)


def test_header_gives_issuer_number_and_dates(text: str) -> None:
    header = parse_header(text)
    assert header.title == "重庆市潼南区市场监管现代化“十四五”规划(2021-2025年)"
    assert header.issuer == "潼南区人民政府"
    assert header.doc_number == "潼南府发〔2022〕2号"
    assert header.issued_on == "2022-01-04"


def test_six_chapters_and_the_table_of_contents_is_skipped(roots: list[OutlineNode]) -> None:
    assert [r.marker for r in roots] == [f"第{n}章" for n in "一二三四五六"]
    assert roots[4].title == "主要任务"
    assert roots[0].source_line > 100  # the table of contents lines come first


def test_task_chapter_holds_82_tasks_under_7_sections(roots: list[OutlineNode]) -> None:
    chapter = roots[4]
    sections = [c for c in chapter.children if c.item_type is ItemType.SECTION]
    assert len(sections) == 7
    assert sections[0].title == "建设高标准市场体系"  # printed as list numbering "1."
    assert [s.marker for s in sections[1:]] == [f"第{n}节" for n in "二三四五六七"]
    tasks = [n for n in chapter.walk() if n.item_type is ItemType.TASK]
    assert len(tasks) == 82
    assert count_by_type(roots)[ItemType.TASK] == 82


def test_tasks_keep_their_lead_phrase_full_text_and_line(roots: list[OutlineNode]) -> None:
    first = next(n for n in roots[4].walk() if n.item_type is ItemType.TASK)
    assert first.title == "强化平台经济监管"
    assert first.body.startswith("强化平台经济监管。坚持依法规范与支持发展并重")
    assert first.source_line == 357
    assert first.source_text == first.body


def test_boxes_are_found_and_the_indicator_table_is_kept_as_cells(
    roots: list[OutlineNode],
) -> None:
    boxes = [n for r in roots for n in r.walk() if n.item_type is ItemType.BOX]
    assert [b.marker for b in boxes] == [f"专栏{n}" for n in range(1, 8)]
    table = boxes[0]
    assert table.title == "“十四五”市场监管现代化主要指标"
    assert table.children == []
    cells = table.body.split("\n")
    assert cells[0] == "序号"
    assert "一、市场活力" in cells
    assert "万台特种设备死亡人数年平均值(人)" in cells
    box7 = boxes[-1]
    assert len(box7.children) == 3
    assert box7.children[2].body.startswith("升级硬件设施")


def test_non_task_chapters_hold_paragraphs_and_the_footer_is_dropped(
    roots: list[OutlineNode],
) -> None:
    assert all(n.item_type is not ItemType.TASK for n in roots[0].walk())
    last_section = roots[5].children[-1]
    assert last_section.title == "强化督查考核"
    assert len(last_section.children) == 1


def test_lead_phrase_is_the_first_short_sentence() -> None:
    assert lead_phrase("强化平台经济监管。坚持依法规范。") == "强化平台经济监管"
    long = ("推动大数据、人工智能、区块链等现代科技与打击网络传销工作的深度融合，"
            "加强与辖区各基层群众性自治组织对接。")
    assert lead_phrase(long).endswith("…")


def test_text_before_the_first_chapter_is_ignored() -> None:
    assert parse_outline_text("通知\n一、不是大纲\n") == []


def test_the_test_copies_are_the_shared_seeds() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    if not shared.exists():
        pytest.skip("shared seeds are not beside this checkout")
    copies = Path(__file__).resolve().parents[1] / "data" / "seeds"
    names = sorted(p.name for p in shared.glob("*.txt"))
    assert names == sorted(p.name for p in copies.glob("*.txt"))
    for name in names:
        assert (shared / name).read_bytes() == (copies / name).read_bytes(), name


def test_resource_is_the_seed_text() -> None:
    seed = Path(__file__).resolve().parents[1] / "data" / "seeds" / "000_09f2bf116125de24.txt"
    assert seed.read_bytes() == resource_path("demo", "tongnan-plan.txt").read_bytes()


# --- the parsing rules, each on a small text ------------------------------------------------


def plan(*body: str, task_chapter: str = "第二章 主要任务") -> str:
    """A small plan: a notice and a context chapter, then ``body`` as the task chapter."""
    return "\n".join(["关于印发《某区市场监管规划》的通知", "第一章 发展基础",
                      "十三五期间成效明显。", task_chapter, *body, "第三章 保障措施",
                      "加强组织领导。落实责任。"])


def chapter_of(text: str, index: int = 1) -> OutlineNode:
    return parse_outline_text(text)[index]


def kinds(node: OutlineNode) -> list[tuple[str, str, str]]:
    return [(c.item_type.value, c.marker, c.title) for c in node.children]


def test_task_chapter_paragraphs_are_tasks_and_others_paragraphs() -> None:
    roots = parse_outline_text(plan("强化平台经济监管。坚持依法规范。"))
    assert [n.item_type for n in roots[0].children] == [ItemType.PARAGRAPH]
    assert [n.item_type for n in roots[1].children] == [ItemType.TASK]
    assert [n.item_type for n in roots[2].children] == [ItemType.PARAGRAPH]


@pytest.mark.parametrize("gap", ["\n", "\n\n", "\n\n3\n\n", "\n- 12 -\n", "\f"])
def test_paragraph_broken_by_a_page_is_joined(gap: str) -> None:
    text = plan(f"强化平台经济监管。坚持依法规范与支持发展并重，优化事前合规、事中审查{gap}"
                "和事后执法全链条监管。", "加强新经济发展监管。打破惯性思维。")
    tasks = chapter_of(text).children
    assert [t.title for t in tasks] == ["强化平台经济监管", "加强新经济发展监管"]
    assert tasks[0].body.endswith("事中审查和事后执法全链条监管。")


def test_unfinished_paragraph_before_a_new_item_is_kept_apart_and_reported() -> None:
    text = plan("推动川渝通办服务。深化推进许可审查审批川渝通办",
                "共建良好市场秩序。建立线索互联互通机制。")
    parsed = read_outline(paragraphs_from_text(text), file_name="规划.txt")
    assert [t.title for t in parsed.roots[1].children] == ["推动川渝通办服务", "共建良好市场秩序"]
    assert [(i.file, i.row, i.severity) for i in parsed.issues] == [("规划.txt", 5, "warning")]
    assert "没有以句号" in parsed.issues[0].message


def test_inline_heading_splits_when_that_level_stands_alone_elsewhere() -> None:
    text = plan("一、强化竞争政策作用。大力加强政策协同。建立协调机制。",
                "二、增强公平竞争审查刚性约束", "健全公平竞争审查机制。基本建成制度体系。")
    chapter = chapter_of(text)
    assert kinds(chapter) == [("heading", "一、", "强化竞争政策作用"),
                              ("heading", "二、", "增强公平竞争审查刚性约束")]
    task = chapter.children[0].children[0]
    assert (task.item_type, task.title) == (ItemType.TASK, "大力加强政策协同")
    assert task.source_text.startswith("一、强化竞争政策作用。")


def test_inline_headings_of_a_level_always_inline_stay_one_task() -> None:
    text = plan("一、充分激发市场主体的营商活力",
                "(一)提高商事主体登记便利化水平。深化“多证合一”改革。",
                "（二）进一步降低企业准营制度性成本。深化“证照分离”改革。")
    heading = chapter_of(text).children[0]
    assert kinds(heading) == [("task", "(一)", "提高商事主体登记便利化水平"),
                              ("task", "（二）", "进一步降低企业准营制度性成本")]
    assert heading.children[0].body == "提高商事主体登记便利化水平。深化“多证合一”改革。"


def test_numbered_points_alone_group_the_tasks_below_them() -> None:
    text = plan("(一)全面加强监管执法", "1.加强重点领域的市场监管", "加强网络市场监管。把握规律。",
                "严厉打击传销。巩固成果。", "2、加大竞争执法力度", "加强价格监管执法。落实政策。")
    subheading = chapter_of(text).children[0]
    assert kinds(subheading) == [("point", "1.", "加强重点领域的市场监管"),
                                 ("point", "2、", "加大竞争执法力度")]
    assert [len(p.children) for p in subheading.children] == [2, 1]


@pytest.mark.parametrize("line", ["专栏2:严厉打击违法行为", "专栏2：严厉打击违法行为",
                                  "专栏 2 严厉打击违法行为", "专栏2  严厉打击违法行为"])
def test_box_marker_with_or_without_colon_or_space(line: str) -> None:
    heading = chapter_of(plan("一、统筹规范市场秩序", line, "持续开展网络销售治理。加强监测。")
                         ).children[0]
    box = heading.children[-1]  # a 专栏 hangs one level below the chapter
    assert (box.item_type, box.marker, box.title) == (ItemType.BOX, "专栏2", "严厉打击违法行为")
    assert [i.title for i in box.children] == ["持续开展网络销售治理"]


def test_box_items_numbered_01_take_the_following_text() -> None:
    box = chapter_of(plan("专栏1  知识产权强市战略", "01 高价值知识产权培育工程",
                          "建立培育机制。提高拥有量。", "02知识产权惠农工程", "完善地理标志规划。",
                          "(一)强化知识产权创造运用。推进示范城市建设。")).children[0]
    assert [(i.marker, i.title, i.body) for i in box.children] == [
        ("01", "高价值知识产权培育工程", "建立培育机制。提高拥有量。"),
        ("02", "知识产权惠农工程", "完善地理标志规划。")]


def test_circled_items_are_split_and_plain_text_after_them_leaves_the_box() -> None:
    chapter = chapter_of(plan("（一）筑牢安全底线", "专栏 3 食品安全战略",
                              "推动示范城市创建。①压实党政同责。②深化抽检改革。"
                              "③建成农贸市场 10 家。",
                              "严格药品质量安全监管。建立检查员队伍。"))
    box, after = chapter.children[0].children
    item = box.children[0]
    assert item.title == "推动示范城市创建"
    assert [(c.marker, c.title) for c in item.children] == [
        ("①", "压实党政同责"), ("②", "深化抽检改革"), ("③", "建成农贸市场 10 家")]
    assert (after.item_type, after.title) == (ItemType.TASK, "严格药品质量安全监管")


def test_tab_separated_table_in_a_box_is_kept_as_cells() -> None:
    box = chapter_of(plan("专栏 1 主要指标", "序号\t指标名称\t2020 年\t2025 年",
                          "一、市场环境\t\t\t", "1\t市场主体总量（万户）\t5.5\t8.6",
                          "一、优化营商环境", "优化市场准入机制。全面实施清单制度。")).children[0]
    assert box.body.split("\n") == ["序号", "指标名称", "2020 年", "2025 年", "一、市场环境",
                                    "1", "市场主体总量（万户）", "5.5", "8.6"]
    assert box.children == []


def test_table_of_contents_and_web_page_junk_are_skipped() -> None:
    text = "\n".join([
        "您当前的位置: 首页 > 政务公开", "目录", "第一章 发展基础.......3", "第二章 主要任务\t5",
        "第一章 发展基础", "成效明显。", "第二章 主要任务", "强化平台经济监管。坚持依法规范。",
        "XX区人民政府办公室 2022年1月4日印发", "扫一扫在手机打开当前页", "第九章 无关"])
    roots = parse_outline_text(text)
    assert [(r.marker, r.source_line) for r in roots] == [("第一章", 5), ("第二章", 7)]
    assert len(roots[1].children) == 1


def test_plan_without_chapters_uses_its_numbered_parts() -> None:
    roots = parse_outline_text("\n".join([
        "河东区市场监管规划", "前言。", "一、工作回顾", "成效明显。", "二、主要任务",
        "（一）深化商事制度改革", "优化准入。推行清单。", "三、保障措施", "加强领导。", "附件:",
        "附表一"]))
    assert [r.title for r in roots] == ["工作回顾", "主要任务", "保障措施"]
    assert [n.item_type for n in roots[1].walk()][-1] is ItemType.TASK
    assert roots[2].children[-1].title == "加强领导"


def test_context_and_safeguard_parts_hold_no_tasks_even_when_named_tasks() -> None:
    roots = parse_outline_text("\n".join([
        "一、立足新起点", "（一）发展基础。", "成效明显。", "（二）指导思想。",
        "以习近平新时代…为指导。",
        "二、优化营商环境", "（一）深化商事制度改革。", "优化市场准入机制。全面实施。",
        "三、加强规划实施，落实目标任务", "（一）加强党的领导。坚持党的领导。"]))
    assert [sum(n.item_type is ItemType.TASK for n in r.walk()) for r in roots] == [0, 1, 0]


def test_unknown_numbering_and_gaps_are_reported() -> None:
    parsed = read_outline(paragraphs_from_text(plan(
        "一、强化竞争政策", "（1）加强政策协同。建立机制。", "三、深化审查",
        "优化增量审查。完善范围。")),
        file_name="a.txt")
    messages = {i.row: i.message for i in parsed.issues}
    assert "（1）" in messages[6]
    assert "三、" in messages[7]
    assert "第 2 个" in messages[7]


def test_empty_chapter_is_reported() -> None:
    parsed = read_outline(paragraphs_from_text(plan("一、强化竞争政策", "二、深化审查",
                                                    "优化增量审查。完善范围。")))
    assert [(i.row, i.message) for i in parsed.issues] == [
        (5, "“一、强化竞争政策”下没有内容，请核对原文是否有缺漏。")]


def test_bold_lead_of_a_word_paragraph_is_the_title() -> None:
    roots = parse_outline([
        SourceParagraph(1, "第一章 主要任务"),
        SourceParagraph(2, "强化平台经济监管，促进发展。坚持依法规范。",
                        bold_lead="强化平台经济监管，促进发展。"),
        SourceParagraph(3, "（一）加强监管，优化服务。深化改革。",
                        bold_lead="（一）加强监管，优化服务。"),
        SourceParagraph(4, "（二）完善制度。健全机制。")])
    assert [(c.marker, c.title) for c in roots[0].children] == [
        ("", "强化平台经济监管，促进发展"), ("（一）", "加强监管，优化服务"),
        ("（二）", "完善制度")]


def test_lead_phrase_stops_at_a_colon_but_not_at_a_quoted_speech() -> None:
    assert lead_phrase("优化人员结构:基层监管人员比例达到55%。") == "优化人员结构"
    assert lead_phrase("——坚持党的全面领导。把加强党的领导贯穿始终。") == "坚持党的全面领导"
    assert lead_phrase("习近平总书记指出：“要坚持使市场在资源配置中起决定性作用，完善市场机制。”"
                       ).startswith("习近平总书记指出：“要坚持")


def test_header_of_a_portal_list_and_of_a_printed_notice() -> None:
    portal = parse_header("- 发文机关: 福州市市场监督管理局\n- 成文日期:2022-4-7\n"
                          "- 发文字号: 榕市监综〔2022〕111号\n"
                          "《福州市“十四五”市场监管现代化规划》已经同意")
    assert (portal.issuer, portal.issued_on, portal.doc_number, portal.title) == (
        "福州市市场监督管理局", "2022-04-07", "榕市监综〔2022〕111号",
        "福州市“十四五”市场监管现代化规划")
    notice = parse_header("铜府发〔2022〕11号\n**重庆市铜梁区人民政府\n关于印发《重庆市铜梁区"
                          "“十四五”\n规划（2021-2025年）》的通知**\n2022年7月27日")
    assert (notice.issuer, notice.doc_number, notice.issued_on, notice.title) == (
        "重庆市铜梁区人民政府", "铜府发〔2022〕11号", "2022-07-27",
        "重庆市铜梁区“十四五”规划（2021-2025年）")


def test_pathological_lines_are_read_quickly() -> None:
    import time

    started = time.perf_counter()
    parse_outline_text(plan("." * 200_000, "1" * 100_000 + "。", "（" * 50_000))
    assert time.perf_counter() - started < 5


def test_table_of_contents_without_page_numbers_is_passed_over() -> None:
    roots = parse_outline_text("\n".join([
        "目录", "第一章 发展基础", "第二章 主要任务", "第三章 保障措施",
        "第一章 发展基础", "成效明显。", "第二章 主要任务", "强化平台经济监管。坚持依法规范。",
        "第三章 保障措施", "加强组织领导。落实责任。"]))
    assert [(r.marker, r.source_line) for r in roots] == [("第一章", 5), ("第二章", 7),
                                                          ("第三章", 9)]
    assert roots[1].children[0].item_type is ItemType.TASK
