"""Merging canonical workbooks: read and validate the inputs, plan (plan.py, nway.py, three_way.py), then
write atomically (output.py). See docs/merge-and-diff.md for the rules.

Nothing is written when an input is invalid (unless ``force``), when conflicts remain unsettled, or when the
merged workbook would not validate; the outcome says why, with every finding and conflict.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import UsageError
from ..findings import Report, dumps_report
from ..io.atomic import check_output
from ..io.digest import file_sha256
from .nway import plan_merge
from .output import write_merge
from .plan import PREFER_CHOICES, Conflict, MergePlan, Source
from .three_way import plan_three_way

__all__ = ["merge_files", "read_sources", "plan_merge", "plan_three_way", "write_merge", "MergeOutcome",
           "MergePlan", "Conflict", "Source"]

# Called after each input is read: (inputs read so far, total, the input's name).
FileProgress = Callable[[int, int, str], None]


@dataclass
class MergeOutcome:
    """What a merge did: the plan, inputs refused, findings of the merged result, and whether it was written."""

    output: Path
    plan: MergePlan | None = None
    invalid: list[Report] = field(default_factory=list)
    result_report: Report | None = None
    written: bool = False

    def exit_code(self) -> int:
        return 0 if self.written else 1

    def to_dict(self) -> dict[str, Any]:
        """For --format json: what was written, the findings of refused inputs and of the merged result
        (each naming its file), the conflicts with each value's location, and the renumbering."""
        findings = [record for report in self.invalid for record in report.records(report.errors)]
        if self.result_report is not None:
            findings += self.result_report.records(self.result_report.errors)
        plan = self.plan
        return {"output": str(self.output), "written": self.written, "findings": findings,
                "conflicts": [c.to_dict() for c in plan.conflicts] if plan else [],
                "renumbered": [r.to_dict() for r in plan.renumbered] if plan else []}

    def to_json(self) -> str:
        return dumps_report(self.to_dict())


class _MergedInvalid(Exception):
    def __init__(self, report: Report):
        self.report = report


def read_sources(paths: Sequence[str | os.PathLike[str]], *, base: str | os.PathLike[str] | None = None,
                 progress: FileProgress | None = None,
                 labels: Sequence[str] | None = None) -> tuple[Source | None, list[Source]]:
    """Read and validate every input (an unreadable one raises InputError: exit status 2); ``labels`` name
    the inputs (as the user knows them) in conflicts and 合并记录 instead of their paths."""
    from ..validation import check_many

    ordered = ([base] if base is not None else []) + list(paths)

    def on_read(number: int, path) -> None:
        if progress is not None:
            progress(number + 1, len(ordered), str(path))

    # One pandera pass over all inputs (its fixed cost per file was most of the reading); the inputs read in
    # several processes when there are cores for it (io/parallel.py).
    checked = check_many([os.fspath(p) for p in ordered], on_read=on_read)
    read: list[Source] = []
    for number, (path, result) in enumerate(zip(ordered, checked)):
        is_base = base is not None and number == 0
        order = -1 if is_base else len(read) - (1 if base is not None else 0)
        role = "基准" if is_base else (f"修改 {order + 1}" if base is not None else "输入")
        label = labels[number - (1 if base is not None else 0)] if labels is not None and not is_base else str(path)
        read.append(Source(label, Path(path), result, file_sha256(path), order, role))
    return (read[0], read[1:]) if base is not None else (None, read)


def merge_files(inputs: Sequence[str | os.PathLike[str]], output: str | os.PathLike[str], *,
                base: str | os.PathLike[str] | None = None, prefer: str | None = None,
                conflicts_sheet: bool = False, force: bool = False,
                progress: FileProgress | None = None, overwrite: bool = False,
                choices: dict[int, int] | None = None, labels: Sequence[str] | None = None) -> MergeOutcome:
    """Merge canonical workbooks into ``output`` (three-way when ``base`` is given).

    ``choices`` settles conflicts one by one (conflict number -> index of the candidate to use, numbers as
    in an earlier plan of the same inputs; the web page's reviewer picks them); the rest follow ``prefer``
    (first by default)."""
    if prefer is not None and prefer not in PREFER_CHOICES:
        raise UsageError(f"--prefer 只能是 first 或 last，而不是 {prefer}。")
    if not inputs:
        raise UsageError("请至少给出一个要合并的工作簿。")
    if base is not None and len(inputs) < 2:
        raise UsageError("三方合并需要基准和至少两个修改后的工作簿：wbe merge --base BASE.xlsx OURS.xlsx THEIRS.xlsx -o OUT.xlsx")
    all_inputs = [*inputs, *([base] if base is not None else [])]
    check_output(output, inputs=all_inputs, overwrite=overwrite)
    outcome = MergeOutcome(Path(output))
    if labels is not None and len(labels) != len(inputs):
        raise UsageError("labels must name every input")
    base_source, sides = read_sources(inputs, base=base, progress=progress, labels=labels)
    everything = ([base_source] if base_source else []) + sides
    outcome.invalid = [s.checked.report for s in everything if not s.checked.report.valid]
    if outcome.invalid and not force:
        return outcome
    if progress is not None:
        progress(len(everything), len(everything), f"正在合并并写出 {output}")
    if base_source is not None:
        plan = plan_three_way(base_source, sides, prefer=prefer, conflicts_sheet=conflicts_sheet)
    else:
        plan = plan_merge(sides, prefer=prefer, conflicts_sheet=conflicts_sheet, choices=choices)
    outcome.plan = plan
    if not plan.resolved:
        return outcome

    def verify(temp: Path) -> None:
        from .verify import check_written

        # The validator alone (the review rules only warn; validity is what counts), on the file as written,
        # and the file read back must hold exactly the planned book (docs/decisions.md 15.14).
        report = check_written(temp, plan.book, Path(output)).report
        report.file = str(output)
        outcome.result_report = report
        if not report.valid and not force:
            raise _MergedInvalid(report)

    try:
        write_merge(plan, output, verify=verify, overwrite=overwrite)
    except _MergedInvalid:
        return outcome
    outcome.written = True
    return outcome
