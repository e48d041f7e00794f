"""The collection box's own 指标库 (issue 23): DATA_DIR/library/, built from the accepted submissions.

Each department of each year is one input of the library, named ``<年度>-<部门编码>.xlsx``: its latest
accepted 年度自评 version when there is one (the 自评 sheets carry 实际完成值 and 得分, and the same goals),
else its latest accepted 目标申报 version. A newer accepted version has the same name, so the library's build
replaces the older one's rows (decisions 23.1); the same content is skipped by its hash. "Accepted" means
the bureau's last word on that version was 审核通过 (a version superseded by a later upload stays the
department's accepted one until a newer one is accepted; a version returned after acceptance is not).

``update`` brings the library up to date with the database (what the web runs in a worker after every
accept, and `wbe collect library` without ``--rebuild``); ``rebuild`` makes it afresh from every accepted
version. Both write beside the library (a copy, or a new one) and swap it into place, so that the 指标库
page and the suggestions never read a half-written one (a county's library is a few MB: the copy is cheap),
and both hold ``library.lock`` (flock), so the server's workers and the CLI never write it at the same time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from .models import ACCEPTED, EVALUATION, GOALS, SUPERSEDED, Collection, CollectionDepartment, Submission, Transition
from .service import Collect
from .workflow import stored_path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]  # the module is optional

log = logging.getLogger("workbook_engine.collect")

LIBRARY = "library"
LOCK = "library.lock"
STAGES = (EVALUATION, GOALS)  # the rounds whose accepted versions go in, the preferred first


def library_path(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / LIBRARY


def entry_name(year: int, dept_code: str) -> str:
    """The library input name of a department's year (a newer version replaces the older by this name)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dept_code)[:40] or "部门"
    return f"{year}-{safe}.xlsx"


@dataclass
class Chosen:
    """The version of one department and year that the library holds."""

    submission_id: int
    sha256: str
    name: str
    stage: str


@dataclass
class Refresh:
    """What an update or rebuild did: the inputs added or replaced, and the problems of the build."""

    library: Path
    chosen: int = 0
    added: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    rebuilt: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"library": str(self.library), "chosen": self.chosen, "added": self.added,
                "unchanged": self.unchanged, "problems": self.problems, "rebuilt": self.rebuilt}


def accepted_ids(session: Session) -> set[int]:
    """Submissions whose last state before any supersession is 审核通过 (see the module docstring)."""
    last: dict[int, str] = {}
    for submission_id, to_state in session.execute(
            select(Transition.submission_id, Transition.to_state).order_by(Transition.id)):
        if to_state != SUPERSEDED:
            last[submission_id] = to_state
    return {sid for sid, state in last.items() if state == ACCEPTED}


def chosen_versions(session: Session) -> list[Chosen]:
    """One version per department and year (see the module docstring), in name order."""
    accepted = accepted_ids(session)
    if not accepted:
        return []
    rows = session.execute(
        select(Submission.id, Submission.sha256, Submission.stage, CollectionDepartment.code, Collection.year)
        .join(CollectionDepartment, CollectionDepartment.id == Submission.department_id)
        .join(Collection, Collection.id == CollectionDepartment.collection_id)
        .where(Submission.id.in_(accepted), Submission.stage.in_(STAGES))).all()
    best: dict[str, tuple[tuple[int, int], Chosen]] = {}
    for sid, sha, stage, code, year in rows:
        name = entry_name(year, code)
        rank = (STAGES[::-1].index(stage), sid)  # 年度自评 over 目标申报, then the latest
        if name not in best or rank > best[name][0]:
            best[name] = (rank, Chosen(sid, sha, name, stage))
    return [best[name][1] for name in sorted(best)]


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    """The library's write lock (one writer at a time, across processes)."""
    handle = open(data_dir / LOCK, "ab")  # noqa: SIM115 - closed below
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def _held(library: Path) -> dict[str, str]:
    """The library's inputs: name -> content hash (empty when there is no library yet)."""
    from ..library.store import Store

    store = Store(library)
    if not store.exists():
        return {}
    return {entry.name: entry.hash for entry in store.load().inputs}


def _stage(collect: Collect, chosen: list[Chosen], folder: Path) -> list[Path]:
    """Each chosen version's stored file, copied under its library input name."""
    paths = []
    for item in chosen:
        target = folder / item.name
        shutil.copyfile(stored_path(collect, item.sha256), target)
        paths.append(target)
    return paths


def _build(collect: Collect, chosen: list[Chosen], library: Path, *, append: bool) -> Any:
    """The library build of the chosen versions, on a copy of ``library`` (``append``) or a new one, swapped
    into place when whole: the page and the suggestions never read a half-built library."""
    from ..library.build import build

    fresh = Path(tempfile.mkdtemp(prefix="library-new-", dir=collect.data_dir))
    try:
        if append and library.exists():
            shutil.copytree(library, fresh / LIBRARY)
        with collect.scratch() as folder:
            built = build(_stage(collect, chosen, folder), fresh / LIBRARY, append=append)
        _swap(fresh / LIBRARY, library)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return built


def _problems(built: Any) -> list[str]:
    return [f"{Path(p.file).name}：{p.message}" for p in built.problems]


def update(collect: Collect) -> Refresh:
    """Add to DATA_DIR/library/ every chosen version it does not hold yet (replacing the older version of
    the same department and year); a new library when there is none."""

    library = library_path(collect.data_dir)
    with locked(collect.data_dir):
        with collect.session() as session:
            chosen = chosen_versions(session)
        held = _held(library)
        todo = [c for c in chosen if held.get(c.name) != c.sha256[:24]]
        result = Refresh(library, chosen=len(chosen), unchanged=len(chosen) - len(todo))
        if not todo:
            return result
        built = _build(collect, todo, library, append=True)
        result.added = [entry.name for entry in built.added]
        result.problems = _problems(built)
        return result


def _swap(fresh: Path, library: Path) -> None:
    """``fresh`` becomes ``library`` by two renames on the same disk (the old one is removed afterwards)."""
    old = library.with_name(f"library-old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if library.exists():
        os.replace(library, old)
    os.replace(fresh, library)
    shutil.rmtree(old, ignore_errors=True)


def rebuild(collect: Collect) -> Refresh:
    """DATA_DIR/library/ made afresh from the chosen versions, built beside it and swapped into place (the
    page reading the old one meanwhile is not disturbed)."""

    library = library_path(collect.data_dir)
    with locked(collect.data_dir):
        with collect.session() as session:
            chosen = chosen_versions(session)
        if not chosen:
            raise InputError(f"{collect.data_dir}：还没有审核通过的提交（目标申报或年度自评），指标库无法建立。"
                             "请在审核通过部门的提交后再试。")
        built = _build(collect, chosen, library, append=False)
    return Refresh(library, chosen=len(chosen), added=[entry.name for entry in built.added],
                   problems=_problems(built), rebuilt=True)


def refresh_quietly(collect: Collect) -> Refresh | None:
    """``update``, with a failure logged and swallowed: the accept that asked for it stands regardless."""
    try:
        result = update(collect)
    except Exception:  # noqa: BLE001 - a library that cannot be refreshed never undoes an accept
        log.exception("collection library refresh failed in %s", collect.data_dir)
        return None
    for problem in result.problems:
        log.warning("collection library: %s", problem)
    if result.added:
        log.info("collection library: added %s", ", ".join(result.added))
    return result


def refresh_job(data_dir: str, database_url: str | None) -> dict[str, Any]:
    """The worker pool's job after an accept (web/collection.py): ``update``, a failure logged, never raised
    (the server has migrated the database: it is not upgraded here)."""
    try:
        collect = Collect(data_dir, database_url, upgrade=False)
    except Exception:  # noqa: BLE001 - as refresh_quietly
        log.exception("collection library refresh: cannot open %s", data_dir)
        return {"ok": False}
    try:
        result = refresh_quietly(collect)
    finally:
        collect.close()
    return {"ok": result is not None, "library": result.to_dict() if result is not None else None}
