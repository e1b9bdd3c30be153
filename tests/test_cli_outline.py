"""plandesk import-outline: plans read from .txt/.docx into a database, again and dry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_BREAK

from desktop.cli import cli

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"  # copies of shared/seeds
SEED_TASKS = {"000_09f2bf116125de24.txt": 82, "001_c97b93fe9adfb2ac.txt": 73,
              "002_443e4b2e6c287702.txt": 56, "003_a0a4f72ac63dbf07.txt": 72,
              "004_88596622a34990bc.txt": 25}
TEXT = "\n".join([
    "关于印发《某区市场监管“十四五”规划（2021-2025年）》的通知", "第一章 发展基础", "成效明显。",
    "第二章 主要任务", "一、统筹推动平台经济健康发展",
    "强化平台经济监管。坚持依法规范与支持发展并重。", "加强新经济发展监管。打破惯性思维。",
    "第三章 保障措施", "加强组织领导。落实责任。"])


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def import_json(db: Path, *args: str) -> dict[str, Any]:
    code, out, err = run("--db", str(db), "import-outline", *args, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def dump(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "plandesk.db"
    code, _, err = run("--db", str(path), "init")
    assert code == 0, err
    return path


@pytest.fixture
def plan_txt(tmp_path: Path) -> Path:
    path = tmp_path / "某区规划.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def seed(name: str) -> Path:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"shared seeds are not beside this checkout ({SEEDS})")
    return path


@pytest.mark.parametrize(("name", "tasks"), SEED_TASKS.items())
def test_each_seed_imports_as_a_new_plan_and_again_changes_nothing(
    database: Path, name: str, tasks: int,
) -> None:
    first = import_json(database, str(seed(name)))
    assert first["plan"]["new"] is True
    assert first["counts"]["task"] == tasks
    assert first["change"]["added"] == sum(first["counts"].values())
    assert first["plan"]["title"]
    plan_id = first["plan"]["id"]
    again = import_json(database, str(seed(name)), "--plan", str(plan_id))
    assert again["change"] == {"added": 0, "removed": 0, "changed": 0,
                               "unchanged": first["change"]["added"], "removed_linked": 0}
    _, out, _ = run("--db", str(database), "info", "--json")
    assert json.loads(out)["tasks"] == tasks


def test_json_lists_the_tree_counts_and_issues(database: Path, tmp_path: Path) -> None:
    path = tmp_path / "规划.txt"
    unfinished = "成效明显，但基层监管力量等方面仍有不足\n另起一段。坚持改革。"
    path.write_text(TEXT.replace("成效明显。", unfinished), encoding="utf-8")
    data = import_json(database, str(path))
    assert data["plan"]["title"] == "某区市场监管“十四五”规划（2021-2025年）"
    chapter = data["nodes"][1]
    assert {k: chapter[k] for k in ("type", "level", "marker", "title", "source_line")} == {
        "type": "chapter", "level": 1, "marker": "第二章", "title": "主要任务",
        "source_line": 5}
    assert chapter["children"][0]["children"][0]["title"] == "强化平台经济监管"
    assert data["counts"] == {"chapter": 3, "paragraph": 3, "heading": 1, "task": 2}
    assert data["issues"][0]["file"] == "规划.txt"
    assert data["issues"][0]["row"] == 3


def test_importing_the_same_file_again_reuses_its_plan(database: Path, plan_txt: Path) -> None:
    first = import_json(database, str(plan_txt))
    again = import_json(database, str(plan_txt))
    assert again["plan"]["id"] == first["plan"]["id"]
    assert again["plan"]["new"] is False
    assert again["change"]["added"] == 0
    _, out, _ = run("--db", str(database), "info", "--json")
    assert json.loads(out)["plans"] == 1


def test_summary_in_words(database: Path, plan_txt: Path) -> None:
    code, out, _ = run("--db", str(database), "import-outline", str(plan_txt))
    assert code == 0
    assert "新建规划 1：某区市场监管“十四五”规划（2021-2025年）（2021—2025年）" in out
    assert "大纲：章 3 个，标题 1 个，任务 2 个，段落 2 个" in out
    assert "新增 8 条" in out
    code, out, _ = run("--db", str(database), "import-outline", str(plan_txt), "--plan", "1")
    assert "与数据库中的大纲相同，没有变化。" in out


def test_revised_file_updates_the_plan_and_says_what_changed(
    database: Path, plan_txt: Path, tmp_path: Path,
) -> None:
    import_json(database, str(plan_txt))
    revised = tmp_path / "修订稿.txt"
    revised.write_text(TEXT.replace("强化平台经济监管。", "强化平台经济治理。"), encoding="utf-8")
    code, out, _ = run("--db", str(database), "import-outline", str(revised), "--plan", "1")
    assert code == 0
    assert "修改 1 条" in out
    assert "修改：第二章 主要任务 › 一、 统筹推动平台经济健康发展 › 强化平台经济治理" in out
    assert "（原：强化平台经济监管）" in out


def test_dry_run_writes_nothing(database: Path, plan_txt: Path, tmp_path: Path) -> None:
    before = dump(database)
    preview = import_json(database, str(plan_txt), "--dry-run")
    assert preview["plan"] == {**preview["plan"], "id": None, "new": True}
    assert preview["change"]["added"] == 8
    assert dump(database) == before
    import_json(database, str(plan_txt))
    before = dump(database)
    revised = tmp_path / "修订稿.txt"
    revised.write_text(TEXT.replace("加强新经济发展监管。打破惯性思维。\n", ""), encoding="utf-8")
    preview = import_json(database, str(revised), "--plan", "1", "--dry-run")
    assert preview["change"]["removed"] == 1
    assert dump(database) == before
    code, out, _ = run("--db", str(tmp_path / "没有.db"), "import-outline", str(plan_txt),
                       "--dry-run")
    assert code == 0
    assert "试运行：数据库未作改动。" in out
    assert not (tmp_path / "没有.db").exists()


def test_refused_file_exits_1_naming_it_and_leaves_the_database(
    database: Path, tmp_path: Path,
) -> None:
    before = dump(database)
    bad = tmp_path / "会议通知.docx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))
    code, out, err = run("--db", str(database), "import-outline", str(bad))
    assert code == 1
    assert out == ""
    assert err.startswith("错误：文件“会议通知.docx”")
    assert dump(database) == before
    notice = tmp_path / "通知.txt"
    notice.write_text("关于开会的通知\n请准时参加。", encoding="utf-8")
    code, _, err = run("--db", str(database), "import-outline", str(notice), "--json")
    assert code == 1
    assert "通知.txt" in err
    assert "章节结构" in err
    assert dump(database) == before


def test_unknown_plan_exits_1(database: Path, plan_txt: Path) -> None:
    code, _, err = run("--db", str(database), "import-outline", str(plan_txt), "--plan", "7")
    assert code == 1
    assert "找不到编号为 7 的规划" in err


def test_removing_an_assigned_task_needs_permission(
    database: Path, plan_txt: Path, tmp_path: Path,
) -> None:
    import_json(database, str(plan_txt))
    connection = sqlite3.connect(database)
    connection.execute("INSERT INTO org_unit (code, name, unit_type) VALUES ('S1', '城区所', "
                       "'station')")
    connection.execute("INSERT INTO assignment (plan_item_id, org_unit_id, role) SELECT id, 1, "
                       "'lead' FROM plan_item WHERE title = '加强新经济发展监管'")
    connection.commit()
    connection.close()
    before = dump(database)
    revised = tmp_path / "修订稿.txt"
    revised.write_text(TEXT.replace("加强新经济发展监管。打破惯性思维。\n", ""), encoding="utf-8")
    code, _, err = run("--db", str(database), "import-outline", str(revised), "--plan", "1")
    assert code == 1
    assert "加强新经济发展监管" in err
    assert "--allow-removing-linked" in err
    assert dump(database) == before
    data = import_json(database, str(revised), "--plan", "1", "--allow-removing-linked")
    assert data["change"]["removed_linked"] == 1


def test_word_file_imports_with_bold_leads_page_breaks_and_tables(
    database: Path, tmp_path: Path,
) -> None:
    document = Document()
    document.add_paragraph("关于印发《某县市场监管规划》的通知")
    for line in ["第一章 发展基础", "成效明显。", "第二章 重点任务",
                 "一、强化竞争政策作用。大力加强政策协同。", "二、规范市场秩序"]:
        document.add_paragraph(line)
    lead = document.add_paragraph()
    lead.add_run("加强新经济发展监管").bold = True
    lead.add_run("。打破传统业态按区域、按行业治理的")
    lead.add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("惯性思维。")
    document.add_paragraph("专栏1 主要指标")
    table = document.add_table(rows=2, cols=3)
    for column, (head, value) in enumerate([("序号", "1"), ("指标", "市场主体总量"),
                                            ("目标", "8.6")]):
        table.cell(0, column).text = head
        table.cell(1, column).text = value
    document.add_paragraph("第三章 保障措施")
    document.add_paragraph("加强组织领导。落实责任。")
    path = tmp_path / "某县规划.docx"
    document.save(str(path))
    data = import_json(database, str(path))
    assert data["plan"]["title"] == "某县市场监管规划"
    heading = data["nodes"][1]["children"][1]
    assert [c["title"] for c in heading["children"]] == ["加强新经济发展监管", "主要指标"]
    assert data["counts"]["task"] == 2
    assert import_json(database, str(path))["change"]["added"] == 0
