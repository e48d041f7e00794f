"""As a reader would: the rendered sample printed to PDF by LibreOffice, one page per sheet, titles readable."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from workbook_engine.api import read_book
from workbook_engine.official.pipeline import render_official

from .conftest import SAMPLE, libreoffice_convert, needs_soffice

pytestmark = [needs_soffice, pytest.mark.libreoffice,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")]


def page_text(pdf, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_pdf_has_one_page_per_sheet_and_every_title(tmp_path):
    official = tmp_path / "official.xlsx"
    assert render_official(SAMPLE, official).rendered
    pdf = libreoffice_convert(official, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    book = read_book(SAMPLE)
    assert pages == 2 + len(book.projects)  # 项目汇总, 部门整体绩效目标, then one page per project
    assert "项目绩效目标汇总表" in page_text(pdf, 1)
    assert "三、工作保障措施" in page_text(pdf, 2)
    for page, project in enumerate(book.projects_of("450001"), start=3):
        text = page_text(pdf, page)
        assert f"{project.seq}.{project.title}绩效目标表" in text
        assert f"第 {page} 页，共 {pages} 页" in text
        assert "单位：万元" in text and project.code in text
