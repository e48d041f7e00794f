"""Helpers that make department workbooks for merge and diff tests from the shipped sample."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import openpyxl

from workbook_engine.api import read_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.model import Book

from .conftest import SAMPLE


def department(code: str, name: str, code_prefix: str) -> Book:
    """The sample's content as another department: new 部门编码, name and project codes."""
    sample = read_book(SAMPLE)
    codes = {p.code: p.code[:9] + code_prefix + p.code[9 + len(code_prefix):] for p in sample.projects}
    return Book(
        goals=[dataclasses.replace(g, dept_code=code, dept_name=name) for g in sample.goals],
        projects=[dataclasses.replace(p, dept_code=code, code=codes[p.code]) for p in sample.projects],
        indicators=[dataclasses.replace(i, dept_code=code, project_code=codes[i.project_code])
                    for i in sample.indicators],
    )


def save(book: Book, path: Path) -> Path:
    write_book(book, path)
    return path


def edited(source: Path, target: Path, func: Callable[[openpyxl.Workbook], None]) -> Path:
    """A copy of ``source`` changed by ``func`` the way a user would in Excel (openpyxl)."""
    workbook = openpyxl.load_workbook(source)
    func(workbook)
    workbook.save(target)
    return target


def set_cells(changes: dict[str, dict[str, object]]) -> Callable[[openpyxl.Workbook], None]:
    def apply(workbook: openpyxl.Workbook) -> None:
        for sheet, cells in changes.items():
            for cell, value in cells.items():
                workbook[sheet][cell] = value
    return apply


def append_project(code: str, seq: int, template_row: int = 10) -> Callable[[openpyxl.Workbook], None]:
    """Append a project copied from a row of 项目 with its indicators, under a new code and 序号."""

    def apply(workbook: openpyxl.Workbook) -> None:
        projects, indicators = workbook["项目"], workbook["指标"]
        values = [c.value for c in projects[template_row]]
        old_code = values[2]
        values[1], values[2] = seq, code
        projects.append(values)
        for row in list(indicators.iter_rows(min_row=2, values_only=True)):
            if row[1] == old_code:
                indicators.append([row[0], code, *row[2:]])

    return apply


def fill_of(cell) -> str | None:
    color = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None
    return color[-6:].upper() if isinstance(color, str) else None
