"""CLI subcommands export-summary and export-return (registered on ``desktop.cli.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from desktop.cli import _open, cli, known_errors

_PERIOD_HELP = "期间，如 2024、2024S1（上半年）、2024Q3（第三季度）、202408（月）。"


def _chosen(db: Any, plan_id: int | None, period: str | None,
            unit_code: str | None) -> tuple[int, str, int | None]:
    """The plan, the period and the unit named on the command line, checked."""
    from desktop.excel.plan_workbook import choose_plan
    from desktop.models.errors import ValidationError
    from desktop.models.orgunits import get_unit_by_code
    from desktop.models.periods import Period

    if not period:
        raise ValidationError("请用 --period 指定汇总的期间，例如 --period 2024。", "no period")
    span = Period.parse(period)
    plan = choose_plan(db, plan_id)
    unit_id = get_unit_by_code(db, unit_code.strip()).id if unit_code else None
    return plan.id, span.id, unit_id


@cli.command("export-summary")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--period", help=_PERIOD_HELP)
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.option("--unit", "unit_code",
              help="汇总单位的代码（默认为规划的编制单位，或数据库中唯一的区县局）。")
@click.pass_context
@known_errors
def export_summary_command(ctx: click.Context, out: Path, period: str | None,
                           plan_id: int | None, unit_code: str | None) -> None:
    """导出某一期间的全区汇总表（汇总、分所明细、报送情况）。"""
    from desktop.excel.rollup import export_summary

    db = _open(ctx)
    plan, span, unit_id = _chosen(db, plan_id, period, unit_code)
    result = export_summary(db, plan, span, out, unit_id=unit_id)
    click.echo(
        f"已导出“{result.unit_name}”{result.period_label}汇总表到 {result.path}："
        f"指标 {result.indicators} 项（可计算 {result.computed} 项），数据项 {result.elements} 个，"
        f"下级单位已报 {result.units_reported} 个，应报 {result.units_expected} 个。")
    missing = result.units_expected - result.units_reported
    if missing:
        click.echo(f"注意：有 {missing} 个下级单位本期没有任何数值，汇总数不完整，"
                   "详见“报送情况”工作表。", err=True)
    if result.computed < result.indicators:
        click.echo(f"注意：有 {result.indicators - result.computed} 项指标无法计算，"
                   "原因见“汇总”工作表的“计算说明”列。", err=True)


@cli.command("export-return")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--period", help=_PERIOD_HELP)
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.option("--unit", "unit_code",
              help="报送单位的代码（默认为规划的编制单位，或数据库中唯一的区县局）。")
@click.pass_context
@known_errors
def export_return_command(ctx: click.Context, out: Path, period: str | None,
                          plan_id: int | None, unit_code: str | None) -> None:
    """导出本单位某一期间的报表（上级填报模板格式），供上级 PlanDesk 导入。"""
    from desktop.excel.rollup import export_return

    db = _open(ctx)
    plan, span, unit_id = _chosen(db, plan_id, period, unit_code)
    result = export_return(db, plan, span, out, unit_id=unit_id)
    click.echo(
        f"已导出“{result.unit_name}”（代码 {result.unit_code}）{result.period_label}报表到 "
        f"{result.path}：数据项 {result.elements} 个，有数值 {result.values} 个。"
        "请将该文件报送上级，由上级用“导入报表”导入。")
    if result.values < result.elements:
        click.echo(f"注意：有 {result.elements - result.values} 个数据项本期没有数值，"
                   "报表中留空。", err=True)
