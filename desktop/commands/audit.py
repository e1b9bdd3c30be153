"""CLI subcommands of the audit trail: verify the hash chain, list recent events."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from desktop.cli import _open, cli, known_errors


@cli.group("audit")
def audit_group() -> None:
    """审计记录：校验与查看。"""


@audit_group.command("verify")
@click.pass_context
@known_errors
def verify_command(ctx: click.Context) -> None:
    """校验审计记录链；记录在 PlanDesk 之外被改动时退出码为 1。"""
    from desktop.models.audit import count_events, verify_chain

    db = _open(ctx)
    broken = verify_chain(db)
    if not broken:
        click.echo(f"审计记录完整：{count_events(db)} 条")
        return
    for event_id in broken:
        click.echo(f"审计记录第 {event_id} 条与其内容或前一条的校验值不符："
                   "数据库可能在 PlanDesk 之外被改动")
    click.echo(f"共 {len(broken)} 条审计记录校验不符（编号 {', '.join(map(str, broken))}）。"
               "请从备份恢复数据库，并查明改动来源。")
    sys.exit(1)


@audit_group.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000),
              help="显示最近多少条。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
@known_errors
def list_command(ctx: click.Context, limit: int, as_json: bool) -> None:
    """列出最近的审计记录（最新的在前）。"""
    from desktop.models.audit import list_events

    db = _open(ctx)
    events = list_events(db, limit)
    if as_json:
        click.echo(json.dumps([asdict(e) for e in events], ensure_ascii=False, indent=2))
        return
    for e in events:
        change = ""
        if e.old_value is not None or e.new_value is not None:
            old = json.dumps(e.old_value, ensure_ascii=False)
            new = json.dumps(e.new_value, ensure_ascii=False)
            change = f" {old} → {new}"
        source = f"（来源：{e.source}）" if e.source else ""
        click.echo(f"{e.id}\t{e.at[:19]}\t{e.username or '—'}\t{e.action}\t"
                   f"{e.entity}:{e.entity_id}{change}{source}")
