"""Shared fixtures: an isolated data folder, in-memory and demo databases."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from desktop.models.demo import build_demo
from desktop.models.progress import run_job
from desktop.models.store import open_database, open_memory_database

ROOT = Path(__file__).resolve().parent.parent

# GUI tests run offscreen on a screen the size of the clerks' laptops (1366x768).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = (
        f"offscreen:configfile={ROOT / 'tests' / 'data' / 'offscreen-1366x768.json'}")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs, settings and default databases go to a temporary folder, never the user's."""
    monkeypatch.setenv("PLANDESK_DATA_DIR", str(tmp_path_factory.mktemp("data")))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/views" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_memory_database()
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database built once per session; tests copy it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = open_database(path)
    run_job(build_demo(database))
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return path


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return path


@pytest.fixture
def demo_db(demo_path: Path) -> Iterator[Database]:
    database = open_database(demo_path)
    yield database
    database.close()
