"""Logins in a burst (issue 25): the argon2id checks run at most one per core at a time, in threads of their
own, so that a hundred departments logging in at once never hold the threads that serve pages; each login
still succeeds or is refused exactly as one alone would be."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

pytest.importorskip("workbook_engine.web.app")

from workbook_engine import api

from .collect_helpers import new_collection
from .collect_web import CSRF_RE, collection_app


async def log_in(app, username: str, password: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        page = await client.get("/login")
        found = CSRF_RE.search(page.text)
        assert found is not None, "no CSRF token on the login page"
        csrf = found.group(1)
        answer = await client.post("/login", data={"csrf": csrf, "username": username, "password": password,
                                                   "next": "/"})
        return answer.status_code


def test_a_burst_of_logins_checks_passwords_one_per_core(tmp_path, monkeypatch):
    collect, passwords = new_collection(tmp_path, "sqlite")
    app = collection_app(tmp_path / "data", tmp_path / "work")
    running, most = [0], [0]
    lock = threading.Lock()
    real = api.box_password_matches

    def counted(pending, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.05)  # as long as a real check: the others arrive meanwhile
            return real(pending, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(api, "box_password_matches", counted)
    attempts = [(name, password) for name, password in passwords.items()] * 3 + [("450001", "wrong-password")]

    async def burst():
        return await asyncio.gather(*(log_in(app, name, password) for name, password in attempts))

    answers = asyncio.run(burst())
    collect.close()
    assert answers == [303] * (len(attempts) - 1) + [403]
    assert most[0] <= app.state.password_checks.total_tokens  # never more at once than cores
    assert most[0] >= min(2, app.state.password_checks.total_tokens)  # but as many as there are
