"""Mirror the models' permissions in the UI: a control the user may not use says why."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from desktop.models.auth import Actor
from desktop.models.orgunits import OrgUnit
from desktop.models.permissions import Action, allowed


def denied_reason(actor: Actor, action: Action, unit: OrgUnit | None = None) -> str:
    """Why the actor may not take the action ("" when he may), in Chinese."""
    if allowed(actor, action, unit.id if unit else None,
               unit_type=unit.unit_type if unit else None):
        return ""
    cannot = f"，不能{action.label}{unit.name}的数据" if unit else ""
    return (f"您以“{actor.label}”登录，没有“{action.label}”的权限{cannot}。"
            "如需此权限，请联系管理员。")


def guard(control: QWidget | QAction, reason: str, *, tooltip: str = "",
          other: str = "") -> None:
    """Enable ``control`` unless ``reason`` (a permission) or ``other`` (a state) forbids it.

    The tooltip says why it is disabled, or shows ``tooltip`` when it is enabled.
    """
    why = reason or other
    # Only what changed: pages call this on every refresh (and each Qt setter call is not free).
    if control.isEnabled() == bool(why):
        control.setEnabled(not why)
    if control.toolTip() != (why or tooltip):
        control.setToolTip(why or tooltip)
    if isinstance(control, QAction) and control.statusTip() != (why or tooltip):
        control.setStatusTip(why or tooltip)
