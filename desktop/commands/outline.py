"""CLI subcommands for outline (registered on ``desktop.cli.cli`` when imported)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from desktop.cli import cli, known_errors

if TYPE_CHECKING:
    from sqlite_utils import Database

    from desktop.documents.plan_document import PlanDocument
    from desktop.models.outline_store import ItemChange, OutlineChange
    from desktop.models.plans import OutlineNode, Plan

_SHOWN = 10


@cli.command("import-outline")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", "plan_id", type=int,
              help="更新此编号的规划的大纲（默认新建一个以文件标题命名的规划）。")
@click.option("--dry-run", is_flag=True, help="只读取并显示将要发生的变化，不写入数据库。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出大纲、变化和需要核对之处。")
@click.option("--allow-removing-linked", is_flag=True,
              help="允许删除新文件中已没有、但已分配单位或已关联指标的条目。")
@click.pass_context
@known_errors
def import_outline(ctx: click.Context, file: Path, plan_id: int | None, dry_run: bool,
                   as_json: bool, allow_removing_linked: bool) -> None:
    """导入规划正文（.docx 或 .txt），生成或更新规划的任务大纲。

    再次导入同一文件不会改动任何内容；导入修订后的文件时，保留未变条目及其分配。
    文件无法读取时退出状态为 1，数据库不作改动。
    """
    from desktop.documents.plan_document import read_plan_document

    document = read_plan_document(file)  # a refused file never opens the database
    db_path: Path = ctx.obj
    if dry_run:
        plan, change, new = _preview(db_path, document, plan_id)
    else:
        plan, change, new = _import(db_path, document, plan_id, allow_removing_linked)
    if as_json:
        click.echo(json.dumps(_result_json(document, plan, change, new, dry_run),
                              ensure_ascii=False, indent=2))
    else:
        _echo_summary(document, plan, change, new, dry_run)


def _find_imported(db: Database, source_hash: str) -> Plan | None:
    """The plan this very file was imported into before, if any."""
    from desktop.models.plans import get_plan

    row = db.execute("SELECT id FROM plan WHERE source_hash = ? ORDER BY id LIMIT 1",
                     [source_hash]).fetchone()
    return get_plan(db, row[0]) if row else None


def _import(db_path: Path, document: PlanDocument, plan_id: int | None,
            allow_removing_linked: bool) -> tuple[Plan, OutlineChange, bool]:
    from desktop.models.outline_store import apply_outline
    from desktop.models.plans import create_plan_for_file, get_plan
    from desktop.models.store import backup_before_import, open_database

    db = open_database(db_path)
    try:
        target = get_plan(db, plan_id) if plan_id is not None else _find_imported(
            db, document.source_hash)
        backup_before_import(db, "import-outline")
        with db.atomic():
            new = target is None
            if target is None:
                header = document.header
                target = create_plan_for_file(
                    db, document.file_name, title=header.title, issuer=header.issuer,
                    doc_number=header.doc_number, issued_on=header.issued_on,
                    published_on=header.published_on)
            change = apply_outline(db, target.id, document.roots,
                                   allow_removing_linked=allow_removing_linked,
                                   source_hash=document.source_hash)
        return get_plan(db, target.id), change, new
    finally:
        db.close()


def _preview(db_path: Path, document: PlanDocument,
             plan_id: int | None) -> tuple[Plan | None, OutlineChange, bool]:
    """What an import would do, computed without writing (a new plan is tried in memory)."""
    from desktop.models.errors import NotFoundError
    from desktop.models.outline_store import diff_outline
    from desktop.models.plans import create_plan_for_file, get_plan
    from desktop.models.store import open_database, open_memory_database

    target: Plan | None = None
    if db_path.exists():
        db = open_database(db_path)
        try:
            target = get_plan(db, plan_id) if plan_id is not None else _find_imported(
                db, document.source_hash)
            if target is not None:
                return target, diff_outline(db, target.id, document.roots), False
        finally:
            db.close()
    elif plan_id is not None:
        raise NotFoundError(f"找不到编号为 {plan_id} 的规划（数据库“{db_path}”还不存在）。",
                            f"plan {plan_id}, no database")
    scratch = open_memory_database()
    try:
        plan = create_plan_for_file(scratch, document.file_name, title=document.header.title)
        return None, diff_outline(scratch, plan.id, document.roots), True
    finally:
        scratch.close()


def node_json(node: OutlineNode) -> dict[str, Any]:
    """An outline node and its children as the ``--json`` output lists them."""
    return {"type": node.item_type.value, "level": node.level, "marker": node.marker,
            "title": node.title, "source_line": node.source_line,
            "children": [node_json(child) for child in node.children]}


def _result_json(document: PlanDocument, plan: Plan | None, change: OutlineChange, new: bool,
                 dry_run: bool) -> dict[str, Any]:
    from desktop.models.outline import count_by_type

    header = document.header
    plan_json: dict[str, Any] = {
        "id": plan.id if plan else None, "code": plan.code if plan else None,
        "title": plan.title if plan else document.title, "new": new,
        "issuer": header.issuer, "doc_number": header.doc_number,
        "issued_on": header.issued_on, "published_on": header.published_on,
    }
    return {
        "file": document.file_name, "format": document.format,
        "source_hash": document.source_hash, "dry_run": dry_run, "plan": plan_json,
        "nodes": [node_json(root) for root in document.roots],
        "counts": {kind.value: n for kind, n in count_by_type(document.roots).items()},
        "change": {**change.counts(), "unchanged": change.unchanged,
                   "removed_linked": len(change.removed_linked)},
        "issues": [issue.as_dict() for issue in document.issues],
    }


def _echo_summary(document: PlanDocument, plan: Plan | None, change: OutlineChange, new: bool,
                  dry_run: bool) -> None:
    from desktop.models.outline import count_by_type
    from desktop.models.plans import ItemType

    unit = "段" if document.format == "docx" else "行"
    click.echo(f"已读取《{document.title}》（{document.file_name}，"
               f"{document.paragraph_count} {unit}有文字）")
    if plan is None:
        click.echo(f"将新建规划“{document.title}”")
    else:
        click.echo(f"{'新建' if new else ''}规划 {plan.id}：{plan.title}（{plan.period_label}）")
    counts = count_by_type(document.roots)
    click.echo("大纲：" + "，".join(f"{kind.label} {counts[kind]} 个"
                                    for kind in ItemType if counts.get(kind)))
    if change.is_empty:
        click.echo("与数据库中的大纲相同，没有变化。")
    else:
        click.echo(f"变化：新增 {len(change.added)} 条，删除 {len(change.removed)} 条，"
                   f"修改 {len(change.changed)} 条，未变 {change.unchanged} 条")
        if not new:
            _echo_items("修改", change.changed)
            _echo_items("删除", change.removed)
            _echo_items("新增", change.added)
    if change.removed_linked:
        click.echo(f"其中 {len(change.removed_linked)} 个删除的条目已分配单位或已关联指标。")
    if document.issues:
        click.echo(f"需要核对 {len(document.issues)} 处：")
        for issue in document.issues:
            click.echo(f"  {issue}")
    if dry_run:
        click.echo("试运行：数据库未作改动。")


def _echo_items(verb: str, items: tuple[ItemChange, ...]) -> None:
    for item in items[:_SHOWN]:
        note = f"（原：{item.old_title}）" if verb == "修改" and "title" in item.fields else ""
        links = f"（{item.links_label}）" if item.links else ""
        click.echo(f"  {verb}：{item.path}{note}{links}")
    if len(items) > _SHOWN:
        click.echo(f"  ……另有 {len(items) - _SHOWN} 条{verb}")
