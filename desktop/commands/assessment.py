"""CLI subcommands of the annual assessment: ``scheme copy`` and ``scheme ranking``."""

from __future__ import annotations

import json
from typing import Any

import click

from desktop.cli import _open, cli, known_errors


@cli.group("scheme")
def scheme_group() -> None:
    """考核方案：复制、排名。"""


def _plan(db: Any, plan_id: int | None) -> int:
    from desktop.excel.plan_workbook import choose_plan

    return choose_plan(db, plan_id).id


@scheme_group.command("copy")
@click.option("--from", "from_year", required=True, type=int, help="复制哪一年的方案。")
@click.option("--to", "to_year", required=True, type=int, help="复制为哪一年的方案。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.pass_context
@known_errors
def copy_command(ctx: click.Context, from_year: int, to_year: int, plan_id: int | None) -> None:
    """把上一年的考核方案（项目、分值、计分方法、等次线）复制为新一年的方案，不含得分。"""
    from desktop.models.assessment import copy_scheme, list_items, scheme_problems
    from desktop.models.auth import Actor

    db = _open(ctx)
    scheme = copy_scheme(db, Actor.command_line(), _plan(db, plan_id), from_year, to_year)
    click.echo(f"已复制为“{scheme.title}”：考核项目 {len(list_items(db, scheme.id))} 个。")
    for problem in scheme_problems(db, scheme):
        click.echo(f"提醒：{problem}", err=True)


@scheme_group.command("ranking")
@click.option("--year", required=True, type=int, help="考核年度。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
@known_errors
def ranking_command(ctx: click.Context, year: int, plan_id: int | None, as_json: bool) -> None:
    """各所考核总分、等次和排名（得分以区局复评为准，未复评的以自评计）。"""
    from desktop.models.aggregation import default_district, reporting_units
    from desktop.models.assessment import get_scheme, publication_problems, results

    db = _open(ctx)
    plan = _plan(db, plan_id)
    scheme = get_scheme(db, plan, year)
    district = default_district(db, plan)
    units = [u.id for u in reporting_units(db, district.id, str(year))]
    ranked = results(db, scheme, units)
    problems = publication_problems(db, scheme, units)
    if as_json:
        click.echo(json.dumps({
            "year": year, "scheme": scheme.title, "problems": problems,
            "ranking": [{"rank": r.rank, "unit_code": r.unit.code, "unit": r.unit.name,
                         "base": r.base, "bonus": r.bonus, "total": r.total,
                         "grade": r.grade.value, "grade_label": r.grade.label,
                         "vetoed_by": list(r.vetoed_by), "missing": list(r.missing),
                         "unreviewed": list(r.unreviewed)} for r in ranked]},
            ensure_ascii=False, indent=2))
        return
    click.echo(f"{scheme.title}（{year}年）")
    ranks = [r.rank for r in ranked]
    for r in ranked:
        shared = "并列" if ranks.count(r.rank) > 1 else ""
        veto = f"  一票否决：{'、'.join(r.vetoed_by)}" if r.vetoed_by else ""
        click.echo(f"{shared}第{r.rank}名  {r.unit.name}  {r.total:g} 分  {r.grade.label}{veto}")
    for problem in problems:
        click.echo(f"注意：{problem}", err=True)
