"""Store an imported outline over a plan's own, keeping the ids of the items that stay."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Any

from sqlite_utils import Database

from desktop.models.audit import record_event
from desktop.models.errors import ValidationError
from desktop.models.permissions import Action, acting, require_acting
from desktop.models.plans import ItemType, OutlineNode, PlanItem, get_plan, list_plan_items

#: What the rows that point at a plan item are, in words (other tables go by their name).
LINK_LABELS = {"assignment": "分配单位", "indicator": "关联指标", "task_progress": "进展记录"}
_SQL_CHUNK = 500
_PATH_SEPARATOR = " › "
_SHOWN_IN_MESSAGE = 5
#: Two texts under the same parent this alike are one item reworded, not two items.
SIMILAR_TEXT = 0.6


@dataclass(frozen=True)
class ItemChange:
    """One outline item that an import adds, removes or changes, as a preview shows it.

    ``fields`` names what changed: ``type``, ``marker``, ``title``, ``body``, ``position``.
    ``links`` counts the rows that point at a stored item, by table (``assignment`` …).
    """

    item_type: ItemType
    marker: str
    title: str
    path: str
    item_id: int | None = None
    source_line: int | None = None
    old_title: str = ""
    new_title: str = ""
    old_body: str = ""
    new_body: str = ""
    fields: tuple[str, ...] = ()
    links: tuple[tuple[str, int], ...] = ()

    @property
    def link_count(self) -> int:
        return sum(count for _, count in self.links)

    @property
    def links_label(self) -> str:
        """Chinese summary such as “分配单位 2 条、关联指标 1 条”."""
        return "、".join(f"{LINK_LABELS.get(table, table)} {count} 条"
                        for table, count in self.links)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.item_id, "type": self.item_type.value, "marker": self.marker,
                "title": self.title, "path": self.path, "source_line": self.source_line,
                "old_title": self.old_title, "new_title": self.new_title,
                "old_body": self.old_body, "new_body": self.new_body,
                "fields": list(self.fields), "links": dict(self.links)}


@dataclass(frozen=True)
class OutlineChange:
    """What storing an outline does (or did) to a plan's items."""

    plan_id: int
    added: tuple[ItemChange, ...] = ()
    removed: tuple[ItemChange, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def removed_linked(self) -> tuple[ItemChange, ...]:
        """Removed items that assignments, indicators or progress records point at."""
        return tuple(item for item in self.removed if item.links)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed)}

    def as_dict(self) -> dict[str, object]:
        return {**self.counts(), "unchanged": self.unchanged,
                "removed_linked": len(self.removed_linked),
                "items": {"added": [c.as_dict() for c in self.added],
                          "removed": [c.as_dict() for c in self.removed],
                          "changed": [c.as_dict() for c in self.changed]}}


def diff_outline(db: Database, plan_id: int, roots: Sequence[OutlineNode]) -> OutlineChange:
    """What :func:`apply_outline` would change, without writing anything.

    Raises:
        NotFoundError: there is no such plan.
    """
    get_plan(db, plan_id)
    return _Comparison(db, plan_id, roots).change()


def apply_outline(
    db: Database,
    plan_id: int,
    roots: Sequence[OutlineNode],
    *,
    allow_removing_linked: bool = False,
    source_hash: str | None = None,
    user_id: int | None = None,
    username: str = "",
) -> OutlineChange:
    """Make ``roots`` the plan's outline, in one transaction.

    Items found again (same path of type, marker and title; else same text; else same
    marker under the same parent, as when a heading is reworded) keep their ids, so that
    assignments, progress and indicators' source links stay attached. Storing the same
    outline again changes nothing. Each call is recorded in the audit trail.

    Args:
        source_hash: Stored on the plan to recognise the document next time.
        allow_removing_linked: Remove items that other records point at (their assignments
            and progress go with them; indicators lose their source link).

    Raises:
        NotFoundError: there is no such plan.
        ValidationError: items with links would disappear and that was not allowed; the
            database is unchanged.
        PermissionDenied: the acting user may not edit the plan (``user_id`` and
            ``username``, when given, only name who imported in the audit trail).
    """
    require_acting(db, Action.EDIT_PLAN, what="的大纲")
    plan = get_plan(db, plan_id)
    with db.atomic():
        comparison = _Comparison(db, plan_id, roots)
        change = comparison.change()
        linked = change.removed_linked
        if linked and not allow_removing_linked:
            raise ValidationError(_linked_message(linked), f"{len(linked)} linked items removed")
        added_ids = comparison.write()
        change = replace(change, added=tuple(
            replace(item, item_id=added_ids.get(index)) for index, item in enumerate(change.added)))
        if source_hash is not None:
            db.execute("UPDATE plan SET source_hash = ? WHERE id = ?", [source_hash, plan_id])
        actor = acting(db)
        if user_id is None and not username:
            user_id, username = actor.user_id, actor.username
        record_event(
            db, "outline.import", "plan", plan_id, user_id=user_id, username=username,
            old={"source_hash": plan.source_hash},
            new={**change.counts(), "unchanged": change.unchanged,
                 "source_hash": source_hash if source_hash is not None else plan.source_hash,
                 "removed": [_audit_item(c) for c in change.removed],
                 "changed": [{**_audit_item(c), "fields": list(c.fields),
                              "old_title": c.old_title} for c in change.changed]})
    return change


def _audit_item(item: ItemChange) -> dict[str, object]:
    return {"id": item.item_id, "type": item.item_type.value, "marker": item.marker,
            "title": item.title, "links": dict(item.links)}


def _linked_message(linked: Sequence[ItemChange]) -> str:
    shown = "；".join(f"“{item.path}”（{item.links_label}）"
                     for item in linked[:_SHOWN_IN_MESSAGE])
    more = f"等 {len(linked)} 个条目" if len(linked) > _SHOWN_IN_MESSAGE else ""
    return (f"新文件中没有以下已分配单位或已关联指标的条目：{shown}{more}。为防止这些分配和关联"
            "被一并删除，本次导入没有写入任何内容。请核对原文；确需删除时，请选择“允许删除已"
            "关联的条目”（命令行加 --allow-removing-linked）后再导入。")


# --- comparison -----------------------------------------------------------------------------


def _norm(text: str) -> str:
    """Text compared for identity: full-width folded, spaces and closing punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).rstrip("。.;；:：,，")


def _family(item_type: ItemType) -> str:
    """Tasks and plain paragraphs are one family: a chapter's kind may be read differently."""
    return "text" if item_type in (ItemType.TASK, ItemType.PARAGRAPH) else item_type.value


class _Fields:
    """The compared fields of a stored item or an imported node."""

    __slots__ = ("body", "family", "item_type", "marker", "title")

    def __init__(self, item: PlanItem | OutlineNode) -> None:
        self.item_type = item.item_type
        self.family = _family(item.item_type)
        self.marker = _norm(item.marker)
        self.title = _norm(item.title)
        self.body = _norm(item.body)


def _key_path(f: _Fields) -> Hashable:
    return (f.family, f.marker, f.title)


def _key_title(f: _Fields) -> Hashable:
    return (f.family, f.title) if f.title else None


def _key_body(f: _Fields) -> Hashable:
    return f.body if len(f.body) >= 4 else None


def _key_marker(f: _Fields) -> Hashable:
    return (f.family, f.marker) if f.marker else None


_SIBLING_KEYS: tuple[Callable[[_Fields], Hashable], ...] = (
    _key_path, _key_title, _key_body, _key_marker)
_MOVED_KEYS: tuple[Callable[[_Fields], Hashable], ...] = (_key_body, _key_path)


@dataclass(eq=False)
class _Old:
    item: PlanItem
    fields: _Fields
    parent: _Old | None
    children: list[_Old] = field(default_factory=list)
    match: _New | None = None


@dataclass(eq=False)
class _New:
    node: OutlineNode
    fields: _Fields
    parent: _New | None
    children: list[_New] = field(default_factory=list)
    match: _Old | None = None


def _walk(nodes: Iterable[Any]) -> Iterator[Any]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _label(marker: str, title: str) -> str:
    return f"{marker} {title}".strip() if marker and title else (marker or title)


class _Comparison:
    """Pairs a plan's stored items with the nodes of an imported outline."""

    def __init__(self, db: Database, plan_id: int, roots: Sequence[OutlineNode]) -> None:
        self.db = db
        self.plan_id = plan_id
        self.old_roots = self._old_tree(list_plan_items(db, plan_id))
        self.new_roots = self._new_tree(roots, None)
        self._pair_siblings(self.old_roots, self.new_roots)
        self._pair_moved()

    @staticmethod
    def _old_tree(items: list[PlanItem]) -> list[_Old]:
        nodes: dict[int, _Old] = {}
        roots: list[_Old] = []
        for item in items:  # depth first: a parent comes before its children
            parent = nodes.get(item.parent_id) if item.parent_id is not None else None
            node = _Old(item, _Fields(item), parent)
            nodes[item.id] = node
            (parent.children if parent else roots).append(node)
        return roots

    def _new_tree(self, nodes: Sequence[OutlineNode], parent: _New | None) -> list[_New]:
        out: list[_New] = []
        for node in nodes:
            wrapped = _New(node, _Fields(node), parent)
            wrapped.children = self._new_tree(node.children, wrapped)
            out.append(wrapped)
        return out

    @staticmethod
    def _pair(old: _Old, new: _New) -> None:
        old.match, new.match = new, old

    def _pair_siblings(self, olds: list[_Old], news: list[_New]) -> None:
        """Pair the children of two paired parents, key by key, then go down."""
        for key in _SIBLING_KEYS:
            waiting: dict[Hashable, deque[_Old]] = {}
            for old in olds:
                value = key(old.fields) if old.match is None else None
                if value is not None:
                    waiting.setdefault(value, deque()).append(old)
            for new in news:
                value = key(new.fields) if new.match is None else None
                if value is not None and waiting.get(value):
                    self._pair(waiting[value].popleft(), new)
        self._pair_similar(olds, news)
        for new in news:
            if new.match is not None:
                self._pair_siblings(new.match.children, new.children)

    def _pair_similar(self, olds: list[_Old], news: list[_New]) -> None:
        """Pair reworded siblings of one family whose texts are clearly alike, best first."""
        candidates: list[tuple[float, int, int]] = []
        for i, old in enumerate(olds):
            if old.match is not None:
                continue
            old_text = old.fields.body or old.fields.title
            for j, new in enumerate(news):
                new_text = new.fields.body or new.fields.title
                if new.match is not None or new.fields.family != old.fields.family or not (
                        old_text and new_text):
                    continue
                matcher = SequenceMatcher(None, old_text, new_text, autojunk=False)
                if matcher.quick_ratio() >= SIMILAR_TEXT and matcher.ratio() >= SIMILAR_TEXT:
                    candidates.append((matcher.ratio(), i, j))
        for _, i, j in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
            if olds[i].match is None and news[j].match is None:
                self._pair(olds[i], news[j])

    def _pair_moved(self) -> None:
        """Pair items that moved to another parent, when their text or path is unique."""
        while True:
            paired = 0
            for key in _MOVED_KEYS:
                olds = self._unique(key, (o for o in _walk(self.old_roots) if o.match is None))
                news = self._unique(key, (n for n in _walk(self.new_roots) if n.match is None))
                for value, new in news.items():
                    old = olds.get(value)
                    if old is not None and old.match is None and new.match is None:
                        self._pair(old, new)
                        self._pair_siblings(old.children, new.children)
                        paired += 1
            if not paired:
                return

    @staticmethod
    def _unique(key: Callable[[_Fields], Hashable], nodes: Iterable[Any]) -> dict[Hashable, Any]:
        found: dict[Hashable, Any] = {}
        twice: set[Hashable] = set()
        for node in nodes:
            value = key(node.fields)
            if value is None:
                continue
            if value in found:
                twice.add(value)
            found[value] = node
        return {value: node for value, node in found.items() if value not in twice}

    # -- reporting

    def _path(self, node: _Old | _New) -> str:
        labels: list[str] = []
        current: _Old | _New | None = node
        while current is not None:
            item = current.item if isinstance(current, _Old) else current.node
            labels.append(_label(item.marker, item.title))
            current = current.parent
        return _PATH_SEPARATOR.join(reversed(labels))

    def _links(self, ids: list[int]) -> dict[int, tuple[tuple[str, int], ...]]:
        """Rows of any table that point at these items (found from the schema's foreign keys)."""
        columns: list[tuple[str, str]] = []
        for (table,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'plan_item'"):
            for fk in self.db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
                if fk[2] == "plan_item":
                    columns.append((table, fk[3]))
        found: dict[int, dict[str, int]] = {}
        for start in range(0, len(ids), _SQL_CHUNK):
            chunk = ids[start:start + _SQL_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for table, column in columns:
                for item_id, count in self.db.execute(
                        f'SELECT "{column}", count(*) FROM "{table}" WHERE "{column}" IN ({marks})'
                        f' GROUP BY "{column}"', chunk):
                    found.setdefault(item_id, {})[table] = count
        return {item_id: tuple(sorted(tables.items())) for item_id, tables in found.items()}

    def change(self) -> OutlineChange:
        added = [ItemChange(n.node.item_type, n.node.marker, n.node.title, self._path(n),
                            source_line=n.node.source_line, new_title=n.node.title,
                            new_body=n.node.body)
                 for n in _walk(self.new_roots) if n.match is None]
        gone = [o for o in _walk(self.old_roots) if o.match is None]
        links = self._links([o.item.id for o in gone])
        removed = [ItemChange(o.item.item_type, o.item.marker, o.item.title, self._path(o),
                              item_id=o.item.id, source_line=o.item.source_line,
                              old_title=o.item.title, old_body=o.item.body,
                              links=links.get(o.item.id, ()))
                   for o in gone]
        changed: list[ItemChange] = []
        unchanged = 0
        for new in _walk(self.new_roots):
            old = new.match
            if old is None:
                continue
            fields = self._differences(old, new)
            if not fields:
                unchanged += 1
                continue
            changed.append(ItemChange(
                new.node.item_type, new.node.marker, new.node.title, self._path(new),
                item_id=old.item.id, source_line=new.node.source_line,
                old_title=_label(old.item.marker, old.item.title),
                new_title=_label(new.node.marker, new.node.title),
                old_body=old.item.body, new_body=new.node.body, fields=fields))
        return OutlineChange(self.plan_id, tuple(added), tuple(removed), tuple(changed),
                             unchanged)

    @staticmethod
    def _differences(old: _Old, new: _New) -> tuple[str, ...]:
        fields: list[str] = []
        if old.item.item_type is not new.node.item_type:
            fields.append("type")
        for name in ("marker", "title", "body"):
            if getattr(old.fields, name) != getattr(new.fields, name):
                fields.append(name)
        parent_id = new.parent.match.item.id if new.parent and new.parent.match else None
        if old.item.parent_id != parent_id:
            fields.append("position")
        return tuple(fields)

    # -- writing

    def write(self) -> dict[int, int]:
        """Update, insert and delete rows; returns the new ids of the added items by index."""
        added: dict[int, int] = {}
        counter = 0

        def store(nodes: list[_New], parent_id: int | None, level: int) -> None:
            nonlocal counter
            for order, new in enumerate(nodes):
                node = new.node
                values = [parent_id, order, node.item_type.value, level, node.marker, node.title,
                          node.body, node.source_line, node.source_text]
                if new.match is not None:
                    item = new.match.item
                    item_id = item.id
                    stored = [item.parent_id, item.sort_order, item.item_type.value, item.level,
                              item.marker, item.title, item.body, item.source_line,
                              item.source_text]
                    if stored != values:
                        self.db.execute(
                            "UPDATE plan_item SET parent_id = ?, sort_order = ?, item_type = ?, "
                            "level = ?, marker = ?, title = ?, body = ?, source_line = ?, "
                            "source_text = ? WHERE id = ?", [*values, item_id])
                else:
                    cursor = self.db.execute(
                        "INSERT INTO plan_item (plan_id, parent_id, sort_order, item_type, level, "
                        "marker, title, body, source_line, source_text) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [self.plan_id, *values])
                    item_id = int(cursor.lastrowid or 0)
                    added[counter] = item_id
                    counter += 1
                store(new.children, item_id, level + 1)

        store(self.new_roots, None, 1)
        gone = [o.item.id for o in _walk(self.old_roots) if o.match is None]
        try:
            for start in range(0, len(gone), _SQL_CHUNK):
                chunk = gone[start:start + _SQL_CHUNK]
                self.db.execute(
                    f"DELETE FROM plan_item WHERE id IN ({', '.join('?' for _ in chunk)})", chunk)
        except sqlite3.IntegrityError as exc:
            raise ValidationError(
                "有条目仍被其他记录引用，无法删除，本次导入没有写入任何内容。", str(exc)) from exc
        return added
