"""The five real plans in shared/seeds are read into the outlines their readers would draw.

Task counts (paragraphs of the task chapters, outside 专栏): 000 82, 001 73, 002 56, 003 72,
004 25. The estimate given for 003 was 71; the parser finds 72 because the paragraph
“全力打造质量品牌……” (line 244) sits between 专栏4 and 专栏5, has no ①… items like the
专栏 around it and reads as body text, so it is a task, not an item of 专栏4.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.models.errors import ImportIssue
from desktop.models.outline import (
    ParsedOutline,
    count_by_type,
    paragraphs_from_text,
    parse_header,
    read_outline,
)
from desktop.models.plans import ItemType, OutlineNode

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"  # copies of shared/seeds
SEED_FILES = {
    "000": "000_09f2bf116125de24.txt",
    "001": "001_c97b93fe9adfb2ac.txt",
    "002": "002_443e4b2e6c287702.txt",
    "003": "003_a0a4f72ac63dbf07.txt",
    "004": "004_88596622a34990bc.txt",
}
TASKS = {"000": 82, "001": 73, "002": 56, "003": 72, "004": 25}


def seed_text(key: str) -> str:
    path = SEEDS / SEED_FILES[key]
    if not path.exists():
        pytest.skip(f"shared seeds are not beside this checkout ({SEEDS})")
    return path.read_text(encoding="utf-8")


def read_seed(key: str) -> ParsedOutline:
    return read_outline(paragraphs_from_text(seed_text(key)), file_name=SEED_FILES[key])


@pytest.fixture(scope="module")
def seeds() -> dict[str, ParsedOutline]:
    return {key: read_seed(key) for key in SEED_FILES if (SEEDS / SEED_FILES[key]).exists()}


def outline(seeds: dict[str, ParsedOutline], key: str) -> list[OutlineNode]:
    if key not in seeds:
        pytest.skip(f"seed {key} is not in {SEEDS}")
    return seeds[key].roots


def issues(seeds: dict[str, ParsedOutline], key: str) -> list[ImportIssue]:
    outline(seeds, key)
    return seeds[key].issues


def tasks_in(node: OutlineNode) -> list[OutlineNode]:
    return [n for n in node.walk() if n.item_type is ItemType.TASK]


def find(roots: list[OutlineNode], **fields: object) -> OutlineNode:
    return next(n for r in roots for n in r.walk()
                if all(getattr(n, k) == v for k, v in fields.items()))


@pytest.mark.parametrize(("key", "tasks"), TASKS.items())
def test_each_plan_has_its_task_count(seeds: dict[str, ParsedOutline], key: str,
                                      tasks: int) -> None:
    assert count_by_type(outline(seeds, key)).get(ItemType.TASK, 0) == tasks


@pytest.mark.parametrize("key", TASKS)
def test_levels_count_down_from_the_top(seeds: dict[str, ParsedOutline], key: str) -> None:
    for root in outline(seeds, key):
        assert root.level == 1
        for node in root.walk():
            assert all(child.level == node.level + 1 for child in node.children)


@pytest.mark.parametrize(("key", "title", "issuer", "number", "issued", "published"), [
    ("000", "重庆市潼南区市场监管现代化“十四五”规划(2021-2025年)", "潼南区人民政府",
     "潼南府发〔2022〕2号", "2022-01-04", "2022-01-04"),
    ("001", "洛阳市“十四五”市场监管现代化规划", "洛阳市人民政府", "洛政〔2022〕57号",
     "2022-09-17", None),
    ("002", "福州市“十四五”市场监管现代化规划", "福州市市场监督管理局(知识产权局)",
     "榕市监综〔2022〕111号", "2022-04-07", "2022-04-12"),
    ("003", "重庆市铜梁区市场监管现代化“十四五”规划（2021-2025年）", "重庆市铜梁区人民政府",
     "铜府发〔2022〕11号", "2022-07-27", None),
    ("004", "河东区市场监管“十四五”发展规划", "天津市河东区市场监督管理局", "", None,
     "2021-09-06"),
])
def test_header_names_title_issuer_number_and_dates(
    key: str, title: str, issuer: str, number: str, issued: str | None, published: str | None,
) -> None:
    header = parse_header(seed_text(key))
    assert (header.title, header.issuer, header.doc_number) == (title, issuer, number)
    assert (header.issued_on, header.published_on) == (issued, published)


# --- 000 潼南区: 第X章 / 第X节 (the first printed as list numbering) / 一、 / 专栏N: ---------


def test_000_task_chapter_has_seven_sections_and_boxes_hang_under_them(
    seeds: dict[str, ParsedOutline],
) -> None:
    roots = outline(seeds, "000")
    assert [r.title for r in roots] == ["十三五时期发展成就", "发展形势", "指导思想", "总体目标",
                                        "主要任务", "保障措施"]
    tasks = roots[4]
    sections = tasks.children
    assert [s.marker for s in sections] == ["1.", *(f"第{n}节" for n in "二三四五六七")]
    assert [len(tasks_in(s)) for s in sections] == [13, 10, 8, 9, 22, 17, 3]
    box7 = sections[6].children[-1]
    assert (box7.marker, box7.title) == ("专栏7", "加强自身能力建设")
    assert [i.title for i in box7.children] == ["优化人员结构", "提升人员素质", "升级硬件设施"]


def test_000_non_task_chapters_hold_paragraphs(seeds: dict[str, ParsedOutline]) -> None:
    roots = outline(seeds, "000")
    for chapter in (*roots[:4], roots[5]):
        assert tasks_in(chapter) == []
        assert any(n.item_type is ItemType.PARAGRAPH for n in chapter.walk())


def test_000_paragraphs_without_a_full_stop_are_reported_not_merged(
    seeds: dict[str, ParsedOutline],
) -> None:
    # Five paragraphs of 000 end without 。 although the next one starts a new item
    # (“推动川渝通办服务……川渝通办” then “共建良好市场秩序。”): they stay apart and are named.
    assert [i.row for i in issues(seeds, "000")] == [114, 387, 574, 637, 639]
    assert "推动川渝通办服务" in issues(seeds, "000")[1].message
    assert find(outline(seeds, "000"), source_line=389).title == "共建良好市场秩序"


# --- 001 洛阳市: chapters named by subject, (一) items printed inline, 01–06 专栏 items ------


def test_001_subject_chapters_are_task_chapters(seeds: dict[str, ParsedOutline]) -> None:
    roots = outline(seeds, "001")
    # each: its (一)… items, its introduction and any paragraph directly under a 一、
    assert [len(tasks_in(r)) for r in roots] == [0, 0, 9, 6, 9, 19, 11, 19, 0]
    assert roots[2].title == "持续优化营商环境,充分激发市场主体活力"
    assert roots[8].title == "保障措施"


def test_001_inline_subheadings_are_tasks_with_marker_and_lead(
    seeds: dict[str, ParsedOutline],
) -> None:
    roots = outline(seeds, "001")
    first = roots[2].children[1].children[0]
    assert (first.item_type, first.marker, first.title) == (
        ItemType.TASK, "(一)", "提高商事主体登记便利化水平")
    assert first.body.startswith("提高商事主体登记便利化水平。深化“多证合一”改革")
    assert first.source_line == 308
    # 73 = 63 (一)… items + 4 paragraphs under a 一、 heading + 6 chapter introductions
    tasks = [t for r in roots for t in tasks_in(r)]
    assert sum(1 for t in tasks if t.marker) == 63
    assert sum(1 for t in tasks if not t.marker) == 10


def test_001_numbered_box_items_carry_their_description(
    seeds: dict[str, ParsedOutline],
) -> None:
    box = find(outline(seeds, "001"), marker="专栏1")
    assert box.title == "知识产权强市战略"
    assert [i.marker for i in box.children] == [f"0{n}" for n in range(1, 7)]
    assert box.children[0].title == "高价值知识产权培育工程"
    assert box.children[0].body.startswith("建立以运用为导向的高价值知识产权培育机制")
    no_space = find(outline(seeds, "001"), marker="专栏2").children[3]
    assert (no_space.marker, no_space.title) == ("04", "保健食品清理整治行动")


def test_001_unnumbered_indicator_table_becomes_a_box(seeds: dict[str, ParsedOutline]) -> None:
    table = find(outline(seeds, "001"), title="十四五时期市场监管现代化主要指标")
    assert (table.item_type, table.marker, table.children) == (ItemType.BOX, "", [])
    cells = table.body.split("\n")
    assert cells[:4] == ["类别", "指标", "2020年", "2025年"]
    assert "1.市场主体总量(万户)" in cells  # a table cell, not a 1. heading
    assert [i.row for i in issues(seeds, "001")] == [64, 108, 428, 436, 112]


# --- 002 福州市: one 重点任务 chapter, (一)/1. items printed inline -------------------------


def test_002_points_are_tasks_and_inline_subheadings_split(
    seeds: dict[str, ParsedOutline],
) -> None:
    roots = outline(seeds, "002")
    chapter = roots[2]
    assert (chapter.marker, chapter.title) == ("第三章", "重点任务")
    assert len(tasks_in(chapter)) == 56
    point = chapter.children[0].children[1].children[0]
    assert (point.item_type, point.marker, point.title) == (
        ItemType.TASK, "1.", "持续深化商事制度改革")
    # (一)完善知识产权保护体系。强化…: elsewhere in 002 (一) stands alone, so it is split.
    heading = chapter.children[1].children[1]
    assert (heading.item_type, heading.title) == (ItemType.SUBHEADING, "完善知识产权保护体系")
    assert heading.children[0].item_type is ItemType.TASK
    assert heading.children[0].body.startswith("强化商标、专利、地理标志")
    assert issues(seeds, "002") == []


# --- 003 铜梁区: no chapters (一、 on top), page breaks, tab table, ①–⑩ in 专栏 -------------


def test_003_parts_are_headings_and_the_table_of_contents_is_skipped(
    seeds: dict[str, ParsedOutline],
) -> None:
    roots = outline(seeds, "003")
    assert [r.marker for r in roots] == [f"{n}、" for n in "一二三四五六七八"]
    assert roots[0].source_line == 70
    assert [len(tasks_in(r)) for r in roots] == [0, 11, 20, 12, 5, 20, 4, 0]
    assert roots[7].title == "加强规划实施，落实目标任务"  # 任务 in the title, yet safeguards


def test_003_paragraphs_broken_across_pages_are_joined(
    seeds: dict[str, ParsedOutline],
) -> None:
    roots = outline(seeds, "003")
    task = find(roots, source_line=286)
    assert task.title == "优化产业发展环境"
    assert "提高市场主体登记效率，推行当场办结" in task.body
    assert find(roots, source_line=262).body.endswith("实施小微企业管理体系认证提升行动。")
    assert not any(n.source_line in (288, 264, 316) for r in roots for n in r.walk())
    assert issues(seeds, "003") == []


def test_003_tab_separated_table_is_the_box_body(seeds: dict[str, ParsedOutline]) -> None:
    box = find(outline(seeds, "003"), marker="专栏1")
    cells = box.body.split("\n")
    assert cells[:5] == ["序号", "指标名称", "2020 年", "2025 年", "指标属性"]
    assert "一、市场环境" in cells
    assert cells[-1] == "预期性"


def test_003_circled_items_become_children_and_end_the_box(
    seeds: dict[str, ParsedOutline],
) -> None:
    roots = outline(seeds, "003")
    box = find(roots, marker="专栏3")
    assert len(box.children) == 1
    item = box.children[0]
    assert item.title == "推动国家食品安全示范城市创建"
    assert [c.marker for c in item.children] == list("①②③④⑤⑥⑦⑧⑨⑩")
    assert item.children[3].title == "建成食品安全规范化农贸市场 10 家"
    after = find(roots, source_line=220)  # no ① in it: the body text again, not the 专栏
    assert (after.item_type, after.title) == (ItemType.TASK, "严格药品质量安全监管")
    quality = find(roots, source_line=244)
    assert (quality.item_type, quality.title) == (ItemType.TASK, "全力打造质量品牌")


# --- 004 河东区: 一、 on top, 四、主要任务 with 1. groups, 附件 after the end ---------------


def test_004_task_part_groups_tasks_under_points(seeds: dict[str, ParsedOutline]) -> None:
    roots = outline(seeds, "004")
    assert [r.title for r in roots][3:] == ["主要任务", "保障措施"]
    second = roots[3].children[1]
    assert [c.marker for c in second.children] == ["1.", "2.", "3."]
    assert [len(c.children) for c in second.children] == [5, 2, 4]
    assert second.children[0].children[1].title == "严厉打击传销"
    quote = roots[3].children[0].children[0].title  # 指出：“… quotes a speech: no lead phrase
    assert quote.startswith("习近平总书记指出:“要坚持使市场")
    assert quote.endswith("…")
    assert roots[-1].children[-1].children[0].body.startswith("结合年度工作部署")
    assert issues(seeds, "004") == []
