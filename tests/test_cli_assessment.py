"""plandesk scheme copy and plandesk scheme ranking on a scored demo year."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from desktop.cli import cli
from desktop.models.assessment import (
    ItemSpec,
    Method,
    create_scheme,
    list_items,
    review_score,
)
from desktop.models.auth import Actor
from desktop.models.orgunits import UnitType, list_units
from desktop.models.store import open_database


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def score_2024(path: Path) -> list[str]:
    """Three stations reviewed: 90, 80, 80 (shared second place); the rest not scored."""
    db = open_database(path)
    admin = Actor.command_line()
    plan = db.execute("SELECT id FROM plan").fetchone()[0]
    scheme = create_scheme(db, admin, plan, 2024, "2024年度各所考核方案", items=[
        ItemSpec("1", "重点工作完成率", 100, Method.PROPORTIONAL),
        ItemSpec("2", "重大事故", 0, Method.VETO)])
    first = list_items(db, scheme.id)[0].id
    stations = list_units(db, UnitType.STATION)
    for station, completion in zip(stations, (90, 80, 80), strict=False):
        review_score(db, admin, first, station.id, completion, "区局核定")
    db.close()
    return [s.name for s in stations]


def test_ranking_in_words_and_json(demo_path: Path) -> None:
    names = score_2024(demo_path)
    code, out, err = run("--db", str(demo_path), "scheme", "ranking", "--year", "2024")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == f"第1名  {names[0]}  90 分  优秀"
    assert lines[2] == f"并列第2名  {names[1]}  80 分  良好"
    assert lines[3] == f"并列第2名  {names[2]}  80 分  良好"
    assert "没有得分" in err  # six stations not scored yet
    code, out, _ = run("--db", str(demo_path), "scheme", "ranking", "--year", "2024", "--json")
    data = json.loads(out)
    assert [r["rank"] for r in data["ranking"][:4]] == [1, 2, 2, 4]
    assert data["ranking"][0]["grade_label"] == "优秀"


def test_copy_to_next_year_and_errors_in_chinese(demo_path: Path) -> None:
    score_2024(demo_path)
    code, out, err = run("--db", str(demo_path), "scheme", "copy", "--from", "2024",
                         "--to", "2025")
    assert code == 0, err
    assert "已复制为“2025年度各所考核方案”：考核项目 2 个" in out
    code, out, err = run("--db", str(demo_path), "scheme", "copy", "--from", "2024",
                         "--to", "2025")
    assert code == 1
    assert "已有考核方案" in out + err
    code, out, err = run("--db", str(demo_path), "scheme", "ranking", "--year", "2023")
    assert code == 1
    assert "2023 年还没有考核方案" in out + err
