"""What a page shows of a checked workbook, as plain JSON data: its kind, its findings as table rows, the
whole sheet row of each finding, the summary and grades, and the preview of each department's document.

The web's findings and preview pages and the collection box draw this data; it lives in the library (not in
web/) so that the web reaches the engine only through api.py and the data can be tested without a server.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .canonical_reader import LoadedWorkbook
    from .findings import Finding
    from .model import Book
    from .validation import Checked

PAGE_FIELDS = ("code", "severity", "sheet", "cell", "row", "column", "value", "message", "title", "group",
               "project")


def detect_kind(path: Path, suffix_kind: str) -> str:
    """canonical | official | document, after the input guard has accepted the file."""
    if suffix_kind in ("docx", "txt"):
        return "document"
    from .io.calamine_reader import CalamineWorkbook
    from .layout import workbook_template
    from .sheets import spec_for_sheet_name

    with CalamineWorkbook(path) as book:
        names = list(book.sheet_names)
    if any(spec_for_sheet_name(n) is not None for n in names):
        return "canonical"
    settings = workbook_template()
    official = {settings["summary"]["sheet"], settings["department"]["sheet"]}
    return "official" if official & set(names) else "canonical"


def finding_rows(findings: Iterable[Finding], file: str = "") -> list[dict[str, Any]]:
    """The findings as the page's table shows them, from the one flattening every output uses
    (findings.Report.flatten); ``criterion`` is the review criterion (group), ``where`` sheet!cell."""
    from .findings import Report

    rows = []
    for values in Report(file).flatten(PAGE_FIELDS, findings):
        row = dict(zip(PAGE_FIELDS, values))
        row["criterion"] = row.pop("group") or ""
        row["project"] = row["project"] or ""
        row["value"] = "" if row["value"] is None else str(row["value"])
        row["where"] = f"{row['sheet']}!{row['cell']}" if row["sheet"] and row["cell"] else (row["sheet"] or "")
        rows.append(row)
    return rows


def analysis_of(checked: Checked, *, preview: bool = True) -> dict[str, Any]:
    """Everything the findings and preview pages show, from one validation and review pass (api.check);
    without the preview (``preview=False``: the collection box shows none) a fifth cheaper to make and a
    third smaller to store and read back."""
    from .document_format import part_one
    from .findings import position_key
    from .layout import Context, project_layout, title_text, workbook_template

    result = checked.review
    assert result is not None  # api.check reviews by default
    findings = sorted(checked.report.findings, key=position_key)
    book, loaded = checked.book, checked.loaded
    project_of_row = projects_by_row(book, loaded)
    rows = finding_rows(findings)
    for item in rows:
        if not item["project"] and item["sheet"] and item["row"]:
            item["project"] = project_of_row.get((item["sheet"], item["row"]), "")
    departments = book.departments()
    summary = {
        "departments": [{"code": d.code, "name": d.name, "year": d.year} for d in departments],
        "years": sorted({d.year for d in departments if d.year is not None}),
        "projects": len(book.projects),
        "indicators": len(book.indicators),
        "budget": f"{book.total_budget():.2f}",
        "errors": sum(1 for f in findings if f.is_error),
        "warnings": sum(1 for f in findings if not f.is_error),
    }
    grades = [g.to_dict() for g in result.grades]
    names = {p.code: p.name for p in book.projects}
    pages: list[dict[str, Any]] = []  # the preview: each department's document
    for dept in departments if preview else ():
        part = book.for_department(dept.code)
        projects = []
        for project in part.projects_of(dept.code):
            layout = project_layout(project, dept, part.indicators_of(project.code))
            projects.append({
                "code": project.code, "name": project.name, "title": title_text(project, dept),
                "rows": [[{"text": c.text, "span": c.span, "rowspan": c.rowspan, "covered": c.covered,
                           "style": c.style} for c in row.cells] for row in layout],
            })
        pages.append({"code": dept.code, "name": dept.name, "year": dept.year,
                      **{key: Context(None, dept).fill(workbook_template()["department"][key])
                         for key in ("title", "unit_left", "unit_right")},
                      "part_one": [{"kind": b.kind, "text": b.text} for b in part_one(part, dept.code)],
                      "projects": projects})
    return {"summary": summary, "findings": rows, "grades": grades, "project_names": names,
            "rows": row_contexts(findings, loaded), **({"preview": pages} if preview else {})}


def projects_by_row(book: Book, loaded: LoadedWorkbook) -> dict[tuple[str, int], str]:
    """The project code owning each (sheet, row) of the 项目 and 指标 sheets: a finding there without a
    project of its own is listed under it."""
    owners: dict[tuple[str, int], str] = {}
    for kind, attr in (("projects", "code"), ("indicators", "project_code")):
        table = loaded.table(kind)
        if table is None:
            continue
        for record in book.records(kind):
            if record.row is not None:
                owners[(table.sheet_name, record.row)] = getattr(record, attr)
    return owners


def row_contexts(findings: Iterable[Finding], loaded: LoadedWorkbook) -> dict[str, Any]:
    """The whole sheet row of each finding (headers and cell texts), for 'show the row' on the page."""
    from .a1 import column_letter
    from .values import as_text as cell_text

    contexts: dict[str, Any] = {}
    tables = {t.sheet_name: t for t in loaded.tables.values() if t is not None}
    for f in findings:
        if not f.sheet or not f.row:
            continue
        key = f"{f.sheet}!{f.row}"
        grid = loaded.grids.get(f.sheet)
        if key in contexts or grid is None:
            continue
        table = tables.get(f.sheet)
        header_row = table.header_row if table is not None else 1
        width = max(len(grid.rows[header_row - 1]) if len(grid.rows) >= header_row else 0,
                    len(grid.rows[f.row - 1]) if len(grid.rows) >= f.row else 0)
        width = min(width, 60)
        contexts[key] = {
            "letters": [column_letter(c) for c in range(width)],
            "headers": [cell_text(grid.value(header_row, c)) for c in range(width)],
            "values": [cell_text(grid.value(f.row, c)) for c in range(width)],
        }
    return contexts
