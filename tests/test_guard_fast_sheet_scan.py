"""The guard's fast worksheet scan (io/xml_scan._PlainSheet) finds what the handler scan finds.

A worksheet spelled plainly is counted by patterns instead of a Python call per element; anything else
makes the fast scan decline and the guard scans the part again with the handlers. These tests generate
worksheets in many legal (and some illegal) spellings and check that the fast scan either declines or
finds exactly the facts, problems and refusals of the handler scan, however the bytes are split.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_engine.a1 import column_letter
from workbook_engine.io import guard, xml_scan
from workbook_engine.io.xml_scan import PartScanner, TooManyElements, XmlProblem

from . import corpus
from .conftest import SAMPLE

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def scan(data: bytes, *, fast: bool, cuts: Sequence[int] = (), budget: int = 10**9):
    """What one scan of a part says: ("facts", PartFacts), ("problem", message), ("too many",) or
    ("declined",) (the fast scan only)."""
    scanner = PartScanner(budget, fast=fast)
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    try:
        for piece in pieces:
            scanner.feed(piece)
            if scanner.done:
                break
        if not scanner.done:
            scanner.close()
    except XmlProblem as problem:
        return ("problem", str(problem))
    except TooManyElements:
        return ("too many",)
    if scanner.declined:
        return ("declined",)
    return ("facts", scanner.facts)


def same_or_declined(data: bytes, cuts: list[int], budget: int = 10**9) -> tuple:
    exact = scan(data, fast=False, budget=budget)
    fast = scan(data, fast=True, cuts=cuts, budget=budget)
    assert exact[0] != "declined"
    assert fast == exact or fast == ("declined",), (fast, exact, data)
    return fast


# -- generated worksheets ------------------------------------------------------------------------------

@st.composite
def spelling(draw) -> dict:
    if draw(st.booleans()):  # as every writer spells it
        return {"quote": '"', "space": " ", "equals": "=", "prefix": ""}
    return {
        "quote": draw(st.sampled_from(['"', "'"])),
        "space": draw(st.sampled_from([" ", "\n", "\t", "  "])),
        "equals": draw(st.sampled_from(["=", " = "])),
        "prefix": draw(st.sampled_from(["", "x:"])),
    }


@st.composite
def reference(draw, row: int) -> str:
    col = draw(st.one_of(st.integers(0, 12), st.integers(0, 16_383)))
    letters = column_letter(col).lower() if draw(st.integers(0, 9)) == 0 else column_letter(col)
    number = str(draw(st.one_of(st.just(row), st.just(row), st.integers(0, 1_100_000), st.integers(10**8, 10**9))))
    zero, dollar, dollar2, odd = draw(st.tuples(st.integers(0, 9), st.integers(0, 4), st.integers(0, 4),
                                                st.integers(0, 99)))
    ref = ("$" if dollar == 0 else "") + letters + ("$" if dollar2 == 0 else "") + ("0" if zero == 0 else "") + number
    if odd == 0:
        ref = "".join(f"&#{ord(ch)};" if i == 0 else ch for i, ch in enumerate(ref))  # character reference
    elif odd == 1:
        ref = ref + "!"  # no reader places it
    elif odd == 2:
        ref = "A" + "9" * 31
    return ref


def attr(s: dict, name: str, value: str) -> str:
    q = s["quote"] if '"' not in value or s["quote"] == "'" else "'"
    return f'{s["space"]}{name}{s["equals"]}{q}{value}{q}'


@st.composite
def cell(draw, s: dict, row: int) -> str:
    p = s["prefix"]
    attrs = [attr(s, "r", draw(reference(row)))] if draw(st.integers(0, 9)) else []
    others = draw(st.lists(st.sampled_from([("s", "1"), ("t", "s"), ("s", "2"), ("t", "inlineStr"), ("x", "a>b"),
                                            ("y", ' r="XFD1" '), ("x:r", "A1")]), max_size=2, unique_by=lambda a: a[0]))
    if others and others[0][0] in "xy" and draw(st.integers(0, 3)):
        others = others[1:]
    for name, value in others:
        if name == "x:r" and not p:
            continue
        attrs.insert(draw(st.integers(0, len(attrs))) if draw(st.integers(0, 3)) == 0 else len(attrs),
                     attr(s, name, value))
    head = f"<{p}c{''.join(attrs)}"
    body = draw(st.sampled_from([
        "/>", "/>", "></{p}c>", "> </{p}c>", "><{p}v>1</{p}v></{p}c>", "><{p}v>1</{p}v></{p}c>", "><{p}v/></{p}c>",
        "><{p}is><{p}t>x</{p}t></{p}is></{p}c>", "><{p}f>A1&gt;2</{p}f><{p}v>2</{p}v></{p}c>",
        "><{p}f/></{p}c>", ">text<{p}v>3</{p}v></{p}c>", "><foo/></{p}c>",
        "><{p}c r=\"B2\"><{p}v>1</{p}v></{p}c></{p}c>", "><{p}row r=\"9\"/></{p}c>",
    ]))
    if draw(st.integers(0, 29)) == 0:
        body = "><!-- note --></{p}c>"
    return head + body.format(p=p)


@st.composite
def row(draw, s: dict, number: int) -> str:
    p = s["prefix"]
    attrs = []
    if draw(st.integers(0, 9)):
        value = str(number)
        odd = draw(st.integers(0, 79))
        value = {0: "0" + value, 1: " " + value, 2: "+" + value, 3: "-1", 4: "9" * 30}.get(odd // 4, value) \
            if odd % 4 == 0 else value
        attrs.append(attr(s, "r", value))
    for name, value in draw(st.lists(st.sampled_from([("spans", "1:3"), ("hidden", "1"), ("hidden", "true"),
                                                      ("hidden", "0"), ("hidden", "&#49;"), ("ht", "15")]),
                                     max_size=2, unique_by=lambda item: item[0])):
        attrs.insert(draw(st.integers(0, len(attrs))), attr(s, name, value))
    cells = draw(st.lists(cell(s, number), max_size=3))
    if not cells and draw(st.booleans()):
        return f"<{p}row{''.join(attrs)}/>"
    return f"<{p}row{''.join(attrs)}>{''.join(cells)}</{p}row>"


@st.composite
def worksheet(draw) -> bytes:
    s = draw(spelling())
    p = s["prefix"]
    declare = f' xmlns:x="{MAIN}"' if p or draw(st.booleans()) else ""
    numbers = draw(st.lists(st.one_of(st.integers(1, 40), st.integers(1, 1_048_576)), max_size=5))
    if draw(st.booleans()):
        numbers.sort()
    rows = "".join(draw(row(s, n)) for n in numbers)
    if draw(st.integers(0, 9)) == 0:
        rows += draw(cell(s, 0))  # a cell outside any row
    if draw(st.integers(0, 9)) == 0:
        rows = "<!-- comment -->" + rows
    cols = ""
    if draw(st.booleans()):
        cols = f"<{p}cols>" + "".join(
            f"<{p}col{attr(s, 'min', '1')}{attr(s, 'max', str(m))}{attr(s, 'hidden', h) if h else ''}/>"
            for m, h in draw(st.lists(st.tuples(st.integers(1, 16_384), st.sampled_from(["", "1", "0", "true"])),
                                      max_size=2))) + f"</{p}cols>"
    merges = ""
    refs = draw(st.lists(st.one_of(
        st.builds(lambda a, b: f"{a}:{b}", reference(1), reference(3)), reference(2)), max_size=2))
    if refs:
        merges = f"<{p}mergeCells>" + "".join(f"<{p}mergeCell{attr(s, 'ref', r)}/>" for r in refs) + f"</{p}mergeCells>"
    ext = f'<{p}extLst><x14:e xmlns:x14="urn:x"><x14:f>Sheet2!A1</x14:f></x14:e></{p}extLst>' \
        if draw(st.integers(0, 5)) == 0 else ""
    declaration = draw(st.sampled_from(['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', "",
                                        "<?xml version='1.0'?>"]))
    text = (f'{declaration}<{p}worksheet xmlns="{MAIN}"{declare}>{cols}<{p}sheetData>{rows}</{p}sheetData>'
            f"{merges}{ext}</{p}worksheet>")
    data = text.encode()
    if draw(st.integers(0, 39)) == 0:  # damaged
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"<" + data[at:]
    return data


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=worksheet(), cuts=st.lists(st.integers(1, 10_000), max_size=4), budget=st.integers(0, 40))
def test_fast_scan_finds_the_same_or_declines(data, cuts, budget) -> None:
    cuts = sorted({cut % len(data) for cut in cuts} - {0})
    same_or_declined(data, cuts, budget=budget if budget < 30 else 10**9)


# -- plain spellings are read fast ---------------------------------------------------------------------

def plain_sheet(rows: list[tuple[int, list[tuple[str, str]]]], tail: str = "") -> bytes:
    """A worksheet as Excel writes it: rows of (r, body) cells."""
    body = "".join(f'<row r="{n}" spans="1:3">' + "".join(f'<c r="{ref}" s="1"{inner}' for ref, inner in cells)
                   + "</row>" for n, cells in rows)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
            f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>{body}'
            f"</sheetData>{tail}</worksheet>").encode()


@pytest.mark.parametrize("cuts", [[], [1], [57], [58, 59, 60], list(range(1, 400, 7))])
def test_plain_sheet_is_counted_not_declined(cuts) -> None:
    data = plain_sheet([(1, [("A1", "><v>1</v></c>"), ("B1", "/>"), ("C1", "></c>")]),
                        (2, [("a2", " t=\"s\"><v>0</v></c>"), ("$D$02", "><f>A1</f><v>1</v></c>")]),
                        (7, [("A7", "/>")]), (3, [("A1", "><is><t>x</t></is></c>")])],
                       tail='<mergeCells count="1"><mergeCell ref="B9:C10"/></mergeCells>')
    fast = scan(data, fast=True, cuts=cuts)
    assert fast[0] == "facts"
    assert fast == scan(data, fast=False)
    facts = fast[1]
    # the content cells are A1, a2, $D$02 and A1 of row 3 (whose row element says 3); the merge reaches C10
    assert (facts.cells, facts.value_cells, facts.last_row, facts.last_col) == (7, 4, 10, 3)
    assert facts.has_formulas and not facts.has_hidden and facts.merged_cells == 4


def test_far_cells_of_every_kind_are_seen() -> None:
    """A far cell beyond the bounds found so far, a far row element holding content, a far empty cell."""
    base = [(n, [(f"A{n}", "><v>1</v></c>"), (f"C{n}", "><v>1</v></c>")]) for n in range(1, 200)]
    for extra, expected in [((150, [("XFD150", "><v>1</v></c>")]), (199, 16_383)),
                            ((1_048_576, [("B3", "><v>1</v></c>")]), (1_048_576, 2)),
                            ((1_048_576, [("XFD1048576", "/>")]), (199, 2)),
                            ((5, [("ZZ99999999", "><v>1</v></c>")]), (99_999_999, 701))]:
        data = plain_sheet([*base[:100], extra, *base[100:]])
        fast = scan(data, fast=True, cuts=[len(data) // 3, len(data) // 2])
        assert fast[0] == "facts" and fast == scan(data, fast=False)
        assert (fast[1].last_row, fast[1].last_col) == expected


def test_guard_reads_the_sample_without_declining(monkeypatch) -> None:
    def refuse(*args):
        raise AssertionError("declined")

    guard._CACHE.clear()
    monkeypatch.setattr(guard, "_rescan", refuse)
    inspection = guard.inspect_xlsx(SAMPLE)
    assert any(part.is_sheet and part.value_cells for part in inspection.parts.values())
    guard._CACHE.clear()


def inspect_both(path: Path, monkeypatch) -> tuple:
    results: list[object] = []
    for fast in (True, False):
        guard._CACHE.clear()
        monkeypatch.setattr(guard, "PartScanner", functools.partial(xml_scan.PartScanner, fast=fast))
        try:
            inspection = guard.inspect_xlsx(path)
            results.append({name: (part.facts, part.problem, part.uses) for name, part in inspection.parts.items()})
        except Exception as exc:  # the refusal itself is compared
            results.append((type(exc), str(exc)))
    guard._CACHE.clear()
    return tuple(results)


@pytest.mark.parametrize("name", ["far-cell", "far-cell-reordered", "far-cell-single-quotes", "far-cell-newline",
                                  "far-cell-lower-case", "far-cell-prefix", "far-cell-leading-zero",
                                  "far-cell-eight-digit-row", "far-cell-character-reference", "merged-far-area",
                                  "bad-cell-reference", "damaged-sheet-xml", "far-cell-implied"])
def test_guard_refuses_the_same_hostile_files(name, tmp_path, monkeypatch) -> None:
    path = corpus.REFUSED[name](tmp_path)
    fast, exact = inspect_both(path, monkeypatch)
    assert fast == exact
    assert isinstance(fast, tuple) and issubclass(fast[0], Exception)  # refused, with the same message


def test_guard_rescan_after_decline_matches(tmp_path, monkeypatch) -> None:
    """A sheet that declines late (a comment at its end) is scanned again from its start."""
    target = tmp_path / "late-comment.xlsx"
    corpus.rezip(SAMPLE, target, replace={corpus.PROJECTS_PART: lambda xml: xml.replace(
        b"</worksheet>", b"<!-- written by hand --></worksheet>")})
    with zipfile.ZipFile(target) as archive:
        assert b"<!--" in archive.read(corpus.PROJECTS_PART)
    fast, exact = inspect_both(target, monkeypatch)
    assert fast == exact and isinstance(fast, dict)


@st.composite
def shared_strings(draw) -> bytes:
    prefix = draw(st.sampled_from(["", "", "x:"]))
    items = draw(st.lists(st.sampled_from([
        "<{p}si><{p}t>a</{p}t></{p}si>", '<{p}si><{p}t xml:space="preserve"> b </{p}t></{p}si>',
        "<{p}si><{p}r><{p}t>c</{p}t></{p}r><{p}r><{p}t>d</{p}t></{p}r></{p}si>", "<{p}si/>",
        '<{p}si x="1"><{p}t>e&amp;&#20013;</{p}t></{p}si>', "<{p}si\n><{p}t>f</{p}t></{p}si>", "<!-- c -->",
        "<{p}si><{p}t><![CDATA[<si>]]></{p}t></{p}si>", '<y:si xmlns:y="urn:y"/>',
    ]), max_size=8))
    body = "".join(item.format(p=prefix) for item in items)
    declare = f' xmlns:x="{MAIN}"' if prefix else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{prefix}sst xmlns="{MAIN}"{declare} '
            f'uniqueCount="{len(items)}">{body}</{prefix}sst>').encode()


@settings(max_examples=30, deadline=None)
@given(data=shared_strings(), cuts=st.lists(st.integers(1, 2_000), max_size=3), budget=st.integers(0, 30))
def test_fast_string_count_is_the_same_or_declines(data, cuts, budget) -> None:
    cuts = sorted({cut % len(data) for cut in cuts} - {0})
    same_or_declined(data, cuts, budget=budget if budget < 20 else 10**9)


def test_plain_shared_strings_are_counted_not_declined() -> None:
    data = (f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="3" uniqueCount="3"><si><t>a</t></si>'
            '<si><r><t>b</t></r></si><si ><t>c</t></si></sst>').encode()
    fast = scan(data, fast=True, cuts=[40, 41])
    assert fast == scan(data, fast=False) and (fast[1].strings, fast[1].elements) == (3, 7)


def test_absurd_column_letters_decline() -> None:
    """A reference with thousands of letters would make the bounds patterns huge: the handler scan reads it."""
    data = plain_sheet([(1, [("A" * 5_000 + "1", "><v>1</v></c>")])])
    assert scan(data, fast=True) == ("declined",)
    assert scan(data, fast=False)[1].last_col > 16_384
