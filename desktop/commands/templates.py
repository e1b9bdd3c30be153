"""CLI subcommand for reporting templates (registered on ``desktop.cli.cli`` when imported)."""

from __future__ import annotations

from pathlib import Path

import click

from desktop.cli import _open, cli, known_errors


@cli.command("templates")
@click.option("--period", "period_id", required=True,
              help="填报期间，如 2024、2024S1（上半年）、2024Q3（第三季度）、202408（8月）。")
@click.option("--unit", "unit_codes", multiple=True,
              help="为此代码的单位生成模板（可重复；区局填自己的代码）。默认为全部市场监管所。")
@click.option("--all-stations", is_flag=True, help="为全部未撤销的市场监管所生成模板。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="保存模板的文件夹。")
@click.option("--zip", "zip_name", help="另把全部模板压缩为此名称的 .zip 文件（放在同一文件夹）。")
@click.pass_context
@known_errors
def templates_command(ctx: click.Context, period_id: str, unit_codes: tuple[str, ...],
                      all_stations: bool, plan_id: int | None, out_dir: Path,
                      zip_name: str | None) -> None:
    """为一个期间生成各单位的 Excel 填报模板（每个单位一个 .xlsx 文件）。"""
    from desktop.excel.plan_workbook import choose_plan
    from desktop.excel.templates import reporting_stations, template_rows, write_templates
    from desktop.models.errors import ValidationError
    from desktop.models.orgunits import get_unit_by_code
    from desktop.models.periods import Period

    period = Period.parse(period_id)
    db = _open(ctx)
    plan = choose_plan(db, plan_id)
    units = [get_unit_by_code(db, code.strip()) for code in unit_codes]
    if all_stations or not unit_codes:
        stations = reporting_stations(db, period)
        if not stations and not unit_codes:
            raise ValidationError(
                f"数据库中没有{period.label}在用的市场监管所，请用 --unit 指定单位代码。",
                "no stations")
        units += stations
    units = list({u.id: u for u in units}.values())
    paths = write_templates(db, plan.id, period, [u.id for u in units], out_dir,
                            zip_name=zip_name)
    books = paths[:len(units)]
    click.echo(f"已生成规划“{plan.short_title or plan.title}”{period.label}的填报模板 "
               f"{len(books)} 份，保存在 {out_dir}：")
    for unit, path in zip(units, books, strict=True):
        content = template_rows(db, plan.id, unit.id, period)
        click.echo(f"  {path.name}（{unit.name}：数据项 {len(content.elements)} 个，"
                   f"任务 {len(content.tasks)} 项）")
    if zip_name:
        click.echo(f"已压缩为 {paths[-1]}")
