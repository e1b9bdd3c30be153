"""The outline of the real 潼南区 plan is read into a typed tree with source pointers."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.models.outline import count_by_type, lead_phrase, parse_header, parse_outline_text
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


def test_resource_is_the_seed_text() -> None:
    seed = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_09f2bf116125de24.txt"
    if not seed.exists():
        pytest.skip("shared seeds are not beside this checkout")
    assert seed.read_bytes() == resource_path("demo", "tongnan-plan.txt").read_bytes()
