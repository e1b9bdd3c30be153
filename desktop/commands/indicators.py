"""CLI subcommands for indicators (registered on ``desktop.cli.cli`` when imported)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from desktop.cli import cli, known_errors
from desktop.models.errors import ImportFormatError, ImportIssue

if TYPE_CHECKING:
    from desktop.excel.indicator_table import IndicatorRow, IndicatorTablePreview
    from desktop.models.printed import PrintedValue


@cli.command("import-indicators")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", "plan_id", type=int,
              help="导入到此编号的规划（默认新建一个以文件命名的规划）。")
@click.option("--sheet", help="只读取此工作表（工作簿中有多个指标表时）。")
@click.option("--dry-run", is_flag=True, help="只读取和检查，不写入数据库。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出读取结果和错误。")
@click.pass_context
@known_errors
def import_indicators(ctx: click.Context, file: Path, plan_id: int | None, sheet: str | None,
                      dry_run: bool, as_json: bool) -> None:
    """从 Excel/WPS 工作簿（.xlsx、.xls、.ods）导入规划的指标表。

    有任何错误时整个文件不导入（退出状态 1），数据库不作改动。
    """
    from desktop.excel.indicator_table import parse_indicator_workbook

    try:
        preview = parse_indicator_workbook(file, sheet=sheet)
    except ImportFormatError as exc:
        if not as_json:
            raise
        issue = ImportIssue(file.name, exc.user_message)
        click.echo(json.dumps({"indicators": [], "errors": [_issue_json(issue)]},
                              ensure_ascii=False, indent=2))
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(preview_json(preview), ensure_ascii=False, indent=2))
        for warning in preview.warnings:
            click.echo(f"提醒：{warning}", err=True)
    else:
        _echo_preview(preview)
    if preview.errors:
        click.echo(f"文件“{preview.file}”有 {len(preview.errors)} 处错误，未导入任何指标，"
                   "数据库未作改动。请改正后重新导入。", err=True)
        sys.exit(1)
    if dry_run:
        if not as_json:
            click.echo("试运行（--dry-run）：未写入数据库。")
        return
    counts, plan_title, plan_number, year_issues = _write(ctx, preview, plan_id)
    for issue in year_issues:
        click.echo(f"提醒：{issue}", err=as_json)
    if not as_json:
        click.echo(f"已导入到规划“{plan_title}”（编号 {plan_number}）："
                   f"新建 {counts['created']} 项，"
                   f"更新 {counts['updated']} 项，未变 {counts['unchanged']} 项。")


def _write(ctx: click.Context, preview: IndicatorTablePreview,
           plan_id: int | None) -> tuple[dict[str, int], str, int, list[ImportIssue]]:
    from desktop.excel.indicator_table import apply_indicator_table, plan_year_issues
    from desktop.models.plans import create_plan_for_file, get_plan
    from desktop.models.store import backup_before_import, open_database

    db = open_database(ctx.obj)
    try:
        backup_before_import(db, "import-indicators")
        with db.atomic():
            if plan_id is not None:
                plan = get_plan(db, plan_id)
                year_issues = plan_year_issues(preview, plan)
            else:
                years = None
                if preview.baseline_year and preview.target_year and (
                    preview.baseline_year < preview.target_year
                ):
                    # The plan's period follows the years printed in the table's header.
                    years = (preview.baseline_year + 1, preview.target_year)
                plan = create_plan_for_file(db, preview.path.name, years=years)
                year_issues = []
            counts = apply_indicator_table(db, plan.id, preview)
    finally:
        db.close()
    return counts, plan.title, plan.id, year_issues


def _echo_preview(preview: IndicatorTablePreview) -> None:
    if preview.sheet is None:
        click.echo(f"文件：{preview.file}，未找到指标表。")
    else:
        years = ""
        if preview.baseline_year or preview.target_year:
            years = (f"；基期 {preview.baseline_year or '—'} 年，"
                     f"目标 {preview.target_year or '—'} 年")
        click.echo(f"文件：{preview.file}，工作表“{preview.sheet}”，表头在第 "
                   f"{preview.header_row} 行{years}")
        click.echo(f"读取指标 {len(preview.rows)} 项（错误 {len(preview.errors)} 处，"
                   f"提醒 {len(preview.warnings)} 处）：")
    for row in preview.rows:
        unit = f"（{row.unit}）" if row.unit else ""
        click.echo(f"  第 {row.row} 行  {row.seq_printed or '—'}  {row.name}{unit}  "
                   f"{row.category or '—'}  {row.attribute or '—'}  "
                   f"{row.baseline.display()} → {row.target.display()}"
                   + ("  ← 有错误" if row.has_errors else ""))
    for issue in preview.issues:
        label = "错误" if issue.severity == "error" else "提醒"
        click.echo(f"{label}：{issue}")


def preview_json(preview: IndicatorTablePreview) -> dict[str, Any]:
    """The ``--json`` document: every row read and the errors (warnings go to stderr)."""
    return {
        "indicators": [_row_json(row) for row in preview.rows],
        "errors": [_issue_json(issue) for issue in preview.errors],
    }


def _row_json(row: IndicatorRow) -> dict[str, Any]:
    return {
        "row": row.row, "seq": row.seq, "name": row.name, "unit": row.unit or None,
        "category": row.category or None, "attribute": row.attribute,
        "baseline": _value_json(row.baseline), "target": _value_json(row.target),
    }


def _value_json(value: PrintedValue) -> dict[str, Any]:
    from desktop.excel.indicator_table import printed_comparator
    from desktop.models.printed import ValueKind

    comparator = printed_comparator(value)
    number: Any = None
    if value.kind is ValueKind.RANGE and value.value is not None and value.upper is not None:
        number = [_number(value.value), _number(value.upper)]
    elif value.value is not None:
        number = _number(value.value)
    return {"text": value.text, "comparator": comparator.value if comparator else None,
            "value": number}


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _issue_json(issue: ImportIssue) -> dict[str, Any]:
    return {"file": issue.file, "sheet": issue.sheet, "row": issue.row, "column": issue.column,
            "message": issue.message}
