"""A normal (non-editable) install works, and a failed command leaves no output folder behind (issue 16 §1)."""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workbook_engine import layout

from .conftest import ROOT, SAMPLE, run_cli

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "workbook_engine", "templates")


def test_checkout_reads_the_repository_templates(monkeypatch):
    monkeypatch.delenv(layout.TEMPLATE_DIR_ENV, raising=False)
    assert layout.template_dir() == ROOT / "templates"


def test_template_dir_override_still_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(layout.TEMPLATE_DIR_ENV, str(tmp_path))
    assert layout.template_dir() == tmp_path


@pytest.mark.parametrize("command", ["render", "publish"])
def test_failed_job_leaves_no_empty_output_folder(tmp_path, command):
    env_dir = tmp_path / "no-templates"
    env_dir.mkdir()
    target = tmp_path / "out" / "deeper"
    result = subprocess.run([sys.executable, "-m", "workbook_engine", command, str(SAMPLE), "-o", f"{target}/"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, layout.TEMPLATE_DIR_ENV: str(env_dir)})
    assert result.returncode == 2, result.stderr
    assert "找不到版式模板" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_failure_after_the_folder_was_made_removes_it(tmp_path, monkeypatch):
    from workbook_engine.official import pipeline

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "render_department", broken)
    with pytest.raises(OSError):
        pipeline.render_official(SAMPLE, f"{tmp_path / 'a' / 'b'}/")
    assert not (tmp_path / "a").exists()
    # a folder that existed before is kept, even when empty
    (tmp_path / "kept").mkdir()
    with pytest.raises(OSError):
        pipeline.render_official(SAMPLE, f"{tmp_path / 'kept'}/")
    assert (tmp_path / "kept").is_dir()


def test_extract_to_a_missing_folder_creates_nothing(tmp_path):
    rendered = tmp_path / "official.xlsx"
    assert run_cli("render", SAMPLE, "-o", rendered).returncode == 0
    result = run_cli("extract", rendered, "-o", tmp_path / "missing" / "book.xlsx")
    assert result.returncode == 2 and "不存在" in result.stderr
    assert not (tmp_path / "missing").exists()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package built as a wheel from a copy of the sources and installed into a fresh venv."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    dist = work / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
                           capture_output=True, text=True, timeout=300)
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here (no build backend / index?): {build.stderr[-300:]}")
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {"workbook_engine/templates/project-table.toml", "workbook_engine/templates/official-workbook.toml",
            "workbook_engine/templates/publish.toml"} <= set(names)
    venv = work / "venv"
    # The dependencies come from this interpreter's site-packages; the package itself only from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    return venv


@pytest.mark.slow
def test_wheel_install_runs_the_main_job_from_another_folder(installed, tmp_path):
    python = installed / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in (layout.TEMPLATE_DIR_ENV, "PYTHONPATH")}
    where = subprocess.run([str(python), "-c", "import workbook_engine.layout as l; print(l.__file__); "
                            "print(l.template_dir())"], capture_output=True, text=True, cwd=tmp_path, env=env)
    module, templates = where.stdout.split()
    assert Path(module).is_relative_to(installed) and Path(templates).is_relative_to(installed)

    def wbe(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(installed / "bin" / "wbe"), *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=300)

    book = tmp_path / "book.xlsx"
    shutil.copyfile(SAMPLE, book)
    assert wbe("validate", "book.xlsx").returncode == 0
    rendered = wbe("render", "book.xlsx", "-o", "out/")
    assert rendered.returncode == 0, rendered.stderr
    published = wbe("publish", "book.xlsx", "-o", "out/")
    assert published.returncode == 0, published.stderr
    official = list((tmp_path / "out").glob("*.xlsx"))
    assert len(official) == 1 and len(list((tmp_path / "out").glob("*.docx"))) == 1
    extracted = wbe("extract", str(official[0]), "-o", "back.xlsx")
    assert extracted.returncode == 0, extracted.stderr
    assert "9 个项目，81 个指标" in extracted.stdout


# --- wbe new refuses what validation would reject (issue 16 §5) ----------------------------------------------

@pytest.mark.parametrize("options,message", [
    (["--dept-code", "4500", "--year", "2025"], "部门编码应为 6 位数字"),
    (["--dept-code", "45000A", "--year", "2025"], "部门编码应为 6 位数字"),
    (["--dept-code", "450001", "--year", "25"], "年度应为 4 位数字"),
    (["--dept-code", "450001", "--year", "20250"], "年度应为 4 位数字"),
])
def test_new_refuses_a_bad_code_or_year(tmp_path, options, message):
    target = tmp_path / "new.xlsx"
    result = run_cli("new", target, *options)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not target.exists()


def test_new_workbook_library_function_refuses_too(tmp_path):
    from workbook_engine import api
    from workbook_engine.errors import UsageError

    with pytest.raises(UsageError, match="6 位数字"):
        api.new_workbook(tmp_path / "a.xlsx", dept_code="12345", year=2025)
    with pytest.raises(UsageError, match="4 位数字"):
        api.new_workbook(tmp_path / "a.xlsx", dept_code="450001", year=999)
    api.new_workbook(tmp_path / "a.xlsx", dept_code="450001", dept_name="x", year=2025)  # valid: written
    assert (tmp_path / "a.xlsx").exists()


# --- the guide's commands work as written, also when run again ---------------------------------------------

def guide_commands() -> list[str]:
    text = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("wbe ")]
    return [line for line in lines if line.split()[1] in YEAR_STEPS]


# The guide's steps of a department's year (sections 1–8). `wbe serve` runs until stopped and `wbe collect`
# needs a server and accounts: they have tests of their own (test_web_*.py, test_collect_*.py).
YEAR_STEPS = ("import", "validate", "review", "render", "extract", "publish", "merge", "diff")


def _fake_pdf(pairs, *, inputs=(), progress=None, overwrite=True):
    """LibreOffice stand-in: the PDFs are written through the same atomic, overwrite-checked path."""
    from workbook_engine.io.atomic import atomic_path

    written = []
    for _source, target in pairs:
        with atomic_path(target, inputs=inputs, overwrite=overwrite) as temp:
            temp.write_bytes(b"%PDF-1.4\n")
        written.append(Path(target))
    return written


def test_guide_commands_run_twice(tmp_path, monkeypatch):
    """Every ``wbe`` line of the guide's command blocks, run in order in a fresh folder, then all again.

    In-process (typer's runner) with LibreOffice replaced by a stand-in that honours --overwrite the same way
    (the real conversion is tested in test_publish.py), so that this stays fast."""
    from typer.testing import CliRunner

    from workbook_engine import api
    from workbook_engine.cli import app
    from workbook_engine.publish import job

    monkeypatch.setattr(job, "convert_to_pdf", _fake_pdf)
    monkeypatch.setattr(job, "require_soffice", lambda: "soffice")
    commands = guide_commands()
    assert len(commands) >= 9 and commands[0].startswith("wbe import")
    api.publish(SAMPLE, tmp_path / "2024年部门预算绩效文本.docx")
    (tmp_path / "各部门").mkdir()
    shutil.copyfile(SAMPLE, tmp_path / "各部门" / "450001乐亭县应急管理局本级.xlsx")
    shutil.copyfile(SAMPLE, tmp_path / "全县2024.xlsx")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for attempt in (1, 2):
        for command in commands:
            words = shlex.split(command, comments=True)[1:]
            args = [match for word in words for match in (sorted(glob.glob(word)) if "*" in word else [word])]
            result = runner.invoke(app, args)
            if command.startswith("wbe import") and attempt == 2:
                # the one step the guide runs once: a second import would wipe the edits, so it refuses
                assert result.exit_code == 2 and "--overwrite" in result.output, result.output
                continue
            allowed = (0, 1) if command.startswith("wbe diff") else (0,)
            assert result.exit_code in allowed, (attempt, command, result.output)
    assert (tmp_path / "2025年部门预算绩效文本.pdf").exists() and any((tmp_path / "文本").glob("*.pdf"))
