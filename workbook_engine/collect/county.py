"""The way out of the collection: the county workbook merged from every accepted submission, and the
export of every department's submissions with the board (the bureau's backup)."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import audit
from .board import ACCEPTED_STATE, board, write_board
from .models import GOALS, STAGE_NAMES, STATE_NAMES, UPLOADED, CollectionDepartment, Submission, User
from .service import Collect

if TYPE_CHECKING:
    from ..merge import FileProgress, MergeOutcome
from .workflow import WorkflowError, blob_path

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A file name from a department's name: no path separators or characters Windows refuses."""
    return _UNSAFE.sub("_", text).strip(" .")[:80] or "部门"


def accepted_submissions(session: Session, collection_id: int) -> list[Submission]:
    """Each department's current submission where it is accepted, in 部门编码 order."""
    return [row.submission for row in board(session, collection_id)
            if row.state == ACCEPTED_STATE and row.submission is not None]


@dataclass
class StagedMerge:
    """The accepted submissions staged for the county merge: ``inputs[i]`` is a copy of ``sources[i]``'s file
    and ``labels[i]`` its name in 合并记录 (部门编码.xlsx), in 部门编码 order."""

    sources: list[Submission]
    inputs: list[Path]
    labels: list[str]


@dataclass
class CountyMerge:
    outcome: MergeOutcome
    sources: list[Submission]
    inputs: list[Path]


def stage_county_merge(collect: Collect, session: Session, user: User, folder: Path) -> StagedMerge:
    """The one way into the county merge, for the library and the page: only the bureau's reviewers and
    administrators may merge; every department's accepted current version is staged into ``folder`` as
    in-NNN.xlsx (labelled 部门编码.xlsx); the merge is written to the audit log."""
    from .workflow import Forbidden, is_bureau

    if not is_bureau(user):
        raise Forbidden("只有财政审核人和管理员可以合并县级工作簿。")
    collection = collect.collection(session)
    submissions = accepted_submissions(session, collection.id)
    if not submissions:
        raise WorkflowError("还没有已通过的部门，无法合并。")
    inputs, labels = [], []
    for number, submission in enumerate(submissions, start=1):
        target = folder / f"in-{number:03d}.xlsx"
        shutil.copyfile(blob_path(collect, submission), target)
        inputs.append(target)
        labels.append(f"{submission.department.code}.xlsx")
    audit(session, "merge", f"合并 {len(submissions)} 个已通过部门的提交（第 "
          + "、".join(str(s.id) for s in submissions) + " 号）", user=user)
    session.commit()
    return StagedMerge(submissions, inputs, labels)


def merge_accepted(collect: Collect, session: Session, user: User, output: Path, *, prefer: str | None = None,
                   progress: FileProgress | None = None) -> CountyMerge:
    """Merge all accepted submissions (the library merge, exactly as `wbe merge 部门编码.xlsx … -o OUT`)."""
    from ..merge import merge_files

    with collect.scratch() as folder:
        staged = stage_county_merge(collect, session, user, folder)
        outcome = merge_files(staged.inputs, output, prefer=prefer, progress=progress, labels=staged.labels)
    return CountyMerge(outcome, staged.sources, staged.inputs)


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
        departments = session.scalars(select(CollectionDepartment).where(CollectionDepartment.collection_id == collection.id)
                                      .order_by(CollectionDepartment.code))
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
                stage = f"{STAGE_NAMES[submission.stage]}-" if submission.stage != GOALS else ""  # a form round's
                target = folder / safe_name(f"第{submission.id}号-{stage}{STATE_NAMES[submission.state]}-{stem}.xlsx")
                with atomic_path(target, overwrite=overwrite, suffix=".xlsx") as temp:
                    shutil.copyfile(blob_path(collect, submission), temp)
                written.append(target)
        audit(session, "export", f"导出到 {out}（{len(written)} 个文件）", username="wbe collect export")
        session.commit()
    return written
