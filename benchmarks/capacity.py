"""The largest workbook each command handles within 30 s of CPU and 1 GB (issue 12).

    python -m benchmarks.capacity [--folder out/capacity] [--scales 1,2,4]

Generates county-like workbooks of 2,000 × scale projects (and 15 indicators per project) with
benchmarks/generate.py, runs each command on each in a fresh process and prints CPU seconds and peak
resident memory. The figures set ``io/guard.py::WORKLOADS`` (cells holding a value) and go into
docs/performance.md ("Capacity"); above those sizes the commands refuse with one line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from benchmarks.generate import county_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.io import guard

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import resource, sys
from workbook_engine.cli import app
try:
    status = app(sys.argv[1:], standalone_mode=False) or 0
except SystemExit as exit:
    status = exit.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT", status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""

COMMANDS = {
    "validate": lambda book, out: ["validate", str(book), "--no-review"],
    "validate --annotate": lambda book, out: ["validate", str(book), "--annotate", str(out / "a.xlsx"), "--overwrite"],
    "render": lambda book, out: ["render", str(book), "-o", str(out / "official") + "/", "--overwrite"],
    "publish": lambda book, out: ["publish", str(book), "-o", str(out / "published") + "/", "--overwrite"],
    "diff": lambda book, out: ["diff", str(book), str(book)],
}


def measure(argv: list[str]) -> tuple[int, float, float]:
    """(exit status, CPU seconds, peak MB) of one command in a fresh process."""
    result = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, cwd=ROOT,
                            check=False)
    line = next((l for l in result.stdout.splitlines() if l.startswith("RESULT")), None)
    if line is None:
        return -1, 0.0, 0.0
    _, status, seconds, kilobytes = line.split()
    return int(status), float(seconds), int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("out/capacity"))
    parser.add_argument("--scales", default="1,2,4")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    print("| projects | cells holding a value | command | exit | CPU s | peak MB |")
    print("| ---: | ---: | --- | ---: | ---: | ---: |")
    for scale in (int(s) for s in args.scales.split(",")):
        book = args.folder / f"county-x{scale}.xlsx"
        if not book.exists():
            write_book(county_book(departments=100 * scale, projects=2000 * scale, indicators=30000 * scale), book)
        cells = guard.inspect_xlsx(book).value_cells()
        for name, argv in COMMANDS.items():
            status, seconds, peak = measure(argv(book, args.folder))
            print(f"| {2000 * scale:,} | {cells:,} | {name} | {status} | {seconds:.1f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
