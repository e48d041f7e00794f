"""Writer of the text-export form (the inverse of text_document.py).

It writes a Book the way the seed document's text export looks: paragraphs for part 1, and per project a
title line, the unit row and the two tables, each cell a tab-led line, rows ended by a blank line, vertical
merge continuations as empty cells. Tests use it to build variant documents; `import` of its output gives
the same Book back.
"""

from __future__ import annotations

from decimal import Decimal

from ..model import Book, Project
from ..sheets.goals import CATEGORIES
from .numerals import chinese_number
from .text_document import INDICATOR_HEADER

SECTION_NUMBERS = ("一", "二", "三")
LINE_BREAK_ARTEFACT = "    "


def cell_text(text: str) -> str:
    """A data cell as the export shows it: a line break becomes a run of spaces."""
    return text.replace("\r\n", "\n").replace("\n", LINE_BREAK_ARTEFACT)


def money_text(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}"


def percent_text(points: Decimal | None) -> str:
    if points is None:
        return ""
    text = format(Decimal(points).normalize(), "f")
    return f"{text}%"


def project_rows(project: Project, dept_code: str, dept_name: str, indicators) -> list[list[str]]:
    """The cells of one project's tables in official order (unit row first)."""
    rows = [
        [f"{dept_code}{dept_name}", "单位：万元"],
        ["项目编码", project.code, "项目名称", cell_text(project.name)],
        ["预算规模及资金用途", "预算数", money_text(project.budget), "其中：财政资金", money_text(project.fiscal),
         "其他资金", money_text(project.other)],
        ["", cell_text(project.purpose)],
        ["资金支出计划（%）", "3月底", "6月底", "10月底", "12月底"],
        ["", *(percent_text(p) for p in project.plan)],
        ["绩效目标", cell_text(project.goal)],
        list(INDICATOR_HEADER),
    ]
    previous1 = previous2 = None
    for ind in indicators:
        first = "" if ind.level1 == previous1 else ind.level1
        second = "" if ind.level1 == previous1 and ind.level2 == previous2 else ind.level2
        rows.append([first, second, cell_text(ind.level3), cell_text(ind.description), cell_text(ind.value),
                     cell_text(ind.basis)])
        previous1, previous2 = ind.level1, ind.level2
    return rows


def write_text_document(book: Book, dept_code: str | None = None) -> str:
    """The text export of one department's document (the first department when not named)."""
    departments = book.departments()
    if not departments:
        return ""
    dept = next((d for d in departments if d.code == dept_code), departments[0])
    part = book.for_department(dept.code)
    out: list[str] = ["第一部分", "部门整体绩效目标", " "]
    for number, category in zip(SECTION_NUMBERS, CATEGORIES):
        out.append(f"{number}、{category}")
        for goal in part.goals_of(dept.code, category):
            if not goal.content and not goal.title:
                continue
            if category == CATEGORIES[1]:
                out.append(f"{goal.seq}、{goal.title}")
                out.append(goal.content)
            elif category == CATEGORIES[2]:
                out.append(f"（{chinese_number(goal.seq or 0)}）{goal.content}")
            else:
                out.append(goal.content)
    out += ["", " ", "第二部分", " ", "预算项目绩效目标", " "]
    for project in part.projects_of(dept.code):
        out.append(f"{project.seq}.{project.title}绩效目标表")
        rows = project_rows(project, dept.code, dept.name, part.indicators_of(project.code))
        for index, row in enumerate(rows):
            if index == 7:
                out.append(" ")
            out.extend("\t" + cell for cell in row)
            out.append("")
        out.append("")
        out.append(" ")
    return "\n".join(out) + "\n"
