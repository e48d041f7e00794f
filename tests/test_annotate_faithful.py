"""Annotated copies hold no formula, link or part that was not in the input as such (issue 26).

The inputs are written part by part with zipfile, so that they hold real shared formulas (``<f t="shared">``,
which openpyxl would expand into one new formula per cell) and a real external-link part."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from workbook_engine.findings import Report
from workbook_engine.validation.annotate import annotate

from .conftest import run_cli

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
{link_type}</Types>"""
LINK_TYPE = ('<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>\n')
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets>
{links}{names}</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
{link}</Relationships>"""
LINK_REL = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'externalLink" Target="externalLinks/externalLink1.xml"/>\n')
EXTERNAL_LINK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>"""
EXTERNAL_LINK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" Target="file:///C:/other/budget.xlsx" TargetMode="External"/>
</Relationships>"""


def _sheet(rows: list[str]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(rows) + "</sheetData></worksheet>")


def _shared_rows(count: int) -> list[str]:
    """A1:A{count} numbers; B1 =A1*2 shared down to B{count} (each dependent only names the shared index)."""
    rows = []
    for row in range(1, count + 1):
        formula = (f'<f t="shared" ref="B1:B{count}" si="0">A1*2</f>' if row == 1 else '<f t="shared" si="0"/>')
        rows.append(f'<row r="{row}"><c r="A{row}"><v>{row * 10}</v></c>'
                    f'<c r="B{row}">{formula}<v>{row * 20}</v></c><c r="C{row}"><f>A{row}+1</f><v>{row * 10 + 1}</v></c></row>')
    return rows


def _write(path: Path, rows: list[str], *, link: bool = False, names: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(link_type=LINK_TYPE if link else ""))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.format(
            links='<externalReferences><externalReference r:id="rId9"/></externalReferences>' if link else "",
            names=names))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(link=LINK_REL if link else ""))
        archive.writestr("xl/worksheets/sheet1.xml", _sheet(rows))
        if link:
            archive.writestr("xl/externalLinks/externalLink1.xml", EXTERNAL_LINK)
            archive.writestr("xl/externalLinks/_rels/externalLink1.xml.rels", EXTERNAL_LINK_RELS)
    return path


def _formulas(path: Path) -> dict[str, str]:
    """Every formula in the copy's data sheet as written: cell -> formula text ('' for a shared dependent)."""
    with zipfile.ZipFile(path) as archive:
        assert 'name="数据"' in archive.read("xl/workbook.xml").decode()
        sheet_xml = archive.read("xl/worksheets/sheet2.xml").decode()  # the results sheet comes first
    cells = re.findall(r'<c r="([A-Z]+\d+)"[^>]*>(.*?)</c>', sheet_xml)
    found = {cell: re.search(r"<f[^>]*>([^<]*)</f>", body) for cell, body in cells if "<f" in body}
    return {cell: match.group(1) if match else "" for cell, match in found.items()}


def test_shared_formulas_are_never_expanded_into_new_formulas(tmp_path):
    source = _write(tmp_path / "shared.xlsx", _shared_rows(6))
    before = source.read_bytes()
    out = annotate(source, Report(str(source)), tmp_path / "copy.xlsx")
    assert source.read_bytes() == before
    formulas = _formulas(out)
    assert not any(cell.startswith("B") for cell in formulas)  # no B2=A2*2 … that the input never held
    assert {cell: text for cell, text in formulas.items()} == {f"C{r}": f"A{r}+1" for r in range(1, 7)}
    data = load_workbook(out)["数据"]
    assert [data[f"B{r}"].value for r in range(1, 7)] == [r * 20 for r in range(1, 7)]  # the saved values
    results = load_workbook(out)["校验结果"]
    codes = [row[1] for row in results.iter_rows(min_row=3, values_only=True)]
    assert codes == ["WBE-W261"]
    assert data["B1"].comment is not None and "6 个单元格" in data["B1"].comment.text


def test_external_links_are_dropped_with_a_finding(tmp_path):
    rows = ['<row r="1"><c r="A1"><f>[1]Sheet1!A1</f><v>42</v></c><c r="B1"><f>A1+1</f><v>43</v></c></row>']
    names = '<definedNames><definedName name="外部">[1]Sheet1!$A$1</definedName></definedNames>'
    source = _write(tmp_path / "linked.xlsx", rows, link=True, names=names)
    out = annotate(source, Report(str(source)), tmp_path / "copy.xlsx")
    with zipfile.ZipFile(out) as archive:
        names_in_copy = archive.namelist()
        everything = b"".join(archive.read(n) for n in names_in_copy)
    assert not any("externalLink" in n for n in names_in_copy)
    assert b"externalLink" not in everything and b"budget.xlsx" not in everything and b"[1]" not in everything
    data = load_workbook(out)["数据"]
    assert data["A1"].value == 42 and data["B1"].value == "=A1+1"  # the link's formula a value, the rest kept
    results = load_workbook(out)["校验结果"]
    rows_out = list(results.iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in rows_out] == ["WBE-W262"] and "1 个外部链接" in rows_out[0][7]


def test_a_workbook_without_either_gets_no_such_finding(tmp_path):
    rows = ['<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>']
    source = _write(tmp_path / "plain.xlsx", rows)
    out = annotate(source, Report(str(source)), tmp_path / "copy.xlsx")
    assert load_workbook(out)["数据"]["B1"].value == "=A1*2"
    assert load_workbook(out)["校验结果"].max_row == 2  # title and header only


def test_validate_annotate_through_the_cli_writes_no_expanded_formula(tmp_path):
    source = _write(tmp_path / "shared.xlsx", _shared_rows(4))
    result = run_cli("validate", source, "--annotate", tmp_path / "copy.xlsx")
    assert "Traceback" not in result.stderr
    assert (tmp_path / "copy.xlsx").exists(), result.stderr
    assert not any(cell.startswith("B") for cell in _formulas(tmp_path / "copy.xlsx"))


def test_review_annotate_through_the_cli_drops_the_external_link(tmp_path):
    rows = ['<row r="1"><c r="A1"><f>[1]Sheet1!A1</f><v>7</v></c></row>']
    source = _write(tmp_path / "linked.xlsx", rows, link=True)
    result = run_cli("review", source, "--annotate", tmp_path / "copy.xlsx")
    assert "Traceback" not in result.stderr
    assert (tmp_path / "copy.xlsx").exists(), result.stderr
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as archive:
        assert not any("externalLink" in n for n in archive.namelist())
        assert all(b"[1]" not in archive.read(n) for n in archive.namelist())
    codes = {row[1] for row in load_workbook(tmp_path / "copy.xlsx")["审核结果"].iter_rows(min_row=3, values_only=True)}
    assert "WBE-W262" in codes
