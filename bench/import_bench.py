"""Import benchmark: 600 filled templates (30 stations × 20 months, 40 elements each).

Generates a district-sized plan and its filled returns once, then times, in the same run and
alternating, (a) PlanDesk importing all 600 files into a fresh copy of the database and (b) a
bare python-calamine read of every sheet of the same files. Prints files/s, the ratio (goal
≤ 2×) and the import's peak RSS, writer and reader processes together (goal ≤ 300 MB). The
import runs as it does by default (reader processes on a 2-core machine) and, for comparison,
in one process (``PLANDESK_READERS=0``). Run with ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATIONS = 30
MONTHS = 20
ELEMENTS = 40
PY = sys.executable


def build(folder: Path) -> tuple[Path, Path]:
    """A database with the plan, and the 600 filled returns; returns (database, returns dir)."""
    from openpyxl import load_workbook

    from desktop.excel.template_format import (
        ELEMENT_COMMENT_COLUMN,
        ELEMENT_VALUE_COLUMN,
        SHEET_ENTRY,
        SHEET_META,
        TemplateMeta,
    )
    from desktop.excel.templates import write_templates
    from desktop.models.indicators import (
        Aggregation,
        Attribute,
        IndicatorSpec,
        add_element,
        add_indicator,
    )
    from desktop.models.orgunits import UnitType, add_unit
    from desktop.models.periods import Period
    from desktop.models.plans import create_plan
    from desktop.models.store import open_database

    database = folder / "bench.db"
    db = open_database(database)
    with db.atomic():
        bureau = add_unit(db, "BJ", "基准区市场监督管理局", UnitType.DISTRICT_BUREAU)
        stations = [add_unit(db, f"BJ-S{n:02d}", f"基准区第{n}市场监管所",
                             UnitType.STATION, parent_id=bureau.id, short_name=f"第{n}所",
                             sort_order=n).id for n in range(1, STATIONS + 1)]
        plan = create_plan(db, "BENCH", "基准区市场监管规划（2024—2028年）", start_year=2024,
                           end_year=2028, owner_unit_id=bureau.id)
        for n in range(1, ELEMENTS + 1):
            element = add_element(db, f"E{n:03d}", f"数据项{n}", aggregation=Aggregation.SUM,
                                  unit="件")
            add_indicator(db, plan.id, n, IndicatorSpec(
                code=f"I{n:03d}", seq_printed=str(n), name_printed=f"指标{n}",
                name=f"指标{n}", category="基准", attribute=Attribute.EXPECTED,
                baseline_text="100", target_text="200", numerator_id=element.id))
    periods = [Period(2024 + (m // 12), m % 12 + 1, 1) for m in range(MONTHS)]
    returns = folder / "returns"
    for period in periods:
        for path in write_templates(db, plan.id, period.id, stations, returns / period.id):
            book = load_workbook(path)
            rows = {str(r[0].value): str(r[1].value or "") for r in book[SHEET_META].iter_rows()}
            meta = TemplateMeta.from_rows(rows)
            sheet = book[SHEET_ENTRY]
            for n, row in enumerate(sorted(meta.element_rows)):
                sheet.cell(row, ELEMENT_VALUE_COLUMN).value = 100 + n
                if n % 10 == 0:
                    sheet.cell(row, ELEMENT_COMMENT_COLUMN).value = "按台账统计"
            book.save(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return database, returns


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the process, and the last line it printed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{err.decode()}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, rss, out.decode().strip().splitlines()[-1]


IMPORT = """
import json, resource, sys
from pathlib import Path
from desktop.excel.returns import import_returns_job
from desktop.excel.workers import worker_count
from desktop.models.progress import run_job
result = run_job(import_returns_job(Path(sys.argv[1]), [Path(sys.argv[2])]))
assert result.ok, result.counts()
assert result.counts()["imported"] == len(result.outcomes), result.counts()
main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
readers = worker_count(len(result.outcomes))
print(json.dumps({"main": main, "reader": reader, "readers": readers}))
"""

BARE = """
import sys
from pathlib import Path
from python_calamine import CalamineWorkbook
n = 0
for path in sorted(Path(sys.argv[1]).rglob("*.xlsx")):
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        n += len(book.get_sheet_by_name(name).to_python())
print(n)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["PLANDESK_DATA_DIR"] = str(folder / "data")
        start = time.perf_counter()
        database, returns = build(folder)
        files = len(list(returns.rglob("*.xlsx")))
        print(f"import benchmark: {files} filled templates ({STATIONS} stations × {MONTHS} "
              f"months, {ELEMENTS} elements), generated in {time.perf_counter() - start:.0f} s\n")
        imports: list[float] = []
        singles: list[float] = []
        bares: list[float] = []
        memory: dict[str, float] = {"main": 0.0, "reader": 0.0, "readers": 0.0}
        for n in range(args.runs):
            copy = folder / f"copy{n}.db"
            shutil.copy(database, copy)
            elapsed, _, line = run([PY, "-c", IMPORT, str(copy), str(returns)])
            imports.append(elapsed)
            for key, value in json.loads(line).items():
                memory[key] = max(memory[key], value)
            bares.append(run([PY, "-c", BARE, str(returns)])[0])
            copy = folder / f"single{n}.db"
            shutil.copy(database, copy)
            singles.append(run([PY, "-c", IMPORT, str(copy), str(returns)],
                               {"PLANDESK_READERS": "0"})[0])
        ratios = [a / b for a, b in zip(imports, bares, strict=True)]
        single_ratios = [a / b for a, b in zip(singles, bares, strict=True)]
        imp, single, bare = (statistics.median(v) for v in (imports, singles, bares))
        readers = int(memory["readers"])
        print(f"  plandesk import  median {imp:6.2f} s  {files / imp:6.1f} files/s  "
              f"({readers} reader processes and the writer, {os.cpu_count()} cores)")
        print(f"  one process      median {single:6.2f} s  {files / single:6.1f} files/s  "
              f"(PLANDESK_READERS=0)")
        print(f"  bare calamine    median {bare:6.2f} s  {files / bare:6.1f} files/s")
        print(f"  ratio            median {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f}); goal ≤ 2x")
        print(f"  one process      median {statistics.median(single_ratios):.2f}x "
              f"(min {min(single_ratios):.2f}, max {max(single_ratios):.2f})")
        total = memory["main"] + readers * memory["reader"]
        print(f"  peak RSS         writer {memory['main']:.0f} MB, largest reader "
              f"{memory['reader']:.0f} MB, at most {total:.0f} MB together; goal ≤ 300 MB")

if __name__ == "__main__":
    main()
