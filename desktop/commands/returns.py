"""CLI subcommand ``import``: the returns stations send back (registered on ``desktop.cli.cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from desktop.cli import _open, cli, known_errors

if TYPE_CHECKING:
    from desktop.excel.returns import ReturnFile

#: What a dry run says would happen to a file of each status.
_DRY_OUTCOMES = {"new": "would_import", "resubmission": "would_import",
                 "duplicate": "duplicate", "rejected": "refused"}


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只读取和检查，不写入数据库。")
@click.option("--json", "as_json", is_flag=True,
              help="以 JSON 输出每个文件的状态、单位、期间、数量和错误。")
@click.option("--yes", "-y", "confirm", is_flag=True,
              help="确认重新报送：用文件中的数据覆盖已报送的不同数据。")
@click.option("--period", "period_id", help="只接受此期间的报表，如 2024、2024Q3。")
@click.option("--unit", "unit_codes", multiple=True, help="只接受此代码单位的报表（可重复）。")
@click.pass_context
@known_errors
def import_command(ctx: click.Context, paths: tuple[Path, ...], dry_run: bool, as_json: bool,
                   confirm: bool, period_id: str | None, unit_codes: tuple[str, ...]) -> None:
    """导入各单位填好的 Excel 填报表：文件、文件夹（含子文件夹）或 .zip，可给多个。

    每个文件单独导入（全部写入或全部不写）；与已存数据相同的文件跳过；与已报送数据不同的
    文件（重新报送）需加 --yes 才覆盖；已审核锁定的期间不会被覆盖。写入前自动备份数据库。
    每个文件都导入或与已存数据相同时退出状态为 0，有文件被拒绝或未确认时为 1。
    """
    from desktop.excel.returns import (
        ImportOutcome,
        ReturnStatus,
        apply_returns,
        preview_returns,
    )

    db = _open(ctx)
    preview = preview_returns(db, paths, period=period_id,
                              unit_codes=set(unit_codes) if unit_codes else None)
    rows: list[dict[str, Any]] = []
    if dry_run:
        ok = True
        for item in preview.files:
            outcome = _DRY_OUTCOMES[item.status.value]
            if item.status is ReturnStatus.RESUBMISSION and not confirm:
                outcome = "unconfirmed"
            ok = ok and outcome in ("would_import", "duplicate")
            rows.append(_row(item, outcome, _dry_message(item, outcome)))
        backup = None
    else:
        result = apply_returns(db, preview, confirm_resubmissions=confirm)
        ok = result.ok
        rows = [_row(o.file, o.outcome.value, o.message) for o in result.outcomes]
        backup = result.backup
    if as_json:
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
        click.echo(json.dumps({
            "dry_run": dry_run, "ok": ok, "backup": str(backup) if backup else None,
            "files": rows, "counts": preview.counts(), "outcomes": counts,
            "skipped": list(preview.skipped)}, ensure_ascii=False, indent=2))
    else:
        _print(preview.files, rows, dry_run)
        for name in preview.skipped:
            click.echo(f"  未读取：{name}（不是工作簿或压缩包）", err=True)
        click.echo(_summary(rows, dry_run, backup))
        if not ok and any(r["outcome"] == ImportOutcome.UNCONFIRMED.value for r in rows):
            click.echo("有文件与已报送的数据不同（重新报送）。核对改动后，加 --yes 重新运行"
                       "以覆盖。", err=True)
    if not ok:
        sys.exit(1)


def _row(item: ReturnFile, outcome: str, message: str) -> dict[str, Any]:
    data = item.as_dict()
    data.update(outcome=outcome, message=message)
    return data


def _dry_message(item: ReturnFile, outcome: str) -> str:
    if outcome == "refused":
        return item.reason or "该文件有错误，不会导入。"
    if outcome == "duplicate":
        return "内容与已存数据相同，不会重复写入。"
    if outcome == "unconfirmed":
        return f"内容与已存数据有 {len(item.changes)} 处不同（重新报送），需加 --yes 才会覆盖。"
    return "可以导入。"


def _print(files: tuple[ReturnFile, ...], rows: list[dict[str, Any]], dry_run: bool) -> None:
    from desktop.excel.returns import summary_line

    for item, row in zip(files, rows, strict=True):
        click.echo(f"{summary_line(item)} —— {row['message']}")
        for issue in item.errors:
            click.echo(f"  错误：{issue}", err=True)
        for issue in item.warnings:
            click.echo(f"  注意：{issue}", err=True)
        for change in item.changes[:50]:
            click.echo(f"  改动：{change}")
        if len(item.changes) > 50:
            click.echo(f"  ……另有 {len(item.changes) - 50} 处改动")


def _summary(rows: list[dict[str, Any]], dry_run: bool, backup: Path | None) -> str:
    labels = (("imported", "已导入"), ("would_import", "可导入"), ("duplicate", "重复（未写入）"),
              ("unconfirmed", "待确认（未写入）"), ("refused", "拒绝"))
    counts = {key: sum(1 for r in rows if r["outcome"] == key) for key, _ in labels}
    parts = [f"{label} {counts[key]} 个" for key, label in labels if counts[key]]
    text = ("试导入（未写入数据库）" if dry_run else "导入完成") + f"：共 {len(rows)} 个文件"
    if parts:
        text += "，" + "，".join(parts)
    text += "。"
    if backup is not None:
        text += f"导入前的数据库已备份到 {backup}。"
    return text
