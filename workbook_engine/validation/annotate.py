"""An annotated copy of a workbook: offending cells filled and commented, plus a 校验结果 sheet.

openpyxl is used here because styles and comments matter; the input file is only read, and the copy is
written atomically.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ..a1 import sheet_ref
from ..errors import OutputError
from ..io.atomic import atomic_path, check_output, os_error_in, os_error_text
from ..io.containment import run_contained
from ..io.cell_text import report_text
from ..io.guard import check_workload
from ..io.trim import trimmed_copy
from ..sheets import FINDINGS_SHEET
from ..findings import Finding, Report

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
        run_contained(lambda: _write_copy(loadable, report, temp, sheet_name, title, appendix, Path(output)),
                      path=source, what="写出带批注的副本")
    return Path(output)


def _write_copy(loadable: Path, report: Report, temp: Path, sheet_name: str, title: str | None,
                appendix: Appendix | None, output: Path) -> None:
    workbook = load_workbook(loadable, keep_vba=False, rich_text=False)
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
