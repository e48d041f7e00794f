"""An annotated copy of a workbook: offending cells filled and commented, plus a 校验结果 sheet.

openpyxl is used here because styles and comments matter; the input file is only read, and the copy is
written atomically. The copy never holds a formula, link or part that was not in the input as such: openpyxl
would expand a shared formula into one new formula per cell and keep external-link parts, so shared-formula
cells and formulas into other workbooks are written as the values the input saved, the links dropped, and
each case is a finding on the results sheet (WBE-W261, WBE-W262; docs/decisions.md 26.T3).
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ..a1 import sheet_ref
from ..errors import OutputError
from ..findings import Finding, Location, Report, produces
from ..findings import finding as make_finding
from ..io.atomic import atomic_path, check_output, os_error_in, os_error_text
from ..io.cell_text import report_text
from ..io.containment import run_contained
from ..io.guard import check_workload
from ..io.trim import trimmed_copy
from ..sheets import FINDINGS_SHEET

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SEVERITY_NAMES = {"error": "错误", "warning": "警告"}
RESULT_HEADERS = ("序号", "代码", "级别", "工作表", "单元格", "列", "值", "说明")
# The columns of the report's flattening (Report.flatten) under RESULT_HEADERS after 序号.
RESULT_COLUMNS = ("code", "severity", "sheet", "cell", "column", "value", "message")
GROUP_HEADER = "审核要点"


# A table written below the findings (the review's grades): heading, column headers, rows.
Appendix = tuple[str, Sequence[str], Iterable[Sequence[object]]]


@produces("WBE-W261", "WBE-W262")
def annotate(source: str | os.PathLike[str], report: Report, output: str | os.PathLike[str], *,
             sheet_name: str = FINDINGS_SHEET, overwrite: bool = False, title: str | None = None,
             appendix: Appendix | None = None) -> Path:
    """Write a copy of ``source`` with every finding marked; returns the output path.

    openpyxl loads the source (checked by the guard, trailing formatting-only rows trimmed: io/trim.py);
    macros are not carried over and the copy is always an .xlsx.
    """
    check_output(output, inputs=[source], overwrite=overwrite, suffix=".xlsx")
    check_workload(source, "annotate")  # openpyxl is the slowest reader (docs/performance.md)
    with trimmed_copy(source) as loadable, \
            atomic_path(output, inputs=[source], overwrite=overwrite, suffix=".xlsx") as temp:
        # openpyxl loads, marks and saves in a contained child (io/containment.py): a memory limit and a
        # deadline; the temporary output belongs to this process, which removes it on every path.
        run_contained(lambda: _write_copy(loadable, source, report, temp, sheet_name, title, appendix,
                                          Path(output)),
                      path=source, what="写出带批注的副本")
    return Path(output)


def _write_copy(loadable: Path, source: str | os.PathLike[str], report: Report, temp: Path, sheet_name: str,
                title: str | None, appendix: Appendix | None, output: Path) -> None:
    workbook = load_workbook(loadable, keep_vba=False, rich_text=False, keep_links=False)
    faithful = _as_in_input(workbook, source)  # no formula or link that was not in the input as such
    if faithful:
        report = Report(report.file, [*report.findings, *faithful])
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        if finding.sheet is not None and finding.sheet in workbook.sheetnames and finding.cell:
            by_cell[(finding.sheet, _anchor(workbook[finding.sheet], finding.cell))].append(finding)
    for (sheet, cell), findings in by_cell.items():
        target = workbook[sheet][cell]
        worst = "error" if any(f.is_error for f in findings) else "warning"
        target.fill = ERROR_FILL if worst == "error" else WARNING_FILL
        text = report_text("\n".join(f"[{f.code} {SEVERITY_NAMES[f.severity]}] {f.message}" for f in findings))
        comment = Comment(text, "workbook-engine")
        comment.width, comment.height = 360, 40 + 18 * max(3, len(text) // 20)
        target.comment = comment
    if sheet_name in workbook.sheetnames:
        del workbook[sheet_name]
    results = workbook.create_sheet(sheet_name, 0)
    write_results(results, report.findings, set(workbook.sheetnames), report, title=title)
    if appendix is not None:
        write_appendix(results, *appendix)
    workbook.active = 0
    try:
        workbook.save(temp)
    except Exception as exc:  # a full disk in the child: the same one line as atomic_path gives
        cause = os_error_in(exc)
        if cause is None:
            raise
        raise OutputError(f"{output}：{os_error_text(cause)}") from None


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_MAIN = "{{{}}}".format(_NS["m"])
_EXTERNAL_REF = re.compile(r"\[\d+\]")  # =[1]Sheet1!A1: a formula into the n-th external workbook


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the zip, from workbook.xml and its relationships."""
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    parts = {}
    for sheet in book.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
    return parts


def _cached(cell: ElementTree.Element) -> object:
    """The value the input saved for a formula cell, as openpyxl would hold it."""
    text = cell.findtext(f"{_MAIN}v")
    kind = cell.get("t", "n")
    if text is None:
        return None
    if kind == "n":
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "E" not in text.upper() else number
    if kind == "b":
        return text == "1"
    return text


def _formula_cells(archive: zipfile.ZipFile, part: str) -> tuple[dict[str, object], dict[str, object]]:
    """The shared-formula cells and the cells with a formula into another workbook, with their saved values."""
    shared: dict[str, object] = {}
    external: dict[str, object] = {}
    with archive.open(part) as stream:
        for _, element in ElementTree.iterparse(stream):
            if element.tag != f"{_MAIN}c":
                continue
            formula = element.find(f"{_MAIN}f")
            if formula is not None:
                if formula.get("t") == "shared":
                    shared[element.get("r", "")] = _cached(element)
                elif _EXTERNAL_REF.search(formula.text or ""):
                    external[element.get("r", "")] = _cached(element)
            element.clear()
    return shared, external


def _set_value(sheet: Worksheet, coordinate: str, value: object) -> None:
    cell = sheet[coordinate]
    if isinstance(cell, MergedCell):
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # a saved text starting with "=" is text, never a new formula


def _as_in_input(workbook, source: str | os.PathLike[str]) -> list[Finding]:
    """Write shared formulas and formulas into other workbooks as the input's saved values, drop the names
    that point into other workbooks; the findings that say so."""
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile):
        return []  # not a zip (an .xls read otherwise): openpyxl read no such parts either
    with archive:
        names = archive.namelist()
        links = [n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml")
                 and "/_rels/" not in n]
        try:
            parts = _sheet_parts(archive)
        except (KeyError, ElementTree.ParseError):
            return []
        found: list[Finding] = []
        external_cells = 0
        for name, part in parts.items():
            if name not in workbook.sheetnames or part not in names or not isinstance(workbook[name], Worksheet):
                continue
            try:
                shared, external = _formula_cells(archive, part)
            except (ElementTree.ParseError, ValueError, KeyError, OSError, zipfile.BadZipFile):
                continue  # a part the strict parser refuses: openpyxl read it some other way, left as it read it
            sheet = workbook[name]
            for coordinate, value in {**external, **shared}.items():
                _set_value(sheet, coordinate, value)
            external_cells += len(external)
            if shared:
                first = next(iter(shared))
                found.append(make_finding("WBE-W261", Location(sheet=name, cell=first), None, sheet=name,
                                     count=len(shared), first=first))
    if links or external_cells:
        for defined in [key for key, value in workbook.defined_names.items()
                        if _EXTERNAL_REF.search(str(value.attr_text or ""))]:
            del workbook.defined_names[defined]
        found.append(make_finding("WBE-W262", NOWHERE_LOCATION, None, count=max(len(links), 1 if external_cells else 0),
                             cells=external_cells))
    return found


NOWHERE_LOCATION = Location()


def _anchor(sheet: Worksheet, cell: str) -> str:
    """The cell that can carry a comment: a merged range's top-left cell stands for all of the range."""
    if isinstance(sheet[cell], MergedCell):
        for merged in sheet.merged_cells.ranges:
            if cell in merged:
                return merged.start_cell.coordinate
    return cell


WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def write_results(sheet: Worksheet, findings: Iterable[Finding], sheets: set[str], report: Report,
                  title: str | None = None) -> None:
    """The findings as a table with a hyperlink from each to its cell (and the review criterion, if any)."""
    findings = list(findings)
    grouped = any(f.group for f in findings)
    sheet.append([title or f"校验结果：{len(report.errors)} 个错误，{len(report.warnings)} 个警告"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(RESULT_HEADERS) + ([GROUP_HEADER] if grouped else []))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    spec = RESULT_COLUMNS + (("group",) if grouped else ())
    for number, (finding, flat) in enumerate(zip(findings, report.flatten(spec, findings)), start=1):
        record = dict(zip(spec, flat))
        record["severity"] = SEVERITY_NAMES[record["severity"]]
        row = [number, *("" if record[key] is None else str(record[key]) for key in spec)]
        row = [report_text(v) if isinstance(v, str) else v for v in row]
        sheet.append(row)
        excel_row = number + 2  # title and header rows above (sheet.max_row would scan every cell: quadratic)
        for col in range(1, len(row) + 1):
            cell = sheet.cell(excel_row, col)
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
            cell.alignment = WRAP_TOP
        link_cell = sheet.cell(excel_row, 5)
        if finding.sheet in sheets and finding.cell:
            link_cell.hyperlink = "#" + sheet_ref(finding.sheet, finding.cell)
            link_cell.font = Font(color="0563C1", underline="single")
        sheet.cell(excel_row, 3).fill = ERROR_FILL if finding.is_error else WARNING_FILL
    for letter, width in zip("ABCDEFGHI", (6, 11, 6, 10, 8, 14, 24, 80, 10)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    print_one_page_wide(sheet)


def print_one_page_wide(sheet: Worksheet) -> None:
    """A4 landscape, all columns on one page width, the header row repeated on every printed page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    sheet.print_options.gridLines = True


def write_appendix(sheet: Worksheet, heading: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A second table below the findings, after one blank row."""
    sheet.append([])
    sheet.append([heading])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=13)
    sheet.append(list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
