"""Run a generator job off the UI thread and relay progress, result, error and cancel."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.models.progress import Progress

log = logging.getLogger(__name__)

JobFactory = Callable[[], Generator[Progress, None, Any]]


class WorkerSignals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class JobWorker(QRunnable):
    """Runs ``factory()`` (a generator yielding :class:`Progress`) in a pool thread.

    The factory is called in the worker thread, so a job opens its own database connection
    there. ``cancel()`` stops the job at its next yield by closing the generator, which runs
    its ``finally`` blocks and rolls back an open transaction.
    """

    def __init__(self, factory: JobFactory) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = WorkerSignals()
        self._factory = factory
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        try:
            job = self._factory()
            while True:
                if self._cancel.is_set():
                    job.close()
                    self.signals.cancelled.emit()
                    return
                try:
                    step = next(job)
                except StopIteration as stop:
                    self.signals.finished.emit(stop.value)
                    return
                self.signals.progress.emit(step.done, step.total, step.label)
        except Exception as exc:  # relayed to the UI thread, which decides what to show
            log.exception("job failed")
            self.signals.failed.emit(exc)


_WRITER_POOL: QThreadPool | None = None


def writer_pool() -> QThreadPool:
    """The single-thread pool for jobs that write to the database (one writer at a time)."""
    global _WRITER_POOL
    if _WRITER_POOL is None:
        _WRITER_POOL = QThreadPool()
        _WRITER_POOL.setMaxThreadCount(1)
    return _WRITER_POOL


def start_job(
    parent: QWidget,
    title: str,
    factory: JobFactory,
    on_finished: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
) -> JobWorker:
    """Run a writing job in the writer pool behind a progress dialog with a cancel button."""
    dialog = QProgressDialog(f"{title}…", "取消", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    worker = JobWorker(factory)

    def progress(done: int, total: int, label: str) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
        if label:
            dialog.setLabelText(label)

    def finished(result: object) -> None:
        dialog.reset()
        on_finished(result)

    def failed(exc: BaseException) -> None:
        dialog.reset()
        on_failed(exc)

    worker.signals.progress.connect(progress)
    worker.signals.finished.connect(finished)
    worker.signals.failed.connect(failed)
    worker.signals.cancelled.connect(dialog.reset)
    dialog.canceled.connect(worker.cancel)
    writer_pool().start(worker)
    return worker


def start_background(
    factory: JobFactory,
    on_finished: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
) -> JobWorker:
    """Run a read-only job in Qt's global pool, without a dialog (checks at start).

    The callbacks run on the UI thread; keep the returned worker alive until it finishes.
    """
    worker = JobWorker(factory)
    worker.signals.finished.connect(on_finished)
    worker.signals.failed.connect(on_failed)
    QThreadPool.globalInstance().start(worker)
    return worker
