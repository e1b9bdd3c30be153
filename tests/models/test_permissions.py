"""Every role × action pair, through the real model functions: allowed, or refused and audited
with nothing stored changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from desktop.models import assessment, auth, evaluation, windows, workflow
from desktop.models.auth import Actor
from desktop.models.errors import PermissionDenied
from desktop.models.indicators import list_indicators
from desktop.models.permissions import Action, allowed, require
from desktop.models.users import Role
from desktop.models.values import SubmissionStatus
from desktop.models.workflow import EntryValue

OWN = 0  # the clerk "s01" reports for station 0; the actions below all concern station 0
NOW = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
ROLES = ("admin", "reviewer", "clerk_own", "clerk_other", "viewer")

#: The matrix of the issue: which role may take which action on a station's return.
ALLOWED = {
    "admin": set(Action),
    "reviewer": {Action.VIEW, Action.IMPORT, Action.RETURN, Action.APPROVE, Action.REOPEN,
                 Action.EDIT_PLAN, Action.JUDGE, Action.SCORE},
    "clerk_own": {Action.VIEW, Action.ENTER, Action.SUBMIT, Action.IMPORT},
    "clerk_other": set(),
    "viewer": {Action.VIEW},
}


def actor_for(demo: Any, role: str) -> Actor:
    return {"admin": demo.admin, "reviewer": demo.reviewer, "clerk_own": demo.clerk(OWN),
            "clerk_other": demo.clerk(1), "viewer": demo.viewer}[role]


def _element(demo: Any) -> int:
    return int(workflow.return_sheet(demo.db, demo.admin, demo.plan_id, demo.station(OWN).id,
                                     "2025").rows[0].element_id)


def prepare_draft_2025(demo: Any) -> None:
    """Station 0 has a filled draft for 2025 (its window opened on 2025-12-01)."""
    workflow.save_draft(demo.db, demo.admin, demo.plan_id, demo.station(OWN).id, "2025",
                        [EntryValue(_element(demo), 4321.0)])


def prepare_scheme_2024(demo: Any) -> None:
    """A 2024 assessment scheme with one item, for the district to review scores."""
    assessment.create_scheme(demo.db, demo.admin, demo.plan_id, 2024, "考核方案", items=[
        assessment.ItemSpec("1", "投诉按期办结达标", 100, assessment.Method.PASS_FAIL)])


def do(demo: Any, action: Action, actor: Actor) -> object:
    """Take ``action`` on station 0 through the model function a user would reach."""
    db, plan, unit = demo.db, demo.plan_id, demo.station(OWN).id
    if action is Action.VIEW:
        return workflow.return_sheet(db, actor, plan, unit, "2024")
    if action is Action.ENTER:
        return workflow.save_draft(db, actor, plan, unit, "2025",
                                   [EntryValue(_element(demo), 1234.0)])
    if action is Action.SUBMIT:
        return workflow.submit(db, actor, plan, unit, "2025", now=NOW)
    if action is Action.IMPORT:
        return workflow.receive_submission(db, actor, plan, unit, "2025",
                                           submitted_at="2026-01-09T03:00:00+00:00",
                                           source="file:2025_S01.xlsx sha256:ab")
    if action is Action.RETURN:
        return workflow.return_submission(db, actor, demo.submission_id(OWN, "2024"),
                                          "请核对市场主体数")
    if action is Action.APPROVE:
        return workflow.approve(db, actor, demo.submission_id(OWN, "2024"))
    if action is Action.REOPEN:
        return workflow.reopen(db, actor, demo.submission_id(OWN, "2023"), "更正 2023 年数据")
    if action is Action.EDIT_PLAN:
        return windows.set_window(db, actor, plan, "2025", date(2025, 12, 1), date(2026, 1, 20))
    if action is Action.MANAGE_USERS:
        return auth.create_user(db, actor, "newclerk", "long-password", Role.CLERK,
                                org_unit_id=unit)
    if action is Action.JUDGE:
        indicator = list_indicators(db, plan)[0].id
        evaluation.judge(db, actor, indicator, unit, 2024, evaluation.ProgressClass.AHEAD,
                         "全市排名第二")
        return evaluation.evaluate(db, plan, 2024, unit_id=unit)
    if action is Action.SCORE:
        scheme = assessment.get_scheme(db, plan, 2024)
        item = assessment.list_items(db, scheme.id)[0].id
        return assessment.review_score(db, actor, item, unit, 1, "抽查核实")
    raise AssertionError(action)


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_and_action(demo: Any, stored: Callable[..., Any], role: str,
                               action: Action) -> None:
    prepare_draft_2025(demo)
    prepare_scheme_2024(demo)
    actor = actor_for(demo, role)
    before = stored(demo.db)
    denials = len(demo.denials())
    if action in ALLOWED[role]:
        result = do(demo, action, actor)
        assert result is not None
        if action is not Action.VIEW:
            assert stored(demo.db) != before
        assert len(demo.denials()) == denials
        return
    with pytest.raises(PermissionDenied) as refused:
        do(demo, action, actor)
    assert actor.display_name in refused.value.user_message
    assert action.label in refused.value.user_message
    assert stored(demo.db) == before
    denied = demo.denials()
    assert len(denied) == denials + 1
    assert denied[-1]["username"] == actor.username
    assert json.loads(str(denied[-1]["new_value"]))["action"] == action.value


def test_the_allowed_matrix_matches_the_model_checks(demo: Any) -> None:
    station = demo.station(OWN)
    for role in ROLES:
        actor = actor_for(demo, role)
        got = {a for a in Action if allowed(actor, a, station.id, unit_type=station.unit_type)}
        assert got == ALLOWED[role], role


def test_a_reviewer_enters_and_submits_the_bureaus_own_figures(demo: Any) -> None:
    bureau = demo.bureau
    sheet = workflow.return_sheet(demo.db, demo.reviewer, demo.plan_id, bureau.id, "2025")
    assert sheet.editable
    element = sheet.rows[0].element_id
    changed = workflow.save_draft(demo.db, demo.reviewer, demo.plan_id, bureau.id, "2025",
                                  [EntryValue(element, 99.5)])
    assert changed == 1
    sub = workflow.submit(demo.db, demo.reviewer, demo.plan_id, bureau.id, "2025", now=NOW)
    assert sub.status is SubmissionStatus.SUBMITTED


def test_a_clerk_is_told_which_unit_is_his(demo: Any) -> None:
    with pytest.raises(PermissionDenied, match="只能填报本单位（潼南区市场监督管理局龙形所）"):
        do(demo, Action.ENTER, demo.clerk(1))


def test_a_refusal_is_audited_even_when_the_callers_transaction_rolls_back(demo: Any) -> None:
    def edit_the_plan_then_enter() -> None:
        with demo.db.atomic():
            demo.db.execute("UPDATE plan SET note = 'x'")
            require(demo.db, demo.viewer, Action.ENTER, demo.station(OWN).id)

    with pytest.raises(PermissionDenied):
        edit_the_plan_then_enter()
    assert demo.db.execute("SELECT note FROM plan").fetchone()[0] != "x"
    from desktop.models.audit import list_events, verify_chain

    events = [e for e in list_events(demo.db, 5) if e.action == "denied"]
    assert events
    assert events[0].username == "chakan"
    assert verify_chain(demo.db) == []


def test_the_command_line_acts_as_administrator() -> None:
    actor = Actor.command_line()
    assert actor.user_id is None
    assert actor.username == "命令行"
    assert all(allowed(actor, a) for a in Action)
    assert actor.label == "命令行（管理员）"
