"""Editing indicators: re-parsed printed values, upsert without duplicates, exact restore."""

from __future__ import annotations

from sqlite_utils import Database

from desktop.models.indicators import (
    Attribute,
    IndicatorSpec,
    TimeSemantics,
    delete_indicator,
    editable_fields,
    get_indicator,
    list_indicators,
    propose_annual_targets,
    restore_indicator,
    set_indicator_units,
    snapshot_indicator,
    update_indicator,
    upsert_indicator,
)
from desktop.models.plans import list_plans
from desktop.models.printed import Comparator


def spec(**changes: object) -> IndicatorSpec:
    fields: dict[str, object] = {
        "code": "I10", "seq_printed": "10", "name_printed": "食品和农产品抽检量(批次/千人)",
        "name": "食品和农产品抽检量", "category": "市场安全", "attribute": Attribute.BINDING,
        "baseline_text": "4", "target_text": ">4"}
    fields.update(changes)
    return IndicatorSpec(**fields)  # type: ignore[arg-type]


def test_changing_the_target_text_parses_it_again(demo_db: Database) -> None:
    plan = list_plans(demo_db)[0]
    ind = list_indicators(demo_db, plan.id)[0]
    changed = update_indicator(demo_db, ind.id, target_text="≥9")
    assert changed.target.text == "≥9"
    assert changed.target.comparator is Comparator.GE
    assert changed.target.value == 9


def test_upsert_updates_the_matching_indicator_instead_of_adding_one(db: Database) -> None:
    from desktop.models.plans import create_plan

    plan = create_plan(db, "P", "测试规划", start_year=2021, end_year=2025)
    first, status = upsert_indicator(db, plan.id, spec())
    assert status == "created"
    again, status = upsert_indicator(db, plan.id, spec())
    assert (again.id, status) == (first.id, "unchanged")
    changed, status = upsert_indicator(db, plan.id, spec(target_text=">4.5"))
    assert (changed.id, status) == (first.id, "updated")
    assert changed.target.value == 4.5
    assert len(list_indicators(db, plan.id)) == 1


def test_a_deleted_indicator_is_restored_exactly(demo_db: Database) -> None:
    plan = list_plans(demo_db)[0]
    ind = list_indicators(demo_db, plan.id)[5]
    unit = demo_db.execute("SELECT id FROM org_unit WHERE code = 'CQ-TN-K08'").fetchone()[0]
    set_indicator_units(demo_db, ind.id, {unit: "lead"})
    snapshot = snapshot_indicator(demo_db, ind.id)
    delete_indicator(demo_db, ind.id)
    assert len(list_indicators(demo_db, plan.id)) == 15
    restored = restore_indicator(demo_db, snapshot)
    assert restored == ind
    assert snapshot_indicator(demo_db, ind.id) == snapshot


def test_editable_fields_round_trip_through_update(demo_db: Database) -> None:
    plan = list_plans(demo_db)[0]
    ind = list_indicators(demo_db, plan.id)[2]
    before = editable_fields(ind)
    update_indicator(demo_db, ind.id, name="改过的名称", attribute=Attribute.BINDING)
    update_indicator(demo_db, ind.id, **before)
    assert get_indicator(demo_db, ind.id) == ind


def test_proposed_cumulative_targets_add_up_to_the_final_target() -> None:
    path = propose_annual_targets("--", "10", 2021, 2025, TimeSemantics.CUMULATIVE)
    assert path == {2021: "2", 2022: "4", 2023: "6", 2024: "8", 2025: "10"}


def test_an_element_in_use_cannot_be_deleted(demo_db: Database) -> None:
    import pytest

    from desktop.models.errors import ValidationError
    from desktop.models.indicators import (
        add_element,
        delete_element,
        list_elements,
        update_element,
    )

    used = next(e for e in list_elements(demo_db) if e.code == "COMPLAINTS")
    with pytest.raises(ValidationError, match="消费投诉按期办结率"):
        delete_element(demo_db, used.id)
    fresh = add_element(demo_db, "NEW", "新数据项")
    renamed = update_element(demo_db, fresh.id, name="改名后的数据项", unit="件")
    assert (renamed.name, renamed.unit) == ("改名后的数据项", "件")
    with pytest.raises(ValidationError, match="已被其他数据项使用"):
        update_element(demo_db, fresh.id, code="COMPLAINTS")
    delete_element(demo_db, fresh.id)
    assert all(e.code != "NEW" for e in list_elements(demo_db))
