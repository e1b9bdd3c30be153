"""Where PlanDesk finds its resources and keeps its data, from source and from the bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from desktop import APP_NAME

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """Return the path of a file under ``resources/``, in the source tree or the bundle."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else _SOURCE_ROOT
    return root.joinpath("resources", *parts)


def data_dir() -> Path:
    """Return the user's data folder for PlanDesk (``PLANDESK_DATA_DIR`` overrides it)."""
    override = os.environ.get("PLANDESK_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    """Return the installation's database file in the data folder."""
    return data_dir() / "plandesk.db"


def log_dir() -> Path:
    """Return the folder for log files."""
    return data_dir() / "logs"


def backup_dir(database: Path) -> Path:
    """Return the folder that holds automatic backups of ``database``."""
    return database.parent / "backups"
