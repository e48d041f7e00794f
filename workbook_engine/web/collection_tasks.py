"""The collection box's CPU-heavy work, run in the web app's worker pool: one validation and review pass
per upload gives both the counts the database keeps and the findings page's data (cached by SHA-256)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from .storage import read_json, write_json
from .tasks import analysis_of, run_safely


def analysis_path(cache: Path, sha256: str) -> Path:
    return cache / f"{sha256}.json"


def analyse_upload(path: str, display: str, cache: str) -> dict[str, Any]:
    """Check an uploaded file (the CLI's input guard first) and cache its findings page data."""
    source = Path(path)

    def work() -> dict[str, Any]:
        from ..io.guard import check_xlsx

        check_xlsx(source)
        data = source.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        analysis = analysis_of(source)
        analysis.update(kind="canonical", kind_text="规范工作簿", display=display, source_findings=[])
        Path(cache).mkdir(parents=True, exist_ok=True)
        write_json(analysis_path(Path(cache), sha), analysis)
        summary = analysis["summary"]
        return {"checked": {
            "report": {"findings": [{k: f[k] for k in ("code", "severity", "sheet", "cell", "message")}
                                    for f in analysis["findings"]]},
            "errors": summary["errors"], "warnings": summary["warnings"], "projects": summary["projects"],
            "indicators": summary["indicators"], "budget": summary["budget"],
            "grades": {g["code"]: {"name": g["name"], "score": g["score"], "grade": g["grade"]}
                       for g in analysis["grades"]},
            "dept_codes": [d["code"] for d in summary["departments"]], "sha256": sha}}

    return run_safely({path: display, str(source.parent): ""}, work)


def cached_analysis(path: str, display: str, cache: str, sha256: str) -> dict[str, Any]:
    """The findings page data of a stored file, computed once per content."""
    target = analysis_path(Path(cache), sha256)

    def work() -> dict[str, Any]:
        if not target.is_file():
            analysis = analysis_of(Path(path))
            analysis.update(kind="canonical", kind_text="规范工作簿", display=display, source_findings=[])
            Path(cache).mkdir(parents=True, exist_ok=True)
            write_json(target, analysis)
        return {}

    return run_safely({path: display}, work)


def load_cached(cache: Path, sha256: str) -> dict[str, Any] | None:
    try:
        return read_json(analysis_path(cache, sha256))
    except (OSError, ValueError):
        return None


def checked_from(data: dict[str, Any]):
    from ..collect.workflow import Checked

    return Checked(data["report"], data["errors"], data["warnings"], data["projects"], data["indicators"],
                   Decimal(data["budget"]), data["grades"], data["dept_codes"], data["sha256"])
