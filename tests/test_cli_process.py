"""What only a real process shows: exit statuses and stderr of `python -m workbook_engine` and of the
`wbe` console script, and which libraries start-up imports. Every other CLI test runs in-process
(conftest.run_cli)."""

from __future__ import annotations

import importlib.abc
import os
import shutil
import subprocess
import sys

import pytest

from workbook_engine import cli

from .conftest import ROOT, SAMPLE, run_process

HEAVY = ("pandas", "pandera", "openpyxl", "xlsxwriter", "docx", "python_calamine", "numpy",
         "sqlalchemy")  # the collection box's database: api.py imports collect/ only inside its functions

IMPORTED = """
import sys
sys.argv = ["wbe", *sys.argv[1:]]
from workbook_engine.cli import main
try:
    main()
except SystemExit as exit:
    status = exit.code
print("STATUS", status)
print("HEAVY", " ".join(sorted(name for name in {heavy!r} if name in sys.modules)) or "-")
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["validate", "--help"], ["validate"]])
def test_start_up_imports_no_heavy_library(argv):
    result = subprocess.run([sys.executable, "-c", IMPORTED.format(heavy=HEAVY), *argv], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    lines = result.stdout.splitlines()
    assert lines[-1] == "HEAVY -", result.stdout
    assert lines[-2] == f"STATUS {0 if argv and argv[-1] in ('--help', '--version') else 2}"


def test_a_command_imports_the_library_it_needs():
    result = subprocess.run([sys.executable, "-c", IMPORTED.format(heavy=HEAVY), "validate", str(SAMPLE),
                             "--no-review"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "STATUS 0" in result.stdout and "pandera" in result.stdout.splitlines()[-1]


def test_exit_statuses_and_streams_of_the_real_command(tmp_path):
    ok = run_process("validate", SAMPLE, "--format", "json")
    assert ok.returncode == 0 and ok.stderr == "" and '"valid": true' in ok.stdout
    missing = run_process("validate", tmp_path / "nope.xlsx")
    assert missing.returncode == 2 and missing.stdout == ""
    assert len(missing.stderr.splitlines()) == 1 and missing.stderr.startswith("错误：")
    usage = run_process("validate", "-dash.xlsx")
    assert usage.returncode == 2 and usage.stdout == ""
    assert usage.stderr.splitlines() == [usage.stderr.strip()] and usage.stderr.startswith("用法错误：")
    assert "Traceback" not in missing.stderr + usage.stderr


@pytest.mark.skipif(shutil.which("wbe") is None, reason="the wbe console script is not installed")
def test_console_script(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version = subprocess.run(["wbe", "--version"], capture_output=True, text=True, env=env, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("wbe（workbook-engine）")
    unknown = subprocess.run(["wbe", "frobnicate"], capture_output=True, text=True, env=env, timeout=120)
    assert unknown.returncode == 2 and unknown.stderr.startswith("用法错误：没有命令 frobnicate")


class _Interrupt(importlib.abc.MetaPathFinder):
    """Ctrl-C while the commands are being imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "workbook_engine._cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_during_start_up_is_one_line_not_a_traceback(monkeypatch, capsys):
    for name in [m for m in sys.modules if m.startswith("workbook_engine._cli")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_Interrupt(), *sys.meta_path])
    monkeypatch.setattr(sys, "argv", ["wbe", "--help"])
    with pytest.raises(SystemExit) as exit:
        cli.main()
    assert exit.value.code == 130
    assert capsys.readouterr().err == "已中断。\n"  # nothing was written yet (as `python -m workbook_engine` says)
