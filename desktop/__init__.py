"""PlanDesk 规划实施监测评估系统: offline monitoring and assessment of five-year plans."""

__version__ = "0.2.0"
APP_NAME = "PlanDesk"
APP_TITLE = "规划实施监测评估系统"


def _import_sqlite_utils_lean() -> None:
    """Import sqlite-utils without numpy and pandas, unless they are loaded already.

    sqlite-utils imports both, when installed, only to map their scalar types to column types;
    PlanDesk never stores numpy or pandas values. numpy is installed for matplotlib, and
    importing it costs about 150 ms of every start of the CLI and of each reader process, and
    starts OpenBLAS threads, which make forking reader processes unsafe. The modules are
    hidden only while sqlite-utils is imported: matplotlib imports numpy as usual later.
    """
    import sys

    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes "import name" fail
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name) is None:
                del sys.modules[name]


_import_sqlite_utils_lean()
