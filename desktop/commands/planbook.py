"""CLI subcommands for planbook (registered on ``desktop.cli.cli`` when imported)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from desktop.cli import _open, cli, known_errors

_EXPORT_COUNTS = (
    ("units", "单位", "个"), ("plan_items", "规划条目", "个"), ("tasks", "任务", "个"),
    ("assignments", "任务分工", "项"), ("indicators", "指标", "项"),
    ("elements", "数据项", "个"), ("annual_targets", "年度目标", "条"),
)


@cli.command("export-plan")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.pass_context
@known_errors
def export_plan_command(ctx: click.Context, out: Path, plan_id: int | None) -> None:
    """把规划的全部定义导出为一个 Excel 工作簿（规划、单位、任务分解、指标、数据项、年度目标）。"""
    from desktop.excel.plan_workbook import choose_plan, export_plan

    db = _open(ctx)
    plan = choose_plan(db, plan_id)
    result = export_plan(db, plan.id, out)
    counts = "，".join(f"{label} {result.counts[key]} {measure}"
                      for key, label, measure in _EXPORT_COUNTS)
    click.echo(f"已导出规划“{result.plan_title}”到 {result.path}：{counts}。")
    for warning in result.warnings:
        click.echo(f"注意：{warning}", err=True)


@cli.command("import-plan")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并报告，不写入数据库。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果和问题清单。")
@click.pass_context
@known_errors
def import_plan_command(ctx: click.Context, source: Path, dry_run: bool, as_json: bool) -> None:
    """导入规划工作簿或手工编制的任务分解表；有任何错误时不写入任何内容。"""
    from desktop.excel.plan_workbook import import_plan
    from desktop.models.store import backup_before_import

    db = _open(ctx)
    if not dry_run:
        backup_before_import(db, "import-plan")
    result = import_plan(db, source, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        if result.ok:
            click.echo(result.summary())
        for issue in result.issues:
            prefix = "错误" if issue.severity == "error" else "注意"
            click.echo(f"  {prefix}：{issue}", err=True)
    if not result.ok:
        click.echo(f"错误：{result.summary()}", err=True)
        sys.exit(1)
