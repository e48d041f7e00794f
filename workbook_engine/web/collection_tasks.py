"""The collection box's CPU-heavy work, run in the web app's worker pool: each upload is checked with the
county's review configuration (api.box_analysis: the wbe.toml beside the staged file, then the check `wbe
validate` runs, exactly what it prints), which gives both the counts the database keeps and the findings
page's data (cached by the file's SHA-256 and the configuration's). Through api.py only, as all of web/."""

from __future__ import annotations

import hashlib
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import api
from .tasks import run_safely
from .workspace import read_json, write_json


def analysis_path(cache: Path, sha256: str, config: str = "default") -> Path:
    return cache / f"{sha256}-{config}.json"


def analyse_upload(path: str, display: str, cache: str, config_text: str | None = None,
                   config_sha256: str | None = None, stage: str = "goals", goals: str | None = None,
                   goals_id: int | None = None) -> dict[str, Any]:
    """Check an uploaded file (the CLI's input guard first) and cache its findings page data. In a
    运行监控/年度自评 round the file is the department's form: it is read back (collect/rounds.read_form)
    into ``read-back/workbook.xlsx`` beside it, and that canonical workbook is what is checked and kept."""
    upload = Path(path)
    read_back = upload.parent / "read-back" / "workbook.xlsx"

    def work() -> dict[str, Any]:
        import shutil

        inspection = api.inspect_workbook(upload)  # the CLI's input guard; an .xls/.et gets its private .xlsx copy
        source, notes, canonical = upload, [], ""
        if stage in api.FORM_OF or inspection.copy is not None:  # checked and kept as read-back/workbook.xlsx
            source, canonical = read_back, str(read_back)
            read_back.parent.mkdir(exist_ok=True)
        if stage in api.FORM_OF:
            notes = api.finding_rows(api.box_read_form(inspection.readable, source, stage, Path(goals) if goals else None,
                                                   goals_id))
        elif inspection.copy is not None:  # kept as the .xlsx the engine read, the upload beside it as it came
            shutil.copyfile(inspection.copy, source)
            notes = [{"where": "", "message": f"{display}：{inspection.legacy or '旧版格式'}，已转为 .xlsx 检查和保存；"
                      "上传的原文件一并保存（“下载上传的原表”）。"}]
        data = source.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        analysis = api.box_analysis(source, config_text, stage)
        analysis.update(kind="canonical", kind_text="规范工作簿", display=display, source_findings=notes)
        Path(cache).mkdir(parents=True, exist_ok=True)
        write_json(analysis_path(Path(cache), sha, api.box_config_key(config_sha256)), analysis)
        summary = analysis["summary"]
        return {"checked": {
            "report": {"findings": [{k: f[k] for k in ("code", "severity", "sheet", "cell", "message")}
                                    for f in analysis["findings"]]},
            "errors": summary["errors"], "warnings": summary["warnings"], "projects": summary["projects"],
            "indicators": summary["indicators"], "budget": summary["budget"],
            "grades": {g["code"]: {"name": g["name"], "score": g["score"], "grade": g["grade"]}
                       for g in analysis["grades"]},
            "dept_codes": [d["code"] for d in summary["departments"]], "sha256": sha,
            "config_sha256": config_sha256, "figures": analysis["figures"],
            "source_findings": notes}, "canonical": canonical}

    return run_safely({path: display, str(read_back): display,
                       str(upload.parent): ""}, work)


def cached_analysis(path: str, display: str, cache: str, sha256: str, config_text: str | None = None,
                    config_sha256: str | None = None) -> dict[str, Any]:
    """The findings page data of a stored file (staged at ``path``), computed once per content and
    configuration."""
    target = analysis_path(Path(cache), sha256, api.box_config_key(config_sha256))

    def work() -> dict[str, Any]:
        if not target.is_file():
            analysis = api.box_analysis(Path(path), config_text)  # no source_findings: the page takes the row's
            analysis.update(kind="canonical", kind_text="规范工作簿", display=display)
            Path(cache).mkdir(parents=True, exist_ok=True)
            write_json(target, analysis)
        return {}

    return run_safely({path: display, str(Path(path).parent): ""}, work)


def library_stamp(library: Path) -> str:
    """The version of a library (its manifest changes with every input added or replaced)."""
    return hashlib.sha256((library / "manifest.json").read_bytes()).hexdigest()[:16]


def suggestions_path(cache: Path, sha256: str, stamp: str) -> Path:
    return cache / f"{sha256}-suggestions-{stamp}.json"


def cached_suggestions(path: str, display: str, cache: str, sha256: str, library: str, stamp: str) -> dict[str, Any]:
    """The 指标建议 of a stored file (staged at ``path``) against this version of the box's library, computed
    once per content and library version (the older versions' files of the same content go)."""
    from .tasks import write_suggestions

    def work() -> dict[str, Any]:
        folder = Path(cache)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as temp:
            write_suggestions(Path(temp), Path(path), library, {path: display})
            os.replace(Path(temp) / "suggestions.json", suggestions_path(folder, sha256, stamp))
        for old in folder.glob(f"{sha256}-suggestions-*.json"):
            if old.name != suggestions_path(folder, sha256, stamp).name:
                old.unlink(missing_ok=True)
        return {}

    return run_safely({path: display, str(Path(path).parent): ""}, work)


def load_suggestions(cache: Path, sha256: str, stamp: str) -> dict[str, Any] | None:
    try:
        return read_json(suggestions_path(cache, sha256, stamp))
    except (OSError, ValueError):
        return None


def load_cached(cache: Path, sha256: str, config_sha256: str | None = None) -> dict[str, Any] | None:
    try:
        return read_json(analysis_path(cache, sha256, api.box_config_key(config_sha256)))
    except (OSError, ValueError):
        return None


def checked_from(data: dict[str, Any]) -> api.SubmissionCheck:
    report = dict(data["report"])
    if data.get("source_findings"):
        report["source_findings"] = data["source_findings"]
    return api.SubmissionCheck(report, data["errors"], data["warnings"], data["projects"], data["indicators"],
                               Decimal(data["budget"]), data["grades"], data["dept_codes"], data["sha256"],
                               data.get("config_sha256"), data.get("figures") or {})
