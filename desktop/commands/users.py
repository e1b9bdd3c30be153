"""CLI subcommands for user accounts (administrator tasks on the command line)."""

from __future__ import annotations

import sys

import click

from desktop.cli import _open, cli, known_errors

_ROLES = ("admin", "reviewer", "clerk", "viewer")


@cli.group("users")
def users_group() -> None:
    """用户账号：新建与查看。"""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码",
                            err=True))


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(_ROLES), required=True,
              help="角色：admin 管理员、reviewer 区局审核员、clerk 所填报员、viewer 查看者。")
@click.option("--unit", "unit_code", help="所属单位代码（所填报员必填，如 CQ-TN-S01）。")
@click.option("--display-name", default="", help="显示的姓名（默认同用户名）。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取一行作为密码（用于脚本）。")
@click.pass_context
@known_errors
def create_command(ctx: click.Context, username: str, role: str, unit_code: str | None,
                   display_name: str, password_stdin: bool) -> None:
    """新建用户（密码输入两次，或用 --password-stdin 从标准输入读取）。"""
    from desktop.models.auth import Actor, create_first_admin, create_user, has_users
    from desktop.models.orgunits import get_unit_by_code
    from desktop.models.users import Role

    db = _open(ctx)
    unit_id = get_unit_by_code(db, unit_code.strip()).id if unit_code else None
    password = _read_password(password_stdin)
    the_role = Role(role)
    if not has_users(db) and the_role is Role.ADMIN and unit_id is None:
        actor = create_first_admin(db, username, password, display_name)
        click.echo(f"已创建初始管理员：{actor.username}（{actor.display_name}）")
        return
    user = create_user(db, Actor.command_line(), username, password, the_role,
                       display_name=display_name, org_unit_id=unit_id)
    unit = f"，单位 {unit_code}" if unit_code else ""
    click.echo(f"已创建用户：{user.username}（{user.display_name}，{the_role.label}{unit}）")


@users_group.command("list")
@click.pass_context
@known_errors
def list_command(ctx: click.Context) -> None:
    """列出全部用户。"""
    from desktop.models.orgunits import get_unit
    from desktop.models.users import list_users

    db = _open(ctx)
    users = list_users(db)
    if not users:
        click.echo("还没有用户。启动程序时会先创建管理员，或用 plandesk users create 新建。")
        return
    locked = {r[0]: r[1] for r in db.execute(
        "SELECT id, locked_until FROM app_user WHERE locked_until IS NOT NULL")}
    for u in users:
        unit = get_unit(db, u.org_unit_id).code if u.org_unit_id else "—"
        state = "在用" if u.active else "已停用"
        if u.id in locked:
            state += f"，锁定至 {locked[u.id]}"
        click.echo(f"{u.id}\t{u.username}\t{u.display_name}\t{u.role.label}\t{unit}\t{state}")
