"""Outputs a person prints (issue 16 §4): the published document's tables, the annotated copy's 校验结果 sheet,
the diff and merge workbooks' first view, row heights of 部门整体绩效目标, and the PDF's Chinese fonts.

The PDF checks run LibreOffice (marked ``libreoffice``) with the engine's font replacement table, as
``wbe publish --pdf`` does, and read the PDF back with poppler (pdftotext, pdffonts, pdfinfo)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml.ElementTree import parse

from workbook_engine import api
from workbook_engine.canonical_writer import write_book
from workbook_engine.official.heights import display_units, is_wide, line_count
from workbook_engine.publish.pdf import font_replacement_items
from workbook_engine.validation import validate

from .conftest import SAMPLE, soffice

needs_lo = pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None,
                              reason="needs LibreOffice and poppler-utils")
LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标")
CODE_RE = re.compile(r"\b\d{6}\d{2}P[0-9A-Z]{12}\b")


# --- text widths for row heights ---------------------------------------------------------------------------

@pytest.mark.parametrize("ch", ["≥", "≤", "“", "”", "…", "°", "×", "①", "中", "％", "，"])
def test_characters_songti_draws_full_width_count_wide(ch):
    assert is_wide(ch)


@pytest.mark.parametrize("ch", ["0", "A", "%", ".", " ", "-"])
def test_latin_characters_count_narrow(ch):
    assert not is_wide(ch)


def test_ambiguous_class_can_be_counted_narrow_for_another_font():
    assert not is_wide("≥", ambiguous_wide=False) and is_wide("中", ambiguous_wide=False)
    assert display_units("≥95%", 2, 1) == 2 + 3 and display_units("≥95%", 2, 1, ambiguous_wide=False) == 4


def test_a_line_of_ambiguous_characters_wraps():
    settings = {"wide_char": 2.0, "narrow_char": 1.0, "ambiguous_wide": True}
    assert line_count("“" * 10, 11, settings) == 2  # 20 units of quotes do not fit 10 usable units
    assert line_count("“" * 10, 11, {**settings, "ambiguous_wide": False}) == 1


# --- workbooks open and print sensibly ------------------------------------------------------------------------

def test_validation_sheet_prints_one_page_wide(tmp_path, edit_sample):
    book = edit_sample({"项目": {"F2": 201}})
    copy_path = tmp_path / "annotated.xlsx"
    api.annotate(book, validate(book), copy_path)
    sheet = openpyxl.load_workbook(copy_path)["校验结果"]
    setup = sheet.page_setup
    assert (setup.orientation, str(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == \
        ("landscape", "9", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$2"


def test_diff_and_merge_workbooks_open_on_their_summary(tmp_path, edit_sample):
    changed = edit_sample({"项目": {"F2": 201, "G2": 201}})
    api.diff(SAMPLE, changed, output=tmp_path / "diff.xlsx")
    diff = openpyxl.load_workbook(tmp_path / "diff.xlsx")
    assert diff.active.title == "比对结果"
    assert [ws.title for ws in diff.worksheets if ws.sheet_view.tabSelected] == ["比对结果"]
    api.merge([SAMPLE], tmp_path / "merged.xlsx")
    merged = openpyxl.load_workbook(tmp_path / "merged.xlsx")
    assert merged.active.title == "合并记录"
    assert merged["合并记录"].page_setup.orientation == "landscape"


# --- the published document (.docx) ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docx") / "text.docx"
    api.publish(SAMPLE, path)
    return path


def _xml(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(part).decode("utf-8")


def test_document_fonts_are_simplified_chinese(published):
    styles = _xml(published, "word/styles.xml")
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group(0)
    assert 'w:eastAsia="zh-CN"' in defaults
    for lang in re.findall(r"<w:lang [^>]*>", styles):
        assert 'w:eastAsia="zh-CN"' in lang, lang


def test_project_code_cells_never_wrap(published):
    body = _xml(published, "word/document.xml")
    cells = [c for c in re.findall(r"<w:tc>.*?</w:tc>", body, re.S) if CODE_RE.search(c)]
    assert len(cells) == 9
    assert all("<w:noWrap/>" in cell for cell in cells)


def test_font_replacement_maps_chinese_fonts_to_sc_faces():
    installed = {"Noto Serif CJK SC", "Noto Sans CJK SC"}
    items = font_replacement_items(installed)
    assert "<value>宋体</value>" in items and "<value>仿宋</value>" in items
    assert items.count("<value>Noto Serif CJK SC</value>") >= 3 and "<value>Noto Sans CJK SC</value>" in items
    assert font_replacement_items({"宋体", "仿宋", "黑体", "Noto Serif CJK SC"}).count("ReplaceFont") <= 4
    assert font_replacement_items(set()) == ""  # nothing installed to replace with: LibreOffice's own choice


# --- PDFs made with LibreOffice -----------------------------------------------------------------------------------

def _lines(pdf: Path, page: int) -> list[tuple[float, float, str]]:
    """(top, left, text) of each text line of a PDF page, top to bottom."""
    html = pdf.with_suffix(f".{page}.html")
    subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox-layout", str(pdf), str(html)],
                   check=True, timeout=60)
    ns = "{http://www.w3.org/1999/xhtml}"
    found = []
    for line in parse(html).iter(ns + "line"):
        text = "".join(w.text or "" for w in line.iter(ns + "word"))
        found.append((float(line.get("yMin")), float(line.get("xMin")), text))
    return sorted(found)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = re.search(r"Pages:\s+(\d+)", info)
    assert pages is not None, info
    return int(pages.group(1))


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def songti_profile(tmp_path_factory) -> str:
    """A private LibreOffice profile that prints 宋体 in a font of 宋体's metrics: Noto Sans Mono CJK SC has
    full-width CJK and half-width Latin characters, as 宋体 has, so the sheet lays out as in Excel/WPS with
    宋体 (column unit = half a CJK character), which is what the row heights are computed for."""
    from workbook_engine.publish.pdf import _replace_fonts, installed_families

    if "Noto Sans Mono CJK SC" not in installed_families():
        pytest.skip("Noto Sans Mono CJK SC (fonts-noto-cjk) is not installed")
    folder = tmp_path_factory.mktemp("lo-profile")
    url = folder.as_uri()
    subprocess.run([_soffice(), f"-env:UserInstallation={url}", "--headless", "--terminate_after_init"],
                   capture_output=True, timeout=180)
    _replace_fonts(folder, {"宋体": "Noto Sans Mono CJK SC"})
    return url


def _soffice() -> str:
    """LibreOffice's program: the tests using it are skipped (needs_lo) when it is missing."""
    program = soffice()
    assert program is not None
    return program


def _to_pdf(profile: str, source: Path) -> Path:
    subprocess.run([_soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(source.parent), str(source)], capture_output=True, timeout=300, check=True)
    return source.with_suffix(".pdf")


@pytest.mark.libreoffice
@needs_lo
def test_published_pdf_uses_serif_simplified_chinese_fonts(tmp_path):
    result = api.publish(SAMPLE, tmp_path / "text.docx", pdf=True)
    pdf = result.files[0].pdf
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    if "Noto Serif CJK SC" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout:
        pytest.skip("Noto Serif CJK SC (fonts-noto-cjk) is not installed")
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    # 宋体/仿宋 text in Noto Serif CJK (the TTC's faces share one CFF name, …jp…; the SC face is chosen by
    # the replacement table and the zh-CN language), 黑体 headings in Noto Sans CJK.
    assert any("NotoSerifCJK" in name for name in names), fonts
    body = [name for name in names if "CJK" in name and "Bold" not in name]
    assert body and all("NotoSerifCJK" in name or "NotoSansCJK" in name for name in body)
    # every 项目编码 is printed whole on one line
    text = "".join(_page_text(pdf, page) for page in range(1, _pages(pdf) + 1))
    assert len(set(CODE_RE.findall(text))) == 9


@pytest.mark.libreoffice
@needs_lo
def test_long_indicator_group_names_its_level1_on_every_page(tmp_path):
    book = api.read_book(SAMPLE)
    first = book.projects[0].code
    template = next(i for i in book.indicators if i.project_code == first and i.level1 == "产出指标")
    extra = []
    for n in range(30):
        item = copy.deepcopy(template)
        item.level3, item.description, item.row = f"第{n}项工作的完成数量", "每一项工作都要按照年初计划完成并逐项报告", None
        extra.append(item)
    position = book.indicators.index(template) + 1
    book.indicators[position:position] = extra
    for seq, item in enumerate((i for i in book.indicators if i.project_code == first), start=1):
        item.seq = seq
    source = tmp_path / "long.xlsx"
    write_book(book, source)
    pdf = api.publish(source, tmp_path / "long.docx", pdf=True).files[0].pdf
    continued = 0
    for page in range(1, _pages(pdf) + 1):
        lines = [line.strip() for line in _page_text(pdf, page).splitlines() if line.strip()]
        if lines and lines[0].startswith("一级指标"):  # a page that continues an indicator table
            continued += 1
            assert any(name in line for line in lines[1:4] for name in LEVEL1), (page, lines[:4])
    assert continued >= 1


@pytest.mark.libreoffice
@needs_lo
def test_department_sheet_rows_fit_their_text_on_the_pdf(tmp_path, songti_profile):
    official = tmp_path / "official.xlsx"
    api.render(SAMPLE, official)
    pdf = _to_pdf(songti_profile, official)
    pages = [p for p in range(1, _pages(pdf) + 1) if "部门整体绩效目标" in _page_text(pdf, p)[:2000]
             and "绩效目标表" not in _page_text(pdf, p)[:600]]
    assert pages
    book = api.read_book(SAMPLE)
    printed = ""
    for page in pages:
        lines = _lines(pdf, page)
        printed += "".join(text for _, _, text in lines)
        tops = [top for top, _, text in lines if text.strip()]
        steps = [b - a for a, b in zip(tops, tops[1:]) if b - a > 0.5]
        pitch = sorted(steps)[len(steps) // 4]  # the line pitch inside a paragraph
        body = [s for s in steps[2:-1]]  # after title and unit line, before the footer
        assert max(body) < 1.9 * pitch, (page, pitch, sorted(body)[-3:])  # never an empty line in a row
    squeezed = re.sub(r"\s", "", printed)
    for goal in book.goals:
        assert re.sub(r"\s", "", goal.content)[-12:] in squeezed  # no paragraph cut off by its row
