"""Progress reports and cancellation for long jobs written as generators."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` steps finished; ``label`` says what is being done (Chinese)."""

    done: int
    total: int
    label: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


#: A job yields Progress and returns its result; closing the generator cancels it.
Job = Generator[Progress, None, T]


def run_job(job: Generator[Progress, None, T]) -> T:
    """Run a job to the end without reporting progress (for the CLI and tests)."""
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
