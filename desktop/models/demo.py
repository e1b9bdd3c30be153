"""Build the demo database from the real 潼南区 plan, with generated figures labelled as demo."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop.models.audit import record_event
from desktop.models.errors import ValidationError
from desktop.models.indicators import (
    Aggregation,
    Attribute,
    Direction,
    EntryLevel,
    IndicatorSpec,
    Origin,
    TimeAggregation,
    TimeSemantics,
    ValueType,
    add_element,
    add_indicator,
    propose_annual_targets,
)
from desktop.models.orgunits import UnitType, add_unit, link_station_township
from desktop.models.outline import parse_header, parse_outline_text
from desktop.models.plans import ItemType, create_plan, store_outline
from desktop.models.progress import Job, Progress
from desktop.models.values import (
    DataValue,
    SubmissionStatus,
    ValueSource,
    ensure_submission,
    write_values,
)

DEMO_SEED = 20211231
DEMO_VALUE_YEARS = (2021, 2022, 2023, 2024)
#: The password of every demo user. Demo only: never use it for real data.
DEMO_PASSWORD = "plandesk-demo"


@dataclass(frozen=True)
class DemoSummary:
    plan_id: int
    plan_items: int
    indicators: int
    stations: int
    values: int


def demo_resources() -> tuple[Path, Path]:
    from desktop.paths import resource_path

    return resource_path("demo", "tongnan.json"), resource_path("demo", "tongnan-plan.txt")


def build_demo(db: Database) -> Job[DemoSummary]:
    """Fill an empty database with the demo plan; yields progress.

    Raises:
        ValidationError: the database already holds a plan.
    """
    if db.execute("SELECT count(*) FROM plan").fetchone()[0]:
        raise ValidationError(
            "数据库中已有规划，演示数据只能写入空数据库。请另选一个新文件（--db 新文件名）。",
            "demo into non-empty database")
    spec_path, text_path = demo_resources()
    spec: dict[str, Any] = json.loads(spec_path.read_text(encoding="utf-8"))
    text = text_path.read_text(encoding="utf-8")
    total = 5
    with db.atomic():
        yield Progress(0, total, "建立单位")
        units = _build_units(db, spec)
        yield Progress(1, total, "导入规划大纲")
        header = parse_header(text)
        p = spec["plan"]
        plan = create_plan(
            db, p["code"], header.title, start_year=p["start_year"], end_year=p["end_year"],
            baseline_year=p["baseline_year"], short_title=p["short_title"],
            issuer=header.issuer, doc_number=header.doc_number, issued_on=header.issued_on,
            published_on=header.published_on, level=p["level"], kind=p["kind"],
            owner_unit_id=units["bureau"], source_name=p["source_name"], is_demo=1,
            note=f"{p['note']}。{spec['about']}",
        )
        roots = parse_outline_text(text)
        items = store_outline(db, plan.id, roots)
        box_line = next(
            (n.source_line for r in roots for n in r.walk()
             if n.item_type is ItemType.BOX and n.marker == spec["indicator_box"]), None)
        yield Progress(2, total, "建立指标")
        elements = _build_elements(db, spec)
        for order, row in enumerate(spec["indicators"], start=1):
            add_indicator(db, plan.id, order, _indicator_spec(row, elements, box_line, plan))
        _assign_demo_tasks(db, plan.id, units)
        yield Progress(3, total, "生成演示数值")
        values = _generate_values(db, spec, units, elements)
        _build_windows(db, plan.id, plan.start_year, plan.end_year)
        _build_submissions(db, plan.id, units, elements)
        _build_users(db, units)
        record_event(db, "demo.build", "plan", plan.id,
                     new={"title": plan.title, "items": items, "values": values})
        yield Progress(4, total, "完成")
    return DemoSummary(plan.id, items, len(spec["indicators"]), len(units["stations"]), values)


def _build_units(db: Database, spec: dict[str, Any]) -> dict[str, Any]:
    city = add_unit(db, "CQ", spec["city"], UnitType.CITY, short_name="重庆市局")
    bureau = add_unit(db, "CQ-TN", spec["bureau"], UnitType.DISTRICT_BUREAU, parent_id=city.id,
                      short_name="潼南区局", sort_order=1)
    county = add_unit(db, "CQ-TN-GOV", spec["county"], UnitType.COUNTY, parent_id=city.id,
                      short_name=spec["county"], sort_order=2)
    for order, name in enumerate(spec["divisions"], start=1):
        add_unit(db, f"CQ-TN-K{order:02d}", name, UnitType.DIVISION, parent_id=bureau.id,
                 sort_order=order)
    stations: list[int] = []
    township_order = 0
    for order, (station_name, towns) in enumerate(spec["stations"].items(), start=1):
        station = add_unit(
            db, f"CQ-TN-S{order:02d}", f"潼南区市场监督管理局{station_name}", UnitType.STATION,
            parent_id=bureau.id, short_name=station_name, sort_order=100 + order,
            note="服务镇街划分为演示假设")
        stations.append(station.id)
        for town in towns:
            township_order += 1
            township = add_unit(db, f"CQ-TN-T{township_order:02d}", town, UnitType.TOWNSHIP,
                                parent_id=county.id, sort_order=township_order)
            link_station_township(db, station.id, township.id)
    for order, name in enumerate(spec["outside_departments"], start=1):
        add_unit(db, f"CQ-TN-D{order:02d}", name, UnitType.OUTSIDE_DEPARTMENT,
                 parent_id=county.id, sort_order=200 + order)
    return {"city": city.id, "bureau": bureau.id, "county": county.id, "stations": stations}


#: Lead division of the tasks of each 节 of the task chapter (a demo assumption).
_SECTION_LEADS = ("综合规划科", "信用监督管理科", "登记注册科", "知识产权科", "食品安全监督管理科",
                  "综合规划科", "办公室")


def _assign_demo_tasks(db: Database, plan_id: int, units: dict[str, Any]) -> None:
    """Give every task of the task chapter a lead division and two cooperating stations."""
    from desktop.models.assignments import set_assignments
    from desktop.models.orgunits import list_units
    from desktop.models.plans import list_plan_items

    rng = random.Random(DEMO_SEED + 1)
    divisions = {u.name: u.id for u in list_units(db, UnitType.DIVISION)}
    items = list_plan_items(db, plan_id)
    by_id = {i.id: i for i in items}
    sections = [i for i in items if i.item_type is ItemType.SECTION
                and by_id.get(i.parent_id or -1) is not None
                and by_id[i.parent_id or -1].title == "主要任务"]
    for order, section in enumerate(sections):
        lead = divisions[_SECTION_LEADS[order % len(_SECTION_LEADS)]]
        for item in items:
            if item.item_type is not ItemType.TASK or not _under(item, section.id, by_id):
                continue
            cooperating = rng.sample(units["stations"], 2)
            set_assignments(db, item.id, lead=[lead], cooperating=cooperating,
                            deadline="2025-12-31", note="演示分工",
                            milestones={2023: "完成中期目标", 2025: "全面完成"})


def _under(item: Any, ancestor_id: int, by_id: dict[int, Any]) -> bool:
    parent = item.parent_id
    while parent is not None:
        if parent == ancestor_id:
            return True
        parent = by_id[parent].parent_id
    return False


def _build_elements(db: Database, spec: dict[str, Any]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for row in spec["elements"]:
        element = add_element(
            db, row["code"], row["name"], value_type=ValueType(row["value_type"]),
            aggregation=Aggregation(row["aggregation"]),
            entry_level=EntryLevel(row["entry_level"]), unit=row["unit"],
            description=row["description"],
            time_aggregation=TimeAggregation(row["time_aggregation"]))
        ids[row["code"]] = element.id
    return ids


def _indicator_spec(row: dict[str, Any], elements: dict[str, int], box_line: int | None,
                    plan: Any) -> IndicatorSpec:
    return IndicatorSpec(
        code=f"I{int(row['seq']):02d}", seq_printed=row["seq"], name_printed=row["name_printed"],
        name=row["name"], category=row["category"],
        attribute=Attribute.from_label(row["attribute"]), baseline_text=row["baseline"],
        target_text=row["target"], direction=Direction(row["direction"]),
        time_semantics=TimeSemantics(row["time_semantics"]), unit_printed=row["unit_printed"],
        unit_canonical=row["unit_canonical"], unit_scale=row["unit_scale"],
        numerator_id=elements[row["numerator"]],
        denominator_id=elements[row["denominator"]] if row["denominator"] else None,
        factor=row["factor"], source_line=box_line,
        source_text=f"专栏1 第{row['seq']}行：{row['name_printed']} {row['baseline']} "
                    f"{row['target']} {row['attribute']}",
        note=row["note"], origin=Origin.TABLE,
        annual_targets=demo_annual_targets(row["baseline"], row["target"], plan.start_year,
                                           plan.end_year),
    )


def demo_annual_targets(baseline: str, target: str, start: int, end: int) -> dict[int, str]:
    """Demo annual targets: the proposal for a level, from the baseline to the final target."""
    return propose_annual_targets(baseline, target, start, end)


def _generate_values(db: Database, spec: dict[str, Any], units: dict[str, Any],
                     elements: dict[str, int]) -> int:
    rng = random.Random(DEMO_SEED)
    stations: list[int] = units["stations"]
    raw = [rng.uniform(0.6, 1.4) for _ in stations]
    raw[2] *= 1.8  # 梓潼所 and 桂林所 serve the town centre
    raw[3] *= 1.6
    weights = [w / sum(raw) for w in raw]
    population0 = spec["population_2020"]
    rows: list[DataValue] = []

    def put(code: str, unit_id: int, year: int, value: float) -> None:
        rows.append(DataValue(str(year), elements[code], unit_id, value, source=ValueSource.DEMO,
                              comment="演示数据"))

    for year in DEMO_VALUE_YEARS:
        k = year - 2020
        growth = (88575 / 53575) ** (k / 5)
        company_share = 0.2826 + (0.33 - 0.2826) * k / 5
        for unit_id, weight in zip(stations, weights, strict=True):
            entities = round(53575 * growth * weight * rng.uniform(0.97, 1.03))
            put("ENT_TOTAL", unit_id, year, entities)
            put("ENT_COMPANY", unit_id, year, round(entities * company_share
                                                    * rng.uniform(0.93, 1.07)))
            pool = round(entities * 0.85)
            put("RANDOM_POOL", unit_id, year, pool)
            put("RANDOM_CHECKED", unit_id, year,
                round(pool * (0.03 + 0.004 * k + rng.uniform(-0.004, 0.004))))
            put("FOOD_SAMPLES", unit_id, year,
                round((4.0 + 0.08 * k + rng.uniform(-0.3, 0.3)) * population0 / 1000 * weight))
            complaints = round(60 + weight * 1800 * rng.uniform(0.85, 1.15))
            put("COMPLAINTS", unit_id, year, complaints)
            put("COMPLAINTS_ONTIME", unit_id, year, round(complaints * rng.uniform(0.9, 0.985)))
        bureau = units["bureau"]
        put("POP", bureau, year, population0 + 1500 * k)
        put("PATENT_INV", bureau, year, round(358 * (551 / 358) ** (k / 5)))
        put("TM_VALID", bureau, year, round(6300 * (11000 / 6300) ** (k / 5)))
        put("TM_WELLKNOWN", bureau, year, 1 if year < 2023 else 2)
        put("IP_SATISFACTION", bureau, year, round(80.9 + 0.25 * k + rng.uniform(-0.2, 0.2), 2))
        put("FOOD_PASS_RATE", bureau, year, round(rng.uniform(98.3, 98.9), 2))
        put("FOOD_SATISFACTION", bureau, year, round(80.94 + 0.2 * k + rng.uniform(-0.2, 0.2), 2))
        put("DRUG_PASS_RATE", bureau, year, round(rng.uniform(97.5, 98.6), 2))
        put("SE_DEATHS", bureau, year, 1 if year == 2022 else 0)
        put("SE_UNITS", bureau, year, 5200 + 250 * k)
        put("CONSUMER_SATISFACTION", bureau, year, round(rng.uniform(79.8, 81.0), 2))
        put("MFG_PASS_RATE", bureau, year, round(rng.uniform(93.2, 94.5), 2))
    return write_values(db, rows)


def _build_windows(db: Database, plan_id: int, start_year: int, end_year: int) -> None:
    """Each annual return may be submitted from 1 December to 15 January of the next year."""
    db.conn.executemany(
        "INSERT INTO reporting_window (plan_id, period, opens_on, deadline) VALUES (?, ?, ?, ?)",
        [(plan_id, str(year), f"{year}-12-01", f"{year + 1}-01-15")
         for year in range(start_year, end_year + 1)])


def _build_submissions(db: Database, plan_id: int, units: dict[str, Any],
                       elements: dict[str, int]) -> None:
    """The stations' returns, each with the versions the workflow would have recorded.

    Earlier years are approved; in the last year a third are submitted (one of them late), a
    third are drafts and a third were returned with a reason and a comment.
    """
    from desktop.models.workflow import snapshot_submission

    def stamp(day: str, hour: int) -> str:
        return f"{day}T{hour:02d}:00:00+00:00"

    for year in DEMO_VALUE_YEARS:
        for index, station_id in enumerate(units["stations"]):
            status = SubmissionStatus.APPROVED
            if year == DEMO_VALUE_YEARS[-1]:
                status = (SubmissionStatus.SUBMITTED, SubmissionStatus.DRAFT,
                          SubmissionStatus.RETURNED)[index % 3]
            sub = ensure_submission(db, plan_id, station_id, str(year))
            if status is SubmissionStatus.DRAFT:
                continue
            late = index == 6 and status is SubmissionStatus.SUBMITTED
            submitted = stamp(f"{year + 1}-01-{18 if late else 8 + index:02d}", 2)
            db.execute("UPDATE submission SET status = ?, submitted_at = ?, submitted_source = ? "
                       "WHERE id = ?",
                       [SubmissionStatus.SUBMITTED.value, submitted, "demo", sub.id])
            snapshot_submission(db, sub.id, SubmissionStatus.SUBMITTED, at=submitted,
                                source="demo")
            if status is SubmissionStatus.SUBMITTED:
                continue
            reviewed = stamp(f"{year + 1}-01-{20 + index % 5:02d}", 6)
            reason = "" if status is SubmissionStatus.APPROVED else (
                "演示：投诉举报按时办结件数大于受理件数的比例偏高，请核对后重新报送。")
            db.execute("UPDATE submission SET status = ?, reason = ?, reviewed_at = ? "
                       "WHERE id = ?", [status.value, reason, reviewed, sub.id])
            version = snapshot_submission(db, sub.id, status, at=reviewed, reason=reason,
                                          source="demo")
            if status is SubmissionStatus.RETURNED:
                db.execute("INSERT INTO review_comment (submission_id, version, element_id, text)"
                           " VALUES (?, ?, ?, ?)",
                           [sub.id, version, elements["COMPLAINTS_ONTIME"],
                            "演示：请核对按时办结件数，并在说明中写明统计口径。"])


def _build_users(db: Database, units: dict[str, Any]) -> None:
    """Demo users, all with :data:`DEMO_PASSWORD`: admin, shenhe, one clerk per station, chakan."""
    from desktop.models.orgunits import get_unit
    from desktop.models.users import Role, create_user

    people: list[tuple[str, str, Role, int | None]] = [
        ("admin", "演示管理员", Role.ADMIN, None),
        ("shenhe", "区局审核员（演示）", Role.REVIEWER, None),
    ]
    for station_id in units["stations"]:
        station = get_unit(db, station_id)
        people.append((station.code.rsplit("-", 1)[-1].lower(),
                       f"{station.short_name}填报员（演示）", Role.CLERK, station_id))
    people.append(("chakan", "查看者（演示）", Role.VIEWER, None))
    for username, display_name, role, unit_id in people:
        user = create_user(db, username, DEMO_PASSWORD, role, display_name=display_name,
                           org_unit_id=unit_id)
        record_event(db, "user.create", "app_user", user.id,
                     new={"username": username, "role": role.value, "org_unit_id": unit_id,
                          "demo": True}, source="demo")
