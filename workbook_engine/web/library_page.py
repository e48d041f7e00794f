"""The 指标库 page of `wbe serve --library PATH`: search the library, see each indicator's value distribution
(a small inline SVG chart), its bases, and the projects that use it.

What a visitor sees (docs/library.md, 谁能看到什么): library aggregates only — counts, quantiles, histograms,
bases and attainment — and only for indicators used by at least ``MIN_DEPARTMENTS`` departments, so that no
figure is one department's own value; the projects that use an indicator are listed by 年度, 县 and 项目名称
(what the published budget texts show), never with their department, values, actual results or scores.

Routes: ``ROUTES`` (GET /library, /library.json, /library.css); ``install(app, path)`` adds them and opens the
library.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .permissions import EVERYONE, SIGNED_IN, allow, compose

log = logging.getLogger("workbook_engine.web")
MIN_DEPARTMENTS = 3
UPDATING = "指标库正在更新，请稍后刷新页面。"  # the library was swapped or rewritten under a request
MAX_QUERY = 50
RESULTS = 10
EXAMPLES = 8


class LibraryState:
    """The open library of the server, reopened when its manifest changes (after `library build --append`)."""

    def __init__(self, path: str | os.PathLike[str]):
        from .. import api

        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = self._manifest_stamp()
        self.library = api.open_library(self.path)
        self.held = api.library_info(self.library.store)  # counted once per version of the library (a scan of every row)

    def _manifest_stamp(self) -> float:
        try:
            return (self.path / "manifest.json").stat().st_mtime
        except OSError:
            return 0.0

    def search(self, text: str, level1: str | None, level2: str | None) -> tuple[list[Any], Any]:
        from .. import api

        with self._lock:  # one DuckDB connection: requests take turns (each search takes milliseconds)
            for attempt in (1, 2):
                try:
                    stamp = self._manifest_stamp()
                    if stamp != self._stamp or attempt == 2:
                        self.library.close()
                        self.library, self._stamp = api.open_library(self.path), stamp
                        self.held = api.library_info(self.library.store)
                    records = self.library.search(text, level1=level1, level2=level2, limit=RESULTS,
                                                  examples=EXAMPLES) if text or level1 or level2 else []
                    return records, self.held
                except Exception:  # noqa: BLE001 - swapped or rewritten meanwhile: reopened once, then a refusal
                    self._stamp = -1.0
                    if attempt == 2:
                        log.warning("library page: %s could not be read", self.path, exc_info=True)
            raise HTTPException(503, UPDATING)


@dataclass
class Chart:
    """The SVG chart of one distribution: ten bars, and the p10, median and p90 marks."""

    width: int
    height: int
    bars: list[dict[str, float]]
    marks: list[dict[str, Any]]
    lo: str
    hi: str


def chart(dist: Any, width: int = 320, height: int = 90) -> Chart:
    from ..api import number_text

    peak = max(dist.histogram) or 1
    step = width / 10
    bars = []
    for n, count in enumerate(dist.histogram):
        h = (height - 20) * count / peak
        bars.append({"x": round(n * step + 1, 1), "y": round(height - 14 - h, 1), "w": round(step - 2, 1),
                     "h": round(h, 1), "count": count})
    span = dist.hi - dist.lo

    def x_of(value: float) -> float:
        return round(width * (value - dist.lo) / span, 1) if span else width / 2

    marks = [{"x": x_of(value), "label": label, "value": number_text(value), "colour": colour}
             for label, value, colour in (("P10", dist.p10, "#e67e22"), ("中位数", dist.median, "#c0392b"),
                                          ("P90", dist.p90, "#27ae60"))]
    return Chart(width, height, bars, marks, number_text(dist.lo), number_text(dist.hi))


def shown(record: Any) -> dict[str, Any]:
    """What the page shows of a record (see the module docstring)."""
    visible = record.departments >= MIN_DEPARTMENTS
    return {
        "name": record.name, "level1": record.key_level1, "level2": record.key_level2,
        "projects": record.projects, "departments": record.departments, "regions": record.regions,
        "visible": visible, "bases": record.bases if visible else "",
        "met_rate": record.met_rate if visible and record.evaluated else None, "evaluated": record.evaluated,
        "distributions": [{"unit": d.unit or "无单位", "direction": d.direction, "n": d.n, "typical": d.typical(),
                           "p10": d.p10, "median": d.median, "p90": d.p90, "chart": chart(d)}
                          for d in record.distributions[:2]] if visible else [],
        "examples": [{"year": e["year"], "region": e["region"], "project_name": e["project_name"]}
                     for e in record.examples],
    }


def _query(request: Request) -> tuple[str, str | None, str | None]:
    params = request.query_params
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY:
        raise HTTPException(400, f"查询文字太长（最多 {MAX_QUERY} 个字）。")
    return text, (params.get("level1") or None), (params.get("level2") or None)


_opening = threading.Lock()


def _state(request: Request) -> LibraryState:
    """The app's open library: the one of ``--library``, or the collection box's own (DATA_DIR/library/),
    opened when it first exists (it is built after the first accept)."""
    state = getattr(request.app.state, "library", None)
    if state is not None:
        return state
    box = getattr(request.app.state, "box_library", None)
    if box is None:
        raise HTTPException(404, "本网页没有配置指标库（启动时加 wbe serve --library 指标库文件夹）。")
    with _opening:
        state = getattr(request.app.state, "library", None)
        if state is None and (Path(box) / "manifest.json").is_file():
            try:
                state = request.app.state.library = LibraryState(box)
            except Exception:  # noqa: BLE001 - swapped while opening: the next request opens it
                log.warning("library page: %s could not be opened", box, exc_info=True)
                raise HTTPException(503, UPDATING) from None
    if state is None:
        raise HTTPException(404, "征集箱的指标库还没有建立：审核通过部门的提交后自动建立"
                                 "（也可运行 wbe collect library 数据文件夹 --rebuild）。")
    return state


def page_context(request: Request) -> dict[str, Any]:
    """The page's data (a search under the library's lock: call it off the event loop when the library may
    have to be opened first)."""
    from ..api import CLASSIC, LEVEL1_NAMES

    text, level1, level2 = _query(request)
    records, held = _state(request).search(text, level1, level2)
    return {
        "q": text, "level1": level1 or "", "level2": level2 or "", "results": [shown(r) for r in records],
        "searched": bool(text or level1 or level2), "info": held, "level1_names": LEVEL1_NAMES,
        "level2_names": sorted({n for names in CLASSIC.values() for n in names}), "min_departments": MIN_DEPARTMENTS}


async def library_page(request: Request) -> Response:
    return _page(request, "library.html", page_context(request))


def _page(request: Request, name: str, context: dict[str, Any]) -> Response:
    """A page in the app's layout (as web/app.py's page(); not imported from there: app.py imports this module)."""
    from .security import CSRF_FIELD

    values = {"csrf": request.state.csrf, "csrf_field": CSRF_FIELD, "app_settings": request.app.state.settings,
              "root": request.scope.get("root_path", ""), **context}
    return request.app.state.templates.TemplateResponse(request, name, values)


def json_body(request: Request) -> dict[str, Any]:
    text, level1, level2 = _query(request)
    records, held = _state(request).search(text, level1, level2)
    results = []
    for record in records:
        item = shown(record)
        for dist in item["distributions"]:
            dist.pop("chart")
        results.append(item)
    return {"query": text, "indicators": held.indicators, "projects": held.projects,
            "departments": held.departments, "regions": len(held.regions), "results": results}


async def library_json(request: Request) -> Response:
    return JSONResponse(json_body(request))


# The page's style sheet, served by the page itself (the app's CSP allows style sheets from 'self' only, no
# inline <style>; web/static/app.css belongs to the web engineers).
CSS = """
.lib-form{display:flex;gap:.8em;flex-wrap:wrap;align-items:flex-end;margin:1em 0}
.lib-form label{display:flex;flex-direction:column;font-size:.9em;gap:.2em}
.lib-result{border:1px solid #d0d7de;border-radius:6px;padding:.8em 1em;margin:1em 0}
.lib-result h2{font-size:1.1em;margin:.2em 0}
.lib-meta{color:#555;font-size:.9em}
.lib-dist{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}
.lib-dist figure{margin:.5em 0}
.lib-key[data-colour="0"]{color:#e67e22}.lib-key[data-colour="1"]{color:#c0392b;font-weight:bold}
.lib-key[data-colour="2"]{color:#27ae60}
#suggestions .hint,#suggestions .muted{color:#555;font-size:.9em}
#suggestions h3{font-size:1em;margin:1em 0 .4em}
table.suggestions tr.missing td{background:#fff8e1}
table.suggestions td.num{text-align:right;white-space:nowrap}
"""


async def library_css(request: Request) -> Response:
    return Response(CSS, media_type="text/css; charset=utf-8", headers={"cache-control": "max-age=3600"})


ROUTES = [Route("/library", allow("library.search", *SIGNED_IN)(library_page)),
          Route("/library.json", allow("library.search", *SIGNED_IN)(library_json)),
          Route("/library.css", allow("library.style", *EVERYONE)(library_css))]


def install(app: Any, path: str | os.PathLike[str]) -> None:
    """Open the library for ``app`` and add the page's routes, guarded by their declarations, before the others
    (the library shows aggregates only, to whoever may use the page: docs/library.md)."""
    app.state.library = LibraryState(path)
    if getattr(app.state, "collect", None) is None:  # the collection box routes its own (bureau roles only)
        app.router.routes[0:0] = compose(ROUTES)
