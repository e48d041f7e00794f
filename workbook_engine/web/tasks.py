"""The CPU-heavy work of the page, run in worker processes (worker_pool.py): read, validate, review, render,
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

from .. import api
from .workspace import read_json, read_lines, write_json, write_lines

log = logging.getLogger("workbook_engine.web")

ANALYSIS = "analysis.json"  # the summary, grades and counts; written last, so its presence means the rest is there
FINDINGS = "findings.jsonl"  # one finding a line, in position order
ROWS = "rows.jsonl"  # [key, the finding's whole sheet row] a line
PREVIEW = "preview.json"
PROGRESS = "progress.json"


class ProgressFile:
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
    except api.WorkbookEngineError as exc:
        return {"ok": False, "message": clean_message(str(exc), names)}
    except MemoryError:
        return {"ok": False, "message": "内存不足：文件可能过大或已损坏。"}
    except Exception as exc:  # noqa: BLE001 - the page must never show internals
        log.error("task failed: %s", traceback.format_exc())
        return {"ok": False, "message": f"处理时发生意外问题（{type(exc).__name__}）。请检查文件后重试；如问题持续，请联系管理员。"}


# --- what was uploaded -----------------------------------------------------------------------------------

KIND_TEXT = {
    "canonical": "规范工作簿",
    "official": "官方格式工作簿（已读回为规范工作簿）",
    "document": "发布的绩效文本（已导入为规范工作簿）",
}


# The refusal of a document with problems names the CLI's --force; the page offers its button instead.
FORCE_HINTS = (("加 --force 可", "点“仍然导入”可"), ("加 --force 写出后", "点“仍然导入”写出后"))


def analyse(folder: str, input_name: str, suffix_kind: str, display: str, library: str | None = None,
            force: bool = False) -> dict[str, Any]:
    """Read an upload (extracting or importing it when it is not a canonical workbook), validate and
    review it, and write analysis.json for the findings and preview pages (with ``library``, first the
    指标建议 of suggestions.json: write_suggestions).

    A document whose problems refuse the import fails with every problem listed and ``forceable``; with
    ``force`` (the page's “仍然导入”, `wbe import --force`) the workbook is written with what could not be
    placed in its 未归位内容 sheet, and the problems are the analysis's source findings (``unplaced``: how
    many, and the sheet's rows)."""
    base = Path(folder)
    source = base / input_name
    names = {str(source): display, str(base / "book.xlsx"): display, str(base): ""}
    refused: list[bool] = []  # set when the import was refused for its problems (the page may force it)

    def work() -> dict[str, Any]:
        progress = ProgressFile(base, display)
        progress(0, 3, "读取文件")
        api.guard_upload(source, suffix_kind)
        kind = api.upload_kind(source, suffix_kind)  # canonical | official | document
        book_path = source
        extra_findings: list[dict[str, Any]] = []
        unplaced = None
        if kind == "official":
            _, extract_report = api.extract([source], base / "book.xlsx")
            extra_findings = api.finding_rows(extract_report.findings)
            book_path = base / "book.xlsx"
        elif kind == "document":
            try:
                imported = api.import_checked(source, base / "book.xlsx", force=force)
            except api.DocumentProblems:
                refused.append(True)
                raise
            if imported.findings:  # forced: written, with the 未归位内容 sheet
                extra_findings = api.finding_rows(imported.findings)
                unplaced = {"problems": len(imported.findings), "rows": len(imported.passages)}
            book_path = base / "book.xlsx"
        progress(1, 3, "校验与审核")
        checked = api.check(book_path)  # one check for the findings and the 指标建议
        data = api.page_view(checked)
        data.update(kind=kind, kind_text=KIND_TEXT[kind], display=display, book=book_path.name,
                    source_findings=extra_findings, unplaced=unplaced)
        progress(2, 3, "整理结果")
        if library is not None:
            write_suggestions(base, book_path, library, names, checked_book=checked.book)
        write_analysis(base, data)
        progress(3, 3, "完成")
        return {"kind": kind, "errors": data["summary"]["errors"], "warnings": data["summary"]["warnings"]}

    outcome = run_safely(names, work)
    if refused and not outcome["ok"]:
        message = outcome["message"]
        for cli, page in FORCE_HINTS:
            message = message.replace(cli, page)
        outcome.update(message=message, forceable=True)
    return outcome


SUGGESTIONS = "suggestions.json"  # the 指标建议 beside the findings, when the app has a library


def write_suggestions(base: Path, book: Path, library: str, names: dict[str, str], *,
                      checked_book: Any = None) -> None:
    """The 指标建议 of ``book`` (api.suggestions_view; ``checked_book``: as the analysis read it); a library
    that cannot answer leaves its one-line message instead, and never fails the analysis."""
    try:
        data = api.suggestions_view(book, library, checked_book=checked_book)
    except api.WorkbookEngineError as exc:
        data = {"error": clean_message(str(exc), {**names, library: "指标库"})}
    except Exception:  # noqa: BLE001 - the findings stand without the suggestions
        log.error("suggestions failed: %s", traceback.format_exc())
        data = {"error": "指标建议暂时无法生成（指标库读取出错）。问题清单不受影响。"}
    write_json(base / SUGGESTIONS, data)


def read_suggestions(base: Path) -> dict[str, Any] | None:
    try:
        return read_json(base / SUGGESTIONS)
    except (OSError, ValueError):
        return None


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
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
        progress = ProgressFile(base, OUTPUTS[what])
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
        progress = ProgressFile(base, "比对")
        progress(0, 2, old_name)
        api.guard_upload(base / old, "xlsx")
        api.guard_upload(base / new, "xlsx")
        result = api.diff(base / old, base / new, output=base / "diff.xlsx")
        data = {"old": old_name, "new": new_name, **api.diff_page(result)}
        write_json(base / "diff.json", data)
        progress(2, 2, "完成")
        return {"changes": len(data["changes"])}

    return run_safely(names, work)


def merge_task(folder: str, inputs: list[str], labels: list[str], choices: dict[int, int] | None = None,
               prefer: str | None = None) -> dict[str, Any]:
    """Plan (and write when settled) the merge of the uploaded workbooks; merge.json for the page."""
    base = Path(folder)
    names = {str(base / i): label for i, label in zip(inputs, labels)}
    names[str(base)] = ""

    def work() -> dict[str, Any]:
        progress = ProgressFile(base, "读取工作簿")
        for number, name in enumerate(inputs):
            progress(number, len(inputs), labels[number])
            api.guard_upload(base / name, "xlsx")
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
            data.update(api.merge_page(plan))
        write_json(base / "merge.json", data)
        progress(len(inputs), len(inputs), "完成")
        return {"written": outcome.written, "conflicts": len(data["conflicts"])}

    return run_safely(names, work)

