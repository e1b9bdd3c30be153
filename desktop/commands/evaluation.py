"""CLI subcommands aggregate and evaluate (registered on ``desktop.cli.cli``)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

import click

from desktop.cli import _open, cli, known_errors


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows padded to columns by display width (a Chinese character takes two)."""
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True))
            .rstrip() for r in (header, *rows)]


def _number(value: float | None) -> str:
    from desktop.models.evaluation import MISSING_TEXT, format_number

    return MISSING_TEXT if value is None else format_number(value)


def _plan_and_unit(db: Any, plan_id: int | None, unit_code: str | None) -> tuple[int, int | None]:
    from desktop.excel.plan_workbook import choose_plan
    from desktop.models.orgunits import get_unit_by_code

    plan = choose_plan(db, plan_id)
    unit_id = get_unit_by_code(db, unit_code.strip()).id if unit_code else None
    return plan.id, unit_id


@cli.command("aggregate")
@click.option("--period", required=True,
              help="期间，如 2024、2024S1（上半年）、2024Q3（第三季度）、202408（月）。")
@click.option("--unit", "unit_code", help="单位代码（默认为规划的编制单位，即区县局）；"
              "给所的代码则列出该所本身的数值。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
@known_errors
def aggregate_command(ctx: click.Context, period: str, unit_code: str | None,
                      plan_id: int | None, as_json: bool) -> None:
    """汇总某一期间的全部数据项和指标：数值、分子、分母和报送完整性。

    月、季度、半年的数值按数据项的时间汇总方式合成年度值（流量累加，存量取期末值）；
    各所数值按数据项的汇总方式汇总；比率类指标用分子之和除以分母之和重新计算。
    缺报的数值显示为“缺数”，从不当作 0。
    """
    from desktop.models.evaluation import aggregate_table

    db = _open(ctx)
    plan, unit_id = _plan_and_unit(db, plan_id, unit_code)
    table = aggregate_table(db, plan, period, unit_id=unit_id)
    if as_json:
        click.echo(table.to_json())
        return
    click.echo(f"{table.unit_name}（代码 {table.unit_code}）{table.period_label}汇总")
    click.echo("")
    click.echo("数据项")
    for line in _table(("代码", "名称", "数值", "单位", "已报/应报", "说明"), [
            (r.code, r.name, _number(r.value), r.unit, r.completeness, r.note)
            for r in table.elements]):
        click.echo(f"  {line}")
    click.echo("")
    click.echo("指标")
    for line in _table(("代码", "名称", "数值", "单位", "分子", "分母", "已报/应报", "说明"), [
            (r.code, r.name, _number(r.value), r.unit,
             "" if r.numerator is None else _number(r.numerator),
             "" if r.denominator is None else _number(r.denominator), r.completeness, r.note)
            for r in table.indicators]):
        click.echo(f"  {line}")
    incomplete = [r for r in table.elements if r.reported < r.expected]
    if incomplete:
        click.echo(f"注意：有 {len(incomplete)} 个数据项未报齐，汇总数不完整（见“已报/应报”列）。",
                   err=True)


@cli.command("evaluate")
@click.option("--year", required=True, type=int, help="评价的年度，如 2024。")
@click.option("--unit", "unit_code", help="单位代码（默认为规划的编制单位，即区县局）。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.option("--tolerance", type=click.FloatRange(0, 50),
              help="本次评价使用的容差（百分数，如 5 表示 ±5%；默认为设置中的容差）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
@known_errors
def evaluate_command(ctx: click.Context, year: int, unit_code: str | None, plan_id: int | None,
                     tolerance: float | None, as_json: bool) -> None:
    """评价某一年度全部指标的进度：实际值、年度目标、规划目标、进度、类别和预警。

    类别为 提前实现 / 快于预期 / 基本符合预期 / 滞后；预警针对约束性指标（红、黄）。
    """
    from desktop.models.evaluation import class_counts, evaluate, get_tolerance

    db = _open(ctx)
    plan, unit_id = _plan_and_unit(db, plan_id, unit_code)
    tol = get_tolerance(db) if tolerance is None else tolerance / 100
    evaluations = evaluate(db, plan, year, unit_id=unit_id, tolerance=tol)
    if as_json:
        click.echo(json.dumps({"year": year, "tolerance": tol,
                               "indicators": [e.as_dict() for e in evaluations]},
                              ensure_ascii=False, indent=2))
        return
    unit = evaluations[0].unit_name if evaluations else ""
    click.echo(f"{unit} {year}年指标进度评价（容差 ±{tol * 100:g}%）")
    warn = {"red": "红", "yellow": "黄", "green": "", "none": ""}
    for line in _table(
            ("序号", "指标", "实际值", "年度目标", "规划目标", "进度", "时间进度", "类别", "预警",
             "已报/应报"),
            [(e.indicator.seq_printed, e.indicator.name, e.actual_text,
              e.annual_target.text if e.annual_target else "", e.final_target.text,
              "" if e.progress is None else f"{e.progress * 100:.1f}%",
              f"{e.elapsed * 100:.0f}%", e.class_label, warn[e.warning.value], e.completeness)
             for e in evaluations]):
        click.echo(line)
    counts = class_counts(evaluations)
    summary = "，".join(f"{cls.label} {n} 项" for cls, n in counts.items() if cls and n)
    unclassified = counts[None]
    click.echo(f"合计 {len(evaluations)} 项：{summary or '无'}"
               + (f"，未评价 {unclassified} 项" if unclassified else "") + "。")
    red = sum(1 for e in evaluations if e.warning.value == "red")
    yellow = sum(1 for e in evaluations if e.warning.value == "yellow")
    if red or yellow:
        click.echo(f"预警：红色 {red} 项，黄色 {yellow} 项（约束性指标）。")
