"""The command line as a person at a terminal meets it: Chinese help that fits 80 columns, usage errors
as one Chinese line, a summary before a long list of findings, JSON from every command that reports."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from workbook_engine._cli.help import cells, wrap
from workbook_engine.api import review, validate
from workbook_engine.cli import app
from workbook_engine.reporting import SUMMARY_AFTER, TOP, print_report, print_review

from .conftest import SAMPLE, run_cli
from .workbooks import edited, set_cells

COMMANDS = [command.name for command in app.registered_commands]


# --- help ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_help_fits_80_columns_in_chinese_and_is_never_cut(name):
    result = run_cli(*([name] if name else []), "--help", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("用法：wbe")
    assert all(cells(line) <= 80 for line in lines), [line for line in lines if cells(line) > 80]
    # "..." after a name (in the usage line, and an argument's name) means "one or more".
    body = re.sub(r"[{]?\w+[}]?\.\.\.", "", "\n".join(lines[1:]))
    assert "..." not in body and body.count("…") == sum(help.count("…") for help in help_texts(name))
    assert "<bool>" not in result.stdout and "Show this message" not in result.stdout
    assert "选项：" in result.stdout and "显示本帮助并退出" in result.stdout


def help_texts(name: str | None) -> list[str]:
    from typer.core import TyperGroup
    from typer.main import get_command

    command = get_command(app)
    if name is not None:
        assert isinstance(command, TyperGroup)  # the app has subcommands
        command = command.commands[name]
    return [command.help or "", *(getattr(param, "help", None) or "" for param in command.params)]


def test_command_summaries_are_chinese_and_whole():
    listing = run_cli("--help", env={"COLUMNS": "80"}).stdout
    for name in COMMANDS:
        line = next(line for line in listing.splitlines() if line.strip().startswith(name + " "))
        summary = line.strip()[len(name):].strip()
        assert re.search(r"[\u4e00-\u9fff]", summary) and summary.endswith("。"), line


def test_every_option_help_is_shown_whole_at_80_columns():
    """Each option's help text appears in full (only re-wrapped): nothing is cropped."""
    from typer.main import get_command

    group = get_command(app)
    for name in COMMANDS:
        shown = re.sub(r"\s+", "", run_cli(name, "--help", env={"COLUMNS": "80"}).stdout)
        for param in group.commands[name].params:
            if getattr(param, "help", None):
                assert re.sub(r"\s+", "", param.help) in shown, (name, param.help)


def test_wrap_breaks_between_chinese_characters_and_keeps_words_and_punctuation():
    text = "同时运行审核规则（WBE-R…，默认为警告）；--no-review 只做校验，这是一段很长的说明。"
    lines = wrap(text, 20)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(cells(line) <= 20 for line in lines)
    assert any("--no-review" in line for line in lines)  # an ASCII word is never split
    assert not any(line[0] in "，。；）" for line in lines)


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and re.fullmatch(r"wbe（workbook-engine）\S+\n", result.stdout)


# --- usage errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv,says", [
    (["validate"], "缺少参数 BOOK（规范工作簿 .xlsx）"),
    (["validate", "-dash.xlsx"], "./-dash.xlsx"),
    (["validate", "x.xlsx", "--bogus"], "没有选项 --bogus"),
    (["validate", "x.xlsx", "--format", "xml"], "--format 的值 xml 无效，只能是 text、json"),
    (["merge", "a.xlsx", "b.xlsx", "-o", "c.xlsx", "--prefer", "middle"], "只能是 first、last"),
    (["new", "x.xlsx", "--year", "abc"], "--year 的值 abc 不是整数"),
    (["merge", "a.xlsx", "b.xlsx"], "缺少选项 -o/--output"),
    (["validate", "a.xlsx", "b.xlsx"], "多余的参数 b.xlsx"),
    (["validate", "a.xlsx", "--format"], "--format 后面需要一个值"),
    (["valdate", "a.xlsx"], "没有命令 valdate"),
])
def test_usage_errors_are_one_chinese_line_and_exit_2(argv, says, tmp_path):
    result = run_cli(*argv, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("用法错误："), result.stderr
    assert says in lines[0]
    assert "Usage" not in result.stderr and "Error" not in result.stderr and "╭" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_arguments_shows_the_help():
    result = run_cli()
    assert result.returncode == 2 and "用法：wbe" in result.stderr and "validate" in result.stderr


# --- text output at 80 and 120 columns and into a pipe -----------------------------------------------

def terminal(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, force_terminal=True, color_system=None, highlight=False), out


def pipe() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, soft_wrap=True, highlight=False, color_system=None), out


@pytest.fixture(scope="module")
def sample_review():
    return review(SAMPLE)


@pytest.fixture(scope="module")
def sample_report():
    return validate(SAMPLE, review=True)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("make", [lambda: terminal(80), lambda: terminal(120), lambda: terminal(160), pipe],
                         ids=["80", "120", "160", "pipe"])
def test_every_finding_is_shown_whole_with_all(make, sample_report):
    console, out = make()
    print_report(sample_report, console, show_all=True)
    text = out.getvalue()
    width = console.width if console.is_terminal else None
    if width:
        assert all(cells(line) <= width for line in text.splitlines())
    shown = squeeze(table_columns(text) if "│" in text else text)
    for f in sample_report.findings:
        assert squeeze(f.message) in shown and squeeze(str(f.value)) in shown and f.code in shown


def table_columns(text: str) -> str:
    """A rich table's text column by column (each column's cells joined top to bottom)."""
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.startswith("│")]
    return "\n".join("".join(row[i] for row in rows if i < len(row)) for i in range(max(map(len, rows))))


def test_a_pipe_gets_one_line_per_finding_and_message(sample_report):
    console, out = pipe()
    print_report(sample_report, console, show_all=True)
    lines = out.getvalue().splitlines()
    for f in sample_report.findings:
        assert f"    {f.message}" in lines


@pytest.mark.parametrize("width", [80, 120])
def test_first_run_on_the_sample_gives_a_summary_and_the_verdict(width, sample_report):
    assert len(sample_report.findings) > SUMMARY_AFTER
    console, out = terminal(width)
    print_report(sample_report, console)
    text = out.getvalue()
    lines = text.splitlines()
    assert len(lines) < 60, "the verdict must be on the first screen"
    verdict = squeeze("".join(lines[next(i for i, line in enumerate(lines) if "其余" in line) + 1:]))
    assert "通过" in verdict and f"{len(sample_report.warnings)}个警告" in verdict
    for code in set(sample_report.codes()):
        count = sample_report.codes().count(code)
        assert re.search(rf"{code} 警告 {count} 条", text), code
    assert f"其余 {len(sample_report.findings) - TOP} 条未列出" in squeeze(text) or \
           f"其余{len(sample_report.findings) - TOP}条未列出" in squeeze(text)
    assert "--all" in text


def test_review_at_80_columns_lists_each_grade_whole(sample_review):
    console, out = terminal(80)
    print_review(sample_review, console)
    text = out.getvalue()
    assert all(cells(line) <= 80 for line in text.splitlines())
    shown = squeeze(text)
    for g in sample_review.grades:
        assert squeeze(f"{g.code}{g.name}") in shown and f"得{g.score}分，等级{g.grade}" in shown


def test_cli_summary_then_all(tmp_path):
    summary = run_cli("validate", SAMPLE)
    full = run_cli("validate", SAMPLE, "--all")
    assert summary.returncode == full.returncode == 0
    assert len(summary.stdout.splitlines()) < 40 < len(full.stdout.splitlines())
    assert summary.stdout.splitlines()[-1] == full.stdout.splitlines()[-1]
    assert "通过" in summary.stdout.splitlines()[-1]


# --- JSON from every command that reports findings -----------------------------------------------------

FINDING_FIELDS = {"code", "severity", "sheet", "cell", "row", "column", "value", "message"}


def test_render_and_extract_json(tmp_path):
    render = run_cli("render", SAMPLE, "-o", tmp_path / "official.xlsx", "--format", "json")
    assert render.returncode == 0, render.stderr
    data = json.loads(render.stdout)
    assert data["valid"] is True and data["written"] is True and data["file"] == str(SAMPLE)
    assert data["files"][0]["projects"] == 9 and data["files"][0]["path"] == str(tmp_path / "official.xlsx")
    assert all(set(f) == FINDING_FIELDS for f in data["findings"])
    extract = run_cli("extract", tmp_path / "official.xlsx", "-o", tmp_path / "back.xlsx", "--format", "json")
    assert extract.returncode == 0, extract.stderr
    back = json.loads(extract.stdout)
    assert (back["projects"], back["indicators"], back["findings"]) == (9, 81, [])


def test_render_json_refused(tmp_path):
    broken = edited(SAMPLE, tmp_path / "broken.xlsx", set_cells({"项目": {"F2": -1}}))
    result = run_cli("render", broken, "-o", tmp_path / "out.xlsx", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["written"] is False and data["files"] == []
    assert any(f["code"] == "WBE-E012" and f["cell"] == "F2" for f in data["findings"])
    assert not (tmp_path / "out.xlsx").exists()


def test_publish_json(tmp_path):
    result = run_cli("publish", SAMPLE, "-o", tmp_path / "doc.docx", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["written"] and data["files"][0]["pdf"] is None and data["files"][0]["indicators"] == 81


def test_merge_json_lists_conflicts_and_findings_with_their_file(tmp_path):
    other = edited(SAMPLE, tmp_path / "b.xlsx", set_cells({"项目": {"F2": 250, "G2": 250}}))
    result = run_cli("merge", SAMPLE, other, "-o", tmp_path / "out.xlsx", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["written"] is False and data["output"] == str(tmp_path / "out.xlsx")
    conflict = next(c for c in data["conflicts"] if c["field"] == "预算数")
    assert [(c["file"], c["cell"]) for c in conflict["candidates"]] == [(str(SAMPLE), "F2"), (str(other), "F2")]
    broken = edited(SAMPLE, tmp_path / "c.xlsx", set_cells({"项目": {"F2": -1}}))
    refused = json.loads(run_cli("merge", SAMPLE, broken, "-o", tmp_path / "o2.xlsx", "--format", "json").stdout)
    assert any(f["file"] == str(broken) and f["code"] == "WBE-E012" for f in refused["findings"])


def test_merge_conflict_on_a_long_text_shows_where_the_values_differ(tmp_path):
    long = "为全面提升应急管理能力，" * 12
    a = edited(SAMPLE, tmp_path / "a.xlsx", set_cells({"项目": {"N2": long + "完成甲任务。"}}))
    b = edited(SAMPLE, tmp_path / "b.xlsx", set_cells({"项目": {"N2": long + "完成乙任务。"}}))
    result = run_cli("merge", a, b, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if "项目!N2" in line]
    assert len(lines) == 2
    assert "【甲】" in lines[0] and "【乙】" in lines[1]


def test_r112_advice_example_is_about_the_indicator_itself(sample_review):
    advice = [f for f in sample_review.report.findings if f.code == "WBE-R112"]
    assert advice
    for f in advice:
        name = re.search(r"三级指标“([^”]+)”", f.message).group(1)
        example = f.message[f.message.index("如“"):]
        assert name in example, f.message
    satisfaction = next(f for f in advice if "满意度" in f.message)
    assert "满意" in satisfaction.message[satisfaction.message.index("如“"):]
