"""Reading the inputs of a merge, several at a time when the machine has the cores for it.

Reading and parsing each input (load_workbook, parse_book) is most of a county merge's time and needs
nothing from the other inputs; the schemas then run in one pandera pass over all inputs and the rules per
input, as validation.check_many does. With more than one CPU, worker processes read the later inputs while
this process reads the first ones (io/parallel.py). Results are used in input order, so the progress, every
finding and the error of the first unreadable input are those of reading them one by one; when workers
cannot be started, or one dies, the inputs not read yet are read here. See docs/decisions.md 15.M.3.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from ..canonical_reader import load_workbook
from ..io.parallel import map_in_order, process_count
from ..parsing import parse_book
from ..validation import Checked, Parsed, check_many, check_parsed

OnRead = Callable[[int, Any], None]
SHARE_HERE = 0.8  # this process also receives the workers' results: about a third of reading an input each


def check_inputs(paths: Sequence[str | os.PathLike[str]], on_read: OnRead | None = None) -> list[Checked]:
    """check_many(paths) — the same results, findings and errors — reading in several processes when
    that helps (io/parallel.py); ``on_read(index, path)`` is called after each input, in input order."""
    paths = list(paths)
    if process_count(len(paths)) <= 1:
        return check_many(paths, on_read=on_read)
    parsed = map_in_order(_parse_for_transfer, paths, share_here=SHARE_HERE,
                          on_result=None if on_read is None else lambda index, _: on_read(index, paths[index]))
    return check_parsed(parsed)


def _parse_one(path: str | os.PathLike[str]) -> Parsed:
    loaded = load_workbook(path)
    book, found = parse_book(loaded)
    return loaded, book, found


def _parse_for_transfer(path: str | os.PathLike[str]) -> Parsed:
    """_parse_one without what is no longer needed once parsed (the raw cells): less to send back from a
    worker, less to keep here."""
    loaded, book, found = _parse_one(path)
    loaded.grids = {}
    for table in loaded.tables.values():
        if table is not None:
            table.rows = []
    return loaded, book, found
