"""Fixing an outline in the preview keeps document order and levels consistent."""

from __future__ import annotations

from desktop.models.outline_edit import flatten, indent, outdent, remove, retype
from desktop.models.plans import ItemType, OutlineNode


def node(title: str, kind: ItemType = ItemType.TASK, *children: OutlineNode) -> OutlineNode:
    return OutlineNode(kind, 1, "", title, children=list(children))


def outline() -> list[OutlineNode]:
    return [node("第五章", ItemType.CHAPTER, node("一、", ItemType.HEADING, node("甲"), node("乙"),
                                                  node("丙")))]


def titles(roots: list[OutlineNode]) -> list[tuple[str, int]]:
    return [(n.title, n.level) for n in flatten(roots)]


def test_indent_makes_a_node_the_child_of_its_previous_sibling() -> None:
    roots = outline()
    heading = roots[0].children[0]
    assert indent(roots, heading.children[1])
    assert titles(roots) == [("第五章", 1), ("一、", 2), ("甲", 3), ("乙", 4), ("丙", 3)]
    assert not indent(roots, heading.children[0])  # the first child has no previous sibling


def test_outdent_keeps_document_order() -> None:
    roots = outline()
    heading = roots[0].children[0]
    assert outdent(roots, heading.children[1])
    assert titles(roots) == [("第五章", 1), ("一、", 2), ("甲", 3), ("乙", 2), ("丙", 3)]
    assert not outdent(roots, roots[0])


def test_remove_lifts_children_and_retype_changes_the_type() -> None:
    roots = outline()
    remove(roots, roots[0].children[0])
    assert titles(roots) == [("第五章", 1), ("甲", 2), ("乙", 2), ("丙", 2)]
    retype(roots[0].children[0], ItemType.PARAGRAPH)
    assert roots[0].children[0].item_type is ItemType.PARAGRAPH
