"""Load on the collection box (loopback only, bounded): N department users log in and submit at once, each a
different generated workbook; then every submission is checked in the database (SHA-256 of what was sent,
the blob on disk, the board's state).

    python -m benchmarks.load_collect [--users 100] [--viewers 20] [--database postgresql://…]

With --viewers, that many bureau viewers (accounts of the viewer role) reload the status board throughout
the load, and the board's response times are reported too (readers must not wait for writers).

Runs the real `wbe serve --data DIR` in its own process group on a free 127.0.0.1 port (so that
tests/test_collect_crash.py can SIGKILL it mid-load with the same code); every request has a timeout.
Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import dataclasses
import hashlib
import os
import re
import resource
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import httpx
import openpyxl

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
TIMEOUT = 120.0
# One TLS context for every client. The server here is plain http, yet httpx builds a context for each Client
# (loading the CA bundle: 20 ms of CPU), which for 120 clients took 2.5 s from the two cores the server is
# measured on, all of it in the second the logins start; browsers on other machines cost the server nothing.
TLS_CONTEXT = ssl.create_default_context()


def client_of(base: str) -> httpx.Client:
    """A browser-like client: no redirects followed (a 303 is the acknowledgement), every request timed out."""
    return httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False, verify=TLS_CONTEXT)


def csrf_in(page: str) -> str:
    """The form's CSRF token (RuntimeError when the page has none: one_user records it as the user's error)."""
    match = CSRF_RE.search(page)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def department_books(folder: Path, count: int) -> list[tuple[str, str, Path]]:
    """``count`` departments (450001…), each with its own workbook: the sample's content under the
    department's code, with its own project codes and a budget that differs per department."""
    from workbook_engine.api import read_book
    from workbook_engine.canonical_writer import write_book
    from workbook_engine.model import Book

    sample = read_book(ROOT / "workbooks" / "leting-emergency-2024.xlsx")
    made = []
    for n in range(count):
        code, name = f"{450001 + n:06d}", f"第{n + 1}部门"
        prefix = f"{n:03d}"
        codes = {p.code: p.code[:9] + prefix + p.code[12:] for p in sample.projects}
        book = Book(
            goals=[dataclasses.replace(g, dept_code=code, dept_name=name) for g in sample.goals],
            projects=[dataclasses.replace(p, dept_code=code, code=codes[p.code],
                                          budget=p.budget + n if p.budget is not None and i == 0 else p.budget,
                                          fiscal=p.fiscal + n if p.fiscal is not None and i == 0 else p.fiscal)
                      for i, p in enumerate(sample.projects)],
            indicators=[dataclasses.replace(i, dept_code=code, project_code=codes[i.project_code])
                        for i in sample.indicators],
        )
        path = folder / f"{code}.xlsx"
        write_book(book, path)
        made.append((code, name, path))
    return made


def initialise(folder: Path, departments: list[tuple[str, str, Path]], database: str | None = None) -> dict[str, str]:
    """A collection of these departments in folder/data; returns each user's password."""
    from workbook_engine.collect.initialise import init_collection

    listing = folder / "departments.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["部门编码", "部门名称"])
    for code, name, _ in departments:
        workbook.active.append([code, name])
    workbook.save(listing)
    _target, accounts = init_collection(folder / "data", 2025, listing, database_url=database,
                                        passwords=folder / "passwords.xlsx")
    return {a.username: a.password for a in accounts}


class Server:
    """`wbe serve --data DIR` in its own process group (its worker processes die with it on kill())."""

    def __init__(self, data: Path, database: str | None = None, log: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "workbook_engine", "serve", "--data", str(data), "--port", str(self.port)]
        if database:
            command += ["--database", database]
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 - open as long as the server runs
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or self.process.poll() is not None:
                self.kill()
                raise RuntimeError("the collection server did not start")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown handler runs, as after a power cut of the process."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
            return
        self.log.close()


@dataclass
class Outcome:
    """What one user saw: acknowledged ids (the server's 303 answers) and the time of each step."""

    username: str
    sha256: str
    uploaded: int | None = None  # submission id of an acknowledged upload
    submitted: bool = False
    error: str = ""
    times: dict[str, float] = field(default_factory=dict)


class Acknowledged:
    """Counts acknowledged uploads, so that a test can act when a given number have been answered."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self) -> None:
        with self.changed:
            self.count += 1
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout)


def one_user(base: str, username: str, password: str, path: Path, acknowledged: Acknowledged | None = None) -> Outcome:
    """Log in, upload and open the findings page the upload's 303 points to, submit, as a browser does."""
    data = path.read_bytes()
    outcome = Outcome(username, hashlib.sha256(data).hexdigest())
    try:
        with client_of(base) as client:
            start = time.perf_counter()
            csrf = csrf_in(client.get("/login").text)
            response = client.post("/login", data={"csrf": csrf, "username": username, "password": password,
                                                   "next": "/"})
            if response.status_code != 303:
                raise RuntimeError(f"login answered {response.status_code}")
            outcome.times["login"] = time.perf_counter() - start
            step = time.perf_counter()
            response = client.post("/dept/upload", data={"csrf": csrf},
                                   files={"file": (path.name, data, "application/octet-stream")})
            if response.status_code != 303:
                raise RuntimeError(f"upload answered {response.status_code}")
            outcome.uploaded = int(response.headers["location"].rsplit("/", 1)[1])
            if acknowledged is not None:
                acknowledged()
            page = client.get(response.headers["location"])
            if page.status_code != 200 or "count-errors" not in page.text:
                raise RuntimeError(f"the findings page answered {page.status_code}")
            outcome.times["upload"] = time.perf_counter() - step  # upload → its findings page
            step = time.perf_counter()
            response = client.post(f"/s/{outcome.uploaded}/submit", data={"csrf": csrf})
            if response.status_code != 303:
                raise RuntimeError(f"submit answered {response.status_code}")
            outcome.submitted = True
            outcome.times["submit"] = time.perf_counter() - step
            outcome.times["total"] = time.perf_counter() - start
    except (httpx.HTTPError, RuntimeError, AttributeError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    return outcome


def add_viewers(folder: Path, count: int, database: str | None = None) -> dict[str, str]:
    """``count`` viewer accounts (viewer01, …); returns their passwords."""
    from workbook_engine.collect.accounts import add_account
    from workbook_engine.collect.service import Collect

    collect = Collect(folder / "data", database)
    made: dict[str, str] = {}
    try:
        for number in range(1, count + 1):
            with collect.writer() as session:
                user, password = add_account(session, f"viewer{number:02d}", "viewer", by_name="load_collect")
                made[user.username] = password
    finally:
        collect.close()
    return made


def watch_board(base: str, username: str, password: str, stop: threading.Event) -> list[float]:
    """Log in and reload /board until ``stop``; the time of each reload (an error counts as TIMEOUT)."""
    times: list[float] = []
    with client_of(base) as client:
        csrf = csrf_in(client.get("/login").text)
        client.post("/login", data={"csrf": csrf, "username": username, "password": password, "next": "/"})
        while not stop.is_set():
            start = time.perf_counter()
            try:
                ok = client.get("/board").status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append(time.perf_counter() - start if ok else TIMEOUT)
            stop.wait(0.2)
    return times


def run_users(base: str, departments, passwords: dict[str, str], *, acknowledged: Acknowledged | None = None,
              stagger: float = 0.0) -> list[Outcome]:
    """All users at once (one thread each), optionally starting ``stagger`` seconds apart."""
    with cf.ThreadPoolExecutor(len(departments)) as pool:
        futures = []
        for code, _name, path in departments:
            futures.append(pool.submit(one_user, base, code, passwords[code], path, acknowledged))
            if stagger:
                time.sleep(stagger)
        return [f.result() for f in futures]


class Verified(TypedDict):
    problems: list[str]
    states: dict[str, str]  # department code -> its board state
    stored: int  # submission rows


def verify(data: Path, outcomes: list[Outcome], database: str | None = None) -> Verified:
    """Every acknowledged upload stored with the SHA-256 sent and its blob intact; every acknowledged submit
    in state submitted; no submission row without its complete file; the database's own integrity check."""
    from sqlalchemy import select

    from workbook_engine.collect.board import board
    from workbook_engine.collect.models import Blob, Submission
    from workbook_engine.collect.service import Collect

    collect = Collect(data, database)
    problems: list[str] = []
    try:
        with collect.session() as session:
            if collect.db.url.startswith("sqlite"):
                integrity = session.connection().exec_driver_sql("PRAGMA integrity_check").scalar()
                if integrity != "ok":
                    problems.append(f"integrity_check: {integrity}")
            rows = {s.id: s for s in session.scalars(select(Submission))}
            for outcome in outcomes:
                if outcome.uploaded is None:
                    continue
                stored = rows.get(outcome.uploaded)
                if stored is None:
                    problems.append(f"{outcome.username}: acknowledged upload {outcome.uploaded} missing")
                    continue
                if stored.sha256 != outcome.sha256:
                    problems.append(f"{outcome.username}: SHA-256 differs")
                if outcome.submitted and stored.state != "submitted":
                    problems.append(f"{outcome.username}: acknowledged submit is {stored.state}")
            for submission in rows.values():  # nothing half-stored: every row has its whole file
                if session.get(Blob, submission.sha256) is None or not collect.blobs.verify(submission.sha256):
                    problems.append(f"submission {submission.id}: file missing or damaged")
            states = {r.department.code: r.state for r in board(session, collect.collection(session).id)}
    finally:
        collect.close()
    return {"problems": problems, "states": states, "stored": len(rows)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def big_department(folder: Path, code: str, projects: int) -> Path:
    """A department of ``projects`` projects (15 indicators each) under ``code``: the generator's county book
    of one department, its codes replaced."""
    from benchmarks.generate import county_book
    from workbook_engine.canonical_writer import write_book
    from workbook_engine.model import Book

    book = county_book(departments=1, projects=projects, indicators=projects * 15)
    old = book.projects[0].dept_code
    renamed = Book(goals=[dataclasses.replace(g, dept_code=code) for g in book.goals],
                   projects=[dataclasses.replace(p, dept_code=code, code=code + p.code[len(old):]) for p in book.projects],
                   indicators=[dataclasses.replace(i, dept_code=code, project_code=code + i.project_code[len(old):])
                               for i in book.indicators])
    path = folder / f"{code}-{projects}.xlsx"
    write_book(renamed, path)
    return path


def distinct(path: Path, number: int) -> bytes:
    """The workbook's bytes with a zip comment of its own (the same content, another SHA-256)."""
    import io
    import zipfile

    buffer = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = f"load_collect {number}".encode()
    return buffer.getvalue()


def one_user_figures(database: str | None, projects: int, repeat: int = 3) -> None:
    """One department alone on the server: upload → findings page (the upload's answer, then the page it
    redirects to) for the sample and for a ``projects``-project department; the median of ``repeat``."""
    with tempfile.TemporaryDirectory(prefix="wbe-load-collect-") as temp:
        folder = Path(temp)
        departments = department_books(folder, 1)
        code = departments[0][0]
        big = big_department(folder, code, projects)
        passwords = initialise(folder, departments, database)
        server = Server(folder / "data", database, folder / "server.log")
        try:
            with client_of(server.url) as client:
                csrf = csrf_in(client.get("/login").text)
                client.post("/login", data={"csrf": csrf, "username": code, "password": passwords[code], "next": "/"})
                for label, path in (("the sample", departments[0][2]), (f"a {projects}-project department", big)):
                    times = []
                    for number in range(repeat):
                        data = distinct(path, number)  # new bytes each time: no stored analysis is reused
                        start = time.perf_counter()
                        answer = client.post("/dept/upload", data={"csrf": csrf},
                                             files={"file": (path.name, data, "application/octet-stream")})
                        if answer.status_code != 303:
                            raise RuntimeError(f"upload answered {answer.status_code}")
                        page = client.get(answer.headers["location"])
                        if page.status_code != 200 or "count-errors" not in page.text:
                            raise RuntimeError(f"the findings page answered {page.status_code}")
                        times.append(time.perf_counter() - start)
                    print(f"  one user, upload → findings page, {label} ({len(data) / 1e6:.2f} MB): "
                          f"median {statistics.median(times):.2f} s (of {repeat}: "
                          f"{', '.join(f'{t:.2f}' for t in times)})")
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--viewers", type=int, default=0, help="bureau viewers reloading the board meanwhile")
    parser.add_argument("--database", default=None, help="postgresql://… (default: SQLite in the data folder)")
    parser.add_argument("--one-user", type=int, default=0, metavar="PROJECTS",
                        help="instead: one department alone, the sample and a department of PROJECTS projects")
    args = parser.parse_args()
    if args.one_user:
        one_user_figures(args.database, args.one_user)
        return
    with tempfile.TemporaryDirectory(prefix="wbe-load-collect-") as temp:
        folder = Path(temp)
        made = time.perf_counter()
        departments = department_books(folder, args.users)
        passwords = initialise(folder, departments, args.database)
        viewers = add_viewers(folder, args.viewers, args.database)
        print(f"prepared {args.users} departments and workbooks in {time.perf_counter() - made:.1f} s")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        server = Server(folder / "data", args.database, folder / "server.log")
        try:
            stop = threading.Event()
            watching = cf.ThreadPoolExecutor(max(1, args.viewers))
            boards = [watching.submit(watch_board, server.url, name, password, stop)
                      for name, password in viewers.items()]
            start = time.perf_counter()
            outcomes = run_users(server.url, departments, passwords)
            wall = time.perf_counter() - start
            stop.set()
            board_times = [t for f in boards for t in f.result()]
            watching.shutdown()
        finally:
            server.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server and the workers it reaped
        client_after = resource.getrusage(resource.RUSAGE_SELF)  # this load generator's own threads
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        client_cpu = (client_after.ru_utime - client_before.ru_utime) + (client_after.ru_stime - client_before.ru_stime)
        checked = verify(folder / "data", outcomes, args.database)
        failed = [o for o in outcomes if o.error]
        print(f"{args.users} users: all done in {wall:.1f} s; failed {len(failed)}; stored {checked['stored']}; "
              f"problems {len(checked['problems'])}; main server process CPU {cpu:.1f} s (start-up included, worker processes not); "
              f"load generator CPU {client_cpu:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f}")
        for step in ("login", "upload", "submit", "total"):
            values = [o.times[step] for o in outcomes if step in o.times]
            if values:
                print(f"  {step:7} median {statistics.median(values):6.2f} s  p95 {percentile(values, 0.95):6.2f} s"
                      f"  max {max(values):6.2f} s")
        if board_times:
            print(f"  board   median {statistics.median(board_times):6.3f} s  p95 {percentile(board_times, 0.95):6.3f} s"
                  f"  max {max(board_times):6.3f} s  ({len(board_times)} reloads by {args.viewers} viewers)")
        states = checked["states"]
        pending = sum(1 for s in states.values() if s == "已提交·待审核")
        print(f"  board: {pending} of {len(states)} departments 已提交·待审核")
        for problem in checked["problems"][:10]:
            print("  problem:", problem)
        for outcome in failed[:5]:
            print("  failed:", outcome.username, outcome.error)


if __name__ == "__main__":
    main()
