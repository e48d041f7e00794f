"""Property tests of merge (issue 6): idempotent, and independent of input order when nothing conflicts."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_engine.api import merge, read_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.importer import import_document
from workbook_engine.model import Book, Goal, Indicator, Project

from .conftest import SEED

SEED_BOOK = import_document(SEED)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text staff could type: CJK, ASCII, formula-like starts and line breaks (no characters Excel cannot store).
TEXT = st.text(st.sampled_from(list("绩效目标预算项目ABCxyz0123 =+-@<>&%（）：\n")), min_size=1, max_size=40)


@st.composite
def department_books(draw, dept_code: str = "450001", code_prefix: str = "") -> Book:
    """A department built from the seed: a random non-empty subset of projects, some texts edited."""
    book = copy.deepcopy(SEED_BOOK)
    keep = draw(st.sets(st.integers(0, len(book.projects) - 1), min_size=1))
    kept = [p for i, p in enumerate(book.projects) if i in keep]
    codes = {p.code for p in kept}
    book.projects = kept
    book.indicators = [i for i in book.indicators if i.project_code in codes]
    for _ in range(draw(st.integers(0, 4))):
        record = draw(st.sampled_from(book.projects + book.goals))
        field = "purpose" if hasattr(record, "purpose") else "content"
        setattr(record, field, draw(TEXT).strip() or "文字")
    owned: tuple[Goal | Project | Indicator, ...] = (*book.goals, *book.projects, *book.indicators)
    for item in owned:
        item.dept_code = dept_code
    if code_prefix:
        # characters 10-11 (after the P) are 00 in every seed code: replacing them keeps codes unique
        rename = {p.code: p.code[:9] + code_prefix + p.code[9 + len(code_prefix):] for p in book.projects}
        for p in book.projects:
            p.code = rename[p.code]
        for i in book.indicators:
            i.project_code = rename[i.project_code]
    return book


def merged(books: list[Book]) -> Book:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n, book in enumerate(books):
            path = Path(folder) / f"in{n}.xlsx"
            write_book(book, path)
            paths.append(path)
        out = Path(folder) / "merged.xlsx"
        outcome = merge(paths, out)
        assert outcome.written and outcome.plan is not None and not outcome.plan.conflicts
        return read_book(out)


@SETTINGS
@given(book=department_books())
def test_merge_is_idempotent(book):
    assert merged([book, book]) == merged([book]) == book.sorted()


@SETTINGS
@given(first=department_books(), second=department_books(dept_code="450002", code_prefix="ZZ"))
def test_merge_does_not_depend_on_input_order_without_conflicts(first, second):
    forward, backward = merged([first, second]), merged([second, first])
    assert forward == backward
    assert len(forward.projects) == len(first.projects) + len(second.projects)
    assert forward.for_department("450002") == second.sorted()
