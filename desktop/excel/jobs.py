"""Workbook imports and exports as jobs: generators the app runs off the UI thread."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

from desktop.excel.indicator_table import (
    IndicatorRow,
    IndicatorTablePreview,
    apply_indicator_table,
    parse_indicator_workbook,
)
from desktop.excel.plan_workbook import PlanExportResult, PlanImportResult, export_plan, import_plan
from desktop.models.auth import Actor
from desktop.models.permissions import Action, act_as, require_acting
from desktop.models.plans import create_plan_for_file
from desktop.models.progress import Progress
from desktop.models.store import backup_before_import, open_database


def read_indicator_table_job(path: Path) -> Generator[Progress, None, IndicatorTablePreview]:
    yield Progress(0, 1, f"正在读取 {path.name}")
    return parse_indicator_workbook(path)


def import_indicator_table_job(
    database: Path,
    preview: IndicatorTablePreview,
    plan_id: int | None,
    rows: Sequence[IndicatorRow] | None = None,
    *,
    actor: Actor | None = None,
) -> Generator[Progress, None, tuple[int, dict[str, int]]]:
    """Back up, then write the previewed indicators into a plan (a new one when None).

    ``actor`` is who imports (``None``: the command line); the models refuse a user who may
    not edit the plan, before anything is written.
    """
    db = open_database(database)
    try:
        act_as(db, actor, source=f"file:{Path(preview.file).name}")
        require_acting(db, Action.EDIT_PLAN, what=f"（导入指标表“{Path(preview.file).name}”）")
        yield Progress(0, 2, "备份数据库")
        backup_before_import(db, "import-indicators")
        yield Progress(1, 2, "写入指标")
        with db.atomic():
            if plan_id is None:
                years = None
                if preview.baseline_year and preview.target_year and (
                    preview.baseline_year < preview.target_year
                ):
                    years = (preview.baseline_year + 1, preview.target_year)
                plan_id = create_plan_for_file(db, preview.file, years=years).id
            counts = apply_indicator_table(db, plan_id, preview, rows)
        return plan_id, counts
    finally:
        db.close()


def import_plan_job(database: Path, workbook: Path, dry_run: bool, *,
                    actor: Actor | None = None) -> Generator[Progress, None, PlanImportResult]:
    """Check (dry run) or import a plan workbook; a real import is preceded by a backup.

    ``actor`` is who imports (``None``: the command line).
    """
    db = open_database(database)
    try:
        act_as(db, actor, source=f"file:{workbook.name}")
        require_acting(db, Action.EDIT_PLAN, what=f"（导入规划工作簿“{workbook.name}”）")
        if not dry_run:
            yield Progress(0, 2, "备份数据库")
            backup_before_import(db, "import-plan")
        yield Progress(1, 2, f"正在读取 {workbook.name}")
        return import_plan(db, workbook, dry_run=dry_run)
    finally:
        db.close()


def export_plan_job(database: Path, plan_id: int,
                    workbook: Path) -> Generator[Progress, None, PlanExportResult]:
    db = open_database(database)
    try:
        yield Progress(0, 1, f"正在写入 {workbook.name}")
        return export_plan(db, plan_id, workbook)
    finally:
        db.close()
