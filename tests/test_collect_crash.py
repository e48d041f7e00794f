"""Kill the collection server (SIGKILL, its worker processes too) in the middle of 20 departments
submitting; start it again: the database opens cleanly, every acknowledged upload and submit is there
with the SHA-256 that was sent, and no submission is half-stored (docs/security.md)."""

from __future__ import annotations

import threading

import httpx

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

    restarted = Server(data, log=tmp_path / "server-2.log")
    try:
        assert httpx.get(restarted.url + "/healthz", timeout=10).status_code == 200
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
    finally:
        restarted.stop()
    final = verify(data, [*results, retry])
    assert final["problems"] == [] and final["states"][again.username] == "已提交·待审核"
