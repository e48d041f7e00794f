"""wbe publish: the published document as .docx and PDF, read as a user (Word file, PDF text) and imported back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm

from workbook_engine.api import read_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.importer import import_document

from .conftest import ROOT, SAMPLE, libreoffice_convert, needs_soffice, run_cli, soffice
from .official_helpers import small_book, squeeze
from .test_importer import seed_tables

BUREAU = "乐亭县财政局"


def text_of(element) -> str:
    """Visible text of a paragraph or cell: w:t runs, w:br as a line break, paragraphs joined by newlines."""
    paragraphs = element.iter(qn("w:p")) if element.tag != qn("w:p") else [element]
    return "\n".join("".join((node.text or "") if node.tag == qn("w:t") else "\n"
                              for node in p.iter(qn("w:t"), qn("w:br"))) for p in paragraphs)


def body_blocks(path):
    """The document body in order: ("p", style id, text) and ("tbl", element) items."""
    document = docx.Document(str(path))
    out = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            out.append(("p", style.get(qn("w:val")) if style is not None else "", text_of(element)))
        elif element.tag == qn("w:tbl"):
            out.append(("tbl", element))
    return out


def flatten_table(tbl) -> list[list[str]]:
    """The acceptance reading of a Word table: per row every cell that is not a horizontal continuation
    (a Word cell spanning columns is one w:tc), '' for a vertical-merge continuation; empty rows dropped."""
    rows = []
    for tr in tbl.iter(qn("w:tr")):
        out = []
        for tc in tr.findall(qn("w:tc")):
            merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
            continued = merge is not None and merge.get(qn("w:val")) in (None, "continue")
            out.append("" if continued else text_of(tc))
        if any(cell.strip() for cell in out):
            rows.append(out)
    return rows


def project_tables(path) -> dict[str, list[list[str]]]:
    """Project title (a WBEProject heading) -> the flattened rows of the tables that follow it."""
    tables: dict[str, list[list[str]]] = {}
    current = None
    for block in body_blocks(path):
        if block[0] == "p" and block[1] == "WBEProject":
            current = block[2]
            tables[current] = []
        elif block[0] == "tbl" and current is not None:
            tables[current] += flatten_table(block[1])
    return tables


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("publish") / "out" / "文本.docx"
    out.parent.mkdir()
    result = run_cli("publish", SAMPLE, "-o", out, "--finance-bureau", BUREAU)
    assert result.returncode == 0, result.stderr
    assert "9 张项目表" in result.stdout and "81 个指标" in result.stdout
    return out


@pytest.fixture(scope="module")
def published_pdf(tmp_path_factory):
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path_factory.mktemp("publish-pdf") / "部门预算绩效文本 2024 #1.docx"  # LibreOffice gets URLs
    result = run_cli("publish", SAMPLE, "-o", out, "--pdf", "--finance-bureau", BUREAU)
    assert result.returncode == 0, result.stderr
    pdf = out.with_suffix(".pdf")
    assert pdf.exists() and "PDF" in result.stdout
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    return pages


def squeezed(pages: list[str]) -> list[str]:
    return [re.sub(r"\s", "", page) for page in pages]


def seed_headings(seed_text: str) -> list[str]:
    """The seed's headings in order: the part lines and every bookmarked (_Toc) heading."""
    headings = []
    for line in seed_text.split("\n"):
        text = re.sub(r"\[bookmark:[^\]]*\]", "", line).strip()
        if "[bookmark: _Toc" in line or text in ("第一部分", "部门整体绩效目标", "第二部分", "预算项目绩效目标"):
            headings.append(re.sub(r"\s", "", text))
    return headings


def test_import_of_the_published_docx_equals_the_sample(published):
    assert import_document(published) == read_book(SAMPLE)


def test_layout_equality_of_the_word_tables_for_all_nine_seed_projects(published, seed_text):
    seed = seed_tables(seed_text)
    tables = project_tables(published)
    assert list(tables) == list(seed) and len(tables) == 9
    for title, rows in tables.items():
        assert squeeze(rows) == squeeze(seed[title]), title


def test_cover_then_contents_field_then_the_parts(published):
    blocks = [b for b in body_blocks(published) if b[0] == "p" and b[2].strip()]
    texts = [b[2] for b in blocks]
    assert texts[0] == "乐亭县应急管理局本级\n2024年部门预算绩效文本"
    assert texts[1:3] == ["乐亭县应急管理局本级编制", f"{BUREAU}审核"]
    assert blocks[3][1] == "WBEContentsTitle"
    document = docx.Document(str(published))
    instructions = [t.text for t in document.element.body.iter(qn("w:instrText"))]
    assert any(i.split()[0] == "TOC" and '\\o "1-2"' in i for i in instructions)
    styles = [b[1] for b in blocks]
    assert styles.count("WBEPart") == 2 and styles.count("WBESection") == 3 and styles.count("WBEProject") == 9
    assert texts[styles.index("WBEPart")] == "第一部分\n部门整体绩效目标"
    assert [texts[i] for i, s in enumerate(styles) if s == "WBESection"] == \
        ["一、总体绩效目标", "二、分项绩效目标", "三、工作保障措施"]
    assert "1、安全生产目标管理奖金" in [texts[i] for i, s in enumerate(styles) if s == "WBEItem"]


def test_cover_without_finance_bureau_leaves_the_line_out(tmp_path):
    out = tmp_path / "t.docx"
    assert run_cli("publish", SAMPLE, "-o", out).returncode == 0
    texts = [b[2] for b in body_blocks(out) if b[0] == "p" and b[2].strip()]
    assert texts[1] == "乐亭县应急管理局本级编制" and not texts[2].endswith("审核")


def test_page_setup_typography_and_table_properties(published):
    document = docx.Document(str(published))
    for section in document.sections:
        assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(0.01)
        assert abs(section.left_margin - Cm(2.8)) < Cm(0.01)
    cover, body = document.sections
    assert not cover.footer.paragraphs[0].text.strip()
    footer = body.footer.paragraphs[0]._p
    assert "PAGE" in "".join(t.text for t in footer.iter(qn("w:instrText")))
    assert body._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"

    def east_asian(name):
        return document.styles[name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asian("WBE Body") == "仿宋" and east_asian("WBE Section") == "黑体"
    assert east_asian("WBE Part") == "黑体" and east_asian("WBE Table") == "宋体"
    assert document.styles["WBE Body"].font.size.pt == 16
    tables = list(document.element.body.iter(qn("w:tbl")))
    assert len(tables) == 18
    rows = [tr for tbl in tables for tr in tbl.iter(qn("w:tr"))]
    assert all(tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for tr in rows)
    headers = [tr for tr in rows if tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None]
    assert len(headers) == 9
    assert all("一级指标" in "".join(t.text for t in tr.iter(qn("w:t"))) for tr in headers)
    spans = [int(g.get(qn("w:val"))) for tbl in tables for g in tbl.iter(qn("w:gridSpan"))]
    assert spans and all(1 < s <= 7 for s in spans)
    restarts = [m for tbl in tables for m in tbl.iter(qn("w:vMerge")) if m.get(qn("w:val")) == "restart"]
    assert len(restarts) >= 9 * 3  # 预算规模及资金用途, 资金支出计划, and at least one 一级指标 block per project


@needs_soffice
@pytest.mark.libreoffice
def test_pdf_holds_every_heading_in_order_and_every_indicator_value(published_pdf, seed_text, seed_book):
    pages = squeezed(published_pdf)
    contents = next(n for n, page in enumerate(pages) if page.startswith("目录"))
    body = "".join(pages[contents + 1:])
    position = 0
    for heading in seed_headings(seed_text):
        found = body.find(heading, position)
        assert found >= 0, f"{heading} missing or out of order"
        position = found + len(heading)
    assert len(seed_headings(seed_text)) == 16
    for indicator in seed_book.indicators:
        assert re.sub(r"\s", "", indicator.value) in body, indicator.value


@needs_soffice
@pytest.mark.libreoffice
def test_pdf_contents_are_refreshed_with_the_right_page_numbers(published_pdf, seed_book):
    pages = squeezed(published_pdf)
    contents = next(n for n, page in enumerate(pages) if page.startswith("目录"))
    toc = [re.sub(r"\s", "", line) for line in published_pdf[contents].splitlines()]
    assert not any("目录：" in line for line in toc)  # the placeholder was replaced by real entries
    entries = ["一、总体绩效目标", "二、分项绩效目标", "三、工作保障措施",
               *(f"{p.seq}.{p.title}绩效目标表" for p in seed_book.projects_of("450001"))]
    for entry in entries:
        match = next(filter(None, (re.fullmatch(re.escape(entry) + r"\.{3,}(\d+)", line) for line in toc)), None)
        assert match, entry
        page = int(match.group(1))  # body pages are numbered from 1, after the cover and the contents page
        assert entry in pages[contents + page], (entry, page)
        assert pages[contents + page].endswith(f"—{page}—")


@needs_soffice
@pytest.mark.libreoffice
def test_libreoffice_resaved_docx_still_imports_equal(published, tmp_path):
    resaved = libreoffice_convert(published, "docx:MS Word 2007 XML", tmp_path / "lo")
    assert import_document(resaved) == read_book(SAMPLE)


def test_toc_field_entries_do_not_leak_into_goals(published, tmp_path):
    """As after Word's "update field": the TOC field's result holds entries in plain paragraphs."""
    document = docx.Document(str(published))
    body = document.element.body
    placeholder = next(p for p in body.iter(qn("w:p")) if any(i.text.strip().startswith("TOC")
                                                                   for i in p.iter(qn("w:instrText"))))
    end = [r for r in placeholder.iter(qn("w:r")) if r.find(qn("w:fldChar")) is not None][-1]
    placeholder.remove(end)
    entries = ["第一部分 部门整体绩效目标\t1", "一、总体绩效目标\t1", "1、安全生产目标管理奖金\t2",
               "（一）负责全县应急管理工作\t4", "第二部分 预算项目绩效目标\t6", "1.安全生产专家会诊服务费绩效目标表\t6"]
    anchor = placeholder
    for text in entries:
        paragraph = document.add_paragraph(text)._p
        anchor.addnext(paragraph)
        anchor = paragraph
    closing = document.add_paragraph()._p
    closing.append(end)
    anchor.addnext(closing)
    edited = tmp_path / "updated-toc.docx"
    document.save(str(edited))
    assert import_document(edited) == read_book(SAMPLE)


def test_refuses_a_workbook_with_errors_unless_forced(edit_sample, tmp_path):
    broken = edit_sample({"项目": {"F2": 201}})
    out = tmp_path / "text.docx"
    result = run_cli("publish", broken, "-o", out)
    assert result.returncode == 1
    assert "WBE-E030" in result.stdout and "--force" in result.stderr
    assert not out.exists()
    forced = run_cli("publish", broken, "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert project_tables(out)["1.安全生产专家会诊服务费绩效目标表"][2][2] == "201.00"


def test_several_departments_one_document_each_into_a_folder(tmp_path):
    book = small_book(3, 2)
    source = tmp_path / "county.xlsx"
    write_book(book, source)
    refused = run_cli("publish", source, "-o", tmp_path / "one.docx")
    assert refused.returncode == 2 and "3 个部门" in refused.stderr and "发布" in refused.stderr
    result = run_cli("publish", source, "-o", f"{tmp_path / 'docs'}/")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "docs").iterdir())
    assert files == ["450001部门0.docx", "450002部门1.docx", "450003部门2.docx"]
    for name, dept in zip(files, book.departments()):
        assert import_document(tmp_path / "docs" / name) == book.for_department(dept.code)
    one = run_cli("publish", source, "-o", tmp_path / "d2.docx", "--dept", "450002")
    assert one.returncode == 0 and import_document(tmp_path / "d2.docx") == book.for_department("450002")


def test_pdf_without_libreoffice_is_a_clear_error_and_writes_nothing(tmp_path):
    out = tmp_path / "text.docx"
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    result = subprocess.run([sys.executable, "-m", "workbook_engine", "publish", str(SAMPLE), "-o", str(out),
                             "--pdf"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 2
    assert "LibreOffice" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not out.with_suffix(".pdf").exists()


def test_a_failing_libreoffice_is_one_clear_line(tmp_path):
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'javaldx: broken' >&2\nexit 3\n")
    fake.chmod(0o755)
    out = tmp_path / "text.docx"
    env = {**os.environ, "PATH": str(fake.parent)}
    result = subprocess.run([sys.executable, "-m", "workbook_engine", "publish", str(SAMPLE), "-o", str(out),
                             "--pdf"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 2
    assert "LibreOffice 转换 PDF 失败（退出码 3" in result.stderr and "Traceback" not in result.stderr
    assert not out.with_suffix(".pdf").exists()


def test_output_must_be_a_docx_or_a_folder(tmp_path):
    result = run_cli("publish", SAMPLE, "-o", tmp_path / "text.pdf")
    assert result.returncode == 2 and ".docx" in result.stderr
    assert not (tmp_path / "text.pdf").exists()


def test_output_never_replaces_the_input(tmp_path):
    source = tmp_path / "book.docx"
    source.write_bytes(SAMPLE.read_bytes())
    before = source.read_bytes()
    result = run_cli("publish", source, "-o", source)
    assert result.returncode == 2 and "不能覆盖" in result.stderr and source.read_bytes() == before


def test_money_text_and_line_breaks_in_cells(tmp_path):
    book = small_book(1, 1)
    book.projects[0].other = Decimal("2.5")
    book.projects[0].budget = Decimal("12.5")
    source = tmp_path / "b.xlsx"
    write_book(book, source)
    out = tmp_path / "t.docx"
    assert run_cli("publish", source, "-o", out).returncode == 0
    rows = project_tables(out)["1.项目0-0绩效目标表"]
    assert rows[2][2] == "12.50" and rows[2][6] == "2.50"
    assert rows[3] == ["", "-用途\n第二行"]
    assert rows[5][1:] == ["25%", "50.5%", "75%", "100%"]
    assert import_document(out) == book


def test_guide_pictures_exist_and_are_small():
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\((images/[^)]+\.png)\)", guide)
    assert len(pictures) >= 8
    for picture in pictures:
        path = ROOT / "docs" / picture
        assert path.exists(), picture
        assert path.stat().st_size < 200_000, picture
    for command in ("import", "validate", "render", "publish"):
        assert f"wbe {command} " in guide
