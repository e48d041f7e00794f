"""Benchmark of the 指标库 at province scale (docs/performance.md, 指标库).

    python -m benchmarks.bench_library [--out out/province] [--counties 170] [--workbook-counties 20]

Generates the province (benchmarks/province.py) unless present, then measures: `library build` from the
Parquet exports and from the county workbooks (the workbook part against a calamine read of the same files),
`--append` of one more county, `library search` (p50/p95 over many queries on an open library, and the first
query of a fresh process), `suggest` for a 200-project department, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import time
from pathlib import Path

from benchmarks.province import Shape, county_book, write_parquet, write_workbooks

QUERIES = ["满意度", "隐患整改率", "验收合格率", "完成时限", "受益人数", "培训", "防汛", "免疫密度", "高标准农田",
           "签约", "低保", "水质达标率", "清淤", "空气质量", "养护里程", "送戏下乡", "改造", "知晓率", "成本",
           "资金支付及时率", "专家会诊", "救助", "储备物资", "健康档案", "营养", "维修", "监测点位", "演练"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def page_load(library: Path, users: int = 20, requests: int = 15) -> dict[str, object]:
    """The 指标库 page under ``users`` simultaneous users (threads with their own HTTP client), each doing
    ``requests`` searches: p50/p95 of the response time."""
    import threading

    import httpx
    import uvicorn

    from workbook_engine.web import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(executor="thread", library=library), host="127.0.0.1",
                                           port=8792, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    times: list[float] = []
    lock = threading.Lock()

    def user(n: int) -> None:
        with httpx.Client(base_url="http://127.0.0.1:8792") as client:
            for i in range(requests):
                start = time.perf_counter()
                response = client.get("/library", params={"q": QUERIES[(n + i) % len(QUERIES)]})
                elapsed = time.perf_counter() - start
                assert response.status_code == 200
                with lock:
                    times.append(elapsed)

    start = time.perf_counter()
    workers = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    server.should_exit = True
    thread.join()
    times.sort()
    return {"page_users": users, "page_requests": len(times), "page_p50_ms": round(statistics.median(times) * 1000),
            "page_p95_ms": round(times[int(len(times) * 0.95)] * 1000), "page_per_s": round(len(times) / wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/province"))
    parser.add_argument("--counties", type=int, default=170)
    parser.add_argument("--workbook-counties", type=int, default=20)
    parser.add_argument("--page-only", action="store_true", help="only the page's search with 20 users at once")
    args = parser.parse_args()
    if args.page_only:
        print(json.dumps(page_load(args.out / "library")), flush=True)
        return
    from workbook_engine.library.build import _read_workbooks, build
    from workbook_engine.library.query import Library, info
    from workbook_engine.library.suggest import suggestions_for

    shape = Shape(counties=args.counties)
    exports, workbooks = args.out / "exports", args.out / "workbooks"
    figures: dict[str, object] = {}
    if not exports.is_dir():
        _, seconds = timed(write_parquet, shape, exports)
        figures["generate_parquet_s"] = round(seconds, 1)
    if not workbooks.is_dir():
        _, seconds = timed(write_workbooks, shape, workbooks, args.workbook_counties)
        figures["generate_workbooks_s"] = round(seconds, 1)
    print(json.dumps(figures), flush=True)

    library = args.out / "library"
    shutil.rmtree(library, ignore_errors=True)
    result, seconds = timed(build, [exports], library)
    held = info(library)
    figures.update(build_parquet_s=round(seconds, 1), rows=held.indicators, projects=held.projects,
                   groups=held.groups, build_parquet_peak_mb=round(peak_mb()))
    print(json.dumps(figures), flush=True)

    books = sorted(workbooks.glob("*.xlsx"))[: args.workbook_counties]
    from python_calamine import CalamineWorkbook

    def calamine_read() -> int:
        cells = 0
        for path in books:
            workbook = CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                cells += sum(len(row) for row in workbook.get_sheet_by_name(name).to_python())
        return cells

    _, calamine_s = timed(calamine_read)
    _, ours_read_s = timed(_read_workbooks, books, [])
    wb_library = args.out / "library-workbooks"
    shutil.rmtree(wb_library, ignore_errors=True)
    _, wb_build_s = timed(build, books, wb_library)
    figures.update(workbooks=len(books), build_workbooks_s=round(wb_build_s, 1), read_workbooks_s=round(ours_read_s, 1),
                   calamine_s=round(calamine_s, 1), read_ratio=round(ours_read_s / calamine_s, 2))
    print(json.dumps(figures), flush=True)

    extra = args.out / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    one = Shape(counties=args.counties + 1)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from benchmarks.province import county_rows, region_code

    extra.mkdir(parents=True)
    rows = county_rows(args.counties, one, 2024)
    del rows["budget"]
    path = extra / f"{region_code(args.counties)}-2024.parquet"
    pq.write_table(pa.table(rows), path)
    _, append_s = timed(build, [path], library, append=True)
    _, again_s = timed(build, [path], library, append=True)  # the same file again: skipped
    figures.update(append_s=round(append_s, 1), append_again_s=round(again_s, 2),
                   rows_after_append=info(library).indicators)
    print(json.dumps(figures), flush=True)

    opened, open_s = timed(Library, library)
    _, first_s = timed(opened.search, QUERIES[0])
    times = []
    for _ in range(3):
        for query in QUERIES:
            _, seconds = timed(opened.search, query)
            times.append(seconds)
    times.sort()
    figures.update(search_open_s=round(open_s, 3), search_first_s=round(first_s, 3),
                   search_p50_ms=round(statistics.median(times) * 1000), search_p95_ms=round(times[int(len(times) * 0.95)] * 1000),
                   search_queries=len(times))
    print(json.dumps(figures), flush=True)

    department = county_book(0, Shape(counties=1, departments=1, projects=200), 2024)
    suggestions, seconds = timed(suggestions_for, department, opened)
    _, again = timed(suggestions_for, department, opened)
    figures.update(suggest_projects=len(department.projects), suggest_s=round(seconds, 2),
                   suggest_again_s=round(again, 2), suggestions=len(suggestions[0]))
    opened.close()
    figures["peak_mb"] = round(peak_mb())
    print(json.dumps(figures), flush=True)
    (args.out / "bench_library.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
