"""Time `publish` on the county-scale workbook: one .docx per department, and the PDFs through LibreOffice.

    python -m benchmarks.bench_publish [--workbook out/county.xlsx] [--out out/published/] [--pdf]

Generates the workbook first when it is missing (benchmarks/generate.py). Prints a Markdown table for
docs/performance.md. The PDF step starts LibreOffice once for all documents (publish/pdf.py).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from workbook_engine.publish.document import write_document
from workbook_engine.publish.job import publish_documents
from workbook_engine.validation import check

from .bench_validate import print_table
from .generate import ensure_county_workbook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=Path("out/county.xlsx"))
    parser.add_argument("--out", type=Path, default=Path("out/published"))
    parser.add_argument("--pdf", action="store_true", help="also convert every document to PDF")
    args = parser.parse_args()
    ensure_county_workbook(args.workbook)
    shutil.rmtree(args.out, ignore_errors=True)
    rows = []
    start = time.perf_counter()
    checked = check(args.workbook)
    rows.append(("validate (read + check, before writing)", time.perf_counter() - start))
    scratch = args.out / "scratch"
    scratch.mkdir(parents=True)
    start = time.perf_counter()
    for dept in checked.book.departments():
        write_document(checked.book, dept, scratch / f"{dept.code}.docx")
    rows.append((f"building and saving {len(checked.book.departments())} .docx (library, no validation)",
                 time.perf_counter() - start))
    start = time.perf_counter()
    result = publish_documents(args.workbook, f"{args.out}/", pdf=args.pdf)
    count = len(result.files)
    label = f"whole `publish_documents` job: validate, {count} .docx" + (f", {count} PDFs" if args.pdf else "")
    rows.append((label, time.perf_counter() - start))
    docx_size = sum(f.path.stat().st_size for f in result.files)
    print(f"Workbook: {args.workbook}; {len(result.files)} documents, {docx_size / 1e6:.1f} MB of .docx"
          + (f", {sum(f.pdf.stat().st_size for f in result.files if f.pdf) / 1e6:.1f} MB of PDF" if args.pdf else ""))
    print_table(rows, 1)


if __name__ == "__main__":
    main()
