"""Command-line companion of PlanDesk: the same layers as the app, without Qt."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from desktop import __version__
from desktop.logs import setup_logging
from desktop.models.errors import PlanDeskError
from desktop.paths import default_database_path

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def known_errors(func: F) -> F:
    """Print a known error's Chinese message and exit 1; anything else is a bug and is raised."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PlanDeskError as exc:
            log.warning("%s: %s", type(exc).__name__, exc.detail)
            click.echo(f"错误：{exc.user_message}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="数据库文件（默认在用户数据文件夹中）。")
@click.version_option(__version__, prog_name="plandesk")
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None) -> None:
    """PlanDesk 规划实施监测评估系统 命令行工具。"""
    setup_logging()
    ctx.obj = db_path or default_database_path()


def _open(ctx: click.Context) -> Any:
    from desktop.models.store import open_database

    return open_database(ctx.obj)


@cli.command()
@click.pass_context
@known_errors
def init(ctx: click.Context) -> None:
    """创建（或升级）数据库。"""
    from desktop.models.store import schema_version

    db = _open(ctx)
    click.echo(f"数据库已就绪：{ctx.obj}（结构版本 {schema_version(db)}）")


@cli.command()
@click.pass_context
@known_errors
def demo(ctx: click.Context) -> None:
    """在空数据库中建立演示数据（潼南区“十四五”规划）。"""
    from desktop.models.demo import build_demo
    from desktop.models.progress import run_job

    db = _open(ctx)
    summary = run_job(build_demo(db))
    click.echo(
        f"演示数据已写入 {ctx.obj}：规划条目 {summary.plan_items} 个，"
        f"指标 {summary.indicators} 项，市场监管所 {summary.stations} 个，"
        f"演示数值 {summary.values} 条。")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
@known_errors
def info(ctx: click.Context, as_json: bool) -> None:
    """显示数据库中的规划、单位、指标和数值的数量。"""
    from desktop.models.orgunits import UNIT_TYPE_LABELS, UnitType
    from desktop.models.summary import summarise_database

    summary = summarise_database(_open(ctx))
    if as_json:
        data = summary.as_dict()
        data["database"] = str(ctx.obj)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"数据库：{ctx.obj}（结构版本 {summary.schema_version}）")
    click.echo(f"规划 {summary.plans} 个，规划条目 {summary.plan_items} 个"
               f"（任务 {summary.tasks} 个）")
    click.echo(f"指标 {summary.indicators} 项，数据项 {summary.data_elements} 个，"
               f"数值 {summary.data_values} 条")
    by_type = "，".join(f"{UNIT_TYPE_LABELS[UnitType(k)]} {v}"
                       for k, v in summary.units_by_type.items() if v)
    click.echo(f"单位 {summary.units} 个（{by_type or '无'}）")


@cli.command()
@click.pass_context
@known_errors
def check(ctx: click.Context) -> None:
    """检查数据库完整性、结构版本和审计链。"""
    from desktop.models.audit import verify_chain
    from desktop.models.store import integrity_check, schema_version

    db = _open(ctx)
    problems = integrity_check(db)
    broken = verify_chain(db)
    click.echo(f"数据库：{ctx.obj}")
    click.echo(f"结构版本：{schema_version(db)}")
    click.echo("完整性检查：" + ("通过" if not problems else "发现问题"))
    for problem in problems:
        click.echo(f"  {problem}")
    click.echo("审计记录链：" + ("完好" if not broken
                                 else f"第 {', '.join(map(str, broken))} 条记录被改动"))
    if problems or broken:
        sys.exit(1)


@cli.command()
@click.argument("dest", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@known_errors
def backup(ctx: click.Context, dest: Path | None) -> None:
    """备份数据库（默认写入数据库旁的 backups 文件夹）。"""
    from desktop.models.store import backup_database

    _open(ctx).close()
    written = backup_database(ctx.obj, reason="manual", dest=dest)
    click.echo(f"已备份到：{written}")


def main() -> None:
    cli()


# Importing the command modules registers their subcommands on ``cli`` (they import it from here).
from desktop.commands import indicators, outline, planbook, reporting, returns, rollup, templates  # noqa: E402, F401, I001
from desktop.commands import assessment, audit, evaluation, users  # noqa: E402, F401


if __name__ == "__main__":
    main()
