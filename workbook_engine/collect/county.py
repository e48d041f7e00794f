"""The way out of the collection: the county workbook merged from every accepted submission, and the
export of every department's submissions with the board (the bureau's backup)."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import audit
from .board import ACCEPTED_STATE, board, write_board
from .models import STATE_NAMES, UPLOADED, Department, Submission, User
from .service import Collect
from .workflow import WorkflowError, blob_path

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A file name from a department's name: no path separators or characters Windows refuses."""
    return _UNSAFE.sub("_", text).strip(" .")[:80] or "部门"


def accepted_submissions(session: Session, collection_id: int) -> list[Submission]:
    """Each department's current submission where it is accepted, in 部门编码 order."""
    return [row.submission for row in board(session, collection_id) if row.state == ACCEPTED_STATE]


@dataclass
class CountyMerge:
    outcome: object  # merge.MergeOutcome
    sources: list[Submission]
    inputs: list[Path]


def stage_accepted(collect: Collect, submissions: list[Submission], folder: Path) -> list[Path]:
    """Copies of the accepted files named 部门编码.xlsx (the names the 合并记录 shows), in 部门编码 order."""
    paths = []
    for submission in submissions:
        target = folder / f"{submission.department.code}.xlsx"
        shutil.copyfile(blob_path(collect, submission), target)
        paths.append(target)
    return paths


def merge_accepted(collect: Collect, session: Session, user: User, output: Path, *, prefer: str | None = None,
                   progress=None) -> CountyMerge:
    """Merge all accepted submissions (the library merge, exactly as `wbe merge 部门编码.xlsx … -o OUT`)."""
    from .. import api

    collection = collect.collection(session)
    submissions = accepted_submissions(session, collection.id)
    if not submissions:
        raise WorkflowError("还没有已通过的部门，无法合并。")
    with collect.scratch() as folder:
        inputs = stage_accepted(collect, submissions, folder)
        outcome = api.merge(inputs, output, prefer=prefer, progress=progress)
    audit(session, "merge", f"合并 {len(submissions)} 个已通过部门" + ("，已写出" if outcome.written else "，未写出（有冲突或错误）"),
          user=user)
    session.commit()
    return CountyMerge(outcome, submissions, inputs)


def export(collect: Collect, output_dir: str | os.PathLike[str], *, every: bool = False,
           overwrite: bool = False) -> list[Path]:
    """Write each department's latest submission (every submission with ``every``) and the board.

    Layout: DIR/征集状态.xlsx and DIR/部门编码-部门名称/第N号-状态-原文件名.xlsx; files written atomically,
    an existing file only replaced with ``overwrite``.
    """
    from ..io.atomic import atomic_path

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with collect.session() as session:
        collection = collect.collection(session)
        rows = board(session, collection.id)
        written.append(write_board(rows, out / "征集状态.xlsx", year=collection.year, overwrite=overwrite))
        departments = session.scalars(select(Department).where(Department.collection_id == collection.id)
                                      .order_by(Department.code))
        for department in departments:
            query = select(Submission).where(Submission.department_id == department.id,
                                             Submission.state != UPLOADED).order_by(Submission.id.desc())
            chosen = list(session.scalars(query))
            if not every:
                chosen = chosen[:1]
            if not chosen:
                continue
            folder = out / safe_name(f"{department.code}-{department.name}")
            folder.mkdir(exist_ok=True)
            for submission in chosen:
                stem = Path(submission.filename).stem or "工作簿"
                target = folder / safe_name(f"第{submission.id}号-{STATE_NAMES[submission.state]}-{stem}.xlsx")
                with atomic_path(target, overwrite=overwrite, suffix=".xlsx") as temp:
                    shutil.copyfile(blob_path(collect, submission), temp)
                written.append(target)
        audit(session, "export", f"导出到 {out}（{len(written)} 个文件）", username="wbe collect export")
        session.commit()
    return written
