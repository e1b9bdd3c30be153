"""CLI subcommands of the reporting cycle: submit, review notice, import a review notice.

``submit`` runs at a station, ``review-notice`` at the district, ``import-review`` at the
station again; the district imports submissions with ``import`` (desktop/commands/returns.py).
The command line acts as the administrator (``Actor.command_line()``).
"""

from __future__ import annotations

from pathlib import Path

import click

from desktop.cli import _open, cli, known_errors


@cli.command("submit")
@click.option("--unit", "unit_code", required=True, help="报送单位的代码，如 CQ-TN-S01。")
@click.option("--period", "period_id", required=True, help="报送期间，如 2025、2025Q3。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
@known_errors
def submit_command(ctx: click.Context, unit_code: str, period_id: str, plan_id: int | None,
                   out_dir: Path) -> None:
    """报送本单位一个期间的报表，并在 OUT_DIR 中写出报送文件（有佐证材料时为 .zip）。

    报表状态变为“已报送”，报送时间写入文件并签名；把该文件报送上级即可。
    """
    from desktop.excel.plan_workbook import choose_plan
    from desktop.excel.submission import write_submission
    from desktop.models.auth import Actor
    from desktop.models.orgunits import get_unit_by_code
    from desktop.models.periods import Period

    period = Period.parse(period_id)
    db = _open(ctx)
    plan = choose_plan(db, plan_id)
    unit = get_unit_by_code(db, unit_code.strip())
    path = write_submission(db, Actor.command_line(), plan.id, unit.id, period, out_dir,
                            source="cli")
    click.echo(f"已报送{unit.name}{period.label}的报表，报送文件：{path}")
    click.echo("请把该文件（不要解压）通过 U 盘或电子邮件报送上级。")


@cli.command("review-notice")
@click.option("--unit", "unit_code", required=True, help="被审核单位的代码，如 CQ-TN-S01。")
@click.option("--period", "period_id", required=True, help="报送期间，如 2025、2025Q3。")
@click.option("--plan", "plan_id", type=int, help="规划编号（数据库中只有一个规划时可省略）。")
@click.argument("out", type=click.Path(path_type=Path))
@click.pass_context
@known_errors
def review_notice_command(ctx: click.Context, unit_code: str, period_id: str,
                          plan_id: int | None, out: Path) -> None:
    """写出一个单位报表的审核通知（退回原因和具体意见，或审核通过）到 OUT（文件或文件夹）。"""
    from desktop.excel.plan_workbook import choose_plan
    from desktop.excel.submission import write_review_notice
    from desktop.models.auth import Actor
    from desktop.models.errors import NotFoundError
    from desktop.models.orgunits import get_unit_by_code
    from desktop.models.periods import Period
    from desktop.models.workflow import find_submission

    period = Period.parse(period_id)
    db = _open(ctx)
    plan = choose_plan(db, plan_id)
    unit = get_unit_by_code(db, unit_code.strip())
    submission = find_submission(db, plan.id, unit.id, period.id)
    if submission is None:
        raise NotFoundError(f"数据库中没有{unit.name}{period.label}的报表，无法写出审核通知。"
                            "请先导入该单位的报送文件并审核。", "no submission")
    path = write_review_notice(db, Actor.command_line(), submission.id, out)
    click.echo(f"已写出{unit.name}{period.label}的审核通知（{submission.status.label}）：{path}")
    click.echo("请把该文件发给填报单位，由其在 PlanDesk 中导入。")


@cli.command("import-review")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@known_errors
def import_review_command(ctx: click.Context, path: Path) -> None:
    """导入上级发回的审核通知：报表状态、退回原因和具体意见。"""
    from desktop.excel.submission import import_review_notice
    from desktop.models.auth import Actor
    from desktop.models.indicators import list_elements
    from desktop.models.plans import list_plan_items
    from desktop.models.store import backup_before_import

    db = _open(ctx)
    backup_before_import(db, "import-review")
    result = import_review_notice(db, Actor.command_line(), path)
    click.echo(result.message)
    if result.comments:
        elements = {e.id: e.name for e in list_elements(db)}
        tasks = {i.id: f"{i.marker}{i.title}".strip()
                 for i in list_plan_items(db, result.submission.plan_id)}
        for (kind, item_id), text in result.comments.items():
            name = elements.get(item_id) if kind == "element" else tasks.get(item_id)
            click.echo(f"  {name or item_id}：{text}")
