"""Make the pictures of docs/guide.md: run each step of a year's work on the shipped sample, print the files
with LibreOffice (PDF) and cut the interesting pages out with pdftoppm (PNG, small).

    python3 docs/make_guide_images.py [--resolution 60]

Needs LibreOffice and poppler-utils. Steps whose command is not available yet (review, merge, diff) are
skipped with a note; run the script again when they are, and the guide's TODO lines can go.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SEED = ROOT / "samples" / "leting-2024-emergency.txt"


def wbe(*args: str, check: bool = True, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "workbook_engine", *map(str, args)], capture_output=True,
                            text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if check and result.returncode not in (0, 1):
        raise SystemExit(f"wbe {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def to_pdf(source: Path, work: Path) -> Path:
    """Print a workbook or document with LibreOffice (private profile)."""
    profile = work / "lo-profile"
    subprocess.run([shutil.which("soffice") or "soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(source)], check=True, capture_output=True)
    return work / (source.stem + ".pdf")


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def find_page(pdf: Path, text: str) -> int:
    """The first page whose text contains ``text`` (whitespace ignored)."""
    wanted = "".join(text.split())
    for page in range(1, page_count(pdf) + 1):
        found = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                               text=True, check=True).stdout
        if wanted in "".join(found.split()):
            return page
    raise SystemExit(f"{text} not found in {pdf}")


def snap(pdf: Path, page: int, name: str, resolution: int) -> None:
    target = IMAGES / name
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(target.with_suffix(""))], check=True)
    print(f"{target.relative_to(ROOT)}  (page {page} of {pdf.name})")


def available(command: str) -> bool:
    return wbe(command, "--help", check=False).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=60)
    args = parser.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)
    r = args.resolution
    with tempfile.TemporaryDirectory(prefix="wbe-guide-") as tmp:
        work = Path(tmp)
        book = work / "乐亭县应急管理局2025.xlsx"
        wbe("import", SEED, "-o", book, "--year", "2024")
        printed = to_pdf(book, work)
        snap(printed, find_page(printed, "部门编码"), "01-workbook-goals.png", r)
        snap(printed, find_page(printed, "规范工作簿说明"), "02-workbook-notes.png", r)

        broken = work / "有错误的工作簿.xlsx"
        workbook = openpyxl.load_workbook(book)
        workbook["项目"]["F2"] = 201          # 预算数 no longer 财政资金 + 其他资金
        workbook["指标"]["H3"] = None         # 指标值 missing
        workbook.save(broken)
        annotated = work / "有错误的工作簿-批注.xlsx"
        wbe("validate", broken, "--annotate", annotated)
        printed = to_pdf(annotated, work)
        snap(printed, find_page(printed, "校验结果"), "03-annotated-findings.png", r)

        if available("review"):
            reviewed = work / "审核意见.xlsx"
            wbe("review", book, "--annotate", reviewed)
            printed = to_pdf(reviewed, work)
            snap(printed, 1, "04-review.png", r)

        official = work / "官方格式.xlsx"
        wbe("render", book, "-o", official)
        printed = to_pdf(official, work)
        snap(printed, find_page(printed, "项目绩效目标汇总表"), "05-render-summary.png", r)
        snap(printed, find_page(printed, "1.安全生产专家会诊服务费绩效目标表"), "06-render-project.png", r)

        text = work / "部门预算绩效文本.docx"
        wbe("publish", book, "-o", text, "--pdf", "--finance-bureau", "乐亭县财政局")
        printed = text.with_suffix(".pdf")
        snap(printed, 1, "07-publish-cover.png", r)
        snap(printed, 2, "08-publish-contents.png", r)
        snap(printed, 3, "09-publish-part-one.png", r)
        snap(printed, find_page(printed, "1.安全生产专家会诊服务费绩效目标表450001"), "10-publish-table.png", r)

        if available("merge") and available("diff"):
            sys.path.insert(0, str(ROOT))
            from benchmarks.generate import county_book
            from workbook_engine.canonical_writer import write_book

            county = county_book(departments=3, projects=9, indicators=90)
            names = []
            for dept in county.departments():
                names.append(f"{dept.code}{dept.name}.xlsx")
                write_book(county.for_department(dept.code), work / names[-1])
            wbe("merge", *names, "-o", "全县.xlsx", cwd=work)
            printed = to_pdf(work / "全县.xlsx", work)
            snap(printed, find_page(printed, "合并记录"), "11-merge-record.png", r)
            changed = work / "修改后.xlsx"
            workbook = openpyxl.load_workbook(book)
            workbook["项目"]["D2"] = "安全生产专家会诊服务"   # a changed project name
            workbook["项目"]["F3"] = workbook["项目"]["G3"] = 160  # a changed budget
            workbook.save(changed)
            wbe("diff", book, changed, "-o", work / "变化.xlsx")
            printed = to_pdf(work / "变化.xlsx", work)
            snap(printed, find_page(printed, "处变化：新增"), "12-diff.png", r)

if __name__ == "__main__":
    main()
