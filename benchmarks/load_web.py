"""Load on the web page (loopback only, bounded): 20 browsers upload the sample at once; and the time from
upload to findings for the sample and a 200-project department.

    python -m benchmarks.load_web [--users 20] [--projects 200]

Starts its own server (uvicorn, worker processes sized to the cores) on a free 127.0.0.1 port; every
request has a timeout, so a stuck server ends the run instead of hanging it. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.generate import county_book
from tests.web_server import running_server
from workbook_engine.canonical_writer import write_book

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "workbooks" / "leting-emergency-2024.xlsx"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
TIMEOUT = 180.0


async def one_user(base: str, path: Path) -> tuple[float, int | None, int | None]:
    """Upload ``path`` as a new browser would and wait for the findings page: (seconds, errors, warnings)."""
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, follow_redirects=True) as client:
        page = CSRF_RE.search((await client.get("/")).text)
        assert page is not None, "no CSRF token on the upload page"
        csrf = page.group(1)
        start = time.perf_counter()
        response = await client.post("/upload", data={"csrf": csrf},
                                     files={"file": (path.name, path.read_bytes())})
        while "/jobs/" in str(response.url) and response.status_code == 200:
            if time.perf_counter() - start > TIMEOUT:
                raise TimeoutError("no findings within the time limit")
            await asyncio.sleep(0.2)
            response = await client.get(str(response.url))
        elapsed = time.perf_counter() - start
        errors = re.search(r'id="count-errors">(\d+)<', response.text)
        warnings = re.search(r'id="count-warnings">(\d+)<', response.text)
        return elapsed, int(errors.group(1)) if errors else None, int(warnings.group(1)) if warnings else None


async def concurrent(base: str, users: int) -> list[tuple[float, int | None, int | None]]:
    return list(await asyncio.gather(*(one_user(base, SAMPLE) for _ in range(users))))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--projects", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, running_server() as base:
        big = Path(folder) / f"department-{args.projects}.xlsx"
        write_book(county_book(departments=1, projects=args.projects, indicators=args.projects * 15), big)
        asyncio.run(one_user(base, SAMPLE))  # warm the worker processes (imports)
        single = [asyncio.run(one_user(base, SAMPLE))[0] for _ in range(3)]
        large = [asyncio.run(one_user(base, big)) for _ in range(2)]
        start = time.perf_counter()
        results = asyncio.run(concurrent(base, args.users))
        wall = time.perf_counter() - start
        size = big.stat().st_size / 1e6
    latencies = [r[0] for r in results]
    answered = sum(1 for r in results if r[1] == 0 and r[2] is not None)
    print("| measurement | figure |")
    print("| --- | ---: |")
    print(f"| upload → findings, shipped sample (median of 3) | {statistics.median(single):.2f} s |")
    print(f"| upload → findings, {args.projects}-project department ({size:.2f} MB, "
          f"{large[0][2]} warnings) | {statistics.median(r[0] for r in large):.2f} s |")
    print(f"| {args.users} concurrent uploads of the sample: answered with their findings | "
          f"{answered} / {args.users} |")
    print(f"| … latency median / p95 / max | {statistics.median(latencies):.2f} / "
          f"{percentile(latencies, 0.95):.2f} / {max(latencies):.2f} s |")
    print(f"| … wall time for all {args.users} | {wall:.2f} s |")
    if answered != args.users:
        raise SystemExit(f"{args.users - answered} uploads were lost or wrong")


if __name__ == "__main__":
    main()
