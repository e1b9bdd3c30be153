"""Assessment schemes scored by hand-computed expectations for every method, veto and ties."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.models.assessment import (
    Grade,
    Item,
    ItemSpec,
    Method,
    add_item,
    copy_scheme,
    create_scheme,
    delete_item,
    delete_scheme,
    list_items,
    publication_problems,
    results,
    review_score,
    scheme_problems,
    score,
    scores,
    self_score,
    update_item,
    update_scheme,
)
from desktop.models.errors import NotFoundError, PermissionDenied, ValidationError
from desktop.models.indicators import delete_indicator, list_indicators


def item(method: Method, points: float, **params: Any) -> Item:
    return Item(1, 1, 1, "1", "测试项目", points, method, params)


def test_proportional_scores_completion_up_to_the_cap() -> None:
    assert score(item(Method.PROPORTIONAL, 30), 90) == pytest.approx(27)
    assert score(item(Method.PROPORTIONAL, 30), 120) == 30
    assert score(item(Method.PROPORTIONAL, 30, cap=1.1), 120) == pytest.approx(33)
    assert score(item(Method.PROPORTIONAL, 30), None) is None


def test_tiers_give_the_first_threshold_reached() -> None:
    tiers = item(Method.TIERS, 20, tiers=[[3, 10], [5, 20], [4, 15]])  # any order
    assert [score(tiers, v) for v in (5.2, 5, 4.5, 3, 2.9)] == [20, 20, 15, 10, 0]
    lower = item(Method.TIERS, 10, tiers=[[0, 10], [0.1, 6]], direction="down")
    assert [score(lower, v) for v in (0, 0.05, 0.1, 0.2)] == [10, 6, 6, 0]


def test_pass_fail_deduction_bonus_and_veto() -> None:
    assert score(item(Method.PASS_FAIL, 20), 1) == 20
    assert score(item(Method.PASS_FAIL, 20), 0) == 0
    deduction = item(Method.DEDUCTION, 30, per=5, floor=0)
    assert [score(deduction, n) for n in (0, 1, 3, 7)] == [30, 25, 15, 0]
    bonus = item(Method.BONUS, 5, per=2.5)
    assert [score(bonus, n) for n in (0, 1, 3)] == [0, 2.5, 5]
    assert score(item(Method.VETO, 0), 1) == 0
    with pytest.raises(ValidationError, match="不能为负数"):
        score(deduction, -1)


ITEMS = [
    ItemSpec("1", "市场主体增长", 30, Method.PROPORTIONAL, {"cap": 1.0}),
    ItemSpec("2", "双随机抽查比例", 20, Method.TIERS, {"tiers": [[5, 20], [4, 15], [3, 10]]}),
    ItemSpec("3", "投诉按期办结达标", 20, Method.PASS_FAIL),
    ItemSpec("4", "安全事故", 30, Method.DEDUCTION, {"per": 5, "floor": 0}),
    ItemSpec("5", "工作创新", 5, Method.BONUS, {"per": 2.5}),
    ItemSpec("6", "重大食品安全事故", 0, Method.VETO),
]
#: station index → inputs of items 1–6, and the total they make (computed by hand)
INPUTS = {
    0: ((90, 4.5, 1, 1, 1, 0), 27 + 15 + 20 + 25 + 2.5),  # 89.5 良好, rank 1
    1: ((120, 5.2, 0, 0, 3, 0), 30 + 20 + 0 + 30 + 5),  # 85 良好, rank 2
    2: ((100, 4.0, 1, 3, 4, 0), 30 + 15 + 20 + 15 + 5),  # 85 良好, rank 2 (tie)
    3: ((50, 2.9, 0, 10, 0, 0), 15 + 0 + 0 + 0 + 0),  # 15 不合格, rank 4
    4: ((100, 6.0, 1, 0, 0, 1), 100),  # 100 but vetoed: 不合格, last (rank 5)
}


def scored(demo: Any) -> Any:
    indicator = list_indicators(demo.db, demo.plan_id)[0].id
    specs = [ItemSpec(**{**ITEMS[0].__dict__, "indicator_id": indicator}), *ITEMS[1:]]
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "2024年度各所考核方案",
                           items=specs)
    items = list_items(demo.db, scheme.id)
    for index, (inputs, _) in INPUTS.items():
        station = demo.station(index).id
        for it, value in zip(items, inputs, strict=True):
            self_score(demo.db, demo.clerk(index), it.id, station, value)
            review_score(demo.db, demo.reviewer, it.id, station, value)
    return scheme


def test_a_demo_year_scored_ranked_and_graded_by_hand(demo: Any) -> None:
    scheme = scored(demo)
    assert scheme_problems(demo.db, scheme) == []
    units = [demo.station(i).id for i in INPUTS]
    ranked = results(demo.db, scheme, units)
    by_unit = {r.unit.id: r for r in ranked}
    for index, (_, total) in INPUTS.items():
        assert by_unit[demo.station(index).id].total == pytest.approx(total)
    assert [(r.unit.id, r.rank) for r in ranked] == [
        (demo.station(0).id, 1), (demo.station(1).id, 2), (demo.station(2).id, 2),
        (demo.station(3).id, 4), (demo.station(4).id, 5)]
    assert [r.grade for r in ranked] == [Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.FAIL,
                                         Grade.FAIL]
    vetoed = ranked[-1]
    assert vetoed.vetoed_by == ("重大食品安全事故",)
    assert vetoed.total == 100  # kept for information; the veto decides grade and rank
    assert by_unit[demo.station(0).id].bonus == 2.5
    assert publication_problems(demo.db, scheme, units) == []


def test_a_reviewed_score_that_differs_needs_a_reason_and_wins(demo: Any) -> None:
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "方案", items=ITEMS)
    passing = list_items(demo.db, scheme.id)[2]
    station = demo.station(0).id
    self_score(demo.db, demo.clerk(0), passing.id, station, 1, "按期办结率 96%")
    with pytest.raises(ValidationError, match="请写明理由"):
        review_score(demo.db, demo.reviewer, passing.id, station, 0)
    reviewed = review_score(demo.db, demo.reviewer, passing.id, station, 0,
                            "抽查发现 3 件未按期办结，实际 94%")
    assert (reviewed.self_score, reviewed.review_score, reviewed.final) == (20, 0, 0)
    events = demo.db.execute("SELECT action FROM audit_event WHERE action LIKE 'assessment.%' "
                             "ORDER BY id").fetchall()
    assert [e[0] for e in events] == ["assessment.scheme.create", "assessment.self",
                                      "assessment.review"]


def test_who_may_score(demo: Any) -> None:
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "方案", items=ITEMS)
    first = list_items(demo.db, scheme.id)[0]
    with pytest.raises(PermissionDenied):  # another station's self score
        self_score(demo.db, demo.clerk(1), first.id, demo.station(0).id, 90)
    with pytest.raises(PermissionDenied):  # a clerk does not review
        review_score(demo.db, demo.clerk(0), first.id, demo.station(0).id, 90, "理由")
    with pytest.raises(PermissionDenied):
        create_scheme(demo.db, demo.viewer, demo.plan_id, 2023, "方案")


def test_a_scheme_whose_points_do_not_add_up_is_reported(demo: Any) -> None:
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "方案", items=ITEMS[:3])
    assert scheme_problems(demo.db, scheme) == [
        "考核项目分值合计 70 分（加分项和一票否决项除外），与方案总分 100 分不符。"]
    add_item(demo.db, demo.admin, scheme, ITEMS[3])
    assert scheme_problems(demo.db, scheme) == []


def test_an_item_tied_to_a_deleted_indicator_is_reported_and_not_scored(demo: Any) -> None:
    indicator = list_indicators(demo.db, demo.plan_id)[-1]
    spec = ItemSpec("1", "制造业质量", 100, Method.PROPORTIONAL, indicator_id=indicator.id)
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "方案", items=[spec])
    delete_indicator(demo.db, indicator.id)
    assert scheme_problems(demo.db, scheme) == [
        "考核项目“1 制造业质量”对应的指标已被删除，请重新指定或删除该项目。"]
    broken = list_items(demo.db, scheme.id)[0]
    with pytest.raises(ValidationError, match="已被删除"):
        self_score(demo.db, demo.clerk(0), broken.id, demo.station(0).id, 80)


def test_bad_items_are_refused_in_chinese(demo: Any) -> None:
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "方案")
    with pytest.raises(ValidationError, match="一票否决项目“否决”不计分值"):
        add_item(demo.db, demo.admin, scheme, ItemSpec("9", "否决", 5, Method.VETO))
    with pytest.raises(ValidationError, match="超过该项分值"):
        add_item(demo.db, demo.admin, scheme,
                 ItemSpec("9", "分档", 10, Method.TIERS, {"tiers": [[1, 12]]}))
    with pytest.raises(ValidationError, match="没有设置分档"):
        add_item(demo.db, demo.admin, scheme, ItemSpec("9", "分档", 10, Method.TIERS))
    add_item(demo.db, demo.admin, scheme, ItemSpec("9", "达标", 10, Method.PASS_FAIL))
    with pytest.raises(ValidationError, match="编号“9”重复"):
        add_item(demo.db, demo.admin, scheme, ItemSpec("9", "达标二", 10, Method.PASS_FAIL))
    with pytest.raises(ValidationError, match="已有考核方案"):
        create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "又一个")
    with pytest.raises(ValidationError, match="不在规划期"):
        create_scheme(demo.db, demo.admin, demo.plan_id, 2030, "方案")


def test_a_scheme_is_copied_from_last_year_without_scores(demo: Any) -> None:
    scored(demo)
    copy = copy_scheme(demo.db, demo.admin, demo.plan_id, 2024, 2025)
    assert copy.title == "2025年度各所考核方案"
    assert [(i.code, i.points, i.method, i.params) for i in list_items(demo.db, copy.id)] == [
        (s.code, s.points, s.method, s.params) for s in ITEMS]
    ranked = results(demo.db, copy, [demo.station(0).id])
    assert ranked[0].total == 0
    assert len(ranked[0].missing) == 4
    problems = publication_problems(demo.db, copy, [demo.station(0).id])
    assert problems == [f"{demo.station(0).name}有 4 个考核项目没有得分：市场主体增长、"
                        "双随机抽查比例、投诉按期办结达标、安全事故。"]
    with pytest.raises(NotFoundError, match="2023 年还没有考核方案"):
        copy_scheme(demo.db, demo.admin, demo.plan_id, 2023, 2022)


def test_changing_an_items_method_rescores_what_was_entered(demo: Any) -> None:
    scheme = create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "方案", items=ITEMS)
    accidents = list_items(demo.db, scheme.id)[3]
    station = demo.station(0).id
    self_score(demo.db, demo.clerk(0), accidents.id, station, 2)  # 30 - 2 × 5 = 20
    update_item(demo.db, demo.admin, accidents.id, params={"per": 10, "floor": 5})
    assert scores(demo.db, scheme.id)[(accidents.id, station)].self_score == 10
    update_item(demo.db, demo.admin, accidents.id, params={"per": 20, "floor": 5})
    assert scores(demo.db, scheme.id)[(accidents.id, station)].self_score == 5  # the floor
    with pytest.raises(ValidationError, match="编号“1”重复"):
        update_item(demo.db, demo.admin, accidents.id, code="1")
    delete_item(demo.db, demo.admin, accidents.id)
    assert [i.code for i in list_items(demo.db, scheme.id)] == ["1", "2", "3", "5", "6"]
    assert scheme_problems(demo.db, scheme)[0].startswith("考核项目分值合计 70 分")
    changed = update_scheme(demo.db, demo.admin, scheme.id, total_points=70, excellent_from=63,
                            good_from=56, pass_from=42)
    assert scheme_problems(demo.db, changed) == []
    with pytest.raises(ValidationError, match="等次分数线"):
        update_scheme(demo.db, demo.admin, scheme.id, good_from=99)
    delete_scheme(demo.db, demo.admin, scheme.id)
    assert demo.db.execute("SELECT count(*) FROM assessment_score").fetchone()[0] == 0
