"""Logging to a rotating file in the data folder; no secrets are ever passed to the log."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from desktop.paths import log_dir

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Send log records to ``logs/plandesk.log``; returns its path, or None if unwritable."""
    root = logging.getLogger()
    if any(getattr(h, "_plandesk", False) for h in root.handlers):
        return log_file()
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "plandesk.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler._plandesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return log_file()


def log_file() -> Path:
    return log_dir() / "plandesk.log"
