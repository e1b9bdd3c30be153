"""Entry script of the bundled PlanDesk app (``plandesk``); PyInstaller freezes this file.

``PLANDESK_BUNDLE_CHECK=1`` makes the executable check the bundle instead of starting the app:
it imports the libraries later features use, loads Qt's zh_CN translation, looks for the bundled
font, prints one JSON line and exits 0 when everything is present (1 otherwise).
"""

from __future__ import annotations

import os
import sys

CHECK_MODULES = (
    "matplotlib", "matplotlib.backends.backend_agg", "matplotlib.backends.backend_qtagg",
    "matplotlib.figure", "reportlab", "reportlab.pdfgen.canvas", "reportlab.pdfbase.ttfonts",
    "reportlab.platypus", "openpyxl", "python_calamine", "docx", "lxml.etree", "sqlite_utils",
    "platformdirs", "click", "desktop.app", "desktop.cli", "desktop.views.main_window",
)


def bundle_check() -> int:
    import importlib
    import json

    result: dict[str, object] = {"frozen": bool(getattr(sys, "frozen", False))}
    failed = {}
    for name in CHECK_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # report every failure, not just the first
            failed[name] = f"{type(exc).__name__}: {exc}"
    result["import_failures"] = failed

    from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    result["translations_path"] = folder
    result["qtbase_zh_CN"] = translator.load("qtbase_zh_CN", folder)
    if result["qtbase_zh_CN"]:
        QCoreApplication.installTranslator(translator)
        result["sample"] = QCoreApplication.translate("QPlatformTheme", "Cancel")

    from desktop.paths import resource_path

    result["font"] = resource_path("fonts", "WenQuanYiMicroHei.ttf").is_file()
    print(json.dumps(result, ensure_ascii=False))  # noqa: T201 - the check's report
    ok = not failed and result["qtbase_zh_CN"] and result["font"]
    return 0 if ok else 1


if __name__ == "__main__":
    import multiprocessing

    # A reader process of a frozen app starts this executable again: run its work, not the app.
    multiprocessing.freeze_support()
    if os.environ.get("PLANDESK_BUNDLE_CHECK") == "1":
        raise SystemExit(bundle_check())
    from desktop.app import main

    raise SystemExit(main())
