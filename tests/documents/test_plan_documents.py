"""Plans are read from .txt and .docx files; files that are not plans are refused by name."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.documents.plan_document import MAX_FILE_BYTES, read_plan_document
from desktop.documents.word import format_number
from desktop.models.errors import ImportFormatError
from desktop.models.outline import count_by_type, parse_outline_text
from desktop.models.plans import ItemType, OutlineNode

PLAN_TEXT = "\n".join([
    "关于印发《某区市场监管“十四五”规划》的通知", "第一章 发展基础", "十三五期间成效明显。",
    "第二章 主要任务", "一、统筹推动平台经济健康发展", "强化平台经济监管。坚持依法规范。",
    "专栏1：严厉打击违法行为", "持续开展网络销售治理。加强监测。", "第三章 保障措施",
    "加强组织领导。落实责任。"])


def shape(roots: list[OutlineNode]) -> list[tuple[str, str, str, int | None]]:
    return [(n.item_type.value, n.marker, n.title, n.source_line)
            for root in roots for n in root.walk()]


def find(roots: list[OutlineNode], **fields: object) -> OutlineNode:
    return next(n for r in roots for n in r.walk()
                if all(getattr(n, k) == v for k, v in fields.items()))


# --- text files -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_text_in_any_usual_encoding_gives_the_same_outline(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "规划.txt"
    path.write_bytes(PLAN_TEXT.replace("\n", "\r\n").encode(encoding))
    document = read_plan_document(path)
    assert shape(document.roots) == shape(parse_outline_text(PLAN_TEXT))
    assert document.header.title == "某区市场监管“十四五”规划"
    assert (document.file_name, document.format) == ("规划.txt", "txt")
    assert document.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_issues_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "潼南.txt"
    path.write_text(PLAN_TEXT.replace("强化平台经济监管。坚持依法规范。",
                                      "强化平台经济监管。坚持依法规范与支持发展并重\n"
                                      "推动川渝通办服务。深化推进。"), encoding="utf-8")
    issue = read_plan_document(path).issues[0]
    assert (issue.file, issue.row) == ("潼南.txt", 6)
    assert str(issue).startswith("文件 潼南.txt，第 6 行：段落“强化平台经济监管")


# --- Word files -----------------------------------------------------------------------------


def test_word_plan_reads_like_its_text(plan_docx: Path) -> None:
    document = read_plan_document(plan_docx)
    roots = document.roots
    assert document.format == "docx"
    assert document.header.title == "某区市场监管“十四五”规划"
    assert [r.marker for r in roots] == ["第一章", "第二章", "第三章"]  # the TOC line is skipped
    tasks = roots[1]
    assert [(c.item_type.value, c.marker, c.title) for c in tasks.children] == [
        ("heading", "一、", "强化竞争政策作用"), ("heading", "二、", "加强网络市场监管"),
        ("heading", "三、", "完善社会监督体系")]
    assert count_by_type(roots)[ItemType.TASK] == 4


def test_bold_runs_are_the_task_titles(plan_docx: Path) -> None:
    roots = read_plan_document(plan_docx).roots
    first = roots[1].children[0]
    assert [t.title for t in first.children] == ["大力加强政策协同，建立协调机制",
                                                 "强化平台经济监管，促进发展"]
    assert roots[1].children[1].children[0].title == "加强新经济发展监管"


def test_paragraph_split_by_a_page_break_is_one_task(plan_docx: Path) -> None:
    task = find(read_plan_document(plan_docx).roots, title="强化平台经济监管，促进发展")
    assert task.body.endswith("优化事前合规、事中审查和事后执法全链条监管。")


def test_word_table_in_a_box_is_kept_cell_by_cell(plan_docx: Path) -> None:
    box = find(read_plan_document(plan_docx).roots, marker="专栏1")
    assert box.children == []
    assert box.body.split("\n") == [
        "序号", "指标名称", "2020年", "2025年", "1", "市场主体总量（万户）", "5.5", "8.6",
        "2", "食品抽检量（批次/千人）", "4", ">4"]


def test_boxes_framed_by_a_one_cell_table_or_a_text_box_hold_their_items(
    plan_docx: Path,
) -> None:
    roots = read_plan_document(plan_docx).roots
    framed = find(roots, marker="专栏2")
    assert [i.title for i in framed.children] == ["优化人员结构", "提升人员素质"]
    boxed = find(roots, marker="专栏3")
    assert boxed.title == "构建社会监督体系"
    assert [i.title for i in boxed.children] == ["引导企业守法经营"]  # not read twice
    after = find(roots, title="激励行业自治自律")
    assert after.item_type is ItemType.TASK


def test_word_list_numbering_is_written_out(numbered_docx: Path) -> None:
    roots = read_plan_document(numbered_docx).roots
    assert [(r.marker, r.title) for r in roots] == [("第一章", "发展基础"), ("第二章", "主要任务")]
    assert [(c.marker, c.title) for c in roots[1].children] == [
        ("一、", "统筹推动平台经济健康发展"), ("二、", "规范线上市场秩序")]


@pytest.mark.parametrize(("value", "fmt", "printed"), [
    (3, "chineseCounting", "三"), (12, "chineseCountingThousand", "十二"),
    (20, "chineseCounting", "二十"), (2, "ideographTraditional", "乙"),
    (4, "decimalEnclosedCircle", "④"), (5, "decimalZero", "05"), (9, "decimal", "9"),
    (4, "upperRoman", "IV"), (1, "bullet", "")])
def test_word_number_formats(value: int, fmt: str, printed: str) -> None:
    assert format_number(value, fmt) == printed


def test_tracked_changes_are_read_as_accepted_and_reported(revised_docx: Path) -> None:
    read = read_plan_document(revised_docx)
    assert read.roots[0].children[0].body == "强化平台经济监管。坚持依法规范。"
    assert "修订" in read.issues[0].message


# --- refusals -------------------------------------------------------------------------------


def refused(path: Path) -> str:
    with pytest.raises(ImportFormatError) as caught:
        read_plan_document(path)
    message = caught.value.user_message
    assert path.name in message
    return message


def valid_docx_bytes(make_docx: Callable[[list[str], str], Path]) -> bytes:
    return make_docx(["第一章 主要任务", "强化监管。坚持依法。"], "ok.docx").read_bytes()


def test_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "空.txt").write_bytes(b"")
    assert "空的" in refused(tmp_path / "空.txt")


def test_binary_file_named_txt_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(bytes(range(256)) * 10)
    assert "不是可识别的文本文件" in refused(tmp_path / "a.txt")


def test_text_without_any_outline_is_refused(tmp_path: Path) -> None:
    (tmp_path / "通知.txt").write_text("关于开会的通知\n请准时参加。", encoding="utf-8")
    assert "没有找到规划的章节结构" in refused(tmp_path / "通知.txt")


def test_file_named_docx_that_is_not_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "假.docx").write_text("第一章 主要任务", encoding="utf-8")
    assert "不是有效的 Word 文档" in refused(tmp_path / "假.docx")


def test_truncated_word_file_is_refused(
    tmp_path: Path, make_docx: Callable[[list[str], str], Path],
) -> None:
    data = valid_docx_bytes(make_docx)
    (tmp_path / "半截.docx").write_bytes(data[: len(data) // 2])
    assert "损坏或没有下载完整" in refused(tmp_path / "半截.docx")


def test_corrupt_word_file_is_refused(
    tmp_path: Path, make_docx: Callable[[list[str], str], Path],
) -> None:
    data = bytearray(valid_docx_bytes(make_docx))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 5, start + 25):
        data[offset] ^= 0xFF
    (tmp_path / "坏.docx").write_bytes(bytes(data))
    assert "无法作为 Word 文档打开" in refused(tmp_path / "坏.docx")


def test_old_word_doc_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "规划.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    assert "另存为” .docx" in refused(tmp_path / "规划.doc")


def test_encrypted_word_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "加密.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
                                          + "EncryptionInfo".encode("utf-16-le"))
    assert "已加密" in refused(tmp_path / "加密.docx")


def test_excel_and_pdf_files_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    (tmp_path / "指标.docx").write_bytes(buffer.getvalue())
    assert "Excel 工作簿" in refused(tmp_path / "指标.docx")
    (tmp_path / "规划.pdf").write_bytes(b"%PDF-1.7\n%...")
    assert "PDF" in refused(tmp_path / "规划.pdf")


def test_zip_bomb_is_refused_without_unpacking(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    (tmp_path / "炸弹.docx").write_bytes(buffer.getvalue())
    started = time.perf_counter()
    assert "异常庞大" in refused(tmp_path / "炸弹.docx")
    assert time.perf_counter() - started < 2


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "巨大.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert "超过可导入的上限" in refused(path)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"无法读取文件.*没有\.txt"):
        read_plan_document(tmp_path / "没有.txt")
    with pytest.raises(ImportFormatError, match="是文件夹"):
        read_plan_document(tmp_path)


def test_malformed_word_xml_is_refused(numbered_docx: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(numbered_docx) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b'<w:ilvl w:val="1"/>', b'<w:ilvl w:val="x"/>', 1)
    broken = tmp_path / "异常.docx"
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert "结构异常" in refused(broken)


SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"  # copies of shared/seeds


@pytest.mark.parametrize("name", ["000_09f2bf116125de24.txt", "003_a0a4f72ac63dbf07.txt"])
def test_seed_saved_as_word_reads_like_its_text(tmp_path: Path, name: str) -> None:
    from docx import Document

    source = SEEDS / name
    if not source.exists():
        pytest.skip(f"shared seeds are not beside this checkout ({SEEDS})")
    document = Document()
    for line in source.read_text(encoding="utf-8").split("\n"):
        document.add_paragraph(line)
    path = tmp_path / "seed.docx"
    document.save(str(path))
    as_text, as_word = read_plan_document(source), read_plan_document(path)
    assert [(n.item_type, n.marker, n.title, n.body) for r in as_word.roots for n in r.walk()] == [
        (n.item_type, n.marker, n.title, n.body) for r in as_text.roots for n in r.walk()]
    assert as_word.header == as_text.header


def test_positions_in_a_word_document_are_paragraphs_not_lines(tmp_path: Path) -> None:
    from docx import Document

    from desktop.documents.plan_document import read_plan_document

    doc = Document()
    for text in ("第一章 主要任务", "一、强化监管", "加强平台经济监管，完善规则。", "二、规范秩序",
                 "（1）一种不认识的编号。"):
        doc.add_paragraph(text)
    path = tmp_path / "plan.docx"
    doc.save(str(path))
    document = read_plan_document(path)
    located = [i for i in document.issues if i.row is not None]
    assert located
    assert all("第 5 段" in i.location for i in located)
