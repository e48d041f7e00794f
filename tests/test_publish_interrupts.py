"""Interrupting `wbe publish --pdf` (a real process, a real LibreOffice) leaves the old outputs as they were.

The signal is sent at moments found by watching the process tree: while the documents are being written
(a staged .part file appears), once LibreOffice starts its profile (the .docx is complete, no PDF yet), and
while the macro converts. Each run: the old .docx and .pdf byte-identical, no .part, no LibreOffice lock,
no work folder left in the child's TMPDIR, and the message says exactly that."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbook_engine.errors import OutputError
from workbook_engine.io.atomic import atomic_path, staged_outputs
from workbook_engine.io.interrupts import INTERRUPTED

from .conftest import ROOT, SAMPLE, needs_soffice

OLD_DOCX = b"PK old document, not to be touched"
OLD_PDF = b"%PDF-1.4 old pdf, not to be touched"


def _soffice_commands(temp: Path) -> list[str]:
    """Command lines of the LibreOffice processes whose profile lives under ``temp``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "UserInstallation=" in command and str(temp) in command:
            found.append(command)
    return found


def _wait_for(condition, process: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _start(tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    out = tmp_path / "out"
    out.mkdir()
    (out / "doc.docx").write_bytes(OLD_DOCX)
    (out / "doc.pdf").write_bytes(OLD_PDF)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "publish", str(SAMPLE), "-o",
                                str(out / "doc.docx"), "--pdf", "--overwrite"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, out, temp


def _assert_untouched(process: subprocess.Popen, out: Path, temp: Path, signum: int) -> None:
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    assert INTERRUPTED in stderr and "Traceback" not in stderr
    assert (out / "doc.docx").read_bytes() == OLD_DOCX
    assert (out / "doc.pdf").read_bytes() == OLD_PDF
    assert sorted(p.name for p in out.iterdir()) == ["doc.docx", "doc.pdf"]  # no .part, no .~lock
    assert list(temp.iterdir()) == []  # LibreOffice's profile, copies and temp files all gone
    assert _soffice_commands(temp) == []
    assert not list(Path.home().glob(".~lock*")) and not list(ROOT.glob(".~lock*"))


@needs_soffice
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_after_the_docx_is_written_before_the_pdf(tmp_path, signum):
    process, out, temp = _start(tmp_path)
    started = _wait_for(lambda: bool(_soffice_commands(temp)), process)
    assert started, "LibreOffice never started"
    assert any(p.name.startswith(".doc.docx.") and p.stat().st_size > 0 for p in out.iterdir())  # docx done
    process.send_signal(signum)
    _assert_untouched(process, out, temp, signum)


@needs_soffice
def test_sigterm_while_the_macro_converts(tmp_path):
    process, out, temp = _start(tmp_path)
    converting = _wait_for(lambda: any("macro:" in c for c in _soffice_commands(temp)), process)
    assert converting, "the conversion never started"
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _assert_untouched(process, out, temp, signal.SIGTERM)


@needs_soffice
def test_sigint_while_the_documents_are_staged(tmp_path):
    process, out, temp = _start(tmp_path)
    staged = _wait_for(lambda: any(p.name.endswith(".part") for p in out.iterdir()), process)
    assert staged, "no staged file appeared"
    process.send_signal(signal.SIGINT)
    _assert_untouched(process, out, temp, signal.SIGINT)


def test_a_failure_in_the_stage_leaves_every_old_output(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    with pytest.raises(RuntimeError), staged_outputs([first, second], overwrite=True):
        with atomic_path(first, overwrite=True) as temp:
            temp.write_bytes(b"new a")
        assert first.read_bytes() == b"old a"  # complete, but not yet in place
        raise RuntimeError("the second workbook failed")
    assert (first.read_bytes(), second.read_bytes()) == (b"old a", b"old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]


def test_the_stage_places_all_together_and_puts_back_on_a_late_refusal(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    with staged_outputs([first, second]):
        for path in (first, second):
            with atomic_path(path) as temp:
                temp.write_bytes(b"new " + path.name.encode())
    assert (first.read_bytes(), second.read_bytes()) == (b"new a.xlsx", b"new b.xlsx")
    third, fourth = tmp_path / "c.xlsx", tmp_path / "d.xlsx"
    with pytest.raises(OutputError, match="文件已存在"), staged_outputs([third, fourth]):
        for path in (third, fourth):
            with atomic_path(path) as temp:
                temp.write_bytes(b"new")
        fourth.write_bytes(b"appeared meanwhile")  # another program wrote it before the stage placed it
    assert not third.exists() and fourth.read_bytes() == b"appeared meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx", "d.xlsx"]
