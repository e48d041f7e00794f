"""The grammar of the published document, compiled from templates/ (issue 21).

Every backend that writes or reads the document (xlsx render and extract, docx publish and import, the text
export's import) takes its headings, labels and text patterns from here, so that a county which edits
templates/ (or points WBE_TEMPLATE_DIR at its own copy) changes all of them at once. The grammar holds no
document text of its own: headings and labels are the templates' strings, and the patterns are compiled
from the templates' forms ({seq}、{title}, （{seq_cn}）{content}, {project.seq}.{project.title}绩效目标表),
tolerant of the punctuation variants staff type (． for ., ( for （).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .layout import (
    CellSpec,
    ProjectTemplate,
    RowSpec,
    project_template,
    publish_template,
    template_dir,
    workbook_template,
)
from .sheets.goals import CATEGORIES

NUMERALS = "一二三四五六七八九十百千万零〇两"


def label(text: str) -> str:
    """A label cell's comparison form: NFKC, no whitespace (其中：财政    资金 -> 其中:财政资金)."""
    return "".join(unicodedata.normalize("NFKC", text).split())
_NUMERAL_RUN_RE = re.compile(f"[{NUMERALS}]+")
_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
# Punctuation a form writes, and what reading it accepts in its place (with spaces around it).
_SEPARATORS = {".": r"\s*[.．、]\s*", "．": r"\s*[.．、]\s*", "、": r"\s*[、.．]\s*"}
_BRACKETS = {"（": r"[（(]", "(": r"[（(]", "）": r"[）)]\s*", ")": r"[）)]\s*"}
# What a placeholder of a part-one form or of the title matches.
_FIELD_PATTERNS = {"seq": r"\d+", "seq_cn": f"[{NUMERALS}]+", "content": ".*", "title": ".+",
                   "project.seq": r"\d+", "project.title": ".+?"}


def compile_form(form: str, fields: dict[str, str] | None = None, flags: int = 0) -> re.Pattern[str]:
    """A regex that reads a filled form back, one group per placeholder in order (named after it, dots as
    __); punctuation and brackets accept their variants. Forms of future templates (monitor and evaluation
    forms) compile the same way."""
    fields = {**_FIELD_PATTERNS, **(fields or {})}
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER_RE.finditer(form):
        parts.append(_literal(form[position:match.start()]))
        name = match.group(1)
        parts.append(f"(?P<{name.replace('.', '__')}>{fields.get(name, '.*?')})")
        position = match.end()
    parts.append(_literal(form[position:]))
    return re.compile("^" + "".join(parts) + "$", flags)


def _literal(text: str) -> str:
    return "".join(_SEPARATORS.get(ch) or _BRACKETS.get(ch) or re.escape(ch) for ch in text)


def _numbered(heading: str) -> str:
    """A numbered heading's pattern with any Chinese numeral in its place: 第一部分 -> 第[一二…]+部分."""
    pieces, position = [], 0
    for match in _NUMERAL_RUN_RE.finditer(heading):
        pieces.append(_literal(heading[position:match.start()]))
        pieces.append(f"[{NUMERALS}]+")
        position = match.end()
    pieces.append(_literal(heading[position:]))
    return "".join(pieces)


_SECTION_NUMBER_RE = re.compile(f"^[{NUMERALS}]+\\s*[、.．]\\s*")


@dataclass(frozen=True)
class Grammar:
    """The document's headings, labels and patterns, as the templates have them."""

    parts: tuple[tuple[str, ...], ...]       # 第一部分 / 部门整体绩效目标, … (label-normalised, for reading)
    part_lines: dict[str, tuple[str, ...]]   # one/two -> the lines as printed
    sections: tuple[str, ...]                # 一、总体绩效目标, … (as printed)
    section_names: dict[str, str]            # 总体绩效目标 (heading without its number) -> goal category
    item_form: str                           # {seq}、{title}
    measure_form: str                        # （{seq_cn}）{content}
    department_title: str
    title_form: str                          # {project.seq}.{project.title}绩效目标表
    project: ProjectTemplate                 # the project table: unit line, rows, indicator block
    section_re: re.Pattern[str]
    part_re: re.Pattern[str]
    item_re: re.Pattern[str]
    measure_re: re.Pattern[str]
    title_re: re.Pattern[str]

    @property
    def unit_row(self) -> RowSpec | None:
        """The unit line above the project table (部门编码部门名称 | 单位：万元)."""
        return next((spec for spec in self.project.rows if spec.table == 0), None)

    @property
    def table_rows(self) -> tuple[RowSpec, ...]:
        """The rows of the project table, in order."""
        return tuple(spec for spec in self.project.rows if spec.table != 0)

    def row(self, row_id: str) -> RowSpec:
        return next(spec for spec in self.project.rows if spec.id == row_id)

    @property
    def plan_labels(self) -> tuple[str, ...]:
        """The quarterly plan's column labels (3月底 …), from the row above its percentages."""
        return tuple(self.row("plan_head").labels[1:])

    @property
    def indicator_header(self) -> RowSpec:
        return self.project.indicator_header

    @property
    def indicator_cells(self) -> tuple[CellSpec, ...]:
        return self.project.indicator_cells

    def is_part_heading(self, key: str) -> bool:
        """Whether a label-normalised paragraph is a part heading (one line of it, or both on one line)."""
        if any(key == line for part in self.parts for line in part) or self.part_re.match(key):
            return True
        # Any other part (第三部分 附件 …): the first part heading's text around its numeral.
        head, *rest = _NUMERAL_RUN_RE.split(self.parts[0][0]) if self.parts and self.parts[0] else [""]
        tail = rest[-1] if rest else ""
        return bool(head and tail) and key.startswith(head) and key.endswith(tail)

    def title_example(self) -> str:
        """The title form as staff read it in a message: N.项目名称绩效目标表."""
        return self.title_form.replace("{project.seq}", "N").replace("{project.title}", "项目名称")


def _compile() -> Grammar:
    department = workbook_template()["department"]
    project = project_template()
    part_lines = {key: tuple(lines) for key, lines in publish_template()["parts"].items()}
    parts = tuple(tuple(label(line) for line in lines) for lines in part_lines.values())
    sections = tuple(department["sections"])
    names = {_SECTION_NUMBER_RE.sub("", label(s)): category for s, category in zip(sections, CATEGORIES)}
    section_re = re.compile(f"^[{NUMERALS}]+\\s*[、.．]\\s*(" + "|".join(re.escape(n) for n in names) + ")$")
    heads = "|".join(_numbered(part[0]) for part in parts if part)
    tails = "|".join(re.escape(line) for part in parts for line in part[1:])
    part_re = re.compile(f"^(?:{heads})(?:{tails})?$")
    return Grammar(
        parts=parts, part_lines=part_lines, sections=sections, section_names=names, item_form=department["item"],
        measure_form=department["measure"], department_title=department["title"], title_form=project.title,
        project=project, section_re=section_re, part_re=part_re,
        item_re=compile_form(department["item"], flags=re.S),
        measure_re=compile_form(department["measure"], flags=re.S),
        title_re=compile_form(project.title))


@functools.lru_cache(maxsize=4)
def _grammar(directory: str) -> Grammar:
    return _compile()


def grammar() -> Grammar:
    """The grammar of the templates in use (WBE_TEMPLATE_DIR or the shipped ones), compiled once per folder."""
    return _grammar(str(template_dir()))
