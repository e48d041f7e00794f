"""The CPU-heavy work of the page, run in worker processes (jobs.py): read, validate, review, render,
publish, diff, merge. Each task calls the library API and leaves its results as JSON and files in the
item's folder; the page only reads them. A task never raises: it returns ``{"ok": False, "message": …}``
with the library's one-line Chinese message (server paths replaced by the file's display name).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import WorkbookEngineError
from .storage import read_json, read_lines, write_json, write_lines

log = logging.getLogger("workbook_engine.web")

ANALYSIS = "analysis.json"  # the summary, grades and counts; written last, so its presence means the rest is there
FINDINGS = "findings.jsonl"  # one finding a line, in position order
ROWS = "rows.jsonl"  # [key, the finding's whole sheet row] a line
PREVIEW = "preview.json"
PROGRESS = "progress.json"


class Progress:
    """Progress written to a small JSON file the page polls (works across processes)."""

    def __init__(self, folder: Path, label: str = ""):
        self.path = folder / PROGRESS
        self.label = label

    def __call__(self, done: int, total: int, what: str = "") -> None:
        write_json(self.path, {"done": done, "total": total, "label": self.label, "what": str(what)})


def read_progress(folder: Path) -> dict[str, Any]:
    try:
        return read_json(folder / PROGRESS)
    except (OSError, ValueError):
        return {}


def clean_message(message: str, names: dict[str, str]) -> str:
    """The library's message with server paths replaced by what the user called the files."""
    for path, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        message = message.replace(path, name)
    return message.replace("--overwrite", "覆盖").strip()


def run_safely(names: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The task's result, or a one-line Chinese message (never a traceback to the page)."""
    try:
        return {"ok": True, **work()}
    except WorkbookEngineError as exc:
        return {"ok": False, "message": clean_message(str(exc), names)}
    except MemoryError:
        return {"ok": False, "message": "内存不足：文件可能过大或已损坏。"}
    except Exception as exc:  # noqa: BLE001 - the page must never show internals
        log.error("task failed: %s", traceback.format_exc())
        return {"ok": False, "message": f"处理时发生意外问题（{type(exc).__name__}）。请检查文件后重试；如问题持续，请联系管理员。"}


# --- what was uploaded -----------------------------------------------------------------------------------

def detect_kind(path: Path, suffix_kind: str) -> str:
    """canonical | official | document, after the input guard has accepted the file."""
    if suffix_kind in ("docx", "txt"):
        return "document"
    from ..io.calamine_reader import CalamineWorkbook
    from ..layout import workbook_template
    from ..sheets import spec_for_sheet_name

    with CalamineWorkbook(path) as book:
        names = list(book.sheet_names)
    if any(spec_for_sheet_name(n) is not None for n in names):
        return "canonical"
    settings = workbook_template()
    official = {settings["summary"]["sheet"], settings["department"]["sheet"]}
    return "official" if official & set(names) else "canonical"


KIND_TEXT = {
    "canonical": "规范工作簿",
    "official": "官方格式工作簿（已读回为规范工作簿）",
    "document": "发布的绩效文本（已导入为规范工作簿）",
}


def analyse(folder: str, input_name: str, suffix_kind: str, display: str) -> dict[str, Any]:
    """Read an upload (extracting or importing it when it is not a canonical workbook), validate and
    review it, and write analysis.json for the findings and preview pages."""
    base = Path(folder)
    source = base / input_name
    names = {str(source): display, str(base / "book.xlsx"): display, str(base): ""}

    def work() -> dict[str, Any]:
        from .. import api
        from ..io.guard import check_docx, check_xlsx

        progress = Progress(base, display)
        progress(0, 3, "读取文件")
        if suffix_kind == "xlsx":
            check_xlsx(source)
        elif suffix_kind == "docx":
            check_docx(source)
        kind = detect_kind(source, suffix_kind)
        book_path = source
        extra_findings: list[dict[str, Any]] = []
        if kind == "official":
            _, extract_report = api.extract([source], base / "book.xlsx")
            extra_findings = finding_rows(extract_report.findings)
            book_path = base / "book.xlsx"
        elif kind == "document":
            api.import_document(source, base / "book.xlsx")
            book_path = base / "book.xlsx"
        progress(1, 3, "校验与审核")
        data = analysis_of(book_path)
        data.update(kind=kind, kind_text=KIND_TEXT[kind], display=display, book=book_path.name,
                    source_findings=extra_findings)
        progress(2, 3, "整理结果")
        write_analysis(base, data)
        progress(3, 3, "完成")
        return {"kind": kind, "errors": data["summary"]["errors"], "warnings": data["summary"]["warnings"]}

    return run_safely(names, work)


def write_analysis(base: Path, data: dict[str, Any]) -> None:
    """The analysis in four files: a county's is about 45 MB of JSON (42,000 findings, their rows and the
    preview of 2,000 projects), and the findings page must not read, let alone render, all of it."""
    data = dict(data)
    findings, rows, preview = data.pop("findings"), data.pop("rows"), data.pop("preview")
    data.update(finding_count=len(findings), **filter_choices(findings))
    write_lines(base / FINDINGS, findings)
    write_lines(base / ROWS, rows.items())
    write_json(base / PREVIEW, preview)
    write_json(base / ANALYSIS, data)


def filter_choices(findings: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The sheets and projects the findings' filter offers."""
    return {"sheets": sorted({r["sheet"] for r in findings if r["sheet"]}),
            "projects": sorted({r["project"] for r in findings if r["project"]})}


def stored_findings(base: Path) -> Iterator[dict[str, Any]]:
    return read_lines(base / FINDINGS)


def stored_rows(base: Path, keys: set[str]) -> dict[str, Any]:
    """The row contexts of ``keys`` only; the other lines are not parsed."""
    found: dict[str, Any] = {}
    with (base / ROWS).open(encoding="utf-8") as handle:
        for line in handle:
            key = line[2:line.index('"', 2)] if line.startswith('["') else ""
            if key in keys or "\\" in key:  # an escaped key: parse the line to compare
                record = json.loads(line)
                if record[0] in keys:
                    found[record[0]] = record[1]
    return found


def stored_preview(base: Path) -> list[dict[str, Any]]:
    return read_json(base / PREVIEW)


PAGE_FIELDS = ("code", "severity", "sheet", "cell", "row", "column", "value", "message", "title", "group",
               "project")


def finding_rows(findings, file: str = "") -> list[dict[str, Any]]:
    """The findings as the page's table shows them, from the one flattening every output uses
    (findings.Report.flatten); ``criterion`` is the review criterion (group), ``where`` sheet!cell."""
    from ..findings import Report

    rows = []
    for values in Report(file).flatten(PAGE_FIELDS, findings):
        row = dict(zip(PAGE_FIELDS, values))
        row["criterion"] = row.pop("group") or ""
        row["project"] = row["project"] or ""
        row["value"] = "" if row["value"] is None else str(row["value"])
        row["where"] = f"{row['sheet']}!{row['cell']}" if row["sheet"] and row["cell"] else (row["sheet"] or "")
        rows.append(row)
    return rows


def analysis_of(book_path: Path) -> dict[str, Any]:
    """Everything the findings and preview pages show, from one validation and one review pass."""
    from .. import api
    from ..document_format import part_one
    from ..findings import position_key
    from ..layout import Context, project_layout, title_text, workbook_template

    checked = api.check(book_path)  # validation and review (the wbe.toml beside the book, else the defaults)
    result = checked.review
    assert result is not None  # api.check reviews by default
    findings = sorted(checked.report.findings, key=position_key)
    book, loaded = checked.book, checked.loaded
    project_of_row = _projects_by_row(book, loaded)
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
    preview = []
    for dept in departments:
        part = book.for_department(dept.code)
        projects = []
        for project in part.projects_of(dept.code):
            layout = project_layout(project, dept, part.indicators_of(project.code))
            projects.append({
                "code": project.code, "name": project.name, "title": title_text(project, dept),
                "rows": [[{"text": c.text, "span": c.span, "rowspan": c.rowspan, "covered": c.covered,
                           "style": c.style} for c in row.cells] for row in layout],
            })
        preview.append({"code": dept.code, "name": dept.name, "year": dept.year,
                        **{key: Context(None, dept).fill(workbook_template()["department"][key])
                           for key in ("title", "unit_left", "unit_right")},
                        "part_one": [{"kind": b.kind, "text": b.text} for b in part_one(part, dept.code)],
                        "projects": projects})
    return {"summary": summary, "findings": rows, "grades": grades, "project_names": names,
            "rows": _row_contexts(findings, loaded), "preview": preview}


def _projects_by_row(book, loaded) -> dict[tuple[str, int], str]:
    owners: dict[tuple[str, int], str] = {}
    for kind, attr in (("projects", "code"), ("indicators", "project_code")):
        table = loaded.table(kind)
        if table is None:
            continue
        for record in book.records(kind):
            if record.row is not None:
                owners[(table.sheet_name, record.row)] = getattr(record, attr)
    return owners


def _row_contexts(findings, loaded) -> dict[str, Any]:
    """The whole sheet row of each finding (headers and cell texts), for 'show the row' on the page."""
    from ..a1 import column_letter
    from ..values import as_text as cell_text

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


# --- outputs ---------------------------------------------------------------------------------------------

OUTPUTS = {
    "annotated": "带批注的副本",
    "official": "官方格式工作簿",
    "docx": "部门预算绩效文本（Word）",
    "pdf": "部门预算绩效文本（PDF）",
    "canonical": "规范工作簿",
}


def make_output(folder: str, what: str, display: str, force: bool = False) -> dict[str, Any]:
    """Write one kind of output into out-<what>/ (atomically: a new folder renamed into place)."""
    base = Path(folder)
    book = base / "book.xlsx" if (base / "book.xlsx").exists() else base / read_json(base / "meta.json")["input"]
    stem = Path(display).stem
    names = {str(book): display, str(base): ""}
    final = base / f"out-{what}"
    temp = base / f".out-{what}.part"

    def work() -> dict[str, Any]:
        from .. import api

        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
        progress = Progress(base, OUTPUTS[what])
        progress(0, 1, "校验中")

        def step(done: int, total: int, dept: Any = "") -> None:
            progress(done, total, getattr(dept, "name", dept))

        refused = 0
        if what == "annotated":
            report = api.validate(book, review=True)  # as `wbe validate --annotate`
            api.annotate(book, report, temp / f"{stem}-带批注.xlsx")
        elif what == "canonical":
            shutil.copyfile(book, temp / f"{stem}-规范工作簿.xlsx")
        elif what == "official":
            rendered = api.render(book, str(temp) + "/", force=force, progress=step)
            refused = len(rendered.refused)
        elif what in ("docx", "pdf"):
            published = api.publish(book, str(temp) + "/", force=force, pdf=what == "pdf", progress=step)
            refused = len(published.refused)
            if what == "pdf":
                for docx in temp.glob("*.docx"):
                    docx.unlink()
        if refused:
            shutil.rmtree(temp, ignore_errors=True)
            return {"refused": refused}
        files = sorted(p.name for p in temp.iterdir() if not p.name.startswith("."))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(temp, final)
        progress(1, 1, "完成")
        return {"files": files}

    outcome = run_safely(names, work)
    if not outcome.get("ok") or outcome.get("refused"):
        shutil.rmtree(temp, ignore_errors=True)
    return outcome


# --- diff and merge --------------------------------------------------------------------------------------

def diff_task(folder: str, old: str, new: str, old_name: str, new_name: str) -> dict[str, Any]:
    base = Path(folder)
    names = {str(base / old): old_name, str(base / new): new_name, str(base): ""}

    def work() -> dict[str, Any]:
        from .. import api
        from ..describe import show, show_field
        from ..diff import KIND_NAMES
        from ..identity import ENTITY_NAMES
        from ..io.guard import check_xlsx
        from .diff_view import marked_pair, sheet_tables

        progress = Progress(base, "比对")
        progress(0, 2, old_name)
        check_xlsx(base / old)
        check_xlsx(base / new)
        result = api.diff(base / old, base / new, output=base / "diff.xlsx")
        changes = []
        for c in result.changes.changes:
            if c.kind in ("added", "removed"):
                before, after = ("", "") if c.kind == "added" else ("（整行）", "")
            else:
                before = show_field(c.ref, c.old) if c.ref else show(c.old)
                after = show_field(c.ref, c.new) if c.ref else show(c.new)
            marked = marked_pair(before, after) if c.kind == "changed" else None
            changes.append({"kind": c.kind, "kind_text": KIND_NAMES[c.kind], "entity": ENTITY_NAMES[c.entity],
                            "label": c.label, "field": c.field or "", "old": before, "new": after,
                            "marked": marked})
        data = {"old": old_name, "new": new_name, "summary": result.changes.summary(),
                "counts": result.changes.counts(), "changes": changes, "sheets": sheet_tables(result)}
        write_json(base / "diff.json", data)
        progress(2, 2, "完成")
        return {"changes": len(changes)}

    return run_safely(names, work)


def merge_task(folder: str, inputs: list[str], labels: list[str], choices: dict[int, int] | None = None,
               prefer: str | None = None) -> dict[str, Any]:
    """Plan (and write when settled) the merge of the uploaded workbooks; merge.json for the page."""
    base = Path(folder)
    names = {str(base / i): label for i, label in zip(inputs, labels)}
    names[str(base)] = ""

    def work() -> dict[str, Any]:
        from .. import api
        from ..io.guard import check_xlsx

        progress = Progress(base, "读取工作簿")
        for number, name in enumerate(inputs):
            progress(number, len(inputs), labels[number])
            check_xlsx(base / name)
        output = base / "merged.xlsx"

        def read(done: int, total: int, what: str) -> None:  # the library names files by path
            progress(done, total, clean_message(what, names) if done < total else "合并并写出")

        outcome = api.merge([base / i for i in inputs], output, prefer=prefer, choices=choices,
                            labels=labels, progress=read)
        plan = outcome.plan
        data: dict[str, Any] = {
            "inputs": labels,
            "written": outcome.written,
            "invalid": [{"file": names.get(r.file, Path(r.file).name), "errors": len(r.errors),
                         "first": clean_message(r.errors[0].message, names) if r.errors else ""}
                        for r in outcome.invalid],
            "result_errors": [clean_message(f.message, names) for f in
                              (outcome.result_report.errors if outcome.result_report else [])][:20],
            "conflicts": [],
            "totals": None,
        }
        if plan is not None:
            for number, conflict in enumerate(plan.conflicts):
                candidates = [{"shown": c.shown, "note": c.note, "file": c.origin.file,
                               "cell": f"{c.origin.sheet}!{c.origin.cell}" if c.origin.cell else "",
                               "eligible": c.order is not None} for c in conflict.candidates]
                _mark_differences(candidates)
                data["conflicts"].append({"number": number, "title": conflict.title(), "label": conflict.label,
                                          "key": {k: str(v) for k, v in conflict.key.items()},
                                          "field": conflict.field or "（整行）", "kind": conflict.kind,
                                          "chosen": conflict.chosen, "candidates": candidates})
            book = plan.book
            data["totals"] = {"departments": len(book.departments()), "projects": len(book.projects),
                              "indicators": len(book.indicators), "budget": f"{book.total_budget():.2f}"}
        write_json(base / "merge.json", data)
        progress(len(inputs), len(inputs), "完成")
        return {"written": outcome.written, "conflicts": len(data["conflicts"])}

    return run_safely(names, work)


def _mark_differences(candidates: list[dict[str, Any]]) -> None:
    """Each candidate's text split around where it differs from the first one (whole text kept)."""
    from .diff_view import marked_pair

    if not candidates:
        return
    first = candidates[0]["shown"]
    for candidate in candidates:
        pair = marked_pair(first, candidate["shown"])
        candidate["parts"] = pair["new"]
    if len(candidates) > 1:
        pair = marked_pair(first, candidates[1]["shown"])
        candidates[0]["parts"] = pair["old"]
