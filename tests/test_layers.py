"""The layer rule and the error catalogue hold."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import desktop.models
from desktop.models import errors


def test_models_excel_and_reports_import_no_qt() -> None:
    script = (
        "import pkgutil, importlib, sys\n"
        "import desktop.models, desktop.excel, desktop.reports\n"
        "for pkg in (desktop.models, desktop.excel, desktop.reports):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)


def test_every_model_module_has_a_docstring() -> None:
    for info in pkgutil.walk_packages(desktop.models.__path__, "desktop.models."):
        module = importlib.import_module(info.name)
        assert module.__doc__, info.name


def test_every_known_error_has_its_own_chinese_message() -> None:
    classes = [errors.PlanDeskError]
    seen: list[type] = []
    while classes:
        cls = classes.pop()
        seen.append(cls)
        classes.extend(cls.__subclasses__())
    messages = [c.default_message for c in seen]  # type: ignore[attr-defined]
    assert len(set(messages)) == len(messages)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in messages)
