"""Long jobs run off the UI thread and report progress, results, failures and cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

from pytestqt.qtbot import QtBot

from desktop.models.errors import ValidationError
from desktop.models.progress import Progress
from desktop.views.worker import JobWorker, writer_pool


def counting(steps: int, threads: list[int]) -> Generator[Progress, None, int]:
    threads.append(threading.get_ident())
    for n in range(steps):
        yield Progress(n, steps, f"第 {n} 步")
    return steps * 10


def test_a_job_reports_progress_and_its_result_from_another_thread(qtbot: QtBot) -> None:
    threads: list[int] = []
    worker = JobWorker(lambda: counting(3, threads))
    seen: list[int] = []
    worker.signals.progress.connect(lambda done, total, label: seen.append(done))
    with qtbot.waitSignal(worker.signals.finished, timeout=5000) as blocker:
        writer_pool().start(worker)
    assert blocker.args == [30]
    qtbot.waitUntil(lambda: seen == [0, 1, 2])
    assert threads[0] != threading.get_ident()


def test_a_failing_job_reports_the_error(qtbot: QtBot) -> None:
    def failing() -> Generator[Progress, None, None]:
        yield Progress(0, 1)
        raise ValidationError("数值不能为负数。")

    worker = JobWorker(failing)
    with qtbot.waitSignal(worker.signals.failed, timeout=5000) as blocker:
        writer_pool().start(worker)
    assert isinstance(blocker.args[0], ValidationError)


def test_cancel_stops_the_job_and_runs_its_cleanup(qtbot: QtBot) -> None:
    cleaned: list[bool] = []

    def endless() -> Generator[Progress, None, None]:
        try:
            n = 0
            while True:
                time.sleep(0.01)
                yield Progress(n, 0)
                n += 1
        finally:
            cleaned.append(True)

    worker = JobWorker(endless)
    worker.signals.progress.connect(lambda *args: worker.cancel())
    with qtbot.waitSignal(worker.signals.cancelled, timeout=5000):
        writer_pool().start(worker)
    assert cleaned == [True]
