"""The CLI reference is generated from the app (sqlite-utils' docs/cli-reference.rst habit): docs/cli.md and
README's command table are what `cog` makes of the app's own help, and every command has help and a page."""

from __future__ import annotations

import pytest
from cogapp import Cog

from workbook_engine._cli.reference import command_paths, commands_table, help_text, reference

from .conftest import ROOT

GENERATED = [ROOT / "docs" / "cli.md", ROOT / "README.md"]


def test_cli_reference_and_readme_table_are_generated_from_the_app():
    status = Cog().main(["cog", "--check", "-I", str(ROOT), *map(str, GENERATED)])
    assert status == 0, "CLI reference out of date: run `cog -I . -r docs/cli.md README.md`"


def test_the_check_fails_on_a_stale_reference(tmp_path):
    stale = tmp_path / "cli.md"
    stale.write_text(GENERATED[0].read_text(encoding="utf-8").replace("校验规范工作簿", "检查工作簿"), encoding="utf-8")
    assert Cog().main(["cog", "--check", "-I", str(ROOT), str(stale)]) != 0


@pytest.mark.parametrize("words", command_paths(), ids=" ".join)
def test_every_command_has_chinese_help_and_a_section(words):
    text = help_text(words)
    assert text.startswith("用法：wbe " + " ".join(words))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text.splitlines()[2])  # the summary line is Chinese
    assert f"## wbe {' '.join(words)}\n" in reference()
    assert f"`wbe {' '.join(words)} " in commands_table() or f"`wbe {' '.join(words)}`" in commands_table()
