"""Does the review stay linear? Time the review rules on the county workbook at 1× and a larger scale
(docs/performance.md, section "review scaling").

    python3 -m benchmarks.review_scaling [--scales 1 3] [--repeat 3]

Builds (once, into out/) the benchmarks.generate county workbook at each scale — 1× is 100 departments,
2,000 projects, 30,000 indicators — loads it, then times, median of ``--repeat``, each review rule alone and
all of them (`review_findings`) on the loaded book, in CPU seconds (wall time on this shared machine is
inflated by other work). Linear means the per-scale time divided by the scale stays about constant.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from workbook_engine.canonical_writer import write_book
from workbook_engine.review import load_config, review_findings
from workbook_engine.review.rules import RULES, ReviewContext
from workbook_engine.validation import check

from .generate import county_book


def workbook_at(scale: int, folder: Path) -> Path:
    path = folder / ("county.xlsx" if scale == 1 else f"county-{scale}x.xlsx")
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_book(county_book(100 * scale, 2000 * scale, 30000 * scale), path)
    return path


def cpu(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("out"))
    args = parser.parse_args()
    columns: dict[int, dict[str, float]] = {}
    sizes: dict[int, tuple[int, int]] = {}
    for scale in args.scales:
        checked = check(workbook_at(scale, args.folder))
        book, loaded = checked.book, checked.loaded
        config = load_config(loaded.path)
        sizes[scale] = (len(book.projects), len(book.indicators))
        times: dict[str, float] = {}
        context = ReviewContext(book, loaded, config)
        for rule in RULES:
            times[rule.__name__] = cpu(lambda rule=rule, context=context: list(rule(context)), args.repeat)
        run_all = (lambda b=book, l=loaded, c=config: review_findings(b, l, c))
        build = (lambda b=book, l=loaded, c=config: ReviewContext(b, l, c))
        times["all rules (`review_findings`)"] = cpu(run_all, args.repeat)
        times["context alone (parse values, categories)"] = cpu(build, args.repeat)
        columns[scale] = times
    first = args.scales[0]
    print("| rule | " + " | ".join(f"{s}× ({sizes[s][1]:,} indicators) CPU s" for s in args.scales)
          + " | ratio per scale |")
    print("| --- | " + " | ".join("---:" for _ in args.scales) + " | ---: |")
    for name in columns[first]:
        cells = " | ".join(f"{columns[s][name]:.2f}" for s in args.scales)
        last = args.scales[-1]
        base = columns[first][name] / first
        ratio = (columns[last][name] / last) / base if base > 0 else float("nan")
        print(f"| {name} | {cells} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
