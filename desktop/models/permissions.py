"""What each role may do, checked in the models (the views only mirror it).

Functions of the reporting cycle take the acting user as an argument. Functions that change
plan content (indicators, data elements, units, the outline, assignments) and the jobs and
commands built on them do not: they are called from too many places (the CLI, the demo
builder, workbook and document imports, undoable edits) to thread an actor through every
signature. Instead each connection remembers who acts on it: :func:`act_as` sets it,
:func:`acting` reads it (the command line's administrator when nobody was set, as for the CLI,
the demo builder and tests), and :func:`require_acting` refuses, and audits, an action that
user may not take. The app sets the logged-in user on its own connection at login and on
every connection a job opens, so a clerk or a viewer is refused in the models even through a
path the views forgot to disable.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

from sqlite_utils import Database

from desktop.models.audit import record_event, record_lasting_event
from desktop.models.auth import Actor
from desktop.models.errors import PermissionDenied, PlanDeskError
from desktop.models.orgunits import OrgUnit, UnitType, get_unit
from desktop.models.users import Role


class Action(StrEnum):
    VIEW = "view"  # read a unit's figures
    ENTER = "enter"  # edit values / task progress / evidence of a unit (draft or returned)
    SUBMIT = "submit"  # submit a unit's return
    IMPORT = "import"  # import returns / submission workbooks from units
    RETURN = "return"  # return a submission with a reason
    APPROVE = "approve"  # approve (lock) a submission
    REOPEN = "reopen"  # reopen an approved submission with a reason
    EDIT_PLAN = "edit_plan"  # plan, indicators, units, assignments, windows
    MANAGE_USERS = "manage_users"
    JUDGE = "judge"  # judge indicators the numbers cannot (qualitative, rankings)
    SCORE = "score"  # the district's reviewed scores (复评) of an assessment

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Action.VIEW: "查看", Action.ENTER: "填报", Action.SUBMIT: "报送", Action.IMPORT: "导入",
    Action.RETURN: "退回", Action.APPROVE: "审核通过", Action.REOPEN: "重新打开",
    Action.EDIT_PLAN: "修改规划", Action.MANAGE_USERS: "管理用户", Action.JUDGE: "评判指标",
    Action.SCORE: "复评打分",
}
_REVIEWER_ANY_UNIT = frozenset({Action.VIEW, Action.IMPORT, Action.RETURN, Action.APPROVE,
                                Action.REOPEN, Action.EDIT_PLAN, Action.JUDGE,
                                Action.SCORE})
_REVIEWER_OWN_FIGURES = frozenset({Action.ENTER, Action.SUBMIT})
_CLERK_OWN_UNIT = frozenset({Action.VIEW, Action.ENTER, Action.SUBMIT, Action.IMPORT})


def allowed(actor: Actor, action: Action, unit_id: int | None = None, *,
            unit_type: UnitType | None = None) -> bool:
    """Whether the actor's role allows the action on a unit (``None``: not unit-specific).

    A reviewer enters and submits only the figures of units that are not stations; pass
    ``unit_type`` for that case (without it the answer is "no", the safe side for a view).
    :func:`require` looks the unit up itself.
    """
    role = actor.role
    if role is Role.ADMIN:
        return True
    if role is Role.REVIEWER:
        if action in _REVIEWER_ANY_UNIT:
            return True
        if action in _REVIEWER_OWN_FIGURES:
            return unit_id is not None and unit_type is not None \
                and unit_type is not UnitType.STATION
        return False
    if role is Role.CLERK:
        if action is Action.VIEW and unit_id is None:
            return True  # the plan itself, not a unit's figures
        return action in _CLERK_OWN_UNIT and unit_id is not None \
            and unit_id == actor.org_unit_id
    return action is Action.VIEW


def _unit(db: Database, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    try:
        return get_unit(db, unit_id)
    except PlanDeskError:
        return None


def require(db: Database, actor: Actor, action: Action, unit_id: int | None = None, *,
            what: str = "") -> None:
    """Refuse an action the actor's role does not allow; the refusal is audited.

    The audit event (``denied``, entity ``permission``) is written so that it survives the
    rollback of the caller's transaction.

    Raises:
        PermissionDenied: naming the user, the action and the unit.
    """
    unit = _unit(db, unit_id)
    if allowed(actor, action, unit_id, unit_type=unit.unit_type if unit else None):
        return
    unit_text = f"{unit.name}的" if unit else ("该单位的" if unit_id is not None else "")
    subject = what or f"{unit_text}数据"
    if actor.role is Role.CLERK and unit_id is not None and action in _CLERK_OWN_UNIT:
        own = _unit(db, actor.org_unit_id)
        hint = f"所填报员只能{action.label}本单位（{own.name if own else '所属单位'}）的数据。"
    elif actor.role is Role.REVIEWER and action in _REVIEWER_OWN_FIGURES:
        hint = "区局审核员只能填报和报送区局本级的数据，市场监管所的数据由所填报员填报。"
    else:
        hint = "如确需此权限，请联系管理员调整您的角色。"
    message = f"用户“{actor.label}”没有{action.label}权限，不能{action.label}{subject}。{hint}"
    deny(db, actor, action, unit_id, message, what=what, detail="role")


@dataclass(frozen=True)
class _Acting:
    actor: Actor
    source: str | None


#: Who acts on each open connection (see the module docstring).
_ACTING: weakref.WeakKeyDictionary[Database, _Acting] = weakref.WeakKeyDictionary()


def act_as(db: Database, actor: Actor | None, *, source: str | None = None) -> None:
    """Make ``actor`` the user acting on this connection (``None``: the command line again).

    Args:
        source: What the audit trail records as the source of the changes made through the
            connection (``file:<name>`` for an import); by default ``keyboard`` for a
            logged-in user and ``cli`` for the command line.
    """
    if actor is None:
        _ACTING.pop(db, None)
    else:
        _ACTING[db] = _Acting(actor, source)


def acting(db: Database) -> Actor:
    """The user acting on this connection; the command line's administrator by default."""
    found = _ACTING.get(db)
    return found.actor if found is not None else Actor.command_line()


def require_acting(db: Database, action: Action, unit_id: int | None = None, *,
                   what: str = "") -> None:
    """:func:`require` for the user acting on the connection (see :func:`act_as`).

    Raises:
        PermissionDenied: the acting user's role does not allow the action; audited.
    """
    require(db, acting(db), action, unit_id, what=what)


def record_acting_event(db: Database, action: str, entity: str, entity_id: object = "", *,
                        old: object = None, new: object = None) -> None:
    """Append an audit event made by the user acting on the connection, with its source."""
    found = _ACTING.get(db)
    actor = found.actor if found is not None else Actor.command_line()
    source = found.source if found is not None else None
    if source is None:
        source = "cli" if actor.user_id is None else "keyboard"
    record_event(db, action, entity, entity_id, old=old, new=new, user_id=actor.user_id,
                 username=actor.username, source=source)


def deny(db: Database, actor: Actor, action: Action, unit_id: int | None, message: str, *,
         what: str = "", detail: str = "", error: type[PlanDeskError] = PermissionDenied
         ) -> NoReturn:
    """Refuse an action for a reason of state (a locked period, a missing reason…), audited.

    Records the same ``denied`` event as :func:`require`, with the message, so that the
    refusal survives the caller's rollback, then raises ``error`` with ``message``.
    """
    unit = _unit(db, unit_id)
    record_lasting_event(
        db, "denied", "permission", action.value,
        new={"action": action.value, "unit": unit.code if unit else unit_id, "what": what,
             "message": message},
        user_id=actor.user_id, username=actor.username)
    raise error(message, f"{action.value} denied to {actor.username} ({detail})")
