"""Docs that cannot drift: every finding code and every command is documented."""

from __future__ import annotations

import re

from workbook_engine.cli import app
from workbook_engine.validation.codes import CODES

from .conftest import ROOT, run_cli


def test_every_code_is_documented_with_its_severity():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, (severity, _title) in CODES.items():
        line = next((line for line in text.splitlines() if line.startswith(f"| {code} |")), None)
        assert line is not None, f"{code} missing from docs/rules.md"
        assert f"| {severity} |" in line


def test_documented_codes_exist():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| (WBE-[EWR]\d{3}) \|", text, re.M)) <= set(CODES)


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [command.name for command in app.registered_commands]
    assert {"new", "import", "validate"} <= set(names)
    for name in names:
        result = run_cli(name, "--help")
        assert result.returncode == 0 and "用法" in result.stdout
        assert f"wbe {name}" in readme, f"wbe {name} is not in the README"
