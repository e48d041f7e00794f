"""The event loop while jobs run (issue 26): `/healthz` answered within 100 ms while 12 county-sized
workbooks are being checked.

    python -m benchmarks.load_healthz [--uploads 12] [--departments 100]

Starts the real server (`python -m workbook_engine serve` on a free loopback port, its default worker pool,
warm), uploads ``--uploads`` copies of a generated county workbook at once (100 departments, 2,000
projects, 30,000 indicators by default) as browsers do (CSRF token, then POST /upload, then the job page
until the findings), and meanwhile asks `/healthz` every 50 ms from another thread with its own connection.
Prints the health latencies (p50 / p95 / max, and how many were slower than 100 ms) and the uploads' times.
Figures: docs/performance.md ("The event loop while jobs run").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.generate import county_book
from benchmarks.load_web import percentile
from workbook_engine.canonical_writer import write_book

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
TIMEOUT = 600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, work: Path) -> subprocess.Popen:
    """`wbe serve` as a user starts it; returns once it says it is ready (warm workers)."""
    env = {**os.environ, "TMPDIR": str(work)}
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "serve", "--port", str(port),
                                "--max-upload-mb", "100"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    for line in process.stdout:
        if "网页已就绪" in line:
            break
        if time.monotonic() > deadline:
            break
    else:
        raise RuntimeError("the server did not start")
    output = process.stdout
    threading.Thread(target=lambda: [None for _ in output], daemon=True).start()  # drain its output
    return process


async def one_upload(base: str, path: Path) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, follow_redirects=True) as client:
        found = CSRF_RE.search((await client.get("/")).text)
        assert found is not None, "no CSRF token on the upload page"
        start = time.perf_counter()
        response = await client.post("/upload", data={"csrf": found.group(1)},
                                     files={"file": (path.name, path.read_bytes())})
        while "/jobs/" in str(response.url) and response.status_code == 200:
            await asyncio.sleep(0.2)
            response = await client.get(str(response.url))
        if 'id="count-errors"' not in response.text:
            raise RuntimeError(f"no findings page: {response.status_code} {response.text[:200]}")
        return time.perf_counter() - start


def watch_health(base: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            start = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - start)
            stop.wait(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=12)
    parser.add_argument("--departments", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        county = work / "county.xlsx"
        write_book(county_book(departments=args.departments, projects=args.departments * 20,
                               indicators=args.departments * 300), county)
        size = county.stat().st_size / 1e6
        port = free_port()
        server = start_server(port, work)
        base = f"http://127.0.0.1:{port}"
        try:
            quiet: list[float] = []
            stop = threading.Event()
            watcher = threading.Thread(target=watch_health, args=(base, stop, quiet))
            watcher.start()
            time.sleep(2)
            stop.set()
            watcher.join()
            loaded: list[float] = []
            stop = threading.Event()
            watcher = threading.Thread(target=watch_health, args=(base, stop, loaded))
            watcher.start()
            start = time.perf_counter()

            async def everyone() -> list[float]:
                return list(await asyncio.gather(*(one_upload(base, county) for _ in range(args.uploads))))

            uploads = asyncio.run(everyone())
            wall = time.perf_counter() - start
            stop.set()
            watcher.join()
        finally:
            server.terminate()
            server.wait(30)
    slow = sum(1 for x in loaded if x > 0.1)
    print("| measurement | figure |")
    print("| --- | ---: |")
    print(f"| `/healthz`, idle server: p50 / p95 / max | {statistics.median(quiet) * 1000:.1f} / "
          f"{percentile(quiet, 0.95) * 1000:.1f} / {max(quiet) * 1000:.1f} ms |")
    print(f"| `/healthz` during {args.uploads} county uploads ({len(loaded)} requests): p50 / p95 / max | "
          f"{statistics.median(loaded) * 1000:.1f} / {percentile(loaded, 0.95) * 1000:.1f} / "
          f"{max(loaded) * 1000:.1f} ms |")
    print(f"| … of them slower than 100 ms | {slow} |")
    print(f"| {args.uploads} uploads → findings ({args.departments} departments each, {size:.1f} MB): "
          f"median / max | {statistics.median(uploads):.1f} / {max(uploads):.1f} s |")
    print(f"| … wall time for all | {wall:.1f} s |")


if __name__ == "__main__":
    main()
