"""Annual assessment (考核): schemes of scored items, self and reviewed scores, totals, grades
and the ranking of units.

Scoring methods (an item's ``points`` is its full score):

* ``proportional``: the input is the completion in percent; score = points × input / 100, at
  most points × ``cap`` (default 1);
* ``tiers``: ``tiers`` = [[threshold, points], …]; the first threshold the input reaches (≥, or
  ≤ with ``"direction": "down"``) gives its points, none gives 0;
* ``pass_fail``: input ≥ 1 (达标) gives the points, else 0;
* ``deduction``: points − ``per`` × occurrences, not below ``floor`` (default 0);
* ``bonus`` (加分): ``per`` × occurrences, at most ``cap`` (default the item's points); counted on
  top of the scheme's total;
* ``veto`` (一票否决): any occurrence makes the unit 不合格 and ranks it after every unit not
  vetoed, whatever its total.

A unit's final score on an item is the reviewed score (复评) when there is one, else its self
score (自评). Equal totals share a rank and the next rank is skipped (1, 2, 2, 4).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from desktop.models.audit import record_event
from desktop.models.auth import Actor
from desktop.models.errors import NotFoundError, ValidationError
from desktop.models.orgunits import OrgUnit, get_unit
from desktop.models.permissions import Action, require
from desktop.models.plans import get_plan


class Method(StrEnum):
    PROPORTIONAL = "proportional"
    TIERS = "tiers"
    PASS_FAIL = "pass_fail"
    DEDUCTION = "deduction"
    BONUS = "bonus"
    VETO = "veto"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {Method.PROPORTIONAL: "按完成比例", Method.TIERS: "分档计分",
                 Method.PASS_FAIL: "达标得分", Method.DEDUCTION: "按次扣分",
                 Method.BONUS: "按次加分", Method.VETO: "一票否决"}


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"

    @property
    def label(self) -> str:
        return {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}[self.value]


class Link(StrEnum):
    NONE = "none"
    INDICATOR = "indicator"
    TASK = "task"


#: Points are compared to this precision (scores are printed with two decimals).
_EPS = 1e-6


@dataclass(frozen=True)
class Scheme:
    id: int
    plan_id: int
    year: int
    title: str
    total_points: float = 100.0
    excellent_from: float = 90.0
    good_from: float = 80.0
    pass_from: float = 60.0
    note: str = ""

    def grade(self, total: float, *, vetoed: bool = False) -> Grade:
        if vetoed:
            return Grade.FAIL
        if total >= self.excellent_from - _EPS:
            return Grade.EXCELLENT
        if total >= self.good_from - _EPS:
            return Grade.GOOD
        if total >= self.pass_from - _EPS:
            return Grade.PASS
        return Grade.FAIL


@dataclass(frozen=True)
class Item:
    id: int
    scheme_id: int
    sort_order: int
    code: str
    title: str
    points: float
    method: Method
    params: dict[str, Any] = field(default_factory=dict)
    category: str = ""
    link: Link = Link.NONE
    indicator_id: int | None = None
    plan_item_id: int | None = None
    evidence_required: bool = False
    criteria: str = ""

    @property
    def counts_in_total(self) -> bool:
        """Whether the item's points are part of the scheme's total (not bonus, not veto)."""
        return self.method not in (Method.BONUS, Method.VETO)

    @property
    def broken_link(self) -> bool:
        """The indicator or task the item was tied to has been deleted."""
        return (self.link is Link.INDICATOR and self.indicator_id is None) or \
            (self.link is Link.TASK and self.plan_item_id is None)


@dataclass(frozen=True)
class ItemSpec:
    """What is needed to add an item (see :func:`add_item`)."""

    code: str
    title: str
    points: float
    method: Method
    params: dict[str, Any] = field(default_factory=dict)
    category: str = ""
    indicator_id: int | None = None
    plan_item_id: int | None = None
    evidence_required: bool = False
    criteria: str = ""


# scoring ------------------------------------------------------------------------------------

def _number(params: Mapping[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"评分参数“{key}”应为数字，现为“{value}”。", f"bad param {key}")
    return float(value)


def score(item: Item, value: float | None) -> float | None:
    """The item's score for an input (completion %, measured value, 1/0, occurrences); None
    when there is no input. A veto item scores 0 (its effect is on the grade and rank).

    Raises:
        ValidationError: the input is negative where a count is expected, or a parameter is bad.
    """
    if value is None:
        return None
    if not math.isfinite(value):
        raise ValidationError(f"“{item.title}”的得分依据不是有效数字。", "non-finite input")
    method, points, params = item.method, item.points, item.params
    if method in (Method.DEDUCTION, Method.BONUS, Method.VETO) and value < 0:
        raise ValidationError(f"“{item.title}”填的是次数，不能为负数（现为 {value:g}）。",
                              "negative count")
    if method is Method.PROPORTIONAL:
        cap = _number(params, "cap", 1.0)
        return max(0.0, min(points * value / 100, points * cap))
    if method is Method.TIERS:
        down = params.get("direction") == "down"
        for threshold, earned in _tiers(item):
            if (value <= threshold + _EPS) if down else (value >= threshold - _EPS):
                return earned
        return 0.0
    if method is Method.PASS_FAIL:
        return points if value >= 1 - _EPS else 0.0
    if method is Method.DEDUCTION:
        per = _number(params, "per", 1.0)
        floor = _number(params, "floor", 0.0)
        return max(points - per * value, floor)
    if method is Method.BONUS:
        per = _number(params, "per", 1.0)
        cap = _number(params, "cap", points)
        return min(per * value, cap)
    return 0.0  # veto


def _tiers(item: Item) -> list[tuple[float, float]]:
    raw = item.params.get("tiers")
    if not isinstance(raw, list) or not raw:
        raise ValidationError(f"分档计分的“{item.title}”没有设置分档（门槛和得分）。",
                              "no tiers")
    tiers: list[tuple[float, float]] = []
    for entry in raw:
        if not (isinstance(entry, list | tuple) and len(entry) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in entry)):
            raise ValidationError(f"“{item.title}”的分档“{entry}”应为 [门槛, 得分]。", "bad tier")
        tiers.append((float(entry[0]), float(entry[1])))
    down = item.params.get("direction") == "down"
    return sorted(tiers, key=lambda t: t[0], reverse=not down)


def vetoes(item: Item, value: float | None) -> bool:
    return item.method is Method.VETO and value is not None and value > _EPS


# schemes -------------------------------------------------------------------------------------

def _scheme(row: Mapping[str, Any]) -> Scheme:
    return Scheme(row["id"], row["plan_id"], row["year"], row["title"], row["total_points"],
                  row["excellent_from"], row["good_from"], row["pass_from"], row["note"])


def _item(row: Mapping[str, Any]) -> Item:
    return Item(row["id"], row["scheme_id"], row["sort_order"], row["code"], row["title"],
                row["points"], Method(row["method"]), json.loads(row["params"] or "{}"),
                row["category"], Link(row["link"]), row["indicator_id"], row["plan_item_id"],
                bool(row["evidence_required"]), row["criteria"])


def _source(actor: Actor) -> str:
    return "cli" if actor.user_id is None else "keyboard"


def get_scheme(db: Database, plan_id: int, year: int) -> Scheme:
    """The plan's scheme for a year.

    Raises:
        NotFoundError: there is none (the message says how to make one).
    """
    rows = list(db.query("SELECT * FROM assessment_scheme WHERE plan_id = ? AND year = ?",
                         [plan_id, year]))
    if not rows:
        raise NotFoundError(f"{year} 年还没有考核方案。请先新建方案，或从上一年复制。",
                            f"no scheme {plan_id}/{year}")
    return _scheme(rows[0])


def find_scheme(db: Database, plan_id: int, year: int) -> Scheme | None:
    try:
        return get_scheme(db, plan_id, year)
    except NotFoundError:
        return None


def list_items(db: Database, scheme_id: int) -> list[Item]:
    return [_item(r) for r in db.query(
        "SELECT * FROM assessment_item WHERE scheme_id = ? ORDER BY sort_order, id", [scheme_id])]


def create_scheme(db: Database, actor: Actor, plan_id: int, year: int, title: str, *,
                  total_points: float = 100.0, excellent_from: float = 90.0,
                  good_from: float = 80.0, pass_from: float = 60.0, note: str = "",
                  items: Sequence[ItemSpec] = ()) -> Scheme:
    """Create a year's scheme with its items; audited ``assessment.scheme.create``.

    Raises:
        PermissionDenied: the actor may not edit the plan.
        ValidationError: the year is outside the plan, there is one already, grade thresholds
            out of order, or an item is bad (see :func:`add_item`).
    """
    plan = get_plan(db, plan_id)
    require(db, actor, Action.EDIT_PLAN, what=f"{year} 年考核方案")
    if year not in plan.years:
        raise ValidationError(f"{year} 年不在规划期 {plan.period_label}内。", "year outside plan")
    if find_scheme(db, plan_id, year) is not None:
        raise ValidationError(f"{year} 年已有考核方案，请直接修改，或先删除再新建。",
                              "scheme exists")
    if not title.strip():
        raise ValidationError("请填写考核方案名称。", "no title")
    if not (total_points > 0 and pass_from <= good_from <= excellent_from <= total_points * 2):
        raise ValidationError(
            f"等次分数线应满足 合格（{pass_from:g}）≤ 良好（{good_from:g}）≤ 优秀"
            f"（{excellent_from:g}），总分（{total_points:g}）应大于 0。", "bad thresholds")
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO assessment_scheme (plan_id, year, title, total_points, excellent_from, "
            "good_from, pass_from, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [plan_id, year, title.strip(), total_points, excellent_from, good_from, pass_from,
             note])
        scheme = get_scheme(db, plan_id, year)
        for spec in items:
            _insert_item(db, scheme, spec)
        record_event(db, "assessment.scheme.create", "assessment_scheme", cursor.lastrowid,
                     new={"year": year, "title": title.strip(), "items": len(items)},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    return scheme


def _check_spec(db: Database, scheme: Scheme, spec: ItemSpec) -> None:
    if not spec.code.strip() or not spec.title.strip():
        raise ValidationError("考核项目的编号和名称不能为空。", "empty item")
    if not math.isfinite(spec.points) or spec.points < 0:
        raise ValidationError(f"考核项目“{spec.title}”的分值应为不小于 0 的数。",
                              "bad points")
    if spec.method is Method.VETO and spec.points:
        raise ValidationError(f"一票否决项目“{spec.title}”不计分值，请把分值设为 0。",
                              "veto with points")
    if spec.indicator_id is not None and spec.plan_item_id is not None:
        raise ValidationError(f"考核项目“{spec.title}”只能对应一个指标或一项任务。",
                              "two links")
    for key in ("cap", "per", "floor"):
        if key in spec.params:
            _number(spec.params, key, 0.0)
    probe = Item(0, scheme.id, 0, spec.code, spec.title, spec.points, spec.method, spec.params)
    if spec.method is Method.TIERS:
        for _, earned in _tiers(probe):
            if earned > spec.points + _EPS:
                raise ValidationError(
                    f"分档计分的“{spec.title}”有一档得 {earned:g} 分，超过该项分值 "
                    f"{spec.points:g} 分。", "tier above points")
    if spec.indicator_id is not None:
        row = db.execute("SELECT plan_id FROM indicator WHERE id = ?",
                         [spec.indicator_id]).fetchone()
        if row is None or row[0] != scheme.plan_id:
            raise ValidationError(f"考核项目“{spec.title}”对应的指标不在本规划中。",
                                  "indicator of another plan")
    if spec.plan_item_id is not None:
        row = db.execute("SELECT plan_id FROM plan_item WHERE id = ?",
                         [spec.plan_item_id]).fetchone()
        if row is None or row[0] != scheme.plan_id:
            raise ValidationError(f"考核项目“{spec.title}”对应的任务不在本规划中。",
                                  "task of another plan")


def _insert_item(db: Database, scheme: Scheme, spec: ItemSpec) -> int:
    _check_spec(db, scheme, spec)
    if db.execute("SELECT 1 FROM assessment_item WHERE scheme_id = ? AND code = ?",
                  [scheme.id, spec.code.strip()]).fetchone():
        raise ValidationError(f"考核项目编号“{spec.code}”重复，请换一个。", "duplicate code")
    link = Link.INDICATOR if spec.indicator_id is not None else (
        Link.TASK if spec.plan_item_id is not None else Link.NONE)
    order = db.execute("SELECT coalesce(max(sort_order), 0) + 1 FROM assessment_item "
                       "WHERE scheme_id = ?", [scheme.id]).fetchone()[0]
    cursor = db.execute(
        "INSERT INTO assessment_item (scheme_id, sort_order, code, title, category, link, "
        "indicator_id, plan_item_id, points, method, params, evidence_required, criteria) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [scheme.id, order, spec.code.strip(), spec.title.strip(), spec.category, link.value,
         spec.indicator_id, spec.plan_item_id, spec.points, spec.method.value,
         json.dumps(spec.params, ensure_ascii=False), int(spec.evidence_required),
         spec.criteria])
    return int(cursor.lastrowid or 0)


def add_item(db: Database, actor: Actor, scheme: Scheme, spec: ItemSpec) -> Item:
    """Add an item to a scheme; audited ``assessment.item.add``.

    Raises:
        PermissionDenied: the actor may not edit the plan.
        ValidationError: empty code or title, negative points, a veto with points, tiers
            missing or above the item's points, a link to another plan, a duplicate code.
    """
    require(db, actor, Action.EDIT_PLAN, what=f"{scheme.year} 年考核方案")
    with db.atomic():
        item_id = _insert_item(db, scheme, spec)
        record_event(db, "assessment.item.add", "assessment_item", item_id,
                     new={"code": spec.code, "title": spec.title, "points": spec.points,
                          "method": spec.method.value},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    return next(i for i in list_items(db, scheme.id) if i.id == item_id)


_ITEM_FIELDS = frozenset({"code", "title", "points", "method", "params", "category",
                          "indicator_id", "plan_item_id", "evidence_required", "criteria"})


def update_item(db: Database, actor: Actor, item_id: int, **changes: Any) -> Item:
    """Change fields of an item (see :class:`ItemSpec`); audited ``assessment.item.update``.

    Raises:
        PermissionDenied: the actor may not edit the plan.
        ValidationError: the changed item is bad (as for :func:`add_item`).
    """
    before = _get_item(db, item_id)
    scheme = _scheme(next(iter(db.query("SELECT * FROM assessment_scheme WHERE id = ?",
                                        [before.scheme_id]))))
    require(db, actor, Action.EDIT_PLAN, what=f"{scheme.year} 年考核方案")
    unknown = set(changes) - _ITEM_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    fields = {k: getattr(before, k) for k in _ITEM_FIELDS} | changes
    spec = ItemSpec(**fields)
    _check_spec(db, scheme, spec)
    if spec.code.strip() != before.code and db.execute(
            "SELECT 1 FROM assessment_item WHERE scheme_id = ? AND code = ? AND id != ?",
            [scheme.id, spec.code.strip(), item_id]).fetchone():
        raise ValidationError(f"考核项目编号“{spec.code}”重复，请换一个。", "duplicate code")
    link = Link.INDICATOR if spec.indicator_id is not None else (
        Link.TASK if spec.plan_item_id is not None else Link.NONE)
    with db.atomic():
        db.execute(
            "UPDATE assessment_item SET code = ?, title = ?, category = ?, link = ?, "
            "indicator_id = ?, plan_item_id = ?, points = ?, method = ?, params = ?, "
            "evidence_required = ?, criteria = ? WHERE id = ?",
            [spec.code.strip(), spec.title.strip(), spec.category, link.value,
             spec.indicator_id, spec.plan_item_id, spec.points, spec.method.value,
             json.dumps(spec.params, ensure_ascii=False), int(spec.evidence_required),
             spec.criteria, item_id])
        _rescore(db, _get_item(db, item_id))
        record_event(db, "assessment.item.update", "assessment_item", item_id,
                     old={k: _plain(getattr(before, k)) for k in changes},
                     new={k: _plain(v) for k, v in changes.items()},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    return _get_item(db, item_id)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def _rescore(db: Database, item: Item) -> None:
    """Recompute the stored scores of an item from their inputs (after its method changed)."""
    for row in list(db.query("SELECT * FROM assessment_score WHERE item_id = ?", [item.id])):
        s = _score_row(row)
        db.execute("UPDATE assessment_score SET self_score = ?, review_score = ? "
                   "WHERE item_id = ? AND org_unit_id = ?",
                   [score(item, s.self_input), score(item, s.review_input), item.id,
                    s.org_unit_id])


def delete_item(db: Database, actor: Actor, item_id: int) -> None:
    """Delete an item and its scores; audited ``assessment.item.delete`` (with the scores).

    Raises:
        PermissionDenied: the actor may not edit the plan.
    """
    item = _get_item(db, item_id)
    require(db, actor, Action.EDIT_PLAN, what=f"考核项目“{item.title}”")
    gone = [dict(r) for r in db.query("SELECT * FROM assessment_score WHERE item_id = ?",
                                      [item_id])]
    with db.atomic():
        db.execute("DELETE FROM assessment_item WHERE id = ?", [item_id])
        record_event(db, "assessment.item.delete", "assessment_item", item_id,
                     old={"code": item.code, "title": item.title, "points": item.points,
                          "method": item.method.value, "params": item.params,
                          "scores": gone},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))


def update_scheme(db: Database, actor: Actor, scheme_id: int, **changes: Any) -> Scheme:
    """Change the title, total points, grade thresholds or note; audited.

    Raises:
        PermissionDenied: the actor may not edit the plan.
        ValidationError: thresholds out of order or an empty title.
    """
    rows = list(db.query("SELECT * FROM assessment_scheme WHERE id = ?", [scheme_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {scheme_id} 的考核方案。", f"scheme {scheme_id}")
    before = _scheme(rows[0])
    require(db, actor, Action.EDIT_PLAN, what=f"{before.year} 年考核方案")
    allowed = {"title", "total_points", "excellent_from", "good_from", "pass_from", "note"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    after = Scheme(**({k: getattr(before, k) for k in (
        "id", "plan_id", "year", "title", "total_points", "excellent_from", "good_from",
        "pass_from", "note")} | changes))
    if not after.title.strip():
        raise ValidationError("请填写考核方案名称。", "no title")
    if not (after.total_points > 0
            and after.pass_from <= after.good_from <= after.excellent_from):
        raise ValidationError(
            f"等次分数线应满足 合格（{after.pass_from:g}）≤ 良好（{after.good_from:g}）≤ 优秀"
            f"（{after.excellent_from:g}），总分应大于 0。", "bad thresholds")
    with db.atomic():
        db.execute("UPDATE assessment_scheme SET title = ?, total_points = ?, excellent_from = ?,"
                   " good_from = ?, pass_from = ?, note = ? WHERE id = ?",
                   [after.title.strip(), after.total_points, after.excellent_from,
                    after.good_from, after.pass_from, after.note, scheme_id])
        record_event(db, "assessment.scheme.update", "assessment_scheme", scheme_id,
                     old={k: getattr(before, k) for k in changes}, new=changes,
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    return after


def delete_scheme(db: Database, actor: Actor, scheme_id: int) -> None:
    """Delete a scheme with its items and scores; audited (the whole scheme is in the event).

    Raises:
        PermissionDenied: the actor may not edit the plan.
    """
    rows = list(db.query("SELECT * FROM assessment_scheme WHERE id = ?", [scheme_id]))
    if not rows:
        return
    scheme = _scheme(rows[0])
    require(db, actor, Action.EDIT_PLAN, what=f"{scheme.year} 年考核方案")
    items = [dict(r) for r in db.query("SELECT * FROM assessment_item WHERE scheme_id = ?",
                                       [scheme_id])]
    kept = [dict(r) for r in db.query(
        "SELECT s.* FROM assessment_score s JOIN assessment_item i ON i.id = s.item_id "
        "WHERE i.scheme_id = ?", [scheme_id])]
    with db.atomic():
        db.execute("DELETE FROM assessment_scheme WHERE id = ?", [scheme_id])
        record_event(db, "assessment.scheme.delete", "assessment_scheme", scheme_id,
                     old={"scheme": dict(rows[0]), "items": items, "scores": kept},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))


def copy_scheme(db: Database, actor: Actor, plan_id: int, from_year: int,
                to_year: int) -> Scheme:
    """A new scheme for ``to_year`` with last year's items and thresholds (no scores).

    Items tied to an indicator or task that no longer exists are not copied.

    Raises:
        NotFoundError: ``from_year`` has no scheme.
        ValidationError: ``to_year`` already has one, or is outside the plan.
    """
    source = get_scheme(db, plan_id, from_year)
    items = [ItemSpec(i.code, i.title, i.points, i.method, dict(i.params), i.category,
                      i.indicator_id, i.plan_item_id, i.evidence_required, i.criteria)
             for i in list_items(db, source.id) if not i.broken_link]
    title = source.title.replace(str(from_year), str(to_year))
    if title == source.title:
        title = f"{to_year}年{source.title}"
    return create_scheme(db, actor, plan_id, to_year, title,
                         total_points=source.total_points, excellent_from=source.excellent_from,
                         good_from=source.good_from, pass_from=source.pass_from,
                         note=source.note, items=items)


def scheme_problems(db: Database, scheme: Scheme) -> list[str]:
    """What must be fixed before the scheme is used to score or print (Chinese, one line
    each): points that do not add up to the total, items tied to deleted indicators or tasks,
    no items at all."""
    items = list_items(db, scheme.id)
    problems = []
    if not items:
        problems.append(f"{scheme.year} 年考核方案还没有考核项目。")
    base = sum(i.points for i in items if i.counts_in_total)
    if items and abs(base - scheme.total_points) > _EPS:
        problems.append(f"考核项目分值合计 {base:g} 分（加分项和一票否决项除外），与方案总分 "
                        f"{scheme.total_points:g} 分不符。")
    for i in items:
        if i.broken_link:
            what = "指标" if i.link is Link.INDICATOR else "任务"
            problems.append(f"考核项目“{i.code} {i.title}”对应的{what}已被删除，"
                            "请重新指定或删除该项目。")
    return problems


# scores --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    item_id: int
    org_unit_id: int
    self_input: float | None = None
    self_score: float | None = None
    self_note: str = ""
    review_input: float | None = None
    review_score: float | None = None
    review_reason: str = ""

    @property
    def final_input(self) -> float | None:
        return self.review_input if self.review_input is not None else self.self_input

    @property
    def final(self) -> float | None:
        return self.review_score if self.review_score is not None else self.self_score

    @property
    def reviewed(self) -> bool:
        return self.review_score is not None


def _score_row(row: Mapping[str, Any]) -> Score:
    return Score(row["item_id"], row["org_unit_id"], row["self_input"], row["self_score"],
                 row["self_note"], row["review_input"], row["review_score"],
                 row["review_reason"])


def scores(db: Database, scheme_id: int) -> dict[tuple[int, int], Score]:
    """Every score of a scheme: ``{(item id, unit id): Score}``."""
    return {(s.item_id, s.org_unit_id): s for s in (_score_row(r) for r in db.query(
        "SELECT s.* FROM assessment_score s JOIN assessment_item i ON i.id = s.item_id "
        "WHERE i.scheme_id = ?", [scheme_id]))}


def _get_item(db: Database, item_id: int) -> Item:
    rows = list(db.query("SELECT * FROM assessment_item WHERE id = ?", [item_id]))
    if not rows:
        raise NotFoundError(f"找不到编号为 {item_id} 的考核项目。", f"item {item_id}")
    return _item(rows[0])


def _old(db: Database, item_id: int, unit_id: int) -> Score | None:
    rows = list(db.query("SELECT * FROM assessment_score WHERE item_id = ? AND org_unit_id = ?",
                         [item_id, unit_id]))
    return _score_row(rows[0]) if rows else None


def self_score(db: Database, actor: Actor, item_id: int, unit_id: int, value: float | None,
               note: str = "") -> Score:
    """The unit's own input on an item (自评); the score follows from the item's method.

    Raises:
        PermissionDenied: the actor may not enter the unit's figures.
        ValidationError: the input is not valid for the method, or the item's link is broken.
    """
    item = _get_item(db, item_id)
    unit = get_unit(db, unit_id)
    require(db, actor, Action.ENTER, unit_id, what=f"{unit.name}的自评分")
    if item.broken_link:
        raise ValidationError(f"考核项目“{item.title}”对应的指标或任务已被删除，无法打分。",
                              "broken link")
    earned = score(item, value)
    old = _old(db, item_id, unit_id)
    with db.atomic():
        db.execute(
            "INSERT INTO assessment_score (item_id, org_unit_id, self_input, self_score, "
            "self_note, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "self_input = excluded.self_input, self_score = excluded.self_score, "
            "self_note = excluded.self_note, updated_by = excluded.updated_by, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now')",
            [item_id, unit_id, value, earned, note.strip(), actor.user_id])
        record_event(db, "assessment.self", "assessment_score", f"{item_id}/{unit_id}",
                     old={"input": old.self_input, "score": old.self_score} if old else None,
                     new={"input": value, "score": earned},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    result = _old(db, item_id, unit_id)
    assert result is not None
    return result


def review_score(db: Database, actor: Actor, item_id: int, unit_id: int, value: float | None,
                 reason: str = "") -> Score:
    """The district's reviewed input on an item (复评). Where the reviewed score differs from
    the self score a reason is required.

    Raises:
        PermissionDenied: the actor may not review scores.
        ValidationError: a different score without a reason, or a bad input.
    """
    item = _get_item(db, item_id)
    unit = get_unit(db, unit_id)
    require(db, actor, Action.SCORE, unit_id, what=f"{unit.name}的考核得分")
    if item.broken_link:
        raise ValidationError(f"考核项目“{item.title}”对应的指标或任务已被删除，无法打分。",
                              "broken link")
    earned = score(item, value)
    old = _old(db, item_id, unit_id)
    own = old.self_score if old else None
    differs = earned is not None and (own is None or abs(earned - own) > _EPS)
    if differs and not reason.strip():
        own_text = "未自评" if own is None else f"自评 {own:g} 分"
        raise ValidationError(
            f"{unit.name}“{item.title}”复评 {earned:g} 分，与{own_text}不同，请写明理由。",
            "review differs without reason")
    with db.atomic():
        db.execute(
            "INSERT INTO assessment_score (item_id, org_unit_id, review_input, review_score, "
            "review_reason, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "review_input = excluded.review_input, review_score = excluded.review_score, "
            "review_reason = excluded.review_reason, updated_by = excluded.updated_by, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now')",
            [item_id, unit_id, value, earned, reason.strip(), actor.user_id])
        record_event(db, "assessment.review", "assessment_score", f"{item_id}/{unit_id}",
                     old={"input": old.review_input, "score": old.review_score} if old else None,
                     new={"input": value, "score": earned, "reason": reason.strip()},
                     user_id=actor.user_id, username=actor.username, source=_source(actor))
    result = _old(db, item_id, unit_id)
    assert result is not None
    return result


# totals and ranking --------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitResult:
    """A unit's total, grade and rank under a scheme."""

    unit: OrgUnit
    base: float
    bonus: float
    vetoed_by: tuple[str, ...]
    missing: tuple[str, ...]  # items without a final score
    unreviewed: tuple[str, ...]  # items without a reviewed score
    grade: Grade
    rank: int = 0

    @property
    def total(self) -> float:
        return round(self.base + self.bonus, 2)

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoed_by)


def results(db: Database, scheme: Scheme, unit_ids: Sequence[int]) -> list[UnitResult]:
    """Each unit's total (final scores: reviewed where there is one), grade and rank, best
    first. Vetoed units come after all others; equal totals share a rank (1, 2, 2, 4)."""
    items = list_items(db, scheme.id)
    table = scores(db, scheme.id)
    unranked: list[UnitResult] = []
    for unit_id in unit_ids:
        unit = get_unit(db, unit_id)
        base = bonus = 0.0
        vetoed_by: list[str] = []
        missing: list[str] = []
        unreviewed: list[str] = []
        for item in items:
            s = table.get((item.id, unit_id))
            if s is None or (s.final_input is None and s.final is None):
                if item.method not in (Method.BONUS, Method.VETO):
                    missing.append(item.title)
                continue
            if not s.reviewed:
                unreviewed.append(item.title)
            if vetoes(item, s.final_input):
                vetoed_by.append(item.title)
            earned = s.final or 0.0
            if item.method is Method.BONUS:
                bonus += earned
            elif item.counts_in_total:
                base += earned
        grade = scheme.grade(round(base + bonus, 2), vetoed=bool(vetoed_by))
        unranked.append(UnitResult(unit, round(base, 2), round(bonus, 2), tuple(vetoed_by),
                                   tuple(missing), tuple(unreviewed), grade))
    ordered = sorted(unranked, key=lambda r: (r.vetoed, -r.total, r.unit.sort_order,
                                              r.unit.code))
    ranked: list[UnitResult] = []
    for n, result in enumerate(ordered):
        previous = ranked[-1] if ranked else None
        same = previous is not None and previous.vetoed == result.vetoed and \
            abs(previous.total - result.total) < 0.005
        rank = previous.rank if same and previous is not None else n + 1
        ranked.append(UnitResult(result.unit, result.base, result.bonus, result.vetoed_by,
                                 result.missing, result.unreviewed, result.grade, rank))
    return ranked


def publication_problems(db: Database, scheme: Scheme, unit_ids: Sequence[int]) -> list[str]:
    """Why the ranking cannot be published yet (Chinese lines): the scheme's problems, units
    with items not scored, and scores not reviewed by the district."""
    problems = scheme_problems(db, scheme)
    for r in results(db, scheme, unit_ids):
        if r.missing:
            problems.append(f"{r.unit.name}有 {len(r.missing)} 个考核项目没有得分："
                            f"{'、'.join(r.missing[:5])}{' 等' if len(r.missing) > 5 else ''}。")
        elif r.unreviewed:
            problems.append(f"{r.unit.name}有 {len(r.unreviewed)} 个考核项目区局尚未复评。")
    return problems
