"""Round trip for generated workbooks: import(publish(book)) == book, one document per department."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_engine.importer import import_document
from workbook_engine.model import Book, Goal, Indicator, Project
from workbook_engine.publish.document import write_document

# Text as staff type it: Chinese, digits, Latin, punctuation, characters that look like formulas or markup,
# inner spaces and line breaks. Leading/trailing whitespace is not content (the document cannot show it).
ALPHABET = st.sampled_from(list("应急管理局安全生产目标专家会诊服务费预算项目指标值依据年度计划完成率满意度数量质量时效成本"
                                "0123456789abcXYZ.,;:!?%（）()《》“”、，。；：=+-@<>&'\"/\\#*_~|[]{} \n"))
LINE = st.sampled_from(list("应急管理局安全生产目标专家服务费项目指标年度计划0123456789AbZ=+-@<>&（）"))


def text(min_size: int = 1, max_size: int = 40, multiline: bool = True):
    chars = ALPHABET if multiline else LINE
    return st.text(chars, min_size=min_size, max_size=max_size).map(str.strip).filter(bool)


money = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False,
                                         allow_infinity=False))
percent = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2, allow_nan=False,
                                           allow_infinity=False).map(lambda d: d.normalize() if d == d.to_integral()
                                                                     else d))


@st.composite
def department(draw, code: str, year: int) -> Book:
    name = draw(text(2, 15, multiline=False))
    book = Book()
    for category in ("总体绩效目标", "分项绩效目标", "工作保障措施"):
        for seq in range(1, draw(st.integers(0, 3)) + 1):
            title = draw(text(1, 12, multiline=False)) if category == "分项绩效目标" else ""
            book.goals.append(Goal(code, name, year, category, seq, title, draw(text())))
    for seq in range(1, draw(st.integers(1, 3)) + 1):
        project_code = f"{code[:6]}{year % 100:02d}P{draw(st.text('ABCDEF0123456789', min_size=8, max_size=12))}"
        project_name = draw(text(1, 20, multiline=False))
        table_title = draw(st.one_of(st.just(""), text(1, 12, multiline=False).filter(lambda t, name=project_name: t != name)))
        plan = [draw(percent) for _ in range(4)]
        book.projects.append(Project(code, seq, project_code + str(seq), project_name, table_title, draw(money),
                                     draw(money), draw(money), draw(text(0, 60) | st.just("")), *plan,
                                     draw(text(0, 60) | st.just(""))))  # type: ignore[call-arg]  # *plan: the four quarters
        levels = draw(st.lists(st.tuples(st.sampled_from(["产出指标", "效益指标", "满意度指标"]),
                                          st.sampled_from(["数量指标", "质量指标", "社会效益指标", "时效指标"])),
                               min_size=0, max_size=7))
        for n, (level1, level2) in enumerate(levels, start=1):
            book.indicators.append(Indicator(code, project_code + str(seq), n, level1, level2,
                                             draw(text(0, 15) | st.just("")), draw(text(0, 30) | st.just("")),
                                             draw(text(0, 10) | st.just("")), draw(text(0, 20) | st.just(""))))
    return book


@st.composite
def books(draw) -> Book:
    year = draw(st.integers(2020, 2030))
    book = Book()
    for number in range(draw(st.integers(1, 2))):
        part = draw(department(f"{450001 + number:06d}", year))
        book.goals += part.goals
        book.projects += part.projects
        book.indicators += part.indicators
    return book


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(books())
def test_import_of_publish_is_the_book(tmp_path_factory, book):
    folder = tmp_path_factory.mktemp("roundtrip")
    for dept in book.departments():
        path = folder / f"{dept.code}.docx"
        write_document(book, dept, path)
        assert import_document(path) == book.for_department(dept.code)

