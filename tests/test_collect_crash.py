"""Kill the collection server (SIGKILL, its worker processes too) in the middle of 20 departments
submitting; start it again: the database opens cleanly, every acknowledged upload and submit is there
with the SHA-256 that was sent, no submission is half-stored (docs/security.md), and no spooled file of the
killed server is left in the data folder (issue 26)."""

from __future__ import annotations

import threading

import httpx
import pytest

from benchmarks.load_collect import (
    CSRF_RE,
    Acknowledged,
    Server,
    department_books,
    initialise,
    one_user,
    run_users,
    verify,
)

from .collect_helpers import cheap_hashes  # noqa: F401

USERS = 20


def spooled(data) -> list[str]:
    """Temporary files in the data folder: everything in work/ but the findings cache and the lock files of
    running servers' (empty) spool folders, and half-written blobs."""
    work = [p for p in (data / "work").rglob("*") if p.is_file() and p.parent.name != "analysis"
            and p.name != ".lock"]
    return sorted(str(p.relative_to(data)) for p in [*work, *(data / "blobs").rglob(".incoming.*")])


def test_sigkill_mid_load_loses_nothing_acknowledged(tmp_path):
    departments = department_books(tmp_path, USERS)
    passwords = initialise(tmp_path, departments)
    data = tmp_path / "data"
    server = Server(data, log=tmp_path / "server-1.log")
    acknowledged = Acknowledged()
    results: list = []
    load = threading.Thread(target=lambda: results.extend(
        run_users(server.url, departments, passwords, acknowledged=acknowledged, stagger=0.15)))
    try:
        load.start()
        assert acknowledged.wait_for(USERS // 2, 180), "too few uploads were acknowledged"  # half way
    finally:
        server.kill()
    load.join(timeout=300)
    assert len(results) == USERS
    acked = [o for o in results if o.uploaded is not None]
    cut = [o for o in results if o.error]
    assert acked and cut, (len(acked), len(cut))  # the kill did land mid-load

    left = spooled(data)  # what the kill left (the uploads in flight); the restart sweeps it
    restarted = Server(data, log=tmp_path / "server-2.log")
    try:
        assert httpx.get(restarted.url + "/healthz", timeout=10).status_code == 200
        assert spooled(data) == [], left
        assert [p.name for p in (data / "work").iterdir() if p.name != "analysis"] == []
        checked = verify(data, results)
        assert checked["problems"] == []
        assert checked["stored"] >= len(acked)
        for outcome in results:
            state = checked["states"][outcome.username]
            if outcome.submitted:
                assert state == "已提交·待审核", outcome.username
        again = cut[0]  # a department cut off by the kill submits again after the restart
        code, _name, path = next(d for d in departments if d[0] == again.username)
        retry = one_user(restarted.url, code, passwords[code], path)
        assert retry.submitted, retry.error
        with httpx.Client(base_url=restarted.url, timeout=30) as client:  # and the page works as before
            assert "用户名" in client.get("/login").text
            assert CSRF_RE.search(client.get("/login").text)
        assert spooled(data) == []  # the retry's upload left nothing either
    finally:
        restarted.stop()
    final = verify(data, [*results, retry])
    assert final["problems"] == [] and final["states"][again.username] == "已提交·待审核"
    assert [p.name for p in (data / "work").iterdir() if p.name != "analysis"] == []  # stopped: folder gone


def test_the_sweep_removes_what_stopped_processes_left_and_never_a_running_ones(tmp_path):
    import subprocess
    import sys

    from workbook_engine.collect.service import Collect

    from .collect_helpers import new_collection

    collect, _ = new_collection(tmp_path, "sqlite")
    work = collect.work
    running = collect.spool.folder()  # this process's own, locked
    (running / "in-flight.xlsx").write_bytes(b"x")
    other = subprocess.run([sys.executable, "-c", (  # a process that made its folder, then was killed
        "import os, sys; from pathlib import Path; from workbook_engine.collect.spool import Spool;"
        "f = Spool(Path(sys.argv[1])).folder(); (f / 'upload.xlsx').write_bytes(b'x'); print(f); os._exit(9)"),
        str(work)], capture_output=True, text=True, check=False)
    dead = work / other.stdout.strip().rsplit("/", 1)[-1]
    assert other.returncode == 9 and (dead / "upload.xlsx").is_file(), other.stderr
    (work / "upload-0123456789abcdef01234567.xlsx").write_bytes(b"x")  # loose files of the version before
    (work / "job-abc").mkdir()
    (work / "job-abc" / "upload.xlsx").write_bytes(b"x")
    (work / "analysis").mkdir(exist_ok=True)
    (work / "analysis" / "cached.json").write_text("{}")
    opened = Collect(collect.data_dir, sweep=True)  # a second server starting while this one runs
    try:
        assert sorted(p.name for p in work.iterdir()) == sorted(["analysis", running.name])
        assert (running / "in-flight.xlsx").is_file() and (work / "analysis" / "cached.json").is_file()
    finally:
        opened.close()
        collect.close()


def test_no_temporary_file_is_left_on_any_error_path_of_an_upload(tmp_path):
    from sqlalchemy import select

    from workbook_engine.collect.models import User
    from workbook_engine.collect.workflow import WorkflowError, upload
    from workbook_engine.errors import InputError

    from .collect_helpers import department_workbook, new_collection

    collect, _ = new_collection(tmp_path, "sqlite")
    try:
        with collect.writer() as session:
            dept = session.scalar(select(User).where(User.username == "450001"))
            for data, refused in ((b"PK\x03\x04 not a workbook", InputError),
                                  (department_workbook(tmp_path, "450002").read_bytes(), WorkflowError)):
                with pytest.raises(refused):
                    upload(collect, session, dept, "a.xlsx", data)
            good = upload(collect, session, dept, "a.xlsx", department_workbook(tmp_path, "450001").read_bytes())
        assert collect.blobs.verify(good.sha256)
        assert [p for p in collect.work.rglob("*") if p.is_file() and p.name != ".lock"] == []
        assert list(collect.data_dir.joinpath("blobs").rglob(".incoming.*")) == []
    finally:
        collect.close()
