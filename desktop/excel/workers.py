"""Reader processes: check many workbooks on all cores, in order, cancellable, crash-isolated.

Reading and checking a workbook is CPU-bound Python and Rust (python-calamine); the GIL keeps
threads from sharing that work, so a large batch is checked by a pool of processes while the
calling process compares and writes. Results come back in the order the items went in, so a
batch reads the same with or without the pool.

A reader process that dies (a parser crashing on a forged file, the system killing it for
memory) does not take the batch down: the items that were in flight are checked again one by
one, each in a process of its own, and an item that kills that process too gets the caller's
``on_crash`` result.

Start method: a fork of this process when it is single-threaded (the command line: cheap, and
nothing to re-import); otherwise a fresh interpreter (``forkserver`` on Linux, ``spawn``
elsewhere), because forking a process with other threads (the Qt application) can deadlock the
child. A fresh interpreter costs its imports, so a pool is only worth it for a batch that is
large enough; see :func:`worker_count`.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

#: Overrides the number of reader processes: 0 or 1 reads in the calling process.
WORKERS_ENV = "PLANDESK_READERS"
#: At most this many reader processes (the writer is one more busy process).
MAX_WORKERS = 4
#: Smallest batch worth a pool when the pool is forked, and when it starts fresh interpreters
#: (each pays its imports, about half a second); a file takes some 5–10 ms to check.
FORK_THRESHOLD = 16
FRESH_THRESHOLD = 150

T = TypeVar("T")
R = TypeVar("R")


def start_method() -> str:
    """``fork`` for a single-threaded process on Linux, else a fresh interpreter."""
    if sys.platform.startswith("linux"):
        return "fork" if _single_threaded() else "forkserver"
    return "spawn"


def _single_threaded() -> bool:
    """No other thread, Python's or native (Qt starts its own), in this process."""
    if threading.active_count() != 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(items: int, method: str | None = None) -> int:
    """How many reader processes a batch of ``items`` should use (0: read in this process).

    ``PLANDESK_READERS`` overrides the choice (for troubleshooting and the tests).
    """
    override = os.environ.get(WORKERS_ENV, "").strip()
    if override.isdigit():
        wanted = int(override)
        return wanted if wanted >= 2 else 0
    cores = cpu_count()
    if cores < 2:
        return 0
    threshold = FORK_THRESHOLD if (method or start_method()) == "fork" else FRESH_THRESHOLD
    if items < threshold:
        return 0
    return min(cores, MAX_WORKERS)


class OrderedPool(Generic[T, R]):
    """A process pool that gives ``function(item)`` for each item, in the items' order.

    Args:
        function: A module-level function (it is pickled by name).
        workers: How many processes.
        initializer, initargs: Run once in each process before its first item (e.g. to
            receive the data every item needs, instead of pickling it with each item).
        on_crash: The result for an item whose process died while handling it, even alone.
        local: ``function`` as this process runs it: used for the rest of the items when
            processes cannot start at all (a damaged installation), so that a batch still
            reads, only slower.
        window: Chunks in flight per process (bounds the memory of pending items).
        chunk: Items sent to a process at once (fewer, larger messages between processes).
        method: The start method (default: :func:`start_method`).
        preload: Modules a ``forkserver`` imports before forking the processes.
    """

    def __init__(self, function: Callable[[T], R], workers: int, *,
                 initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (),
                 on_crash: Callable[[T], R],
                 local: Callable[[T], R],
                 window: int = 2,
                 chunk: int = 4,
                 method: str | None = None,
                 preload: Sequence[str] = ()) -> None:
        self.function = function
        self.workers = workers
        self.initializer = initializer
        self.initargs = initargs
        self.on_crash = on_crash
        self.local = local
        self.window = max(1, window) * workers
        self.chunk = max(1, chunk)
        self.context: BaseContext = multiprocessing.get_context(method or start_method())
        if preload and self.context.get_start_method() == "forkserver":
            # The server imports these once; each reader forked from it starts ready.
            self.context.set_forkserver_preload(list(preload))
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> OrderedPool[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the processes; items not started are dropped."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=self.context,
                                   initializer=self.initializer, initargs=self.initargs)

    def map(self, items: Iterable[T]) -> Generator[tuple[T, R], None, None]:
        """(item, result) for each item, in order; closing the generator cancels the rest."""
        source = iter(items)
        pending: deque[tuple[list[T], Future[list[R]]]] = deque()
        try:
            self._executor = self._pool(self.workers)
            while True:
                while len(pending) < self.window:
                    chunk = list(itertools.islice(source, self.chunk))
                    if not chunk:
                        break
                    pending.append((chunk, self._submit(chunk)))
                if not pending:
                    return
                chunk, future = pending.popleft()
                try:
                    results = future.result()
                except BrokenProcessPool:
                    self.close()
                    in_flight = [item for c in (chunk, *(c for c, _ in pending)) for item in c]
                    pending.clear()
                    if not self._can_start():
                        log.warning("reader processes cannot start; reading in this process")
                        for item in itertools.chain(in_flight, source):
                            yield item, self.local(item)
                        return
                    for item in in_flight:
                        yield item, self._alone(item)
                    self._executor = self._pool(self.workers)
                    continue
                yield from zip(chunk, results, strict=True)
        finally:
            self.close()

    def _submit(self, chunk: list[T]) -> Future[list[R]]:
        assert self._executor is not None
        try:
            return self._executor.submit(_each, self.function, chunk)
        except BrokenProcessPool as exc:  # a process died since the last result
            failed: Future[list[R]] = Future()
            failed.set_exception(exc)
            return failed

    def _alone(self, item: T) -> R:
        """``function(item)`` in a process of its own; ``on_crash(item)`` if that dies too."""
        with self._pool(1) as executor:
            try:
                return executor.submit(self.function, item).result()
            except BrokenProcessPool:
                log.warning("a reader process died on one item")
                return self.on_crash(item)

    def _can_start(self) -> bool:
        """Whether a process can start and work at all (a broken installation cannot)."""
        try:
            with self._pool(1) as executor:
                return executor.submit(os.getpid).result() > 0
        except (BrokenProcessPool, OSError):
            return False


def _each(function: Callable[[T], R], items: list[T]) -> list[R]:
    return [function(item) for item in items]
