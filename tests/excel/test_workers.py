"""Reader processes: results in order, a dying process isolated, cancelling, the fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from desktop.excel import workers
from desktop.excel.workers import worker_count

# Each scenario runs in a fresh interpreter: a single-threaded process, so the pool forks and
# the functions below (defined in the script) reach the readers.
POOL = """
import json, os, sys, time
from desktop.excel.workers import OrderedPool

def square(n):
    time.sleep(0.002 * (n % 3))  # readers finish out of order
    if n in CRASH:
        os._exit(9)
    return n * n

def crashed(n):
    return -1

CRASH = set(json.loads(sys.argv[2]))
scenario = sys.argv[1]
pool = OrderedPool(square, 2, on_crash=crashed, local=lambda n: n * n, chunk=3, method="fork")
if scenario == "cancel":
    items = pool.map(range(1000))
    got = [next(items) for _ in range(5)]
    started = time.monotonic()
    items.close()
    print(json.dumps({"got": got, "closed_in": time.monotonic() - started,
                      "children": len(__import__("multiprocessing").active_children())}))
else:
    print(json.dumps(list(pool.map(range(40)))))
"""


def run_pool(scenario: str, crash: list[int] | None = None) -> object:
    done = subprocess.run([sys.executable, "-c", POOL, scenario, json.dumps(crash or [])],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_results_come_back_in_the_order_the_items_went_in() -> None:
    assert run_pool("map") == [[n, n * n] for n in range(40)]


def test_an_item_that_kills_its_process_gets_the_crash_result_and_the_rest_go_on() -> None:
    assert run_pool("map", [7, 30]) == [[n, -1 if n in (7, 30) else n * n] for n in range(40)]


def test_closing_the_results_stops_the_readers() -> None:
    result = run_pool("cancel")
    assert isinstance(result, dict)
    assert result["got"] == [[n, n * n] for n in range(5)]
    assert result["closed_in"] < 10
    assert result["children"] == 0


BROKEN_START = """
import json
from concurrent.futures import ProcessPoolExecutor
from desktop.excel.workers import OrderedPool

def fail_to_start():
    raise SystemExit("a damaged installation")

pool = OrderedPool(abs, 2, on_crash=lambda n: None, local=lambda n: -n, method="fork",
                   initializer=fail_to_start)
print(json.dumps(list(pool.map([1, 2, 3]))))
"""


def test_when_no_reader_can_start_the_items_are_handled_in_this_process() -> None:
    done = subprocess.run([sys.executable, "-c", BROKEN_START], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[1, -1], [2, -2], [3, -3]]


def test_small_batches_and_single_cores_read_in_this_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(workers.WORKERS_ENV, raising=False)
    monkeypatch.setattr(workers, "cpu_count", lambda: 4)
    assert worker_count(workers.FORK_THRESHOLD - 1, "fork") == 0
    assert worker_count(workers.FORK_THRESHOLD, "fork") == 4
    assert worker_count(workers.FORK_THRESHOLD, "spawn") == 0  # a fresh interpreter costs more
    assert worker_count(workers.FRESH_THRESHOLD, "spawn") == 4
    monkeypatch.setattr(workers, "cpu_count", lambda: 16)
    assert worker_count(10_000, "fork") == workers.MAX_WORKERS
    monkeypatch.setattr(workers, "cpu_count", lambda: 1)
    assert worker_count(10_000, "fork") == 0


def test_the_environment_overrides_the_number_of_readers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(workers.WORKERS_ENV, "3")
    assert worker_count(1, "spawn") == 3
    monkeypatch.setenv(workers.WORKERS_ENV, "1")
    assert worker_count(10_000, "fork") == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_process_with_other_threads_does_not_fork() -> None:
    script = ("import threading, time\n"
              "from desktop.excel.workers import start_method\n"
              "print(start_method())\n"
              "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\n"
              "print(start_method())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True, env={**os.environ})
    assert done.stdout.split() == ["fork", "forkserver"]
