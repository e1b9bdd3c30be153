"""Word plans built in the tests with python-docx (no binary files in the repository)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
NAMESPACES = (
    f'{W} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"')


def add_text_box(paragraph: Any, lines: list[str]) -> None:
    """A floating text box anchored in ``paragraph``, as Word writes it (with a VML copy)."""
    content = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in lines)
    run = parse_xml(
        f"<w:r {NAMESPACES}><mc:AlternateContent>"
        f"<mc:Choice Requires=\"wps\"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>{content}"
        "</w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:rect><v:textbox><w:txbxContent>{content}</w:txbxContent>"
        "</v:textbox></v:rect></w:pict></mc:Fallback></mc:AlternateContent></w:r>")
    paragraph._p.append(run)


def add_chinese_numbering(document: Any) -> int:
    """A two-level list numbered 第一章 / 一、 (Word's chineseCounting); returns its numId."""
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {W} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:suff w:val="space"/><w:lvlText w:val="第%1章"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:suff w:val="nothing"/><w:lvlText w:val="%2、"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(
        f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return 90


def number(paragraph: Any, num_id: int, level: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(parse_xml(
        f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def write_plan_docx(path: Path) -> Path:
    """A small plan with what Word documents hold: bold leads, an inline heading, a page
    break inside a paragraph, an indicator table, a framed 专栏, a text box and a TOC."""
    document = Document()
    document.core_properties.title = "属性中的标题"
    document.add_paragraph("某区人民政府")
    document.add_paragraph("关于印发《某区市场监管“十四五”规划》的通知")
    document.add_paragraph("目录")
    document.add_paragraph("第一章 发展基础\t3")
    document.add_paragraph("第一章 发展基础")
    document.add_paragraph("十三五期间成效明显。")
    document.add_paragraph("第二章 主要任务")
    document.add_paragraph("一、强化竞争政策作用。大力加强政策协同，建立协调机制。")
    lead = document.add_paragraph()
    lead.add_run("强化平台经济监管，").bold = True
    lead.add_run("促进发展。").bold = True
    lead.add_run("坚持依法规范与支持发展并重，优化事前合规、事中审查")
    lead.add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("和事后执法全链条监管。")
    document.add_paragraph("二、加强网络市场监管")
    second = document.add_paragraph()
    second.add_run("加强新经济发展监管").bold = True
    second.add_run("。打破传统业态按区域治理的惯性思维。")
    document.add_paragraph("专栏1 主要指标")
    table = document.add_table(rows=3, cols=4)
    for row, cells in enumerate([("序号", "指标名称", "2020年", "2025年"),
                                 ("1", "市场主体总量（万户）", "5.5", "8.6"),
                                 ("2", "食品抽检量（批次/千人）", "4", ">4")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    frame = document.add_table(rows=1, cols=1).cell(0, 0)
    frame.paragraphs[0].text = "专栏2 加强自身能力建设"
    frame.add_paragraph("优化人员结构：基层监管人员比例达到55%。")
    frame.add_paragraph("提升人员素质：开展业务培训。")
    document.add_paragraph("三、完善社会监督体系")
    anchor = document.add_paragraph("激励行业自治自律。发挥行业协会作用。")
    add_text_box(anchor, ["专栏3 构建社会监督体系", "引导企业守法经营。落实主体责任。"])
    document.add_paragraph("第三章 保障措施")
    document.add_paragraph("加强组织领导。落实责任分工。")
    document.save(str(path))
    return path


@pytest.fixture
def plan_docx(tmp_path: Path) -> Path:
    return write_plan_docx(tmp_path / "某区规划.docx")


@pytest.fixture
def numbered_docx(tmp_path: Path) -> Path:
    """A plan whose 第X章 and 一、 are Word's automatic numbering, not typed text."""
    document = Document()
    num_id = add_chinese_numbering(document)
    for text, level in [("发展基础", 0), ("成效明显。", None), ("主要任务", 0),
                        ("统筹推动平台经济健康发展", 1), ("强化平台经济监管。坚持依法规范。", None),
                        ("规范线上市场秩序", 1), ("强化线上市场监管。严格落实。", None)]:
        paragraph = document.add_paragraph(text)
        if level is not None:
            number(paragraph, num_id, level)
    path = tmp_path / "numbered.docx"
    document.save(str(path))
    return path


@pytest.fixture
def revised_docx(tmp_path: Path) -> Path:
    """A plan with a tracked insertion and a tracked deletion nobody accepted."""
    document = Document()
    document.add_paragraph("第一章 主要任务")
    paragraph = document.add_paragraph("强化平台经济监管。")
    paragraph._p.append(parse_xml(
        f'<w:ins {W} w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z">'
        "<w:r><w:t>坚持依法规范。</w:t></w:r></w:ins>"))
    paragraph._p.append(parse_xml(
        f'<w:del {W} w:id="2" w:author="a" w:date="2024-01-01T00:00:00Z">'
        "<w:r><w:delText>删去的话。</w:delText></w:r></w:del>"))
    document.add_paragraph("第二章 保障措施")
    path = tmp_path / "revised.docx"
    document.save(str(path))
    return path


@pytest.fixture
def make_docx(tmp_path: Path) -> Callable[[list[str], str], Path]:
    """A .docx of plain paragraphs."""

    def make(lines: list[str], name: str = "plan.docx") -> Path:
        document = Document()
        for line in lines:
            document.add_paragraph(line)
        path = tmp_path / name
        document.save(str(path))
        return path

    return make
