"""Shared fixtures: the customer's published document (seed) and the shipped sample workbook."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import openpyxl
import pytest

from workbook_engine.canonical_writer import write_book
from workbook_engine.importer import import_document
from workbook_engine.model import Book

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "leting-2024-emergency.txt"
SAMPLE = ROOT / "workbooks" / "leting-emergency-2024.xlsx"
SHARED_SEED = ROOT.parent / "shared" / "seeds" / "000_98938871c6735dfe.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_book() -> Book:
    return import_document(SEED)


@pytest.fixture()
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped sample workbook, safe to modify."""
    target = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, target)
    return target


@pytest.fixture()
def edit_sample(tmp_path: Path) -> Callable[..., Path]:
    """Write a copy of the sample with cells changed: edit_sample({"项目": {"F2": 1}})."""

    def make(changes: dict[str, dict[str, object]], *, name: str = "edited.xlsx",
             func: Callable[[openpyxl.Workbook], None] | None = None) -> Path:
        workbook = openpyxl.load_workbook(SAMPLE)
        for sheet, cells in changes.items():
            for cell, value in cells.items():
                workbook[sheet][cell] = value
        if func:
            func(workbook)
        target = tmp_path / name
        workbook.save(target)
        return target

    return make


@pytest.fixture()
def write(tmp_path: Path) -> Callable[[Book, str], Path]:
    def make(book: Book, name: str = "book.xlsx") -> Path:
        target = tmp_path / name
        write_book(book, target)
        return target

    return make


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m workbook_engine` as a user would, capturing text output."""
    return subprocess.run([sys.executable, "-m", "workbook_engine", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=600)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")


def libreoffice_convert(source: Path, target_format: str, outdir: Path) -> Path:
    """Convert with LibreOffice headless in a private profile; returns the converted file."""
    profile = outdir / ".lo-profile"
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target_format,
         "--outdir", str(outdir), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    produced = outdir / (source.stem + "." + target_format.split(":")[0])
    assert produced.exists(), f"LibreOffice did not produce {produced}"
    return produced
