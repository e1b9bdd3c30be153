"""plandesk import-indicators: JSON output, plans made for the file, re-import, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from desktop.cli import cli
from desktop.models.indicators import list_indicators
from desktop.models.plans import create_plan, list_plans
from desktop.models.store import open_database

WORKBOOKS = Path(__file__).resolve().parent / "data" / "workbooks"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def value(text: str, comparator: str | None, number: Any) -> dict[str, Any]:
    return {"text": text, "comparator": comparator, "value": number}


def row(sheet_row: int, seq: int, name: str, unit: str | None, category: str, attribute: str,
        baseline: tuple[str, str | None, Any], target: tuple[str, str | None, Any]
        ) -> dict[str, Any]:
    return {"row": sheet_row, "seq": seq, "name": name, "unit": unit, "category": category,
            "attribute": attribute, "baseline": value(*baseline),
            "target": value(*target)}


JSON_000_CLEAN = [
    row(3, 1, "市场主体总量", "万户", "市场活力", "预期性", ("5.3575", None, 5.3575),
        ("8.8575", None, 8.8575)),
    row(4, 3, "千人拥有企业数量", "户", "市场活力", "预期性", ("21.97", None, 21.97),
        ("42.4", None, 42.4)),
    row(5, 4, "万人口发明专利拥有量", "件", "市场活力", "预期性", ("5.2", None, 5.2),
        ("8", None, 8)),
    row(6, 5, "每万户市场主体有效注册商标量", "件", "市场活力", "预期性", ("1153", None, 1153),
        ("1400", None, 1400)),
    row(7, 6, "累计有效注册商标量", "万件", "市场活力", "预期性", ("0.63", None, 0.63),
        ("1.1", None, 1.1)),
    row(8, 7, "驰名商标拥有量", None, "市场活力", "预期性", ("1", None, 1), ("2", None, 2)),
    row(9, 8, "知识产权保护社会满意度", None, "市场活力", "预期性", ("80.9", None, 80.9),
        ("82", None, 82)),
    row(11, 9, "一般事项双随机、一公开抽查比例", "%", "市场安全", "约束性", ("3", None, 3),
        ("5", None, 5)),
    row(12, 10, "食品和农产品抽检量", "批次/千人", "市场安全", "约束性", ("4", None, 4),
        (">4", ">", 4)),
    row(13, 11, "食品评价性抽检合格率", "%", "市场安全", "预期性", ("98.25", None, 98.25),
        (">98", ">", 98)),
    row(14, 12, "食品安全综合满意度", None, "市场安全", "预期性", ("80.94", None, 80.94),
        ("82", None, 82)),
    row(15, 13, "药品抽检合格率", "%", "市场安全", "预期性", ("97.18", None, 97.18),
        (">98", ">", 98)),
    row(16, 14, "万台特种设备死亡人数年平均值", "人", "市场安全", "约束性", ("--", None, None),
        ("0.3", None, 0.3)),
    row(17, 15, "消费投诉按期办结率", "%", "市场安全", "约束性", ("--", None, None),
        ("95", None, 95)),
    row(18, 16, "消费者满意度指数", None, "市场安全", "预期性", ("--", None, None),
        ("80.5", None, 80.5)),
    row(19, 17, "制造业产品质量合格率", "%", "市场安全", "预期性", ("--", None, None),
        ("94", None, 94)),
]

JSON_003_CLEAN = [
    row(3, 1, "市场主体总量", "万户", "市场环境", "预期性", ("5.5", None, 5.5), ("8.6", None, 8.6)),
    row(4, 2, "千人拥有企业数量", "户", "市场环境", "预期性", ("19.3", None, 19.3),
        ("35.8", None, 35.8)),
    row(5, 3, "每万人口高价值发明专利拥有量", "件", "市场环境", "预期性", ("3.18", None, 3.18),
        ("12", None, 12)),
    row(6, 4, "每万户市场主体有效注册商标量", "件", "市场环境", "预期性", ("1451", None, 1451),
        ("2100", None, 2100)),
    row(7, 5, "一般事项“双随机、一公开”抽查比例", "%", "市场环境", "预期性", ("3", None, 3),
        ("5", None, 5)),
    row(9, 6, "新增重庆市市长质量管理奖或提名奖企业", "个", "质量提升", "预期性",
        ("2", None, 2), ("2", None, 2)),
    row(10, 7, "制造业产品质量合格率", "%", "质量提升", "预期性", ("94", None, 94),
        ("95", None, 95)),
    row(11, 8, "公共服务质量满意度", "分", "质量提升", "预期性", ("82", None, 82),
        ("83", None, 83)),
    row(12, 9, "新增社会公用计量标准", "项", "质量提升", "预期性", ("—", None, None),
        ("1", None, 1)),
    row(13, 10, "新增自我声明公开企业标准、团体标准", "项", "质量提升", "预期性",
        ("713", None, 713), ("1005", None, 1005)),
    row(14, 11, "新增国家级、市级标准化试点示范建设项目", None, "质量提升", "预期性",
        ("5", None, 5), ("7", None, 7)),
    row(17, 12, "食品和农产品抽检量", "批次/千人", "市场安全", "约束性", ("4", None, 4),
        (">4", ">", 4)),
    row(18, 13, "食品评价性抽检合格率", "%", "市场安全", "预期性", ("98", None, 98),
        (">98", ">", 98)),
    row(19, 14, "食品安全满意度", "分", "市场安全", "预期性", ("80", None, 80), ("82", None, 82)),
    row(20, 15, "药品抽检合格率", "%", "市场安全", "预期性", (">98", ">", 98), (">98", ">", 98)),
    row(21, 16, "万台特种设备事故死亡率", None, "市场安全", "约束性", ("-", None, None),
        ("<0.05", "<", 0.05)),
    row(22, 17, "消费投诉按期办结率", "%", "市场安全", "约束性", ("100", None, 100),
        ("100", None, 100)),
    row(24, 18, "智慧监管应用场景", "个", "科技支撑", "预期性", ("4", None, 4), ("10", None, 10)),
    row(25, 19, "质量基础设施“一站式”服务平台", "个", "科技支撑", "预期性", ("-", None, None),
        ("1", None, 1)),
]


def import_json(db: Path, file: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("--db", str(db), "import-indicators", str(WORKBOOKS / file),
                         "--json", *extra)
    return code, json.loads(out), err


def test_json_lists_every_indicator_of_seed_000(tmp_path: Path) -> None:
    code, data, _ = import_json(tmp_path / "p.db", "indicators_000_clean.xlsx")
    assert code == 0
    assert data == {"indicators": JSON_000_CLEAN, "errors": []}


def test_json_lists_every_indicator_of_seed_003(tmp_path: Path) -> None:
    code, data, _ = import_json(tmp_path / "p.db", "indicators_003_clean.xlsx", "--dry-run")
    assert code == 0
    assert data == {"indicators": JSON_003_CLEAN, "errors": []}


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_json_of_the_messy_003_table_matches_the_clean_one(tmp_path: Path, suffix: str) -> None:
    code, data, _ = import_json(tmp_path / "p.db", f"indicators_003_messy.{suffix}", "--dry-run")
    assert code == 0
    assert data["errors"] == []
    messy_rows = [*range(7, 18), *range(19, 27)]
    wanted = [{**item, "row": r} for item, r in zip(JSON_003_CLEAN, messy_rows, strict=True)]
    wanted[11]["target"] = value("> 4", ">", 4)
    assert data["indicators"] == wanted


def test_json_keeps_percent_cells_as_printed_percentages(tmp_path: Path) -> None:
    code, data, err = import_json(tmp_path / "p.db", "indicators_000_columns.xlsx", "--dry-run")
    assert code == 0
    by_seq = {item["seq"]: item for item in data["indicators"]}
    assert by_seq[9]["baseline"] == value("3%", None, 3)
    assert by_seq[11]["baseline"] == value("98.25%", None, 98.25)
    assert by_seq[11]["target"] == value(">98", ">", 98)
    assert "提醒：" in err
    assert "98.25%" in err


def test_json_ranges_are_pairs_and_only_printed_comparators_appear(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    for values in (["序号", "指标名称", "2020年", "2025年", "指标属性"],
                   [1, "新增检验检测机构(家)", "—", "4-5", "预期性"],
                   [2, "市场主体总量(万户)", "约5.5", "≥8.6", "预期性"],
                   [3, "万台特种设备死亡率", "≤0.1", "保持0", "约束性"]):
        ws.append(values)
    ws["D2"].data_type = "s"
    path = tmp_path / "区间.xlsx"
    book.save(path)
    code, out, _ = run("--db", str(tmp_path / "p.db"), "import-indicators", str(path), "--json",
                       "--dry-run")
    rows = json.loads(out)["indicators"]
    assert code == 0, out
    assert rows[0]["baseline"] == value("—", None, None)
    assert rows[0]["target"] == value("4-5", "range", [4, 5])
    assert rows[1]["baseline"] == value("约5.5", "~", 5.5)
    assert rows[1]["target"] == value("≥8.6", ">=", 8.6)
    assert rows[2]["baseline"] == value("≤0.1", "<=", 0.1)
    assert rows[2]["target"] == value("保持0", "=", 0)  # an equality printed in words


def test_import_without_plan_creates_one_named_after_the_file(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    code, out, _ = run("--db", str(db_path), "import-indicators",
                       str(WORKBOOKS / "indicators_000_messy.xlsx"))
    assert code == 0, out
    assert "新建 16 项" in out
    assert "工作表“专栏1指标”" in out
    assert "表头在第 5 行" in out
    db = open_database(db_path)
    [plan] = list_plans(db)
    assert plan.title.startswith("indicators_000_messy")
    assert plan.source_name == "indicators_000_messy.xlsx"
    assert (plan.baseline_year, plan.start_year, plan.end_year) == (2020, 2021, 2025)
    assert len(list_indicators(db, plan.id)) == 16


def test_reimport_into_the_plan_changes_nothing_twice(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    db = open_database(db_path)
    plan = create_plan(db, "TN", "潼南区“十四五”规划", start_year=2021, end_year=2025)
    db.close()
    args = ("--db", str(db_path), "import-indicators", str(WORKBOOKS / "indicators_000_clean.xlsx"),
            "--plan", str(plan.id))
    code, out, _ = run(*args)
    assert (code, "新建 16 项" in out) == (0, True)
    code, out, _ = run(*args)
    assert code == 0
    assert "新建 0 项，更新 0 项，未变 16 项" in out
    code, out, _ = run("--db", str(db_path), "import-indicators",
                       str(WORKBOOKS / "indicators_000_messy.xls"), "--plan", str(plan.id))
    assert "新建 0 项，更新 3 项，未变 13 项" in out
    db = open_database(db_path)
    assert len(list_indicators(db, plan.id)) == 16
    assert len(list_plans(db)) == 1


def test_plan_of_another_period_is_warned_about(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    db = open_database(db_path)
    plan = create_plan(db, "P15", "“十五五”规划", start_year=2026, end_year=2030)
    db.close()
    code, out, _ = run("--db", str(db_path), "import-indicators",
                       str(WORKBOOKS / "indicators_000_clean.xlsx"), "--plan", str(plan.id))
    assert code == 0
    assert "提醒：" in out
    assert "2020 年与规划" in out


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    code, out, _ = run("--db", str(db_path), "import-indicators",
                       str(WORKBOOKS / "indicators_003_messy.ods"), "--dry-run")
    assert code == 0
    assert "读取指标 19 项" in out
    assert "未写入数据库" in out
    assert not db_path.exists()


def test_refused_file_exits_1_with_located_errors_and_writes_nothing(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "指标"
    for values in (["序号", "指标名称", "2020年", "2025年", "指标属性"],
                   [1, "市场主体总量(万户)", 5.5, 8.6, "预期性"],
                   [2, "食品抽检合格率(%)", 97, "大约九十", "预期性"]):
        ws.append(values)
    path = tmp_path / "有错.xlsx"
    book.save(path)
    db_path = tmp_path / "p.db"
    code, out, _ = run("--db", str(db_path), "import-indicators", str(path), "--json")
    assert code == 1
    data = json.loads(out)
    assert len(data["indicators"]) == 2
    assert [{k: e[k] for k in ("file", "sheet", "row", "column")} for e in data["errors"]] == [
        {"file": "有错.xlsx", "sheet": "指标", "row": 3, "column": "D"}]
    assert "大约九十" in data["errors"][0]["message"]
    code, out, err = run("--db", str(db_path), "import-indicators", str(path))
    assert code == 1
    assert "错误：文件 有错.xlsx，工作表“指标”，第 3 行 D 列" in out
    assert "未导入任何指标" in err
    assert not db_path.exists()


def test_file_that_is_not_a_workbook_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "指标.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    code, out, _ = run("--db", str(tmp_path / "p.db"), "import-indicators", str(path), "--json")
    assert code == 1
    assert json.loads(out) == {"indicators": [], "errors": [
        {"file": "指标.xlsx", "sheet": None, "row": None, "column": None,
         "message": json.loads(out)["errors"][0]["message"]}]}
    assert "不是 Excel 工作簿" in json.loads(out)["errors"][0]["message"]
    code, _, err = run("--db", str(tmp_path / "p.db"), "import-indicators", str(path))
    assert code == 1
    assert err.startswith("错误：文件“指标.xlsx”不是 Excel 工作簿")


def test_password_protected_workbook_exits_1(tmp_path: Path) -> None:
    code, _, err = run("--db", str(tmp_path / "p.db"), "import-indicators",
                       str(WORKBOOKS / "indicators_password.xlsx"))
    assert code == 1
    assert "设有打开密码" in err


def test_unknown_plan_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    code, _, err = run("--db", str(db_path), "import-indicators",
                       str(WORKBOOKS / "indicators_000_clean.xlsx"), "--plan", "42")
    assert code == 1
    assert "找不到编号为 42 的规划" in err
    db = open_database(db_path)
    assert list_plans(db) == []
