"""Aggregation benchmark: 600 stations × 200 data elements × 12 months (1.44 million values).

Builds, once, a district with 600 stations, 200 elements (100 flows added up over the months
and over the stations, 50 stocks taken at the year's end and added up over the stations, 50
scores averaged over both) and a plan of 100 indicators over them (ratios among them), with a
value for every station, element and month of one year; the database is cached in the temp
folder under a key of :data:`DATA_VERSION` and the schema's migrations, so later runs start at
once. Then times, in the same run and alternating, (a) PlanDesk's roll-up of the year from the
months (``district_values(db, "YYYY", bureau)``, which derives each station's year from its
months by the element's time aggregation, then adds up or averages over the stations) and (b) a
bare hand-written SQL ``GROUP BY`` computing the same figures naively (no completeness, no
period arithmetic). Asserts that the two agree, prints medians, the ratio (goal ≤ 1.5×) and the
peak RSS of each side in a process of its own; then the dashboard's redraw: the station
comparison of one indicator over the 600 stations and its trend, drawn on an Agg canvas.
Run with ``make bench``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere (make bench, CI)
    sys.path.insert(0, str(ROOT))

#: Bump when what :func:`build` writes changes: the cached database is then built again.
DATA_VERSION = 1
STATIONS = 600
SUM_ELEMENTS = 100  # flows: 'sum' over the months and over the stations
LAST_ELEMENTS = 50  # stocks: the year-end value, 'sum' over the stations
AVERAGE_ELEMENTS = 50  # scores: 'average' over the months and over the stations
ELEMENTS = SUM_ELEMENTS + LAST_ELEMENTS + AVERAGE_ELEMENTS
MONTHS = 12
YEAR = 2024
BUREAU = "BJ"
PLAN = "BENCH-AGG"
PY = sys.executable


def cache_file() -> Path:
    """Where the built database is kept; the name changes with the data and the schema."""
    from desktop.models.migrations import migration_names

    key = json.dumps([DATA_VERSION, STATIONS, ELEMENTS, MONTHS, YEAR, migration_names()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    folder = Path(os.environ.get("PLANDESK_BENCH_CACHE")
                  or Path(tempfile.gettempdir()) / "plandesk-bench")
    return folder / f"aggregate-{digest}.db"


# --- the database ----------------------------------------------------------------------------


def build(path: Path) -> None:
    """Write the benchmark database to ``path`` (through a temporary name, so that an
    interrupted build is never taken for a cached one)."""
    from desktop.models.indicators import (
        Aggregation,
        Attribute,
        Direction,
        IndicatorSpec,
        TimeAggregation,
        ValueType,
        add_element,
        add_indicator,
    )
    from desktop.models.orgunits import UnitType, add_unit
    from desktop.models.plans import create_plan
    from desktop.models.store import open_database

    partial = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    db = open_database(partial)
    with db.atomic():
        bureau = add_unit(db, BUREAU, "基准区市场监督管理局", UnitType.DISTRICT_BUREAU)
        stations = [add_unit(db, f"{BUREAU}-S{n:03d}", f"基准区第{n}市场监管所",
                             UnitType.STATION, parent_id=bureau.id, short_name=f"第{n}所",
                             sort_order=n).id for n in range(1, STATIONS + 1)]
        kinds: list[tuple[int, TimeAggregation]] = []
        for n in range(1, ELEMENTS + 1):
            if n <= SUM_ELEMENTS:
                spec: tuple[str, ValueType, Aggregation, TimeAggregation, str] = (
                    f"检查户次{n}", ValueType.INTEGER, Aggregation.SUM, TimeAggregation.SUM, "户次")
            elif n <= SUM_ELEMENTS + LAST_ELEMENTS:
                spec = (f"在册主体数{n}", ValueType.INTEGER, Aggregation.SUM,
                        TimeAggregation.LAST, "户")
            else:
                spec = (f"满意度得分{n}", ValueType.NUMBER, Aggregation.AVERAGE,
                        TimeAggregation.AVERAGE, "分")
            name, value_type, aggregation, over_time, unit = spec
            element = add_element(db, f"E{n:03d}", name, value_type=value_type,
                                  aggregation=aggregation, unit=unit,
                                  time_aggregation=over_time)
            kinds.append((element.id, over_time))
        plan = create_plan(db, PLAN, "基准区市场监管规划（2021—2025年）", start_year=2021,
                           end_year=2025, owner_unit_id=bureau.id)
        ids = [element_id for element_id, _ in kinds]
        for n, spec_args in enumerate(_indicator_specs(ids), start=1):
            code, name, unit, semantics, numerator, denominator, factor, base, target = spec_args
            add_indicator(db, plan.id, n, IndicatorSpec(
                code=code, seq_printed=str(n), name_printed=name, name=name, category="基准",
                attribute=Attribute.BINDING if n % 10 == 0 else Attribute.EXPECTED,
                baseline_text=base, target_text=target, direction=Direction.UP,
                time_semantics=semantics, unit_printed=unit, numerator_id=numerator,
                denominator_id=denominator, factor=factor))
    start = time.perf_counter()
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO data_value (period, element_id, org_unit_id, value, source, updated_at) "
            "VALUES (?, ?, ?, ?, 'import', ?)", _values(kinds, stations))
    log(f"  {STATIONS * ELEMENTS * MONTHS:,} values inserted in "
        f"{time.perf_counter() - start:.1f} s")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    os.replace(partial, path)


def _indicator_specs(ids: list[int]) -> Iterator[tuple[Any, ...]]:
    """100 indicators: flows, rates of flows, stocks, a stock share, 新增 and scores."""
    from desktop.models.indicators import TimeSemantics

    def element(n: int) -> int:  # E001 is ids[0]
        return ids[n - 1]

    for n in range(1, 41):  # a year's amount
        yield (f"I{n:03d}", f"年度检查户次{n}", "户次", TimeSemantics.FLOW, element(n), None,
               1.0, "600000", "≥800000")
    for n in range(41, 71):  # a rate of flows: Σnumerator / Σdenominator, never a mean of rates
        yield (f"I{n:03d}", f"抽查比例{n}", "%", TimeSemantics.FLOW, element(n), element(n + 30),
               100.0, "30%", "≥40%")
    for n in range(101, 116):  # a stock at the year's end
        yield (f"I{n - 30:03d}", f"在册主体数{n}", "户", TimeSemantics.STOCK, element(n), None,
               1.0, "1500000", "≥1800000")
    for n in range(116, 121):  # a share of two stocks
        yield (f"I{n - 30:03d}", f"主体占比{n}", "%", TimeSemantics.STOCK, element(n),
               element(n + 5), 100.0, "95%", "≥100%")
    for n in range(1, 6):  # 新增: summed since the plan's first year
        yield (f"I{n + 90:03d}", f"累计检查户次{n}", "户次", TimeSemantics.CUMULATIVE, element(n),
               None, 1.0, "0", "≥3000000")
    for n in range(151, 156):  # a score averaged over months and stations
        yield (f"I{n - 55:03d}", f"满意度{n}", "分", TimeSemantics.FLOW, element(n), None, 1.0,
               "80", "≥85")


def _values(kinds: list[tuple[int, Any]], stations: list[int]
            ) -> Iterator[tuple[str, int, int, float, str]]:
    """Every station's value of every element for every month, in primary-key order."""
    from desktop.models.indicators import TimeAggregation

    rng = random.Random(20240101)
    stock = {(e, s): float(rng.randint(1000, 5000)) for e, _ in kinds for s in stations}
    stamp = f"{YEAR + 1}-01-10T08:00:00"
    for month in range(1, MONTHS + 1):
        period = f"{YEAR}{month:02d}"
        for n, (element_id, over_time) in enumerate(kinds, start=1):
            if over_time is TimeAggregation.SUM:
                high = 400 if n > 70 else 200  # E071–E100 are denominators of E041–E070
                for station in stations:
                    yield period, element_id, station, float(rng.randint(0, high)), stamp
            elif over_time is TimeAggregation.LAST:
                for station in stations:
                    key = (element_id, station)
                    stock[key] += rng.randint(-5, 20)
                    yield period, element_id, station, stock[key], stamp
            else:
                for station in stations:
                    yield period, element_id, station, round(rng.uniform(60, 100), 1), stamp


# --- the two roll-ups ------------------------------------------------------------------------


#: What a person writes by hand: the stations' months of the year grouped by element. It does
#: not check that each station reported every month (PlanDesk does, and counts who did). It is
#: the fastest plain GROUP BY we found: written as a join on org_unit, SQLite reads the months
#: through the unit index and takes 4–5 s; with the stations in a subquery kept off the index
#: (``+d.org_unit_id``) it scans the months by the primary key, as PlanDesk does, in about 1 s.
BARE_SQL = """
SELECT d.element_id,
    CASE e.time_aggregation
        WHEN 'sum' THEN sum(d.value)
        WHEN 'last' THEN sum(CASE WHEN d.period = :last THEN d.value END)
        ELSE avg(d.value)
    END AS value
FROM data_value d
JOIN data_element e ON e.id = d.element_id
WHERE d.period BETWEEN :first AND :last
  AND +d.org_unit_id IN (SELECT id FROM org_unit WHERE parent_id = :bureau)
GROUP BY d.element_id
"""


def plandesk_rollup(db: Any, bureau: int) -> dict[int, float | None]:
    from desktop.models.aggregation import district_values

    return {e: v.value for e, v in district_values(db, str(YEAR), bureau).items()}


def bare_rollup(db: Any, bureau: int) -> dict[int, float | None]:
    return dict(db.execute(BARE_SQL, {"bureau": bureau, "first": f"{YEAR}01",
                                      "last": f"{YEAR}{MONTHS:02d}"}).fetchall())


def check_agreement(db: Any, ours: dict[int, float | None], bare: dict[int, float | None]
                    ) -> None:
    """The figures agree: exactly for sums of whole numbers, closely for averages (a mean of
    the stations' monthly means against the mean of all months: equal when nobody misses a
    month, up to rounding)."""
    kinds = dict(db.execute("SELECT id, time_aggregation FROM data_element").fetchall())
    assert set(bare) == set(kinds), "the bare query misses elements"
    for element_id, kind in kinds.items():
        a, b = ours[element_id], bare[element_id]
        assert a is not None, f"PlanDesk has no value for element {element_id}"
        assert b is not None
        if kind == "average":
            assert math.isclose(a, b, rel_tol=1e-9), (element_id, a, b)
        else:
            assert a == b, (element_id, kind, a, b)


def unit_ids(db: Any) -> tuple[int, int]:
    bureau = db.execute("SELECT id FROM org_unit WHERE code = ?", [BUREAU]).fetchone()[0]
    plan = db.execute("SELECT id FROM plan WHERE code = ?", [PLAN]).fetchone()[0]
    return int(bureau), int(plan)


def once(side: str, path: Path) -> None:
    """One roll-up in this process (for its peak RSS); prints the peak RSS in MB."""
    from desktop.models.store import open_database

    db = open_database(path)
    bureau, _ = unit_ids(db)
    (plandesk_rollup if side == "plandesk" else bare_rollup)(db, bureau)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- measuring -------------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, flush=True)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def peak_rss(side: str, path: Path) -> float:
    out = subprocess.run([PY, __file__, "--once", side, str(path)], check=True,
                         capture_output=True, text=True, env=os.environ.copy()).stdout
    return float(out.strip().splitlines()[-1])


def summary(name: str, seconds: list[float], unit: str = "s") -> str:
    """``name  median … (min …, max …)`` in seconds or milliseconds."""
    scale, digits = (1000, 1) if unit == "ms" else (1, 3)
    med, low, high = (x * scale for x in (statistics.median(seconds), min(seconds),
                                          max(seconds)))
    return (f"  {name:<22} median {med:8.{digits}f} {unit}  (min {low:.{digits}f}, "
            f"max {high:.{digits}f})")


def rollups(db: Any, path: Path, rounds: int) -> None:
    bureau, plan = unit_ids(db)
    from desktop.models.aggregation import district_values, indicator_values

    values = district_values(db, str(YEAR), bureau)  # warm-up, and the check
    check_agreement(db, {e: v.value for e, v in values.items()}, bare_rollup(db, bureau))
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(rounds):
        times_a.append(timed(lambda: plandesk_rollup(db, bureau)))
        times_b.append(timed(lambda: bare_rollup(db, bureau)))
    ratios = [a / b for a, b in zip(times_a, times_b, strict=True)]
    rss_a, rss_b = peak_rss("plandesk", path), peak_rss("baseline", path)
    log(f"roll-up of {YEAR} from its months ({rounds} rounds, alternating, after a warm-up; "
        f"the two agree on all {ELEMENTS} elements)")
    log(summary("plandesk district_values", times_a) + f"  peak RSS {rss_a:6.1f} MB")
    log(summary("bare SQL GROUP BY", times_b) + f"  peak RSS {rss_b:6.1f} MB")
    log(f"  {'ratio':<22} median {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, "
        f"max {max(ratios):.2f}); goal ≤ 1.5x; memory {rss_a / rss_b:.2f}x")
    spent = timed(lambda: indicator_values(db, plan, values))
    log(f"  {'then 100 indicators':<22} {spent * 1000:7.1f} ms  (computed from the roll-up)")


def dashboard(db: Any, rounds: int) -> None:
    try:
        from desktop.reports import charts
    except ImportError:
        log("\ndashboard redraw: desktop.reports.charts is not there yet; skipped")
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from desktop.models.evaluation import evaluate, indicator_trend, station_comparison

    _, plan = unit_ids(db)
    indicator_id = db.execute("SELECT id FROM indicator WHERE plan_id = ? AND code = 'I041'",
                              [plan]).fetchone()[0]  # a rate: every station is judged
    start = time.perf_counter()
    evaluations = evaluate(db, plan, YEAR)
    evaluated = time.perf_counter() - start
    start = time.perf_counter()
    stations = station_comparison(db, plan, indicator_id, YEAR)
    compared = time.perf_counter() - start
    start = time.perf_counter()
    trend = indicator_trend(db, plan, indicator_id)
    trended = time.perf_counter() - start
    assert len(stations) == STATIONS, len(stations)
    indicator = stations[0].indicator
    station_figure, trend_figure = Figure(figsize=(7, 5)), Figure(figsize=(7, 4))
    FigureCanvasAgg(station_figure)
    FigureCanvasAgg(trend_figure)

    def draw_stations() -> None:
        charts.station_chart(indicator, stations, station_figure)
        station_figure.canvas.draw()

    def draw_trend() -> None:
        charts.trend_chart(trend, trend_figure)
        trend_figure.canvas.draw()

    first = timed(draw_stations) + timed(draw_trend)  # fonts registered, caches filled
    station_times, trend_times = [], []
    for _ in range(rounds):
        station_times.append(timed(draw_stations))
        trend_times.append(timed(draw_trend))
    both = [a + b for a, b in zip(station_times, trend_times, strict=True)]
    log(f"\ndashboard ({len(evaluations)} indicators; {rounds} redraws into the same figures, "
        "Agg canvas)")
    log(f"  {'evaluate (table)':<22} {evaluated * 1000:8.1f} ms  once")
    log(f"  {'station_comparison':<22} {compared * 1000:8.1f} ms  once ({STATIONS} stations)")
    log(f"  {'indicator_trend':<22} {trended * 1000:8.1f} ms  once")
    log(f"  {'first draw (both)':<22} {first * 1000:8.1f} ms")
    log(summary("station_chart redraw", station_times, "ms"))
    log(summary("trend_chart redraw", trend_times, "ms"))
    log(summary("redraw, both", both, "ms"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build the cached database again")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--once", nargs=2, metavar=("SIDE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("PLANDESK_DATA_DIR", str(Path(tempfile.gettempdir())
                                                   / "plandesk-bench" / "data"))
    if args.build:
        build(args.build)
        return
    if args.once:
        once(args.once[0], Path(args.once[1]))
        return
    path = cache_file()
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if path.exists():
        log(f"aggregate benchmark: cached database {path} "
            f"({path.stat().st_size / 2**20:.0f} MB)\n")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        log(f"aggregate benchmark: building {path} ({STATIONS} stations × {ELEMENTS} elements "
            f"× {MONTHS} months) …")
        start = time.perf_counter()
        subprocess.run([PY, __file__, "--build", str(path)], check=True, env=os.environ.copy())
        log(f"  built in {time.perf_counter() - start:.0f} s "
            f"({path.stat().st_size / 2**20:.0f} MB)\n")
    from desktop.models.store import open_database

    db = open_database(path)
    rollups(db, path, args.rounds)
    dashboard(db, args.rounds)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"\n  peak RSS of this process {rss:.0f} MB ({os.cpu_count()} cores)")
    if shutil.disk_usage(path.parent).free < 2**30:
        log(f"  (little disk left: remove {path.parent} when done)")


if __name__ == "__main__":
    main()
