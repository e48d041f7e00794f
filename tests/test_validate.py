"""Every validation rule: a minimal failing workbook asserting code and cell, and the passing sample."""

from __future__ import annotations

import json

import openpyxl
import pytest

from workbook_engine.api import read_book, validate
from workbook_engine.findings import CATALOGUE, COLLECT_SECTION
from workbook_engine.importer import import_document
from workbook_engine.validation.codes import CODES, EXTRACT, REVIEW

from .conftest import SAMPLE, SEED, run_cli
from .test_review import sample_review_findings


def codes_at(report, code):
    return [f.cell for f in report.findings if f.code == code]


def test_shipped_sample_is_valid_without_warnings():
    report = validate(SAMPLE, review=False)
    assert report.findings == []
    assert report.valid and report.exit_code() == 0


def test_shipped_sample_has_only_the_pinned_review_warnings():
    report = validate(SAMPLE, review=True)
    assert report.errors == [] and report.valid and report.exit_code() == 0
    assert {(f.code, f.sheet, f.cell) for f in report.findings} == sample_review_findings()


def test_shipped_sample_equals_a_fresh_import_cell_by_cell(tmp_path):
    from workbook_engine.canonical_writer import write_book

    fresh = tmp_path / "fresh.xlsx"
    write_book(import_document(SEED), fresh)
    ours, theirs = openpyxl.load_workbook(SAMPLE), openpyxl.load_workbook(fresh)
    assert ours.sheetnames == theirs.sheetnames
    for name in ours.sheetnames:
        a, b = ours[name], theirs[name]
        assert (a.max_row, a.max_column) == (b.max_row, b.max_column), name
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
            for cell_a, cell_b in zip(row_a, row_b):
                assert (cell_a.value, cell_a.number_format) == (cell_b.value, cell_b.number_format), cell_a.coordinate
    assert read_book(SAMPLE) == import_document(SEED)


def _delete_rows(sheet, first, count):
    def apply(workbook):
        workbook[sheet].delete_rows(first, count)
    return apply


def _insert_row(sheet):
    def apply(workbook):
        workbook[sheet].insert_rows(1)
    return apply


def _remove_sheet(sheet):
    def apply(workbook):
        del workbook[sheet]
    return apply


def _hide(sheet):
    def apply(workbook):
        workbook[sheet].sheet_state = "hidden"
    return apply


def _merge(sheet, cells):
    def apply(workbook):
        workbook[sheet].merge_cells(cells)
    return apply


def _new_project(workbook):
    ws = workbook["项目"]
    values = [c.value for c in ws[2]]
    values[1], values[2] = 10, "13022524P00CL0E1NEW01"
    ws.append(values)


# (code, changes, function, expected cell)
CASES = [
    ("WBE-E001", {}, _remove_sheet("指标"), None),
    ("WBE-E002", {"项目": {"D1": "项目名"}}, None, "D1"),
    ("WBE-E002", {"项目": {"N1": None}}, None, "N1"),
    ("WBE-E003", {"项目": {"O1": "项目名称"}}, None, "O1"),
    ("WBE-W004", {"项目": {"O1": "备注"}}, None, "O1"),
    ("WBE-W004", {"项目": {"P5": "无标题列里的数据"}}, None, "P5"),
    ("WBE-W005", {}, _delete_rows("部门目标", 2, 17), None),
    ("WBE-W006", {}, _insert_row("项目"), "A2"),
    ("WBE-W007", {"项目": {"F2": "=G2+H2"}}, None, "F2"),
    ("WBE-W008", {}, _merge("指标", "A2:A3"), "A2"),
    ("WBE-W009", {}, _hide("指标"), None),
    ("WBE-E010", {"项目": {"N2": None}}, None, "N2"),
    ("WBE-E010", {"指标": {"H3": "  "}}, None, "H3"),
    ("WBE-E011", {"项目": {"F2": "二百"}}, None, "F2"),
    ("WBE-E012", {"项目": {"F2": -1, "G2": -1}}, None, "F2"),
    ("WBE-E013", {"项目": {"F2": 200.123, "G2": 200.123}}, None, "F2"),
    ("WBE-E014", {"项目": {"J2": "一季度"}}, None, "J2"),
    ("WBE-E015", {"项目": {"M2": "150%"}}, None, "M2"),
    ("WBE-E015", {"项目": {"J2": -0.1}}, None, "J2"),
    ("WBE-E048", {"项目": {"J2": 0.25, "K2": 50, "L2": 75, "M2": 100}}, None, "J2"),
    ("WBE-E017", {"指标": {"A2": "4500"}}, None, "A2"),
    ("WBE-E018", {"项目": {"C2": "ABC-123"}}, None, "C2"),
    ("WBE-E019", {"项目": {"C2": "13022525P00CL0E10035D"}}, None, "C2"),
    ("WBE-E020", {"部门目标": {"C2": 1999}}, None, "C2"),
    ("WBE-E021", {"项目": {"B2": "一"}}, None, "B2"),
    ("WBE-E021", {"项目": {"B2": 0}}, None, "B2"),
    ("WBE-E022", {"部门目标": {"D2": "目标"}}, None, "D2"),
    ("WBE-E023", {"指标": {"D2": "投入指标"}}, None, "D2"),
    ("WBE-E024", {"指标": {"E2": "经济效益指标"}}, None, "E2"),
    ("WBE-W025", {"项目": {"F2": "200.00", "G2": "200.00"}}, None, "F2"),
    ("WBE-W026", {"项目": {"F2": "=G2+H2"}}, None, "F2"),  # openpyxl saves formulas without their result
    ("WBE-E030", {"项目": {"F2": 201}}, None, "F2"),
    ("WBE-E031", {"项目": {"K2": 0.2}}, None, "K2"),
    ("WBE-E032", {"项目": {"M2": 0.9}}, None, "M2"),
    ("WBE-E033", {"项目": {"C3": "13022524P00CL0E10035D"}}, None, "C3"),
    ("WBE-E034", {"指标": {"B2": "13022524P00CL0E1XXXXX"}}, None, "B2"),
    ("WBE-E035", {}, _new_project, "C11"),
    ("WBE-E036", {}, _delete_rows("指标", 6, 4), "C2"),
    ("WBE-W037", {"指标": {"D5": "成本指标", "E5": "经济成本指标"}}, None, "E5"),
    ("WBE-E038", {"项目": {"A2": "450002"}}, None, "A2"),
    ("WBE-E039", {"指标": {"A2": "450002"}}, None, "A2"),
    ("WBE-E040", {"指标": {"H2": "≥**次"}}, None, "H2"),
    ("WBE-E041", {"部门目标": {"E3": 1}}, None, "E3"),
    ("WBE-E042", {"指标": {"E3": "数量指标", "F3": "组织专家审查次数"}}, None, "F3"),
    ("WBE-E043", {"部门目标": {"B3": "别的名称"}}, None, "B3"),
    ("WBE-W044", {}, _delete_rows("指标", 10, 1), "C2"),
    ("WBE-E045", {"项目": {"B3": 1}}, None, "B3"),
    ("WBE-W046", {"部门目标": {"F6": None}}, None, "F6"),
    ("WBE-W047", {"指标": {"H2": 0.9}}, lambda wb: setattr(wb["指标"]["H2"], "number_format", "0%"), "H2"),
    ("WBE-W049", {"项目": {"F2": 125000, "G2": 125000}}, None, "F2"),
    ("WBE-W050", {"指标": {"E2": "数量"}}, None, "E2"),
]


@pytest.mark.parametrize("code,changes,func,cell", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fires_at_the_cell(edit_sample, code, changes, func, cell):
    path = edit_sample(changes, func=func)
    report = validate(path, review=True)
    assert code in report.codes(), report.codes()
    if cell is not None:
        assert cell in codes_at(report, code)
    finding = next(f for f in report.findings if f.code == code and (cell is None or f.cell == cell))
    assert finding.severity == CODES[code][0]
    assert finding.message and all(ord(ch) < 0x10000 for ch in finding.message)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in finding.message)
    assert report.valid == (not any(f.is_error for f in report.findings))


# Codes about the file as a whole, whose failing case needs more than a cell edit (test_hostile_input.py).
FILE_CASES = {"WBE-W027": "test_macro_workbook_is_read_and_macros_are_not_kept",
              # an .xls or WPS .et read through its private copy (tests/test_legacy_formats.py)
              "WBE-W028": "test_a_legacy_copy_has_the_findings_of_the_xlsx_and_says_how_it_was_read",
              # text no cell can hold, control characters: corpus.py cases run by test_data_safety.py
              "WBE-E028": "test_unstorable_text_is_named_at_its_cell_by_render_and_publish",
              "WBE-W029": "test_unstorable_text_is_named_at_its_cell_by_render_and_publish",
              # a schema check that declares no code of its own (tests/test_check_declarations.py)
              "WBE-E099": "test_a_schema_check_without_a_code_becomes_a_generic_finding",
              # what an annotated copy could not keep as it was (tests/test_annotate_faithful.py)
              "WBE-W261": "test_shared_formulas_are_never_expanded_into_new_formulas",
              "WBE-W262": "test_external_links_are_dropped_with_a_finding"}


def test_every_code_has_a_failing_case():
    """Review codes (WBE-R…) have theirs in test_review.py, extract's in test_extract.py, the collection
    box's reviewer opinions (WBE-W080) in test_collect_workflow.py, the budget year's (section year) in
    test_budget_year_checks.py and test_scoring.py, the refusals before reading (WBE-I…) in
    test_guard_families.py and test_guard_containment.py, the import's (WBE-E301…E304) in
    test_import_problems.py."""
    collect = {code for code, entry in CATALOGUE.items() if entry.section == COLLECT_SECTION}
    year = {code for code, entry in CATALOGUE.items() if entry.section == "year"}
    refused = {code for code, entry in CATALOGUE.items() if entry.section == "input"}
    imported = {code for code, entry in CATALOGUE.items() if entry.section == "import"}
    assert {c[0] for c in CASES} | set(FILE_CASES) == \
        set(CODES) - set(REVIEW) - set(EXTRACT) - collect - year - refused - imported


def test_findings_name_sheet_row_column_and_value(edit_sample):
    report = validate(edit_sample({"项目": {"F2": 201}}), review=True)
    finding = next(f for f in report.findings if f.code == "WBE-E030")
    assert (finding.sheet, finding.cell, finding.row, finding.column, finding.value) == ("项目", "F2", 2, "预算数", 201.0)


def test_all_findings_in_one_pass(edit_sample):
    report = validate(edit_sample({"项目": {"F2": 201, "J2": "x"}, "指标": {"A2": "1", "H4": "≥**"}}), review=True)
    assert {"WBE-E030", "WBE-E014", "WBE-E017", "WBE-E040"} <= set(report.codes())


def test_percent_forms_are_accepted(edit_sample):
    path = edit_sample({"项目": {"J2": "25%", "K2": "50％", "L2": 75, "M2": 100}})
    assert validate(path, review=False).findings == []


def test_english_aliases_and_header_variants_are_accepted(edit_sample):
    def rename(workbook):
        workbook["部门目标"].title = "goals"
        workbook["项目"].title = "Projects"
        workbook["指标"]["A1"] = " 部门 编码 "
        workbook["指标"]["H1"] = "指标值\u3000"

    report = validate(edit_sample({}, func=rename), review=False)
    assert report.findings == []


def test_blank_rows_are_skipped(edit_sample):
    def blank(workbook):
        workbook["指标"].insert_rows(5, 3)

    assert validate(edit_sample({}, func=blank), review=False).findings == []


def test_json_output_contract(edit_sample):
    path = edit_sample({"项目": {"F2": 201}})
    result = run_cli("validate", path, "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert set(data) == {"file", "valid", "findings"} and data["valid"] is False
    assert data["file"] == str(path)
    finding = next(f for f in data["findings"] if f["code"] == "WBE-E030")
    assert set(finding) == {"code", "severity", "sheet", "cell", "row", "column", "value", "message"}
    assert finding["cell"] == "F2" and finding["row"] == 2 and finding["column"] == "预算数"


def test_text_output_and_exit_status(edit_sample):
    ok = run_cli("validate", SAMPLE)
    assert ok.returncode == 0 and "通过" in ok.stdout
    bad = run_cli("validate", edit_sample({"项目": {"F2": 201}}))
    assert bad.returncode == 1 and "WBE-E030" in bad.stdout
    warn = run_cli("validate", edit_sample({"项目": {"O1": "备注"}}))
    assert warn.returncode == 0 and "WBE-W004" in warn.stdout


def test_annotated_copy_marks_cells_and_links_findings(edit_sample, tmp_path):
    source = edit_sample({"项目": {"F2": 201, "O1": "备注"}})
    before = source.read_bytes()
    out = tmp_path / "annotated.xlsx"
    result = run_cli("validate", source, "--annotate", out)
    assert result.returncode == 1
    assert source.read_bytes() == before, "the input must never be modified"
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[0] == "校验结果"
    cell = workbook["项目"]["F2"]
    assert "WBE-E030" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert workbook["项目"]["O1"].fill.fgColor.rgb.endswith("FFEB9C")
    results = workbook["校验结果"]
    rows = list(results.iter_rows(min_row=3, values_only=True))
    assert ("WBE-E030", "错误", "项目", "F2") == rows[[r[1] for r in rows].index("WBE-E030")][1:5]
    link = next(r[4] for r in results.iter_rows(min_row=3) if r[1].value == "WBE-E030")
    assert link.hyperlink.location == "'项目'!F2" or link.hyperlink.target == "#'项目'!F2"
    # the annotated copy is still a canonical workbook with the same findings
    assert validate(out, review=True).codes() == validate(source, review=True).codes()


def test_unreadable_inputs_exit_2_with_one_line(tmp_path):
    cases = {
        "missing.xlsx": None,
        "empty.xlsx": b"",
        "text.xlsx": "部门编码,项目编码\n".encode(),
        "legacy.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
        "truncated.xlsx": SAMPLE.read_bytes()[:2000],
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        result = run_cli("validate", path)
        assert result.returncode == 2, (name, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
        assert str(path) in result.stderr
