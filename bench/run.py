"""PlanDesk benchmarks: each figure is printed with a bare baseline measured in the same run.

Run with ``make bench``. Commands are run alternately (A B A B …) so that drift of a shared
machine affects both; medians and the median of per-pair ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


@dataclass
class Run:
    seconds: float
    max_rss_mb: float


def timed(cmd: list[str], env: dict[str, str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {cmd}\n{err}")
    return Run(elapsed, usage.ru_maxrss / 1024)


def pair(name: str, a: list[str], b: list[str], runs: int, env: dict[str, str]) -> None:
    timed(a, env)  # warm-up: page cache, font cache, .pyc files
    timed(b, env)
    results_a: list[Run] = []
    results_b: list[Run] = []
    for _ in range(runs):
        results_a.append(timed(a, env))
        results_b.append(timed(b, env))
    ratios = [x.seconds / y.seconds for x, y in zip(results_a, results_b, strict=True)]
    med_a = statistics.median(r.seconds for r in results_a)
    med_b = statistics.median(r.seconds for r in results_b)
    mem_a = statistics.median(r.max_rss_mb for r in results_a)
    mem_b = statistics.median(r.max_rss_mb for r in results_b)
    print(f"{name}")
    print(f"  plandesk  median {med_a:6.3f} s  (min {min(r.seconds for r in results_a):.3f}, "
          f"max {max(r.seconds for r in results_a):.3f})  peak RSS {mem_a:6.1f} MB")
    print(f"  baseline  median {med_b:6.3f} s  (min {min(r.seconds for r in results_b):.3f}, "
          f"max {max(r.seconds for r in results_b):.3f})  peak RSS {mem_b:6.1f} MB")
    print(f"  ratio     median {statistics.median(ratios):.2f}x  "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})  memory {mem_a / mem_b:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        env["PLANDESK_DATA_DIR"] = tmp
        demo = Path(tmp) / "demo.db"
        subprocess.run([PY, "-m", "desktop.cli", "--db", str(demo), "demo"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        print(f"PlanDesk benchmarks ({args.runs} runs each, alternating, after one warm-up)\n")
        pair("cold start: app opens the demo database, shows the main window, quits",
             [PY, "-m", "desktop", "--smoke", "--db", str(demo)],
             [PY, str(ROOT / "bench" / "bare_window.py")], args.runs, env)
        fresh = Path(tmp) / "fresh.db"
        print()
        build = [PY, "-c", (
            "import os, sys, runpy; p = sys.argv[1]\n"
            "for s in ('', '-wal', '-shm'):\n"
            "    os.path.exists(p + s) and os.remove(p + s)\n"
            "sys.argv = ['plandesk', '--db', p, 'demo']; runpy.run_module('desktop.cli', "
            "run_name='__main__')"), str(fresh)]
        pair("demo build: CLI creates a database and writes the demo plan",
             build, [PY, "-c", "import sqlite3, click, sqlite_utils"], args.runs, env)


if __name__ == "__main__":
    main()
