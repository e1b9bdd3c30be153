"""Undoable edits of plan content, built from model functions (no SQL here)."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from desktop.models.indicators import (
    IndicatorSpec,
    add_indicator,
    annual_notes,
    delete_indicator,
    editable_fields,
    get_indicator,
    indicator_units,
    new_indicator_code,
    next_indicator_order,
    restore_indicator,
    set_annual_targets,
    set_indicator_units,
    snapshot_indicator,
    update_indicator,
)
from desktop.views.context import AppContext
from desktop.views.dialogs.indicator_dialog import IndicatorForm
from desktop.views.undo import DatabaseCommand

__all__ = ["DatabaseCommand", "create_indicator", "edit_indicator", "mark_duplicate",
           "remove_indicator"]

_SPEC_FIELDS = {f.name for f in dataclass_fields(IndicatorSpec)}


def create_indicator(context: AppContext, plan_id: int, form: IndicatorForm,
                     source_item_id: int | None = None) -> DatabaseCommand:
    """Add an indicator; undo removes it, redo puts the same one (same id) back."""
    state: dict[str, Any] = {}

    def do(db: Any) -> None:
        if "snapshot" in state:
            restore_indicator(db, state["snapshot"])
            return
        values = {k: v for k, v in form.fields.items() if k in _SPEC_FIELDS}
        values.setdefault("name_printed", values.get("name", ""))
        spec = IndicatorSpec(code=new_indicator_code(db, plan_id), source_item_id=source_item_id,
                             annual_targets=form.annual_targets, **values)
        indicator = add_indicator(db, plan_id, next_indicator_order(db, plan_id), spec)
        set_annual_targets(db, indicator.id, form.annual_targets, form.annual_notes)
        set_indicator_units(db, indicator.id, form.units)
        state["id"] = indicator.id

    def undo(db: Any) -> None:
        state["snapshot"] = snapshot_indicator(db, state["id"])
        delete_indicator(db, state["id"])

    return DatabaseCommand(f"新建指标“{form.fields.get('name', '')}”", lambda: context.db, do,
                           undo, context.data_changed.emit)


def edit_indicator(context: AppContext, indicator_id: int, form: IndicatorForm) -> DatabaseCommand:
    """Change an indicator, its annual targets and responsible units; undo restores them."""
    before = get_indicator(context.db, indicator_id)
    old_fields = editable_fields(before)
    old_targets = {a.year: a.target.text for a in before.annual_targets}
    old_notes = annual_notes(before)
    old_units = indicator_units(context.db, indicator_id)

    def apply(db: Any, values: dict[str, Any], targets: dict[int, str], notes: dict[int, str],
              units: dict[int, str]) -> None:
        update_indicator(db, indicator_id, **values)
        set_annual_targets(db, indicator_id, targets, notes)
        set_indicator_units(db, indicator_id, units)

    return DatabaseCommand(
        f"编辑指标“{before.name}”", lambda: context.db,
        lambda db: apply(db, form.fields, form.annual_targets, form.annual_notes, form.units),
        lambda db: apply(db, old_fields, old_targets, old_notes, old_units),
        context.data_changed.emit)


def remove_indicator(context: AppContext, indicator_id: int) -> DatabaseCommand:
    snapshot = snapshot_indicator(context.db, indicator_id)
    name = snapshot["indicator"]["name"]
    return DatabaseCommand(f"删除指标“{name}”", lambda: context.db,
                           lambda db: delete_indicator(db, indicator_id),
                           lambda db: restore_indicator(db, snapshot), context.data_changed.emit)


def mark_duplicate(context: AppContext, indicator_id: int,
                   duplicate_of: int | None) -> DatabaseCommand:
    """Link an indicator to the one it repeats (the same target printed twice), or unlink it."""
    before = get_indicator(context.db, indicator_id).duplicate_of
    text = "标记为重复指标" if duplicate_of else "取消重复标记"
    return DatabaseCommand(
        text, lambda: context.db,
        lambda db: update_indicator(db, indicator_id, duplicate_of=duplicate_of),
        lambda db: update_indicator(db, indicator_id, duplicate_of=before),
        context.data_changed.emit)
