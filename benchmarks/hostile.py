"""Time and peak memory of the input guard and of `wbe validate` on hostile and huge files (issue 6).

    python -m benchmarks.hostile [--folder out/hostile]

Each measurement runs in a fresh process, so the peak resident memory (ru_maxrss) is that command's
alone. The files come from the test corpus (tests/corpus.py) and the county generator. Figures go into
docs/performance.md ("Hostile input").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from benchmarks.generate import county_book
from tests import corpus
from tests.conftest import SAMPLE
from workbook_engine.canonical_writer import write_book

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import resource, sys, time
from workbook_engine.cli import app
from workbook_engine.errors import InputError
from workbook_engine.io.guard import inspect_xlsx
start = time.perf_counter()
if sys.argv[1] == "guard":
    try:
        inspect_xlsx(sys.argv[2])
        status = 0
    except InputError:
        status = 2
else:
    try:
        status = app(sys.argv[1:], standalone_mode=False) or 0
    except SystemExit as exit:
        status = exit.code
print("RESULT", status, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(*args: str) -> tuple[int, float, float]:
    """(exit status, seconds, peak MB) of one command in a fresh process (start-up imports excluded from
    the seconds, included in the memory)."""
    result = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, cwd=ROOT)
    line = next(out for out in result.stdout.splitlines() if out.startswith("RESULT"))
    _, status, seconds, kilobytes = line.split()
    return int(status), float(seconds), int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("out/hostile"))
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    county = args.folder / "county.xlsx"
    if not county.exists():
        write_book(county_book(), county)
    files = {
        "shipped sample": SAMPLE,
        "county (2,000 projects, 30,000 indicators)": county,
        "1,048,576 rows of trailing formatting": corpus.trailing_formatting(args.folder),
        "zip bomb, declared (100 MB from 100 KB)": corpus.zip_bomb_declared(args.folder),
        "zip bomb, lying directory (100 MB real)": corpus.zip_bomb_lying(args.folder),
        "billion laughs": corpus.REFUSED["billion-laughs"](args.folder),
        "one value in XFD1048576": corpus.REFUSED["far-cell"](args.folder),
    }
    print("| file | size | guard exit | guard s | validate exit | validate s | validate peak MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, path in files.items():
        guard_status, guard_s, _ = measure("guard", str(path))
        status, seconds, peak = measure("validate", str(path))
        print(f"| {name} | {path.stat().st_size / 2**20:.2f} MB | {guard_status} | {guard_s:.2f} | {status} | "
              f"{seconds:.2f} | {peak:.0f} |")
    trailing = files["1,048,576 rows of trailing formatting"]
    out = args.folder / "annotated.xlsx"
    status, seconds, peak = measure("validate", str(trailing), "--annotate", str(out), "--overwrite")
    print(f"\nvalidate --annotate on the trailing-formatting file: exit {status}, {seconds:.2f} s, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
