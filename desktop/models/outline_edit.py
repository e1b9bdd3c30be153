"""Edits a user makes to an outline in the import preview: retype, indent, outdent, remove."""

from __future__ import annotations

from desktop.models.plans import ItemType, OutlineNode


def parent_of(roots: list[OutlineNode], node: OutlineNode) -> OutlineNode | None:
    """The node's parent, or None for a root (raises ValueError when it is not in the tree)."""
    for root in roots:
        if root is node:
            return None
        for candidate in root.walk():
            if any(child is node for child in candidate.children):
                return candidate
    raise ValueError("node not in outline")


def _siblings(roots: list[OutlineNode], node: OutlineNode) -> list[OutlineNode]:
    parent = parent_of(roots, node)
    return roots if parent is None else parent.children


def renumber_levels(roots: list[OutlineNode]) -> None:
    """Set every node's level to its depth (roots are level 1)."""

    def visit(node: OutlineNode, level: int) -> None:
        node.level = level
        for child in node.children:
            visit(child, level + 1)

    for root in roots:
        visit(root, 1)


def indent(roots: list[OutlineNode], node: OutlineNode) -> bool:
    """Make the node the last child of its previous sibling; False when it has none."""
    siblings = _siblings(roots, node)
    index = next(i for i, n in enumerate(siblings) if n is node)
    if index == 0:
        return False
    siblings.pop(index)
    siblings[index - 1].children.append(node)
    renumber_levels(roots)
    return True


def outdent(roots: list[OutlineNode], node: OutlineNode) -> bool:
    """Move the node up one level, after its parent; its later siblings become its children.

    This is what a word processor does, and it keeps the document order of the nodes.
    """
    parent = parent_of(roots, node)
    if parent is None:
        return False
    index = next(i for i, n in enumerate(parent.children) if n is node)
    node.children.extend(parent.children[index + 1:])
    del parent.children[index:]
    grand_siblings = _siblings(roots, parent)
    position = next(i for i, n in enumerate(grand_siblings) if n is parent)
    grand_siblings.insert(position + 1, node)
    renumber_levels(roots)
    return True


def retype(node: OutlineNode, item_type: ItemType) -> None:
    """Change a node's type (e.g. a paragraph that is really a task)."""
    node.item_type = item_type


def remove(roots: list[OutlineNode], node: OutlineNode) -> None:
    """Drop a node that is not part of the plan (page furniture); its children move up."""
    siblings = _siblings(roots, node)
    index = next(i for i, n in enumerate(siblings) if n is node)
    siblings[index:index + 1] = node.children
    renumber_levels(roots)


def flatten(roots: list[OutlineNode]) -> list[OutlineNode]:
    """All nodes in document order."""
    return [n for root in roots for n in root.walk()]
